//! The `deliveries` table: the outbox that workers drain.
//!
//! Claiming a row moves its `due_at` forward by a lease instead of flagging it: if the worker dies
//! before recording an outcome, the row simply becomes due again when the lease runs out.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
};

use sqlx::{FromRow, Sqlite, Transaction};

use super::{ChatKind, Priority, Store, StoreResult, now_ms};
use crate::delivery::{OutgoingMessage, Photo};

/// A delivery reserved by a worker, with everything needed to send it.
#[derive(Debug, Clone)]
pub struct ClaimedDelivery {
    pub id: i64,
    pub broadcast_id: i64,
    pub subscriber_id: i64,
    /// The stored [`Priority`]; see [`ClaimedDelivery::priority`].
    pub priority: i64,
    pub attempts: i64,
    pub chat_id: i64,
    /// The subscriber's chat kind as stored; see [`ClaimedDelivery::chat_kind`].
    pub chat_kind: String,
    pub subscriber_active: bool,
    /// The message in the subscriber's language (or its own, for a digest).
    pub body_html: String,
    /// The message as a photo's caption, when the broadcast has a photo.
    pub caption_html: Option<String>,
    pub link_url: Option<String>,
    pub image_url: Option<String>,
    /// Sent without a notification sound.
    pub silent: bool,
    /// When its broadcast was queued, unix ms: the start of the publish-to-delivery latency.
    pub queued_at: i64,
}

impl ClaimedDelivery {
    pub fn chat_kind(&self) -> ChatKind {
        ChatKind::parse(&self.chat_kind)
    }

    pub fn priority(&self) -> Priority {
        Priority::from_stored(self.priority)
    }
}

/// A message a delivery put in a chat, for taking it back.
#[derive(Debug, Clone, FromRow)]
pub struct DeliveredMessage {
    pub chat_id: i64,
    /// The stored [`ChatKind`]; see [`DeliveredMessage::chat_kind`].
    pub kind: String,
    /// The subscriber's language, for editing the message in it.
    pub language: Option<String>,
    pub message_id: i64,
    /// Unix ms.
    pub sent_at: i64,
}

impl DeliveredMessage {
    pub fn chat_kind(&self) -> ChatKind {
        ChatKind::parse(&self.kind)
    }
}

/// Recently claimed broadcasts' messages. Small and simply emptied when full: a push claims one
/// broadcast's deliveries for minutes, in a language or two.
#[derive(Debug, Default)]
pub(super) struct MessageCache(Mutex<HashMap<(i64, String), Arc<BroadcastMessage>>>);

impl MessageCache {
    const CAPACITY: usize = 64;

    fn get(&self, key: &(i64, String)) -> Option<Arc<BroadcastMessage>> {
        self.0.lock().expect("the message cache lock is never poisoned").get(key).cloned()
    }

    fn put(&self, key: (i64, String), message: Arc<BroadcastMessage>) {
        let mut messages = self.0.lock().expect("the message cache lock is never poisoned");
        if messages.len() >= Self::CAPACITY {
            messages.clear();
        }
        messages.insert(key, message);
    }

    fn forget(&self, broadcast_id: i64) {
        self.0.lock().expect("the message cache lock is never poisoned").retain(|(id, _), _| *id != broadcast_id);
    }
}

/// What a broadcast says in one language.
#[derive(Debug, Clone, Default, FromRow)]
struct BroadcastMessage {
    body_html: String,
    caption_html: Option<String>,
    link_url: Option<String>,
    image_url: Option<String>,
}

impl BroadcastMessage {
    /// Gives a claimed delivery this message, unless it carries its own (a digest).
    fn fill(&self, delivery: &mut ClaimedDelivery) {
        if delivery.body_html.is_empty() {
            delivery.body_html = self.body_html.clone();
            delivery.caption_html = self.caption_html.clone();
            delivery.image_url = self.image_url.clone();
        }
        delivery.link_url = self.link_url.clone();
    }
}

/// A delivery that did not reach its chat, with the reason kept.
#[derive(Debug, Clone, FromRow, serde::Serialize)]
pub struct FailedDelivery {
    pub chat_id: i64,
    pub attempts: i64,
    pub last_error: Option<String>,
}

/// What happened to one claimed delivery.
#[derive(Debug, Clone)]
pub struct DeliveryOutcome {
    pub delivery_id: i64,
    pub kind: OutcomeKind,
}

/// The outcomes a worker can record.
#[derive(Debug, Clone)]
pub enum OutcomeKind {
    /// The platform accepted the message.
    Sent { message_id: i64 },
    /// Not attempted yet (the chat's own limit was not ready): due again at `due_at`, no attempt used.
    Deferred { due_at: i64 },
    /// Attempted and failed for a passing reason: due again at `due_at`.
    Retry { due_at: i64, error: String },
    /// Given up for good; the reason is kept.
    Failed { error: String },
    /// The chat is gone (blocked the bot, deleted account): the subscriber becomes inactive.
    ChatGone { chat_id: i64, reason: String },
    /// The group became a supergroup: the subscriber moves, and the delivery is due at once.
    ChatMoved { chat_id: i64, new_chat_id: i64 },
}

