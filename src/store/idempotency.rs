//! The `idempotency_keys` table: first answers to POSTs made with an `Idempotency-Key`, so a
//! retried request is answered again rather than carried out again.

use super::{
    Store, StoreResult,
    broadcasts::create_broadcast_in,
    sql::{self, Transaction},
};
use crate::domain::{IdempotencyKey, NewBroadcast, Remembered, now_ms};

/// A key is remembered this long; a client retrying later is making a new request.
const KEPT_FOR_MS: i64 = 24 * 3_600_000;

impl Store {
    /// What `key` was answered before, if anything.
    pub async fn remembered(&self, key: &IdempotencyKey) -> StoreResult<Remembered> {
        remembered(&self.pool, key).await
    }

    /// Keeps the answer given to a request made with `key`.
    pub async fn remember(&self, key: &IdempotencyKey, status: u16, body: &str) -> StoreResult<()> {
        let mut tx = self.begin_write().await?;
        remember(&mut tx, key, status, body).await?;
        tx.commit().await
    }

    /// Queues a broadcast once per key: the broadcast, its fan-out and the key's answer (made by
    /// `answer` from the new id and recipient count) are written in one transaction, so even a
    /// crash between them cannot make a retry push twice. Returns the new broadcast's id and
    /// recipients, or what the key remembers.
    pub async fn create_broadcast_once(
        &self,
        broadcast: &NewBroadcast,
        key: &IdempotencyKey,
        answer: impl FnOnce(i64, i64) -> (u16, String),
    ) -> StoreResult<Result<(i64, i64), Remembered>> {
        let mut tx = self.begin_write().await?;
        let known = remembered(&mut tx, key).await?;
        if known != Remembered::New {
            return Ok(Err(known));
        }
        let (id, recipients) = create_broadcast_in(&mut tx, broadcast, self).await?;
        let (status, body) = answer(id, recipients);
        remember(&mut tx, key, status, &body).await?;
        tx.commit().await?;
        Ok(Ok((id, recipients)))
    }
}

async fn remembered<'t>(on: impl Into<sql::Target<'t>>, key: &IdempotencyKey) -> StoreResult<Remembered> {
    let row: Option<(String, i64, String)> = sql::query_as(
        "SELECT request_hash, status, body FROM idempotency_keys WHERE route = $1 AND key = $2 AND created_at > $3",
    )
    .bind(key.route)
    .bind(&key.key)
    .bind(now_ms() - KEPT_FOR_MS)
    .fetch_optional(on)
    .await?;
    Ok(match row {
        None => Remembered::New,
        Some((hash, status, body)) if hash == key.request_hash => Remembered::Answer { status: status as u16, body },
        Some(_) => Remembered::OtherRequest,
    })
}

async fn remember(tx: &mut Transaction, key: &IdempotencyKey, status: u16, body: &str) -> StoreResult<()> {
    let now = now_ms();
    sql::query("DELETE FROM idempotency_keys WHERE created_at <= $1").bind(now - KEPT_FOR_MS).execute(&mut *tx).await?;
    sql::query(
        "INSERT INTO idempotency_keys (route, key, request_hash, status, body, created_at)
         VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT (route, key) DO UPDATE SET request_hash = excluded.request_hash, status = excluded.status,
             body = excluded.body, created_at = excluded.created_at",
    )
    .bind(key.route)
    .bind(&key.key)
    .bind(&key.request_hash)
    .bind(i64::from(status))
    .bind(body)
    .bind(now)
    .execute(&mut *tx)
    .await
    .map(|_| ())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{
        domain::{BroadcastKind, NewSubscriber, Recipient},
        store::test_store,
    };

    fn key(hash: &str) -> IdempotencyKey {
        IdempotencyKey { route: "/api/broadcasts", key: "retry-1".into(), request_hash: hash.into() }
    }

    #[tokio::test]
    async fn a_retried_broadcast_is_queued_once_and_answered_the_same() {
        let (store, _dir) = test_store().await;
        store.subscribe(&NewSubscriber::private(Recipient::telegram(1))).await.unwrap();
        let broadcast = NewBroadcast::plain(BroadcastKind::Breaking, "x", "test");
        let answer = |id: i64, recipients: i64| (202, format!("{id}/{recipients}"));
        let (id, recipients) = store.create_broadcast_once(&broadcast, &key("a"), answer).await.unwrap().unwrap();
        let again = store.create_broadcast_once(&broadcast, &key("a"), answer).await.unwrap().unwrap_err();
        assert_eq!(again, Remembered::Answer { status: 202, body: format!("{id}/{recipients}") });
        let other = store.create_broadcast_once(&broadcast, &key("b"), answer).await.unwrap();
        assert_eq!(other, Err(Remembered::OtherRequest));
        assert_eq!(store.count_pending_deliveries().await.unwrap(), 1);
    }
}
