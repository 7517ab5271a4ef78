//! The `deliveries` table: the outbox that workers drain. Claiming a row moves its `due_at`
//! forward by a lease instead of flagging it: if the worker dies before recording an outcome, the
//! row simply becomes due again when the lease runs out. Outcomes are in [`super::outcomes`].

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
};

use sqlx::postgres::PgListener;

use super::{
    Store, StoreResult,
    sql::{self, Dialect, Pool, Transaction},
};
use crate::domain::{
    BroadcastMessage, ChatKind, ClaimedDelivery, DeliveredMessage, DeliveryStatus, FailedDelivery, Language, Platform,
    Priority, Recipient, now_ms,
};

/// Recently claimed broadcasts' messages. Small and simply emptied when full: a push claims one
/// broadcast's deliveries for minutes, on a platform or two, in a language or two.
#[derive(Debug, Default)]
pub(super) struct MessageCache(Mutex<HashMap<MessageKey, Arc<BroadcastMessage>>>);

type MessageKey = (i64, Platform, Language);

impl MessageCache {
    const CAPACITY: usize = 64;

    fn get(&self, key: &MessageKey) -> Option<Arc<BroadcastMessage>> {
        self.lock().get(key).cloned()
    }

    fn put(&self, key: MessageKey, message: Arc<BroadcastMessage>) {
        let mut messages = self.lock();
        if messages.len() >= Self::CAPACITY {
            messages.clear();
        }
        messages.insert(key, message);
    }

    fn forget(&self, broadcast_id: i64) {
        self.lock().retain(|(id, _, _), _| *id != broadcast_id);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<MessageKey, Arc<BroadcastMessage>>> {
        self.0.lock().expect("the message cache lock is never poisoned")
    }
}

/// The channel PostgreSQL notifies when a transaction queued a broadcast's deliveries.
const OUTBOX_CHANNEL: &str = "kabar_outbox";

/// Tells the sender, whichever instance it is, that `tx` queued deliveries: on PostgreSQL a
/// notification, delivered when `tx` commits (and at most once per transaction, as PostgreSQL
/// folds equal notifications of one transaction into one). SQLite has no such thing; there the
/// instances share one machine and the sender's short poll finds the deliveries.
pub(super) async fn announce_queued(tx: &mut Transaction) -> StoreResult<()> {
    if tx.dialect() == Dialect::Postgres {
        sql::query(&format!("NOTIFY {OUTBOX_CHANNEL}")).execute(tx).await?;
    }
    Ok(())
}

/// Notifications that another instance queued deliveries, for the sender (PostgreSQL only).
pub struct OutboxSignal(PgListener);

impl OutboxSignal {
    /// Waits for the next notification. An error means the connection dropped: the next call
    /// connects again, and what was notified meanwhile is lost, which the sender's short poll
    /// makes up for.
    pub async fn next(&mut self) -> StoreResult<()> {
        self.0.recv().await.map(drop)
    }
}

/// Gives a claimed delivery its broadcast's message, unless it carries its own (a digest).
fn fill(delivery: &mut ClaimedDelivery, message: &BroadcastMessage) {
    if delivery.body.is_empty() {
        delivery.body = message.body.clone();
        delivery.caption = message.caption.clone();
        delivery.image_url = message.image_url.clone();
    }
    delivery.link_url = message.link_url.clone();
}

impl Store {
    /// Reserves up to `limit` due deliveries for `lease_ms`, highest priority first, each with
    /// the message for its subscriber's platform and language.
    pub async fn claim_due_deliveries(&self, limit: i64, lease_ms: i64) -> StoreResult<Vec<ClaimedDelivery>> {
        let claim = match self.pool.dialect() {
            Dialect::Sqlite => CLAIM_ON_SQLITE,
            Dialect::Postgres => CLAIM_ON_POSTGRES,
        };
        let rows: Vec<ClaimedRow> = sql::query_as(claim)
            .bind(now_ms())
            .bind(lease_ms)
            .bind(limit)
            .bind(self.defaults.language)
            .fetch_all(&self.pool)
            .await?;
        let mut deliveries = Vec::with_capacity(rows.len());
        for row in rows {
            let key = (row.broadcast_id, row.platform, row.language);
            let mut delivery = row.into_delivery();
            fill(&mut delivery, &*self.cached_message(key).await?);
            deliveries.push(delivery);
        }
        Ok(deliveries)
    }