impl Store {
    /// Reserves up to `limit` due deliveries for `lease_ms`, highest priority first, each with
    /// the message in its subscriber's language.
    pub async fn claim_due_deliveries(&self, limit: i64, lease_ms: i64) -> StoreResult<Vec<ClaimedDelivery>> {
        let now = now_ms();
        let rows = sqlx::query(
            "UPDATE deliveries SET due_at = ?1 + ?2, claimed_at = ?1
             WHERE id IN (SELECT id FROM deliveries WHERE status = 'pending' AND due_at <= ?1
                          ORDER BY priority, due_at LIMIT ?3)
             RETURNING id, broadcast_id, subscriber_id, priority, attempts, silent, body_html AS own_body,
                 (SELECT chat_id FROM subscribers s WHERE s.id = subscriber_id) AS chat_id,
                 (SELECT kind FROM subscribers s WHERE s.id = subscriber_id) AS chat_kind,
                 (SELECT active FROM subscribers s WHERE s.id = subscriber_id) AS subscriber_active,
                 (SELECT COALESCE(s.language, ?4) FROM subscribers s WHERE s.id = subscriber_id) AS language,
                 (SELECT created_at FROM broadcasts b WHERE b.id = broadcast_id) AS queued_at",
        )
        .bind(now)
        .bind(lease_ms)
        .bind(limit)
        .bind(self.defaults.language)
        .fetch_all(&self.pool)
        .await?;
        let claimed = rows.iter().map(|row| {
            use sqlx::Row;
            let claim = ClaimedDelivery {
                id: row.try_get("id")?,
                broadcast_id: row.try_get("broadcast_id")?,
                subscriber_id: row.try_get("subscriber_id")?,
                priority: row.try_get("priority")?,
                attempts: row.try_get("attempts")?,
                chat_id: row.try_get("chat_id")?,
                chat_kind: row.try_get("chat_kind")?,
                subscriber_active: row.try_get("subscriber_active")?,
                body_html: row.try_get::<Option<String>, _>("own_body")?.unwrap_or_default(),
                caption_html: None,
                link_url: None,
                image_url: None,
                silent: row.try_get("silent")?,
                queued_at: row.try_get("queued_at")?,
            };
            Ok::<_, sqlx::Error>((claim, row.try_get::<Option<String>, _>("language")?))
        });
        let mut deliveries = Vec::with_capacity(claimed.len());
        for claim in claimed {
            let (mut delivery, language) = claim?;
            let language = language.unwrap_or_else(|| self.defaults.language.to_owned());
            self.cached_message(delivery.broadcast_id, language).await?.fill(&mut delivery);
            deliveries.push(delivery);
        }
        Ok(deliveries)
    }

    /// A broadcast's message in a language, read from the database once: a push claims its
    /// deliveries in many small batches, and each would otherwise read the same message again.
    async fn cached_message(&self, broadcast_id: i64, language: String) -> StoreResult<Arc<BroadcastMessage>> {
        let key = (broadcast_id, language);
        if let Some(message) = self.messages.get(&key) {
            return Ok(message);
        }
        let message = Arc::new(self.broadcast_message(key.0, &key.1).await?);
        self.messages.put(key, message.clone());
        Ok(message)
    }

    /// Forgets the cached messages of a broadcast whose message changed (a correction).
    pub(super) fn forget_cached_message(&self, broadcast_id: i64) {
        self.messages.forget(broadcast_id);
    }

    /// A broadcast's message in `language` (else its default one) as a message to send again:
    /// text with its link, and the photo with its caption when there is one.
    pub async fn message_in(&self, broadcast_id: i64, language: &str) -> StoreResult<OutgoingMessage> {
        let message = self.broadcast_message(broadcast_id, language).await?;
        let photo = match (message.image_url, message.caption_html) {
            (Some(url), Some(caption_html)) => Some(Photo { url, caption_html }),
            _ => None,
        };
        Ok(OutgoingMessage { html: message.body_html, link_preview_url: message.link_url, photo, silent: false })
    }

    /// A broadcast's message in `language`, else in its default language.
    async fn broadcast_message(&self, broadcast_id: i64, language: &str) -> StoreResult<BroadcastMessage> {
        let message = sqlx::query_as(
            "SELECT COALESCE(bb.body_html, b.body_html) AS body_html, bb.caption_html, b.link_url, b.image_url
             FROM broadcasts b LEFT JOIN broadcast_bodies bb ON bb.broadcast_id = b.id AND bb.language = ?2
             WHERE b.id = ?1",
        )
        .bind(broadcast_id)
        .bind(language)
        .fetch_optional(&self.pool)
        .await?;
        Ok(message.unwrap_or_default())
    }

