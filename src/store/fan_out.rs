//! Fan-out: a broadcast becomes one outbox row per subscriber it concerns, or a `held_stories` row
//! for a subscriber whose copy waits for a digest.
//!
//! It runs inside the transaction that creates (or confirms) the broadcast, with one
//! `INSERT … SELECT` per batch of subscribers, so memory stays flat however many readers there
//! are and a crash leaves either the whole push queued or none of it.

use std::collections::HashMap;

use super::{
    ReaderDefaults, StoreResult,
    deliveries::announce_queued,
    sql::{self, Dialect, Transaction},
};
use crate::domain::{
    BroadcastKind, DeliveryStatus, KeywordFilter, KeywordKind, Priority, Route, ScheduleChoices, now_ms,
};

/// Subscribers are fanned out in id ranges of this size, to bound each statement's work.
const FAN_OUT_BATCH: i64 = 50_000;

/// What fan-out needs to know of a broadcast.
#[derive(sqlx::FromRow)]
struct Audience {
    kind: BroadcastKind,
    priority: Priority,
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
pub(super) async fn fan_out(tx: &mut Transaction, broadcast_id: i64, defaults: &ReaderDefaults) -> StoreResult<i64> {
    let audience: Audience =
        sql::query_as("SELECT kind, priority, article_id, match_text FROM broadcasts WHERE id = $1")
            .bind(broadcast_id)
            .fetch_one(&mut *tx)
            .await?;
    let max_id: Option<i64> = sql::query_scalar("SELECT MAX(id) FROM subscribers").fetch_one(&mut *tx).await?;
    let mut recipients = 0;
    let mut start = 0;
    while start <= max_id.unwrap_or(-1) {
        let range = start..start + FAN_OUT_BATCH;
        recipients += queue_plain(tx, broadcast_id, &audience, &range).await?;
        recipients += route_the_rest(tx, broadcast_id, &audience, &range, defaults).await?;
        start += FAN_OUT_BATCH;
    }
    sql::query("UPDATE broadcasts SET total = $2 WHERE id = $1")
        .bind(broadcast_id)
        .bind(recipients)
        .execute(&mut *tx)
        .await?;
    announce_queued(tx).await?;
    Ok(recipients)
}

/// The subscribers in `range` that the broadcast concerns: active, and for an article filed
/// under channels, following one of them (an article in no channel concerns everyone).
/// `$1` is the article id, `$2`/`$3` the id range.
const CONCERNED: &str = "s.active = TRUE AND s.id >= $2 AND s.id < $3
     AND ($1 IS NULL OR s.all_channels = TRUE
          OR NOT EXISTS (SELECT 1 FROM article_channels WHERE article_id = $1)
          OR EXISTS (SELECT 1 FROM follows f JOIN article_channels ac ON ac.channel_id = f.channel_id
                     WHERE f.subscriber_id = s.id AND ac.article_id = $1))";

/// Subscribers who chose how they get the news: a digest, quiet hours, keywords. Written as the
/// `subscribers_choosing` index's condition, so that the query may use it.
const CHOOSING: &str = "(s.delivery_mode != 'instant' OR s.quiet_hours IS NOT NULL OR s.has_filters = TRUE)";

/// Subscribers who take everything at once: instant, no quiet hours, no filter that applies.
/// `$4` is the match text.
const PLAIN: &str = "s.delivery_mode = 'instant' AND s.quiet_hours IS NULL AND (s.has_filters = FALSE OR $4 IS NULL)";

async fn queue_plain(
    tx: &mut Transaction,
    broadcast_id: i64,
    audience: &Audience,
    range: &std::ops::Range<i64>,
) -> StoreResult<i64> {
    let inserted = sql::query(&format!(
        "INSERT INTO deliveries (broadcast_id, subscriber_id, priority, status, due_at)
         SELECT $5, s.id, $6, 'pending', $7 FROM subscribers s WHERE {CONCERNED} AND {PLAIN}"
    ))
    .bind(audience.article_id)
    .bind(range.start)
    .bind(range.end)
    .bind(&audience.match_text)
    .bind(broadcast_id)
    .bind(audience.priority)
    .bind(now_ms())
    .execute(&mut *tx)
    .await?;
    Ok(inserted as i64)
}

/// What routing one subscriber's copy needs to know of them.
#[derive(sqlx::FromRow)]
struct Chooser {
    id: i64,
    #[sqlx(flatten)]
    choices: ScheduleChoices,
}

/// Where one routed subscriber's copy goes.
enum Destination {
    Outbox { subscriber_id: i64, silent: bool },
    Digest { subscriber_id: i64 },
}

async fn route_the_rest(
    tx: &mut Transaction,
    broadcast_id: i64,
    audience: &Audience,
    range: &std::ops::Range<i64>,
    defaults: &ReaderDefaults,
) -> StoreResult<i64> {
    // SQLite is told to read the partial index, which its planner may pass over; PostgreSQL has
    // no such hint and chooses by its statistics.
    let hint = match tx.dialect() {
        Dialect::Sqlite => "INDEXED BY subscribers_choosing",
        Dialect::Postgres => "",
    };
    let subscribers: Vec<Chooser> = sql::query_as(&format!(
        "SELECT s.id, s.delivery_mode, s.quiet_hours, s.timezone, s.breaking_instant
         FROM subscribers s {hint}
             WHERE {CHOOSING} AND {CONCERNED} AND NOT ({PLAIN})"
    ))
    .bind(audience.article_id)
    .bind(range.start)
    .bind(range.end)
    .bind(&audience.match_text)
    .fetch_all(&mut *tx)
    .await?;
    if subscribers.is_empty() {
        return Ok(0);
    }
    let filters = keyword_filters_in(tx, range).await?;
    let breaking = audience.kind == BroadcastKind::Breaking;
    let now = chrono::Utc::now();
    let destinations: Vec<Destination> = subscribers
        .iter()
        .filter(|s| match (&audience.match_text, filters.get(&s.id)) {
            (Some(text), Some(filter)) => filter.admits(text),
            _ => true,
        })
        .map(|s| match s.choices.schedule(defaults.zone).route(breaking, now) {
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
    tx: &mut Transaction,
    range: &std::ops::Range<i64>,
) -> StoreResult<HashMap<i64, KeywordFilter>> {
    let rows: Vec<(i64, KeywordKind, String)> = sql::query_as(
        "SELECT subscriber_id, kind, keyword FROM keyword_filters WHERE subscriber_id >= $1 AND subscriber_id < $2",
    )
    .bind(range.start)
    .bind(range.end)
    .fetch_all(&mut *tx)
    .await?;
    let mut by_subscriber: HashMap<i64, Vec<(KeywordKind, String)>> = HashMap::new();
    for (subscriber_id, kind, keyword) in rows {
        by_subscriber.entry(subscriber_id).or_default().push((kind, keyword));
    }
    Ok(by_subscriber.into_iter().map(|(id, rows)| (id, KeywordFilter::from_rows(rows))).collect())
}

async fn write_destinations(
    tx: &mut Transaction,
    broadcast_id: i64,
    priority: Priority,
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
            let statement = format!(
                "INSERT INTO deliveries (broadcast_id, subscriber_id, priority, status, due_at, silent) VALUES {}",
                sql::values(6, outbox.len())
            );
            let mut insert = sql::query(&statement);
            for (subscriber_id, silent) in outbox {
                insert = insert
                    .bind(broadcast_id)
                    .bind(subscriber_id)
                    .bind(priority)
                    .bind(DeliveryStatus::Pending)
                    .bind(now)
                    .bind(silent);
            }
            insert.execute(&mut *tx).await?;
        }
        let held: Vec<i64> = chunk
            .iter()
            .filter_map(|d| match d {
                Destination::Digest { subscriber_id } => Some(*subscriber_id),
                Destination::Outbox { .. } => None,
            })
            .collect();
        if !held.is_empty() {
            let statement = format!(
                "INSERT INTO held_stories (subscriber_id, broadcast_id, held_at) VALUES {}",
                sql::values(3, held.len())
            );
            let mut insert = sql::query(&statement);
            for subscriber_id in &held {
                insert = insert.bind(*subscriber_id).bind(broadcast_id).bind(now);
            }
            insert.execute(&mut *tx).await?;
            let holding = format!(
                "UPDATE subscribers SET held_since = COALESCE(held_since, $2) WHERE id IN ({})",
                tx.dialect().json_integers("$1")
            );
            sql::query(&holding)
                .bind(serde_json::to_string(&held).unwrap_or_default())
                .bind(now)
                .execute(&mut *tx)
                .await?;
        }
    }
    Ok(())
}