    /// Notifications of queued deliveries from every instance, on PostgreSQL; None on SQLite.
    pub async fn outbox_signal(&self) -> StoreResult<Option<OutboxSignal>> {
        let Pool::Postgres(pool) = &self.pool else { return Ok(None) };
        let mut listener = PgListener::connect_with(pool).await?;
        listener.listen(OUTBOX_CHANNEL).await?;
        Ok(Some(OutboxSignal(listener)))
    }

    /// A broadcast's message, read from the database once: a push claims its deliveries in many
    /// small batches, and each would otherwise read the same message again.
    async fn cached_message(&self, key: MessageKey) -> StoreResult<Arc<BroadcastMessage>> {
        if let Some(message) = self.messages.get(&key) {
            return Ok(message);
        }
        let message = Arc::new(self.broadcast_message(key.0, key.1, key.2).await?);
        self.messages.put(key, message.clone());
        Ok(message)
    }

    /// Forgets the cached messages of a broadcast whose message changed (a correction).
    pub(super) fn forget_cached_message(&self, broadcast_id: i64) {
        self.messages.forget(broadcast_id);
    }

    /// A broadcast's message for readers of `platform` in `language`; empty when it has none.
    pub async fn broadcast_message(
        &self,
        broadcast_id: i64,
        platform: Platform,
        language: Language,
    ) -> StoreResult<BroadcastMessage> {
        let message = sql::query_as(
            "SELECT bb.body, bb.caption, b.link_url, b.image_url
             FROM broadcasts b JOIN broadcast_bodies bb ON bb.broadcast_id = b.id
             WHERE b.id = $1 AND bb.platform = $2 AND bb.language = $3",
        )
        .bind(broadcast_id)
        .bind(platform)
        .bind(language)
        .fetch_optional(&self.pool)
        .await?;
        Ok(message.unwrap_or_default())
    }

    /// The failed deliveries of a broadcast with their reasons, at most `limit`.
    pub async fn failed_deliveries(&self, broadcast_id: i64, limit: i64) -> StoreResult<Vec<FailedDelivery>> {
        sql::query_as(
            "SELECT s.platform, s.address, d.attempts, d.failure_reason AS reason, d.last_error
             FROM deliveries d JOIN subscribers s ON s.id = d.subscriber_id
             WHERE d.broadcast_id = $1 AND d.status = $2 ORDER BY d.id LIMIT $3",
        )
        .bind(broadcast_id)
        .bind(DeliveryStatus::Failed)
        .bind(limit)
        .fetch_all(&self.pool)
        .await
    }

    /// The messages a broadcast put in chats, for a correction or a recall.
    pub async fn sent_messages(&self, broadcast_id: i64) -> StoreResult<Vec<DeliveredMessage>> {
        sql::query_as(
            "SELECT s.platform, s.address, s.kind, s.language, d.message_id, d.sent_at
             FROM deliveries d JOIN subscribers s ON s.id = d.subscriber_id
             WHERE d.broadcast_id = $1 AND d.status = $2 AND d.message_id IS NOT NULL AND d.sent_at IS NOT NULL
             ORDER BY d.id",
        )
        .bind(broadcast_id)
        .bind(DeliveryStatus::Sent)
        .fetch_all(&self.pool)
        .await
    }

    /// Deliveries waiting to be sent, for metrics.
    pub async fn count_pending_deliveries(&self) -> StoreResult<i64> {
        sql::query_scalar("SELECT COUNT(*) FROM deliveries WHERE status = 'pending'").fetch_one(&self.pool).await
    }