    /// Records a batch of outcomes in one transaction.
    pub async fn record_outcomes(&self, outcomes: &[DeliveryOutcome]) -> StoreResult<()> {
        if outcomes.is_empty() {
            return Ok(());
        }
        let mut tx = self.begin_write().await?;
        for outcome in outcomes {
            record_outcome(&mut tx, outcome).await?;
        }
        tx.commit().await
    }

    /// Makes every claimed delivery due at once. Only for start-up, when no other worker can
    /// hold a claim: what a crashed process had in flight is sent again without waiting out its
    /// lease. Returns how many were released.
    pub async fn release_claims(&self) -> StoreResult<u64> {
        let released = sqlx::query(
            "UPDATE deliveries SET due_at = ?1, claimed_at = NULL WHERE status = 'pending' AND claimed_at IS NOT NULL",
        )
        .bind(now_ms())
        .execute(&self.pool)
        .await?;
        Ok(released.rows_affected())
    }

    /// The failed deliveries of a broadcast with their reasons, at most `limit`.
    pub async fn failed_deliveries(&self, broadcast_id: i64, limit: i64) -> StoreResult<Vec<FailedDelivery>> {
        sqlx::query_as(
            "SELECT s.chat_id, d.attempts, d.last_error FROM deliveries d JOIN subscribers s ON s.id = d.subscriber_id
             WHERE d.broadcast_id = ?1 AND d.status = 'failed' ORDER BY d.id LIMIT ?2",
        )
        .bind(broadcast_id)
        .bind(limit)
        .fetch_all(&self.pool)
        .await
    }

    /// The messages a broadcast put in chats, for a recall.
    pub async fn sent_messages(&self, broadcast_id: i64) -> StoreResult<Vec<DeliveredMessage>> {
        sqlx::query_as(
            "SELECT s.chat_id, s.kind, s.language, d.message_id, d.sent_at
             FROM deliveries d JOIN subscribers s ON s.id = d.subscriber_id
             WHERE d.broadcast_id = ?1 AND d.status = 'sent' AND d.message_id IS NOT NULL AND d.sent_at IS NOT NULL
             ORDER BY d.id",
        )
        .bind(broadcast_id)
        .fetch_all(&self.pool)
        .await
    }

    /// Deliveries waiting to be sent, for metrics.
    pub async fn count_pending_deliveries(&self) -> StoreResult<i64> {
        sqlx::query_scalar("SELECT COUNT(*) FROM deliveries WHERE status = 'pending'").fetch_one(&self.pool).await
    }

    /// The soonest time any pending delivery becomes due, so idle workers know when to wake.
    pub async fn next_due_at(&self) -> StoreResult<Option<i64>> {
        sqlx::query_scalar("SELECT MIN(due_at) FROM deliveries WHERE status = 'pending'").fetch_one(&self.pool).await
    }
}

async fn record_outcome(tx: &mut Transaction<'_, Sqlite>, outcome: &DeliveryOutcome) -> StoreResult<()> {
    let id = outcome.delivery_id;
    let now = now_ms();
    let query = match &outcome.kind {
        OutcomeKind::Sent { message_id } => sqlx::query(
            "UPDATE deliveries SET claimed_at = NULL, status = 'sent', attempts = attempts + 1, message_id = ?2, sent_at = ?3,
                 last_error = NULL WHERE id = ?1",
        )
        .bind(id)
        .bind(message_id)
        .bind(now),
        OutcomeKind::Deferred { due_at } => {
            sqlx::query("UPDATE deliveries SET claimed_at = NULL, due_at = ?2 WHERE id = ?1 AND status = 'pending'").bind(id).bind(due_at)
        }
        OutcomeKind::Retry { due_at, error } => sqlx::query(
            "UPDATE deliveries SET claimed_at = NULL, attempts = attempts + 1, due_at = ?2, last_error = ?3
             WHERE id = ?1 AND status = 'pending'",
        )
        .bind(id)
        .bind(due_at)
        .bind(error),
        OutcomeKind::Failed { error } => {
            sqlx::query("UPDATE deliveries SET claimed_at = NULL, status = 'failed', attempts = attempts + 1, last_error = ?2 WHERE id = ?1")
                .bind(id)
                .bind(error)
        }
        OutcomeKind::ChatGone { chat_id, reason } => {
            sqlx::query("UPDATE subscribers SET active = 0, inactive_reason = ?2, updated_at = ?3 WHERE chat_id = ?1")
                .bind(chat_id)
                .bind(reason)
                .bind(now)
                .execute(&mut **tx)
                .await?;
            sqlx::query("UPDATE deliveries SET claimed_at = NULL, status = 'failed', attempts = attempts + 1, last_error = ?2 WHERE id = ?1")
                .bind(id)
                .bind(format!("chat is gone: {reason}"))
        }
        OutcomeKind::ChatMoved { chat_id, new_chat_id } => {
            move_chat(tx, *chat_id, *new_chat_id).await?;
            sqlx::query(
                "UPDATE deliveries SET claimed_at = NULL, attempts = attempts + 1, due_at = ?2, last_error = 'group moved to a supergroup'
                 WHERE id = ?1 AND status = 'pending'",
            )
            .bind(id)
            .bind(now)
        }
    };
    query.execute(&mut **tx).await.map(|_| ())
}

