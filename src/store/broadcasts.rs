//! The `broadcasts` table and the fan-out into the outbox.
//!
//! A broadcast and all its delivery rows are written in one transaction, with one
//! `INSERT … SELECT` per batch of subscribers, so memory stays flat however many readers there are
//! and a crash leaves either the whole push queued or none of it.

use serde::Serialize;
use sqlx::{Sqlite, Transaction};

use super::{NewArticle, Store, StoreResult, articles::insert_article, now_ms};

/// Send order between kinds of messages: a lower value is sent first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Priority {
    Reply = 0,
    Breaking = 1,
    Article = 2,
    Digest = 3,
}

impl Priority {
    /// Reads the stored number; anything unknown is the least urgent.
    pub fn from_stored(value: i64) -> Priority {
        match value {
            0 => Priority::Reply,
            1 => Priority::Breaking,
            2 => Priority::Article,
            _ => Priority::Digest,
        }
    }
}

/// What a broadcast carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BroadcastKind {
    Article,
    Breaking,
}

impl BroadcastKind {
    fn as_str(self) -> &'static str {
        match self {
            BroadcastKind::Article => "article",
            BroadcastKind::Breaking => "breaking",
        }
    }

    fn priority(self) -> Priority {
        match self {
            BroadcastKind::Article => Priority::Article,
            BroadcastKind::Breaking => Priority::Breaking,
        }
    }
}

/// A message to push to every active subscriber.
#[derive(Debug, Clone)]
pub struct NewBroadcast {
    pub kind: BroadcastKind,
    /// The rendered message, Telegram HTML.
    pub body_html: String,
    pub link_url: Option<String>,
    pub image_url: Option<String>,
    /// Who asked for it: "source:NAME", "api", "editor:ID".
    pub created_by: String,
}

/// Where a broadcast stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum BroadcastStatus {
    /// Waiting for an editor's confirmation; nothing queued yet.
    Draft,
    Sending,
    Done,
    Cancelled,
    /// A draft the editor threw away.
    Discarded,
}

/// Counts of a broadcast's deliveries, as the API reports them.
#[derive(Debug, Clone, Serialize)]
pub struct BroadcastProgress {
    pub id: i64,
    pub status: BroadcastStatus,
    pub total: i64,
    pub sent: i64,
    pub failed: i64,
    pub pending: i64,
    pub cancelled: i64,
}

/// Subscribers are fanned out in id ranges of this size, to bound each statement's work.
const FAN_OUT_BATCH: i64 = 50_000;

impl Store {
    /// Queues `broadcast` for every active subscriber; returns its id and recipient count.
    pub async fn create_broadcast(&self, broadcast: &NewBroadcast) -> StoreResult<(i64, i64)> {
        let mut tx = self.begin_write().await?;
        let id = insert_broadcast(&mut tx, broadcast, None, "sending").await?;
        let recipients = fan_out(&mut tx, id, broadcast.kind.priority()).await?;
        tx.commit().await?;
        Ok((id, recipients))
    }

    /// Records a new article and queues its push in one transaction. Returns None when the
    /// article was already known (another poller or hook won the race): nothing is queued then.
    pub async fn publish_article(
        &self,
        article: &NewArticle,
        broadcast: &NewBroadcast,
    ) -> StoreResult<Option<(i64, i64)>> {
        let mut tx = self.begin_write().await?;
        let Some(article_id) = insert_article(&mut tx, article, true).await? else {
            return Ok(None);
        };
        let id = insert_broadcast(&mut tx, broadcast, Some(article_id), "sending").await?;
        let recipients = fan_out(&mut tx, id, broadcast.kind.priority()).await?;
        tx.commit().await?;
        Ok(Some((id, recipients)))
    }