    /// The soonest time any pending delivery becomes due, so idle workers know when to wake.
    pub async fn next_due_at(&self) -> StoreResult<Option<i64>> {
        sql::query_scalar("SELECT MIN(due_at) FROM deliveries WHERE status = 'pending'").fetch_one(&self.pool).await
    }
}

/// A claim on SQLite, where one writer at a time holds the database: the subquery picks the
/// due rows, the update moves them a lease ahead.
const CLAIM_ON_SQLITE: &str = "UPDATE deliveries SET due_at = $1 + $2, claimed_at = $1
     WHERE id IN (SELECT id FROM deliveries WHERE status = 'pending' AND due_at <= $1
                  ORDER BY priority, due_at, id LIMIT $3)
     RETURNING id, broadcast_id, subscriber_id, priority, attempts, silent, body AS own_body,
         (SELECT platform FROM subscribers s WHERE s.id = subscriber_id) AS platform,
         (SELECT address FROM subscribers s WHERE s.id = subscriber_id) AS address,
         (SELECT kind FROM subscribers s WHERE s.id = subscriber_id) AS chat_kind,
         (SELECT active FROM subscribers s WHERE s.id = subscriber_id) AS subscriber_active,
         (SELECT COALESCE(s.language, $4) FROM subscribers s WHERE s.id = subscriber_id) AS language,
         (SELECT created_at FROM broadcasts b WHERE b.id = broadcast_id) AS queued_at";

/// A claim on PostgreSQL, where several instances may claim at once: the due rows are locked as
/// they are picked, skipping rows another claim holds, in a materialised step so that the LIMIT
/// bounds what is updated; the time and the lease are the database's, so instances whose
/// clocks differ agree on when a claim runs out. (`$1`, this instance's clock, goes unused.)
const CLAIM_ON_POSTGRES: &str = "WITH due AS MATERIALIZED (
         SELECT id FROM deliveries
         WHERE status = 'pending' AND due_at <= (EXTRACT(EPOCH FROM clock_timestamp()) * 1000)::BIGINT
         ORDER BY priority, due_at, id LIMIT $3
         FOR UPDATE SKIP LOCKED),
     clock AS (SELECT (EXTRACT(EPOCH FROM clock_timestamp()) * 1000)::BIGINT AS now)
     UPDATE deliveries d SET due_at = clock.now + $2, claimed_at = clock.now
     FROM due, clock, subscribers s, broadcasts b
     WHERE d.id = due.id AND s.id = d.subscriber_id AND b.id = d.broadcast_id
     RETURNING d.id, d.broadcast_id, d.subscriber_id, d.priority, d.attempts, d.silent, d.body AS own_body,
         s.platform, s.address, s.kind AS chat_kind, s.active AS subscriber_active,
         COALESCE(s.language, $4) AS language, b.created_at AS queued_at";

/// A claimed row as the claim reads it.
#[derive(sqlx::FromRow)]
struct ClaimedRow {
    id: i64,
    broadcast_id: i64,
    subscriber_id: i64,
    priority: Priority,
    attempts: i64,
    silent: bool,
    own_body: Option<String>,
    platform: Platform,
    address: String,
    chat_kind: ChatKind,
    subscriber_active: bool,
    language: Language,
    queued_at: i64,
}

