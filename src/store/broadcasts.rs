//! The `broadcasts` table and the fan-out into the outbox.
//!
//! A broadcast and all its delivery rows are written in one transaction, with one
//! `INSERT … SELECT` per batch of subscribers, so memory stays flat however many readers there are
//! and a crash leaves either the whole push queued or none of it. Subscribers whose copy waits for
//! a digest get a `held_stories` row instead of a delivery.

use std::collections::HashMap;

use serde::Serialize;
use sqlx::{Sqlite, Transaction};

use super::{
    NewArticle, ReaderDefaults, Store, StoreResult, Subscriber,
    articles::insert_article,
    channels::file_article,
    now_ms,
    subscribers::{SUBSCRIBER_COLUMNS, filter_of_rows},
};
use crate::audience::{channels::ChannelRef, keywords::KeywordFilter, schedule::Route};

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
    /// Stories held for one reader each, gathered into one message per reader.
    Digest,
}

impl BroadcastKind {
    fn as_str(self) -> &'static str {
        match self {
            BroadcastKind::Article => "article",
            BroadcastKind::Breaking => "breaking",
            BroadcastKind::Digest => "digest",
        }
    }

    fn parse(stored: &str) -> BroadcastKind {
        match stored {
            "breaking" => BroadcastKind::Breaking,
            "digest" => BroadcastKind::Digest,
            _ => BroadcastKind::Article,
        }
    }

    fn priority(self) -> Priority {
        match self {
            BroadcastKind::Article => Priority::Article,
            BroadcastKind::Breaking => Priority::Breaking,
            BroadcastKind::Digest => Priority::Digest,
        }
    }
}

/// A broadcast's message in one language.
#[derive(Debug, Clone)]
pub struct MessageBody {
    pub language: &'static str,
    /// Telegram HTML, within the text limit.
    pub body_html: String,
    /// The same within a photo caption's limit, when the broadcast has a photo.
    pub caption_html: Option<String>,
}

/// A message to push to every subscriber it concerns.
#[derive(Debug, Clone)]
pub struct NewBroadcast {
    pub kind: BroadcastKind,
    /// The message in each language kabar speaks; the first one also serves any other language.
    pub bodies: Vec<MessageBody>,
    pub link_url: Option<String>,
    pub image_url: Option<String>,
    /// One line that stands for the message in a digest: the title, or the start of the text.
    pub headline: String,
    /// The folded title and summary that readers' keyword filters are matched against; None for
    /// messages that filters do not apply to (breaking news, announcements).
    pub match_text: Option<String>,
    /// Who asked for it: "source:NAME", "api", "editor:ID".
    pub created_by: String,
}

impl NewBroadcast {
    /// A message with one body for every language, its text also its headline (tests, tools).
    pub fn plain(kind: BroadcastKind, body_html: impl Into<String>, created_by: impl Into<String>) -> NewBroadcast {
        let body_html = body_html.into();
        let headline = body_html.lines().next().unwrap_or_default().to_owned();
        NewBroadcast {
            kind,
            bodies: vec![MessageBody { language: "en", body_html, caption_html: None }],
            link_url: None,
            image_url: None,
            headline,
            match_text: None,
            created_by: created_by.into(),
        }
    }

    /// The body chats without a language get.
    fn default_body(&self) -> &str {
        self.bodies.first().map_or("", |body| body.body_html.as_str())
    }
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
    /// Held for readers' digests (digest mode, quiet hours), not gone out yet.
    pub held: i64,
    /// Gone out inside readers' digests.
    pub digested: i64,
}

/// A broadcast's row and delivery counts, as read for [`BroadcastProgress`].
#[derive(sqlx::FromRow)]
struct ProgressCounts {
    stored_status: String,
    total: i64,
    sent: i64,
    failed: i64,
    pending: i64,
    cancelled: i64,
    held: i64,
    digested: i64,
}

/// Subscribers are fanned out in id ranges of this size, to bound each statement's work.
const FAN_OUT_BATCH: i64 = 50_000;