impl Store {
    /// Moves a group's subscription to the supergroup it became (see [`move_chat`]).
    pub async fn move_chat(&self, chat_id: i64, new_chat_id: i64) -> StoreResult<()> {
        let mut tx = self.begin_write().await?;
        move_chat(&mut tx, chat_id, new_chat_id).await?;
        tx.commit().await
    }
}

/// Moves a subscriber to the chat id its group migrated to, settings and all. When the new chat
/// already subscribed on its own, the old row is retired instead, so the chat is never served
/// twice; an inactive row there (the bot's "joined" note for the new supergroup) gives way.
async fn move_chat(tx: &mut Transaction<'_, Sqlite>, chat_id: i64, new_chat_id: i64) -> StoreResult<()> {
    sqlx::query("DELETE FROM subscribers WHERE chat_id = ?1 AND active = 0")
        .bind(new_chat_id)
        .execute(&mut **tx)
        .await?;
    let taken: Option<i64> = sqlx::query_scalar("SELECT id FROM subscribers WHERE chat_id = ?1")
        .bind(new_chat_id)
        .fetch_optional(&mut **tx)
        .await?;
    if taken.is_some() {
        sqlx::query("UPDATE subscribers SET active = 0, inactive_reason = 'migrated' WHERE chat_id = ?1")
            .bind(chat_id)
            .execute(&mut **tx)
            .await?;
    } else {
        sqlx::query("UPDATE subscribers SET chat_id = ?2, kind = 'supergroup', updated_at = ?3 WHERE chat_id = ?1")
            .bind(chat_id)
            .bind(new_chat_id)
            .bind(now_ms())
            .execute(&mut **tx)
            .await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{BroadcastKind, NewBroadcast, NewSubscriber, test_store};

    async fn store_with_readers(count: i64) -> (Store, tempfile::TempDir) {
        let (store, dir) = test_store().await;
        for chat_id in 1..=count {
            store.subscribe(&NewSubscriber::private(chat_id)).await.unwrap();
        }
        (store, dir)
    }

    fn breaking(text: &str) -> NewBroadcast {
        NewBroadcast::plain(BroadcastKind::Breaking, text, "test")
    }

    #[tokio::test]
    async fn a_broadcast_fans_out_one_row_per_active_reader() {
        let (store, _dir) = store_with_readers(3).await;
        store.deactivate_chat(2, "stopped").await.unwrap();
        let (id, recipients) = store.create_broadcast(&breaking("x")).await.unwrap();
        assert_eq!(recipients, 2);
        assert_eq!(store.broadcast_progress(id).await.unwrap().unwrap().pending, 2);
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
    async fn outcomes_are_recorded_with_attempts_and_the_last_error() {
        let (store, _dir) = store_with_readers(2).await;
        let (id, _) = store.create_broadcast(&breaking("x")).await.unwrap();
        let claimed = store.claim_due_deliveries(10, 60_000).await.unwrap();
        let outcomes = [
            DeliveryOutcome { delivery_id: claimed[0].id, kind: OutcomeKind::Sent { message_id: 9 } },
            DeliveryOutcome {
                delivery_id: claimed[1].id,
                kind: OutcomeKind::ChatGone { chat_id: claimed[1].chat_id, reason: "blocked".into() },
            },
        ];
        store.record_outcomes(&outcomes).await.unwrap();
        let progress = store.broadcast_progress(id).await.unwrap().unwrap();
        assert_eq!((progress.sent, progress.failed, progress.pending), (1, 1, 0));
        assert!(!store.is_active_subscriber(claimed[1].chat_id).await.unwrap());
    }

    #[tokio::test]
    async fn a_draft_confirmed_twice_is_queued_once() {
        let (store, _dir) = store_with_readers(2).await;
        let id = store.create_draft(&breaking("x")).await.unwrap();
        assert_eq!(store.confirm_draft(id).await.unwrap(), Some(2));
        assert_eq!(store.confirm_draft(id).await.unwrap(), None);
        assert_eq!(store.count_pending_deliveries().await.unwrap(), 2);
    }
}