impl ClaimedRow {
    /// The delivery, without its message yet.
    fn into_delivery(self) -> ClaimedDelivery {
        ClaimedDelivery {
            id: self.id,
            broadcast_id: self.broadcast_id,
            subscriber_id: self.subscriber_id,
            priority: self.priority,
            attempts: self.attempts,
            recipient: Recipient { platform: self.platform, address: self.address },
            chat_kind: self.chat_kind,
            subscriber_active: self.subscriber_active,
            body: self.own_body.unwrap_or_default(),
            caption: None,
            link_url: None,
            image_url: None,
            silent: self.silent,
            queued_at: self.queued_at,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{
        domain::{
            BroadcastKind, DeliveryOutcome, DraftDecision, InactiveReason, NewBroadcast, NewSubscriber, OutcomeKind,
        },
        store::test_store,
    };

    async fn store_with_readers(count: i64) -> (Store, tempfile::TempDir) {
        let (store, dir) = test_store().await;
        for chat_id in 1..=count {
            store.subscribe(&NewSubscriber::private(Recipient::telegram(chat_id))).await.unwrap();
        }
        (store, dir)
    }

    fn breaking(text: &str) -> NewBroadcast {
        NewBroadcast::plain(BroadcastKind::Breaking, text, "test")
    }

    #[tokio::test]
    async fn a_broadcast_fans_out_one_row_per_active_reader() {
        let (store, _dir) = store_with_readers(3).await;
        store.deactivate(&Recipient::telegram(2), InactiveReason::Stopped).await.unwrap();
        let (id, recipients) = store.create_broadcast(&breaking("x")).await.unwrap();
        assert_eq!(recipients, 2);
        assert_eq!(store.broadcast_progress(id).await.unwrap().unwrap().pending, 2);
    }

    #[tokio::test]
    async fn on_postgresql_a_queued_broadcast_signals_the_sender() {
        let (store, _dir) = store_with_readers(1).await;
        let Some(mut signal) = store.outbox_signal().await.unwrap() else {
            assert!(!store.is_postgres(), "only SQLite has no signal");
            return;
        };
        store.create_broadcast(&breaking("x")).await.unwrap();
        let signalled = tokio::time::timeout(std::time::Duration::from_secs(5), signal.next()).await;
        signalled.expect("a notification comes").unwrap();
    }

    #[tokio::test]
    async fn a_claimed_delivery_carries_its_recipient_and_message() {
        let (store, _dir) = store_with_readers(1).await;
        store.create_broadcast(&breaking("Gempa")).await.unwrap();
        let claimed = store.claim_due_deliveries(10, 60_000).await.unwrap();
        assert_eq!(claimed[0].recipient, Recipient::telegram(1));
        assert_eq!(claimed[0].body, "Gempa");
    }

    #[tokio::test]
    async fn a_claimed_delivery_is_not_claimed_again_until_its_lease_expires() {
        let (store, _dir) = store_with_readers(1).await;
        store.create_broadcast(&breaking("x")).await.unwrap();
        assert_eq!(store.claim_due_deliveries(10, 60_000).await.unwrap().len(), 1);
        assert!(store.claim_due_deliveries(10, 60_000).await.unwrap().is_empty(), "the lease holds it");

        let (store, _dir) = store_with_readers(1).await;
        store.create_broadcast(&breaking("x")).await.unwrap();
        store.claim_due_deliveries(10, 1).await.unwrap();
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        assert_eq!(store.claim_due_deliveries(10, 60_000).await.unwrap().len(), 1, "a dead worker's claim expires");
    }

    #[tokio::test]
    async fn claims_left_by_a_crash_are_released_at_start() {
        let (store, _dir) = store_with_readers(2).await;
        store.create_broadcast(&breaking("x")).await.unwrap();
        store.claim_due_deliveries(10, 60_000).await.unwrap();
        assert_eq!(store.release_claims().await.unwrap(), 2);
        assert_eq!(store.claim_due_deliveries(10, 60_000).await.unwrap().len(), 2);
    }

    #[tokio::test]
    async fn higher_priority_deliveries_are_claimed_first() {
        let (store, _dir) = store_with_readers(1).await;
        let article = NewBroadcast { kind: BroadcastKind::Article, ..breaking("article") };
        store.create_broadcast(&article).await.unwrap();
        let (urgent, _) = store.create_broadcast(&breaking("urgent")).await.unwrap();
        let claimed = store.claim_due_deliveries(1, 60_000).await.unwrap();
        assert_eq!(claimed[0].broadcast_id, urgent);
    }

    #[tokio::test]
    async fn outcomes_are_recorded_with_attempts_and_typed_reasons() {
        let (store, _dir) = store_with_readers(2).await;
        let (id, _) = store.create_broadcast(&breaking("x")).await.unwrap();
        let claimed = store.claim_due_deliveries(10, 60_000).await.unwrap();
        let gone = claimed[1].recipient.clone();
        let outcomes = [
            DeliveryOutcome { delivery_id: claimed[0].id, kind: OutcomeKind::Sent { message_id: "9".into() } },
            DeliveryOutcome {
                delivery_id: claimed[1].id,
                kind: OutcomeKind::ChatGone { recipient: gone.clone(), reason: InactiveReason::Blocked },
            },
        ];
        store.record_outcomes(&outcomes).await.unwrap();
        let progress = store.broadcast_progress(id).await.unwrap().unwrap();
        assert_eq!((progress.sent, progress.failed, progress.pending), (1, 1, 0));
        assert!(!store.is_active_subscriber(&gone).await.unwrap());
        let failed = store.failed_deliveries(id, 10).await.unwrap();
        assert_eq!(failed[0].reason, Some(crate::domain::FailureReason::ChatGone(InactiveReason::Blocked)));
        let sent = store.sent_messages(id).await.unwrap();
        assert_eq!(sent[0].message_id, "9");
    }

    #[tokio::test]
    async fn a_draft_confirmed_twice_is_queued_once() {
        let (store, _dir) = store_with_readers(2).await;
        let id = store.create_draft(&breaking("x")).await.unwrap();
        assert_eq!(store.confirm_draft(id, "test").await.unwrap(), DraftDecision::Done(2));
        assert_eq!(store.confirm_draft(id, "test").await.unwrap(), DraftDecision::AlreadyHandled);
        assert_eq!(store.count_pending_deliveries().await.unwrap(), 2);
    }

    #[tokio::test]
    async fn only_the_editor_who_wrote_a_draft_decides_on_it() {
        let (store, _dir) = store_with_readers(2).await;
        let id = store.create_draft(&breaking("x")).await.unwrap();
        assert_eq!(store.confirm_draft(id, "editor:2").await.unwrap(), DraftDecision::NotYours);
        assert_eq!(store.discard_draft(id, "editor:2").await.unwrap(), DraftDecision::NotYours);
        assert_eq!(store.count_pending_deliveries().await.unwrap(), 0, "nothing queued");
        assert_eq!(store.discard_draft(id, "test").await.unwrap(), DraftDecision::Done(()));
        assert_eq!(store.confirm_draft(id, "test").await.unwrap(), DraftDecision::AlreadyHandled);
    }
}