impl Store {
    /// Queues `broadcast` for every active subscriber; returns its id and recipient count.
    pub async fn create_broadcast(&self, broadcast: &NewBroadcast) -> StoreResult<(i64, i64)> {
        let mut tx = self.begin_write().await?;
        let created = create_broadcast_in(&mut tx, broadcast, &self.defaults).await?;
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
        let id = insert_broadcast(&mut tx, broadcast, Some(article_id), "sending").await?;
        let recipients = fan_out(&mut tx, id, &self.defaults).await?;
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
        let confirmed = sqlx::query("UPDATE broadcasts SET status = 'sending' WHERE id = ?1 AND status = 'draft'")
            .bind(id)
            .execute(&mut *tx)
            .await?;
        if confirmed.rows_affected() == 0 {
            return Ok(None);
        }
        let recipients = fan_out(&mut tx, id, &self.defaults).await?;
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
        let counts: Option<ProgressCounts> = sqlx::query_as(
            "SELECT b.status AS stored_status, b.total,
                    COUNT(CASE WHEN d.status = 'sent' THEN 1 END) AS sent,
                    COUNT(CASE WHEN d.status = 'failed' THEN 1 END) AS failed,
                    COUNT(CASE WHEN d.status = 'pending' THEN 1 END) AS pending,
                    COUNT(CASE WHEN d.status = 'cancelled' THEN 1 END) AS cancelled,
                    (SELECT COUNT(*) FROM held_stories h WHERE h.broadcast_id = b.id AND h.digest_id IS NULL) AS held,
                    (SELECT COUNT(*) FROM held_stories h WHERE h.broadcast_id = b.id AND h.digest_id IS NOT NULL)
                        AS digested
             FROM broadcasts b LEFT JOIN deliveries d ON d.broadcast_id = b.id
             WHERE b.id = ?1 GROUP BY b.id",
        )
        .bind(id)
        .fetch_optional(&self.pool)
        .await?;
        Ok(counts.map(|c| BroadcastProgress {
            id,
            status: match c.stored_status.as_str() {
                "draft" => BroadcastStatus::Draft,
                "cancelled" => BroadcastStatus::Cancelled,
                "discarded" => BroadcastStatus::Discarded,
                _ if c.pending > 0 || c.held > 0 => BroadcastStatus::Sending,
                _ => BroadcastStatus::Done,
            },
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
        let headline: Option<Option<String>> = sqlx::query_scalar("SELECT headline FROM broadcasts WHERE id = ?1")
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        Ok(headline.flatten())
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
            sqlx::query("DELETE FROM held_stories WHERE broadcast_id = ?1 AND digest_id IS NULL")
                .bind(id)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        self.broadcast_progress(id).await
    }
}

/// [`Store::create_broadcast`] inside a transaction the caller commits.
pub(super) async fn create_broadcast_in(
    tx: &mut Transaction<'_, Sqlite>,
    broadcast: &NewBroadcast,
    defaults: &ReaderDefaults,
) -> StoreResult<(i64, i64)> {
    let id = insert_broadcast(tx, broadcast, None, "sending").await?;
    let recipients = fan_out(tx, id, defaults).await?;
    Ok((id, recipients))
}

async fn insert_broadcast(
    tx: &mut Transaction<'_, Sqlite>,
    broadcast: &NewBroadcast,
    article_id: Option<i64>,
    status: &str,
) -> StoreResult<i64> {
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO broadcasts (kind, article_id, priority, body_html, link_url, image_url, status,
                                 created_by, created_at, headline, match_text)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11) RETURNING id",
    )
    .bind(broadcast.kind.as_str())
    .bind(article_id)
    .bind(broadcast.kind.priority() as i64)
    .bind(broadcast.default_body())
    .bind(&broadcast.link_url)
    .bind(&broadcast.image_url)
    .bind(status)
    .bind(&broadcast.created_by)
    .bind(now_ms())
    .bind(&broadcast.headline)
    .bind(&broadcast.match_text)
    .fetch_one(&mut **tx)
    .await?;
    insert_bodies(tx, id, broadcast).await?;
    Ok(id)
}

/// Replaces a broadcast's message (a correction): its default body, headline, match text and
/// every language's body.
pub(super) async fn replace_message(
    tx: &mut Transaction<'_, Sqlite>,
    broadcast_id: i64,
    broadcast: &NewBroadcast,
) -> StoreResult<()> {
    sqlx::query("UPDATE broadcasts SET body_html = ?2, headline = ?3, match_text = ?4 WHERE id = ?1")
        .bind(broadcast_id)
        .bind(broadcast.default_body())
        .bind(&broadcast.headline)
        .bind(&broadcast.match_text)
        .execute(&mut **tx)
        .await?;
    insert_bodies(tx, broadcast_id, broadcast).await
}

async fn insert_bodies(
    tx: &mut Transaction<'_, Sqlite>,
    broadcast_id: i64,
    broadcast: &NewBroadcast,
) -> StoreResult<()> {
    for body in &broadcast.bodies {
        sqlx::query(
            "INSERT OR REPLACE INTO broadcast_bodies (broadcast_id, language, body_html, caption_html)
             VALUES (?1, ?2, ?3, ?4)",
        )
        .bind(broadcast_id)
        .bind(body.language)
        .bind(&body.body_html)
        .bind(&body.caption_html)
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}

/// What fan-out needs to know of a broadcast.
#[derive(sqlx::FromRow)]
struct Audience {
    kind: String,
    priority: i64,
    /// Set for articles: only followers of the article's channels get it.
    article_id: Option<i64>,
    /// Set when keyword filters apply.
    match_text: Option<String>,
}

/// Who is sent what at once, and whose copy waits for a digest, batch by batch of subscriber
/// ids; returns how many subscribers it concerns.
///
/// Most subscribers get everything at once with no filter: one `INSERT … SELECT` queues them.
/// The rest (a digest, quiet hours, keyword filters) are read and routed one by one.
async fn fan_out(tx: &mut Transaction<'_, Sqlite>, broadcast_id: i64, defaults: &ReaderDefaults) -> StoreResult<i64> {
    let audience: Audience =
        sqlx::query_as("SELECT kind, priority, article_id, match_text FROM broadcasts WHERE id = ?1")
            .bind(broadcast_id)
            .fetch_one(&mut **tx)
            .await?;
    let max_id: Option<i64> = sqlx::query_scalar("SELECT MAX(id) FROM subscribers").fetch_one(&mut **tx).await?;
    let mut recipients = 0;
    let mut start = 0;
    while start <= max_id.unwrap_or(-1) {
        let range = start..start + FAN_OUT_BATCH;
        recipients += queue_plain(tx, broadcast_id, &audience, &range).await?;
        recipients += route_the_rest(tx, broadcast_id, &audience, &range, defaults).await?;
        start += FAN_OUT_BATCH;
    }
    sqlx::query("UPDATE broadcasts SET total = ?2 WHERE id = ?1")
        .bind(broadcast_id)
        .bind(recipients)
        .execute(&mut **tx)
        .await?;
    Ok(recipients)
}

/// The subscribers in `range` that the broadcast concerns: active, and for an article filed
/// under channels, following one of them (an article in no channel concerns everyone).
/// `?1` is the article id, `?2`/`?3` the id range.
const CONCERNED: &str = "s.active = 1 AND s.id >= ?2 AND s.id < ?3
     AND (?1 IS NULL OR s.all_channels = 1
          OR NOT EXISTS (SELECT 1 FROM article_channels WHERE article_id = ?1)
          OR EXISTS (SELECT 1 FROM follows f JOIN article_channels ac ON ac.channel_id = f.channel_id
                     WHERE f.subscriber_id = s.id AND ac.article_id = ?1))";

/// Subscribers who take everything at once: instant, no quiet hours, no filter that applies.
/// `?4` is the match text.
const PLAIN: &str = "s.delivery_mode = 'instant' AND s.quiet_hours IS NULL AND (s.has_filters = 0 OR ?4 IS NULL)";

async fn queue_plain(
    tx: &mut Transaction<'_, Sqlite>,
    broadcast_id: i64,
    audience: &Audience,
    range: &std::ops::Range<i64>,
) -> StoreResult<i64> {
    let inserted = sqlx::query(&format!(
        "INSERT INTO deliveries (broadcast_id, subscriber_id, priority, status, due_at)
         SELECT ?5, s.id, ?6, 'pending', ?7 FROM subscribers s WHERE {CONCERNED} AND {PLAIN}"
    ))
    .bind(audience.article_id)
    .bind(range.start)
    .bind(range.end)
    .bind(&audience.match_text)
    .bind(broadcast_id)
    .bind(audience.priority)
    .bind(now_ms())
    .execute(&mut **tx)
    .await?;
    Ok(inserted.rows_affected() as i64)
}

/// Where one routed subscriber's copy goes.
enum Destination {
    Outbox { subscriber_id: i64, silent: bool },
    Digest { subscriber_id: i64 },
}

async fn route_the_rest(
    tx: &mut Transaction<'_, Sqlite>,
    broadcast_id: i64,
    audience: &Audience,
    range: &std::ops::Range<i64>,
    defaults: &ReaderDefaults,
) -> StoreResult<i64> {
    let subscribers: Vec<Subscriber> =
        sqlx::query_as(&format!("SELECT {SUBSCRIBER_COLUMNS} FROM subscribers s WHERE {CONCERNED} AND NOT ({PLAIN})"))
            .bind(audience.article_id)
            .bind(range.start)
            .bind(range.end)
            .bind(&audience.match_text)
            .fetch_all(&mut **tx)
            .await?;
    if subscribers.is_empty() {
        return Ok(0);
    }
    let filters = keyword_filters_in(tx, range).await?;
    let breaking = BroadcastKind::parse(&audience.kind) == BroadcastKind::Breaking;
    let now = chrono::Utc::now();
    let destinations: Vec<Destination> = subscribers
        .iter()
        .filter(|s| match (&audience.match_text, filters.get(&s.id)) {
            (Some(text), Some(filter)) => filter.admits(text),
            _ => true,
        })
        .map(|s| match s.schedule(defaults.zone).route(breaking, now) {
            Route::Now => Destination::Outbox { subscriber_id: s.id, silent: false },
            Route::NowSilently => Destination::Outbox { subscriber_id: s.id, silent: true },
            Route::Hold => Destination::Digest { subscriber_id: s.id },
        })
        .collect();
    write_destinations(tx, broadcast_id, audience.priority, &destinations).await?;
    Ok(destinations.len() as i64)
}

/// The keyword filters of the subscribers in `range` that have any.
async fn keyword_filters_in(
    tx: &mut Transaction<'_, Sqlite>,
    range: &std::ops::Range<i64>,
) -> StoreResult<HashMap<i64, KeywordFilter>> {
    let rows: Vec<(i64, String, String)> = sqlx::query_as(
        "SELECT subscriber_id, kind, keyword FROM keyword_filters WHERE subscriber_id >= ?1 AND subscriber_id < ?2",
    )
    .bind(range.start)
    .bind(range.end)
    .fetch_all(&mut **tx)
    .await?;
    let mut by_subscriber: HashMap<i64, Vec<(String, String)>> = HashMap::new();
    for (subscriber_id, kind, keyword) in rows {
        by_subscriber.entry(subscriber_id).or_default().push((kind, keyword));
    }
    Ok(by_subscriber.into_iter().map(|(id, rows)| (id, filter_of_rows(rows))).collect())
}

async fn write_destinations(
    tx: &mut Transaction<'_, Sqlite>,
    broadcast_id: i64,
    priority: i64,
    destinations: &[Destination],
) -> StoreResult<()> {
    const ROWS_PER_STATEMENT: usize = 1_000;
    let now = now_ms();
    for chunk in destinations.chunks(ROWS_PER_STATEMENT) {
        let outbox: Vec<_> = chunk
            .iter()
            .filter_map(|d| match d {
                Destination::Outbox { subscriber_id, silent } => Some((*subscriber_id, *silent)),
                Destination::Digest { .. } => None,
            })
            .collect();
        if !outbox.is_empty() {
            let mut insert = sqlx::QueryBuilder::new(
                "INSERT INTO deliveries (broadcast_id, subscriber_id, priority, status, due_at, silent) ",
            );
            insert.push_values(&outbox, |mut row, (subscriber_id, silent)| {
                row.push_bind(broadcast_id)
                    .push_bind(subscriber_id)
                    .push_bind(priority)
                    .push_bind("pending")
                    .push_bind(now)
                    .push_bind(silent);
            });
            insert.build().execute(&mut **tx).await?;
        }
        let held: Vec<i64> = chunk
            .iter()
            .filter_map(|d| match d {
                Destination::Digest { subscriber_id } => Some(*subscriber_id),
                Destination::Outbox { .. } => None,
            })
            .collect();
        if !held.is_empty() {
            let mut insert =
                sqlx::QueryBuilder::new("INSERT INTO held_stories (subscriber_id, broadcast_id, held_at) ");
            insert.push_values(&held, |mut row, subscriber_id| {
                row.push_bind(subscriber_id).push_bind(broadcast_id).push_bind(now);
            });
            insert.build().execute(&mut **tx).await?;
            sqlx::query(
                "UPDATE subscribers SET held_since = COALESCE(held_since, ?2)
                 WHERE id IN (SELECT value FROM json_each(?1))",
            )
            .bind(serde_json::to_string(&held).unwrap_or_default())
            .bind(now)
            .execute(&mut **tx)
            .await?;
        }
    }
    Ok(())
}