    /// Stores a broadcast that waits for an editor's confirmation.
    pub async fn create_draft(&self, broadcast: &NewBroadcast) -> StoreResult<i64> {
        let mut tx = self.begin_write().await?;
        let id = insert_broadcast(&mut tx, broadcast, None, "draft").await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Turns a draft into a queued push. None when it is no longer a draft (tapped twice, or
    /// discarded), so a double tap never sends twice.
    pub async fn confirm_draft(&self, id: i64) -> StoreResult<Option<i64>> {
        let mut tx = self.begin_write().await?;
        let kind: Option<String> = sqlx::query_scalar(
            "UPDATE broadcasts SET status = 'sending' WHERE id = ?1 AND status = 'draft' RETURNING kind",
        )
        .bind(id)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(kind) = kind else { return Ok(None) };
        let priority = if kind == "breaking" { Priority::Breaking } else { Priority::Article };
        let recipients = fan_out(&mut tx, id, priority).await?;
        tx.commit().await?;
        Ok(Some(recipients))
    }

    /// Throws a draft away; false when it was not a draft any more.
    pub async fn discard_draft(&self, id: i64) -> StoreResult<bool> {
        let result = sqlx::query("UPDATE broadcasts SET status = 'discarded' WHERE id = ?1 AND status = 'draft'")
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(result.rows_affected() > 0)
    }

    /// The delivery counts of a broadcast, or None when there is no such broadcast.
    pub async fn broadcast_progress(&self, id: i64) -> StoreResult<Option<BroadcastProgress>> {
        let row: Option<(String, i64, i64, i64, i64, i64)> = sqlx::query_as(
            "SELECT b.status, b.total,
                    COUNT(CASE WHEN d.status = 'sent' THEN 1 END),
                    COUNT(CASE WHEN d.status = 'failed' THEN 1 END),
                    COUNT(CASE WHEN d.status = 'pending' THEN 1 END),
                    COUNT(CASE WHEN d.status = 'cancelled' THEN 1 END)
             FROM broadcasts b LEFT JOIN deliveries d ON d.broadcast_id = b.id
             WHERE b.id = ?1 GROUP BY b.id",
        )
        .bind(id)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.map(|(stored, total, sent, failed, pending, cancelled)| BroadcastProgress {
            id,
            status: match stored.as_str() {
                "draft" => BroadcastStatus::Draft,
                "cancelled" => BroadcastStatus::Cancelled,
                "discarded" => BroadcastStatus::Discarded,
                _ if pending > 0 => BroadcastStatus::Sending,
                _ => BroadcastStatus::Done,
            },
            total,
            sent,
            failed,
            pending,
            cancelled,
        }))
    }

    /// Cancels every delivery of a broadcast not sent yet. Sends already in flight finish.
    pub async fn cancel_broadcast(&self, id: i64) -> StoreResult<Option<BroadcastProgress>> {
        let mut tx = self.begin_write().await?;
        let found = sqlx::query(
            "UPDATE broadcasts SET status = 'cancelled', finished_at = ?2
             WHERE id = ?1 AND status IN ('sending', 'draft')",
        )
        .bind(id)
        .bind(now_ms())
        .execute(&mut *tx)
        .await?;
        if found.rows_affected() > 0 {
            sqlx::query("UPDATE deliveries SET status = 'cancelled' WHERE broadcast_id = ?1 AND status = 'pending'")
                .bind(id)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        self.broadcast_progress(id).await
    }
}

async fn insert_broadcast(
    tx: &mut Transaction<'_, Sqlite>,
    broadcast: &NewBroadcast,
    article_id: Option<i64>,
    status: &str,
) -> StoreResult<i64> {
    sqlx::query_scalar(
        "INSERT INTO broadcasts (kind, article_id, priority, body_html, link_url, image_url, status,
                                 created_by, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9) RETURNING id",
    )
    .bind(broadcast.kind.as_str())
    .bind(article_id)
    .bind(broadcast.kind.priority() as i64)
    .bind(&broadcast.body_html)
    .bind(&broadcast.link_url)
    .bind(&broadcast.image_url)
    .bind(status)
    .bind(&broadcast.created_by)
    .bind(now_ms())
    .fetch_one(&mut **tx)
    .await
}

/// One delivery row per active subscriber, batch by batch of subscriber ids, then the total.
async fn fan_out(tx: &mut Transaction<'_, Sqlite>, broadcast_id: i64, priority: Priority) -> StoreResult<i64> {
    let max_id: Option<i64> = sqlx::query_scalar("SELECT MAX(id) FROM subscribers").fetch_one(&mut **tx).await?;
    let now = now_ms();
    let mut recipients = 0;
    let mut start = 0;
    while start <= max_id.unwrap_or(-1) {
        let inserted = sqlx::query(
            "INSERT INTO deliveries (broadcast_id, subscriber_id, priority, status, due_at)
             SELECT ?1, id, ?2, 'pending', ?3 FROM subscribers
             WHERE active = 1 AND id >= ?4 AND id < ?5",
        )
        .bind(broadcast_id)
        .bind(priority as i64)
        .bind(now)
        .bind(start)
        .bind(start + FAN_OUT_BATCH)
        .execute(&mut **tx)
        .await?;
        recipients += inserted.rows_affected() as i64;
        start += FAN_OUT_BATCH;
    }
    sqlx::query("UPDATE broadcasts SET total = ?2 WHERE id = ?1")
        .bind(broadcast_id)
        .bind(recipients)
        .execute(&mut **tx)
        .await?;
    Ok(recipients)
}
