//! The `broadcasts` table and its bodies: creating a push (with its fan-out, see [`super::fan_out`]),
//! drafts that wait for an editor, progress, cancelling and correcting.

use super::{
    Store, StoreResult,
    articles::insert_article,
    channels::file_article,
    fan_out::fan_out,
    sql::{self, Transaction},
};
use crate::domain::{
    BroadcastProgress, BroadcastState, BroadcastStatus, BroadcastSummary, ChannelRef, DeliveryStatus, DraftDecision,
    NewArticle, NewBroadcast, PushedStory, now_ms,
};

/// A broadcast's row and delivery counts, as read for [`BroadcastProgress`].
#[derive(sqlx::FromRow)]
struct ProgressCounts {
    state: BroadcastState,
    total: i64,
    sent: i64,
    failed: i64,
    pending: i64,
    cancelled: i64,
    held: i64,
    digested: i64,
}

impl ProgressCounts {
    /// Where the broadcast stands: a sending one is done once no copy waits any more.
    fn status(&self) -> BroadcastStatus {
        match self.state {
            BroadcastState::Draft => BroadcastStatus::Draft,
            BroadcastState::Cancelled => BroadcastStatus::Cancelled,
            BroadcastState::Discarded => BroadcastStatus::Discarded,
            BroadcastState::Sending if self.pending > 0 || self.held > 0 => BroadcastStatus::Sending,
            BroadcastState::Sending => BroadcastStatus::Done,
        }
    }
}

impl Store {
    /// Queues `broadcast` for every active subscriber; returns its id and recipient count.
    pub async fn create_broadcast(&self, broadcast: &NewBroadcast) -> StoreResult<(i64, i64)> {
        let mut tx = self.begin_write().await?;
        let created = create_broadcast_in(&mut tx, broadcast, self).await?;
        tx.commit().await?;
        Ok(created)
    }

    /// Records a new article, files it under its channels and queues its push for their
    /// followers, in one transaction. Returns None when the article was already known (another
    /// poller or hook won the race): nothing is queued then.
    pub async fn publish_article(
        &self,
        article: &NewArticle,
        channels: &[ChannelRef],
        broadcast: &NewBroadcast,
    ) -> StoreResult<Option<(i64, i64)>> {
        let mut tx = self.begin_write().await?;
        let Some(article_id) = insert_article(&mut tx, article, true).await? else {
            return Ok(None);
        };
        file_article(&mut tx, article_id, channels, self.defaults.max_category_channels).await?;
        let id = insert_broadcast(&mut tx, broadcast, Some(article_id), BroadcastState::Sending).await?;
        let recipients = fan_out(&mut tx, id, &self.defaults).await?;
        tx.commit().await?;
        Ok(Some((id, recipients)))
    }

