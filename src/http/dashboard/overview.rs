//! What the dashboard shows, read from the store and shaped for the template. Read-only: every
//! change goes through the same store operations as the API.

use serde::Serialize;

use crate::store::{BroadcastProgress, SourceRecord, Store, StoreResult, now_ms};

/// How many broadcasts the page lists, newest first.
const RECENT_BROADCASTS: i64 = 20;

/// Everything on the page but the limits, which live in the pacer.
#[derive(Serialize)]
pub(super) struct Overview {
    subscribers: SubscriberCounts,
    channels: Vec<ChannelFollowers>,
    sources: Vec<SourceHealth>,
    broadcasts: Vec<BroadcastLine>,
}

#[derive(Serialize)]
struct SubscriberCounts {
    active: i64,
    /// Active subscribers who get every channel, counted in each channel's followers.
    following_all: i64,
    inactive: Vec<InactiveReason>,
}

#[derive(Serialize, sqlx::FromRow)]
struct InactiveReason {
    reason: String,
    count: i64,
}

#[derive(Serialize, sqlx::FromRow)]
struct ChannelFollowers {
    name: String,
    slug: String,
    followers: i64,
}

#[derive(Serialize)]
struct SourceHealth {
    name: String,
    url: String,
    kind: String,
    last_poll: String,
    next_poll: String,
    consecutive_failures: i64,
    last_error: Option<String>,
}

#[derive(Serialize)]
struct BroadcastLine {
    kind: String,
    headline: String,
    created_by: String,
    created: String,
    progress: BroadcastProgress,
}

#[derive(sqlx::FromRow)]
struct BroadcastRow {
    id: i64,
    kind: String,
    headline: Option<String>,
    created_by: Option<String>,
    created_at: i64,
}

/// Reads the page's figures; a handful of small queries, so a reload is cheap.
pub(super) async fn load(store: &Store) -> StoreResult<Overview> {
    let now = now_ms();
    let subscribers = subscriber_counts(store).await?;
    let channels = channel_followers(store, subscribers.following_all).await?;
    let sources = store.enabled_sources().await?.into_iter().map(|source| source_health(source, now)).collect();
    let broadcasts = recent_broadcasts(store, now).await?;
    Ok(Overview { subscribers, channels, sources, broadcasts })
}

async fn subscriber_counts(store: &Store) -> StoreResult<SubscriberCounts> {
    let (active, following_all): (i64, i64) =
        sqlx::query_as("SELECT COUNT(*), COALESCE(SUM(all_channels), 0) FROM subscribers WHERE active = 1")
            .fetch_one(store.pool())
            .await?;
    let inactive = sqlx::query_as(
        "SELECT COALESCE(inactive_reason, 'unknown') AS reason, COUNT(*) AS count FROM subscribers
         WHERE active = 0 GROUP BY 1 ORDER BY 2 DESC",
    )
    .fetch_all(store.pool())
    .await?;
    Ok(SubscriberCounts { active, following_all, inactive })
}

/// Each channel with its active followers: those who chose it, plus those who follow everything.
async fn channel_followers(store: &Store, following_all: i64) -> StoreResult<Vec<ChannelFollowers>> {
    let mut channels: Vec<ChannelFollowers> = sqlx::query_as(
        "SELECT c.name, c.slug, COUNT(s.id) AS followers FROM channels c
         LEFT JOIN follows f ON f.channel_id = c.id
         LEFT JOIN subscribers s ON s.id = f.subscriber_id AND s.active = 1 AND s.all_channels = 0
         GROUP BY c.id ORDER BY c.origin = 'category', c.position, c.name COLLATE NOCASE",
    )
    .fetch_all(store.pool())
    .await?;
    channels.iter_mut().for_each(|channel| channel.followers += following_all);
    Ok(channels)
}

fn source_health(source: SourceRecord, now: i64) -> SourceHealth {
    SourceHealth {
        last_poll: source.last_polled_at.map_or_else(|| "never".into(), |at| moment(at, now)),
        next_poll: if source.next_poll_at <= now { "due now".into() } else { moment(source.next_poll_at, now) },
        name: source.name,
        url: source.url,
        kind: source.kind,
        consecutive_failures: source.consecutive_failures,
        last_error: source.last_error,
    }
}

async fn recent_broadcasts(store: &Store, now: i64) -> StoreResult<Vec<BroadcastLine>> {
    let rows: Vec<BroadcastRow> =
        sqlx::query_as("SELECT id, kind, headline, created_by, created_at FROM broadcasts ORDER BY id DESC LIMIT ?1")
            .bind(RECENT_BROADCASTS)
            .fetch_all(store.pool())
            .await?;
    let mut lines = Vec::with_capacity(rows.len());
    for row in rows {
        // A broadcast removed between the two queries is simply left out.
        let Some(progress) = store.broadcast_progress(row.id).await? else { continue };
        lines.push(BroadcastLine {
            kind: row.kind,
            headline: row.headline.unwrap_or_default(),
            created_by: row.created_by.unwrap_or_default(),
            created: moment(row.created_at, now),
            progress,
        });
    }
    Ok(lines)
}

/// A unix-millisecond time as operators read it: the UTC time and how far from now it is.
fn moment(at_ms: i64, now_ms: i64) -> String {
    let Some(at) = chrono::DateTime::from_timestamp_millis(at_ms) else { return "?".into() };
    let seconds = (at_ms - now_ms) / 1000;
    let distance = match seconds.unsigned_abs() {
        0..60 => return format!("{} (just now)", at.format("%Y-%m-%d %H:%M UTC")),
        60..3600 => format!("{} min", seconds.abs() / 60),
        3600..86_400 => format!("{} h", seconds.abs() / 3600),
        _ => format!("{} d", seconds.abs() / 86_400),
    };
    let relative = if seconds < 0 { format!("{distance} ago") } else { format!("in {distance}") };
    format!("{} ({relative})", at.format("%Y-%m-%d %H:%M UTC"))
}
