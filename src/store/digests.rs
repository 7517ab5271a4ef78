//! Stories held for readers' digests, and the digests that gather them.

use super::{
    Store, StoreResult,
    sql::{self, Transaction},
    subscribers::SUBSCRIBER_COLUMNS,
};
use crate::domain::{
    BroadcastKind, BroadcastState, DeliveryStatus, DueDigest, HeldStory, Priority, WaitingReader, now_ms,
};

impl Store {
    /// Every active reader with stories waiting, with the time the oldest was held.
    pub async fn readers_with_held_stories(&self) -> StoreResult<Vec<WaitingReader>> {
        sql::query_as(&format!(
            "SELECT {SUBSCRIBER_COLUMNS}, s.held_since AS oldest_held_at FROM subscribers s
             WHERE s.held_since IS NOT NULL AND s.active = TRUE"
        ))
        .fetch_all(&self.pool)
        .await
    }

    /// Reads a reader's `held_since` again from the stories still waiting (none, when the ones
    /// held were cancelled).
    pub async fn refresh_held_since(&self, subscriber_id: i64) -> StoreResult<()> {
        let mut tx = self.begin_write().await?;
        refresh_held_since(&mut tx, subscriber_id).await?;
        tx.commit().await
    }

    /// The stories waiting for one reader, newest first, at most `limit`.
    pub async fn held_stories(&self, subscriber_id: i64, limit: i64) -> StoreResult<Vec<HeldStory>> {
        sql::query_as(
            "SELECT b.id AS broadcast_id, COALESCE(b.headline, '') AS headline, b.link_url,
                    b.kind = 'breaking' AS breaking
             FROM held_stories h JOIN broadcasts b ON b.id = h.broadcast_id
             WHERE h.subscriber_id = $1 AND h.digest_id IS NULL AND b.status != 'cancelled'
             ORDER BY h.held_at DESC, b.id DESC LIMIT $2",
        )
        .bind(subscriber_id)
        .bind(limit)
        .fetch_all(&self.pool)
        .await
    }

    /// Queues one digest message per reader as one broadcast, and marks the stories it gathers
    /// as sent in it, in one transaction. Returns the digest broadcast's id.
    pub async fn queue_digests(&self, digests: &[DueDigest]) -> StoreResult<Option<i64>> {
        if digests.is_empty() {
            return Ok(None);
        }
        let now = now_ms();
        let mut tx = self.begin_write().await?;
        let digest_id: i64 = sql::query_scalar(
            "INSERT INTO broadcasts (kind, priority, status, total, created_by, created_at, headline)
             VALUES ($1, $2, $3, $4, 'digest', $5, 'digest') RETURNING id",
        )
        .bind(BroadcastKind::Digest)
        .bind(Priority::Digest)
        .bind(BroadcastState::Sending)
        .bind(digests.len() as i64)
        .bind(now)
        .fetch_one(&mut tx)
        .await?;
        for digest in digests {
            sql::query(
                "INSERT INTO deliveries (broadcast_id, subscriber_id, priority, status, due_at, body)
                 VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(digest_id)
            .bind(digest.subscriber_id)
            .bind(Priority::Digest)
            .bind(DeliveryStatus::Pending)
            .bind(now)
            .bind(&digest.body)
            .execute(&mut tx)
            .await?;
            let held_in_digest = format!(
                "UPDATE held_stories SET digest_id = $2
                 WHERE subscriber_id = $1 AND digest_id IS NULL AND broadcast_id IN ({})",
                tx.dialect().json_integers("$3")
            );
            sql::query(&held_in_digest)
                .bind(digest.subscriber_id)
                .bind(digest_id)
                .bind(serde_json::to_string(&digest.broadcast_ids).unwrap_or_default())
                .execute(&mut tx)
                .await?;
            sql::query("UPDATE subscribers SET last_digest_at = $2 WHERE id = $1")
                .bind(digest.subscriber_id)
                .bind(now)
                .execute(&mut tx)
                .await?;
            refresh_held_since(&mut tx, digest.subscriber_id).await?;
        }
        tx.commit().await?;
        Ok(Some(digest_id))
    }
}

async fn refresh_held_since(tx: &mut Transaction, subscriber_id: i64) -> StoreResult<()> {
    sql::query(
        "UPDATE subscribers SET held_since =
             (SELECT MIN(held_at) FROM held_stories WHERE subscriber_id = $1 AND digest_id IS NULL)
         WHERE id = $1",
    )
    .bind(subscriber_id)
    .execute(&mut *tx)
    .await
    .map(|_| ())
}