    /// Stores a broadcast that waits for an editor's confirmation.
    pub async fn create_draft(&self, broadcast: &NewBroadcast) -> StoreResult<i64> {
        let mut tx = self.begin_write().await?;
        let id = insert_broadcast(&mut tx, broadcast, None, BroadcastState::Draft).await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Turns a draft into a queued push. None when it is no longer a draft (tapped twice, or
    /// discarded), so a double tap never sends twice.
    pub async fn confirm_draft(&self, id: i64, by: &str) -> StoreResult<DraftDecision<i64>> {
        let mut tx = self.begin_write().await?;
        let decision = match draft_of(&mut tx, id, by).await? {
            DraftDecision::Done(()) => {
                change_state(&mut tx, id, BroadcastState::Draft, BroadcastState::Sending).await?;
                DraftDecision::Done(fan_out(&mut tx, id, &self.defaults).await?)
            }
            DraftDecision::AlreadyHandled => DraftDecision::AlreadyHandled,
            DraftDecision::NotYours => DraftDecision::NotYours,
        };
        tx.commit().await?;
        Ok(decision)
    }

    /// Throws a draft away, when `by` wrote it and it is still a draft.
    pub async fn discard_draft(&self, id: i64, by: &str) -> StoreResult<DraftDecision<()>> {
        let mut tx = self.begin_write().await?;
        let decision = draft_of(&mut tx, id, by).await?;
        if decision == DraftDecision::Done(()) {
            change_state(&mut tx, id, BroadcastState::Draft, BroadcastState::Discarded).await?;
        }
        tx.commit().await?;
        Ok(decision)
    }

    /// The delivery counts of a broadcast, or None when there is no such broadcast.
    pub async fn broadcast_progress(&self, id: i64) -> StoreResult<Option<BroadcastProgress>> {
        let counts: Option<ProgressCounts> = sql::query_as(
            "SELECT b.status AS state, b.total,
                    COUNT(CASE WHEN d.status = $2 THEN 1 END) AS sent,
                    COUNT(CASE WHEN d.status = $3 THEN 1 END) AS failed,
                    COUNT(CASE WHEN d.status = $4 THEN 1 END) AS pending,
                    COUNT(CASE WHEN d.status = $5 THEN 1 END) AS cancelled,
                    (SELECT COUNT(*) FROM held_stories h WHERE h.broadcast_id = b.id AND h.digest_id IS NULL) AS held,
                    (SELECT COUNT(*) FROM held_stories h WHERE h.broadcast_id = b.id AND h.digest_id IS NOT NULL)
                        AS digested
             FROM broadcasts b LEFT JOIN deliveries d ON d.broadcast_id = b.id
             WHERE b.id = $1 GROUP BY b.id",
        )
        .bind(id)
        .bind(DeliveryStatus::Sent)
        .bind(DeliveryStatus::Failed)
        .bind(DeliveryStatus::Pending)
        .bind(DeliveryStatus::Cancelled)
        .fetch_optional(&self.pool)
        .await?;
        Ok(counts.map(|c| BroadcastProgress {
            id,
            status: c.status(),
            total: c.total,
            sent: c.sent,
            failed: c.failed,
            pending: c.pending,
            cancelled: c.cancelled,
            held: c.held,
            digested: c.digested,
        }))
    }

    /// A broadcast's one-line headline, for lists and progress pages.
    pub async fn broadcast_headline(&self, id: i64) -> StoreResult<Option<String>> {
        let headline: Option<Option<String>> = sql::query_scalar("SELECT headline FROM broadcasts WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        Ok(headline.flatten())
    }

    /// The latest broadcasts, newest first, at most `limit`.
    pub async fn recent_broadcasts(&self, limit: i64) -> StoreResult<Vec<BroadcastSummary>> {
        sql::query_as("SELECT id, kind, headline, created_by, created_at FROM broadcasts ORDER BY id DESC LIMIT $1")
            .bind(limit)
            .fetch_all(&self.pool)
            .await
    }

    /// Cancels every delivery of a broadcast not sent yet. Sends already in flight finish.
    /// None when there is no such broadcast.
    pub async fn cancel_broadcast(&self, id: i64) -> StoreResult<Option<BroadcastProgress>> {
        let mut tx = self.begin_write().await?;
        // A broadcast that has nothing left to send (every copy has an outcome) is done, not
        // cancelled: cancelling it would change nothing but its status.
        let found = sql::query(
            "UPDATE broadcasts SET status = $2, finished_at = $3
             WHERE id = $1 AND (status = $4 OR status = $5 AND (
                 EXISTS (SELECT 1 FROM deliveries WHERE broadcast_id = $1 AND status = $6)
                 OR EXISTS (SELECT 1 FROM held_stories WHERE broadcast_id = $1 AND digest_id IS NULL)))",
        )
        .bind(id)
        .bind(BroadcastState::Cancelled)
        .bind(now_ms())
        .bind(BroadcastState::Draft)
        .bind(BroadcastState::Sending)
        .bind(DeliveryStatus::Pending)
        .execute(&mut tx)
        .await?;
        if found > 0 {
            sql::query("UPDATE deliveries SET status = $2 WHERE broadcast_id = $1 AND status = $3")
                .bind(id)
                .bind(DeliveryStatus::Cancelled)
                .bind(DeliveryStatus::Pending)
                .execute(&mut tx)
                .await?;
            sql::query("DELETE FROM held_stories WHERE broadcast_id = $1 AND digest_id IS NULL")
                .bind(id)
                .execute(&mut tx)
                .await?;
        }
        tx.commit().await?;
        self.broadcast_progress(id).await
    }

    /// Gives a pushed story its corrected title and its broadcast the corrected message, on
    /// every platform and in every language, so that deliveries still queued and edits of sent
    /// ones say the same.
    pub async fn correct_story(&self, story: &PushedStory, broadcast: &NewBroadcast) -> StoreResult<()> {
        let mut tx = self.begin_write().await?;
        sql::query("UPDATE articles SET title = $2 WHERE id = $1")
            .bind(story.article_id)
            .bind(&story.title)
            .execute(&mut tx)
            .await?;
        sql::query("UPDATE broadcasts SET headline = $2, match_text = $3 WHERE id = $1")
            .bind(story.broadcast_id)
            .bind(&broadcast.headline)
            .bind(&broadcast.match_text)
            .execute(&mut tx)
            .await?;
        insert_bodies(&mut tx, story.broadcast_id, broadcast).await?;
        tx.commit().await?;
        self.forget_cached_message(story.broadcast_id);
        Ok(())
    }
}

/// [`Store::create_broadcast`] inside a transaction the caller commits.
pub(super) async fn create_broadcast_in(
    tx: &mut Transaction,
    broadcast: &NewBroadcast,
    store: &Store,
) -> StoreResult<(i64, i64)> {
    let id = insert_broadcast(tx, broadcast, None, BroadcastState::Sending).await?;
    let recipients = fan_out(tx, id, &store.defaults).await?;
    Ok((id, recipients))
}

/// Moves a broadcast from state `from` to `to`; false when it was not in `from`.
/// Whether broadcast `id` is a draft `by` may decide on.
async fn draft_of(tx: &mut Transaction, id: i64, by: &str) -> StoreResult<DraftDecision<()>> {
    let found: Option<(BroadcastState, Option<String>)> =
        sql::query_as("SELECT status, created_by FROM broadcasts WHERE id = $1")
            .bind(id)
            .fetch_optional(&mut *tx)
            .await?;
    Ok(match found {
        Some((BroadcastState::Draft, author)) if author.as_deref() == Some(by) => DraftDecision::Done(()),
        Some((BroadcastState::Draft, _)) => DraftDecision::NotYours,
        _ => DraftDecision::AlreadyHandled,
    })
}

async fn change_state(tx: &mut Transaction, id: i64, from: BroadcastState, to: BroadcastState) -> StoreResult<bool> {
    let changed = sql::query("UPDATE broadcasts SET status = $3 WHERE id = $1 AND status = $2")
        .bind(id)
        .bind(from)
        .bind(to)
        .execute(&mut *tx)
        .await?;
    Ok(changed > 0)
}

async fn insert_broadcast(
    tx: &mut Transaction,
    broadcast: &NewBroadcast,
    article_id: Option<i64>,
    state: BroadcastState,
) -> StoreResult<i64> {
    let id: i64 = sql::query_scalar(
        "INSERT INTO broadcasts (kind, article_id, priority, link_url, image_url, status, created_by, created_at,
                                 headline, match_text)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id",
    )
    .bind(broadcast.kind)
    .bind(article_id)
    .bind(broadcast.kind.priority())
    .bind(&broadcast.link_url)
    .bind(&broadcast.image_url)
    .bind(state)
    .bind(&broadcast.created_by)
    .bind(now_ms())
    .bind(&broadcast.headline)
    .bind(&broadcast.match_text)
    .fetch_one(&mut *tx)
    .await?;
    insert_bodies(tx, id, broadcast).await?;
    Ok(id)
}

/// Writes (or replaces) the broadcast's body for each platform and language.
async fn insert_bodies(tx: &mut Transaction, broadcast_id: i64, broadcast: &NewBroadcast) -> StoreResult<()> {
    for body in &broadcast.bodies {
        sql::query(
            "INSERT INTO broadcast_bodies (broadcast_id, platform, language, body, caption)
             VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT (broadcast_id, platform, language) DO UPDATE SET body = excluded.body, caption = excluded.caption",
        )
        .bind(broadcast_id)
        .bind(body.platform)
        .bind(body.language)
        .bind(&body.text)
        .bind(&body.caption)
        .execute(&mut *tx)
        .await?;
    }
    Ok(())
}
