//! What the dashboard shows, read through the services and shaped for the template.

use serde::Serialize;

use crate::{
    domain::{BroadcastProgress, SourceRecord, now_ms, stats::ChannelStats},
    services::Services,
};

/// How many broadcasts the page lists, newest first.
const RECENT_BROADCASTS: i64 = 20;

/// Everything on the page but the limits.
#[derive(Serialize)]
pub(super) struct Overview {
    subscribers: SubscriberCounts,
    channels: Vec<ChannelStats>,
    sources: Vec<SourceHealth>,
    broadcasts: Vec<BroadcastLine>,
}

#[derive(Serialize)]
struct SubscriberCounts {
    active: i64,
    /// Active subscribers who get every channel, counted in each channel's followers.
    following_all: i64,
    /// Most common reason first.
    inactive: Vec<InactiveReason>,
}

#[derive(Serialize)]
struct InactiveReason {
    reason: String,
    count: i64,
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

/// Reads the page's figures; a handful of small queries, so a reload is cheap.
pub(super) async fn load(services: &Services) -> Result<Overview, sqlx::Error> {
    let now = now_ms();
    let (subscribers, channels) = services.readers().audience().await?;
    let mut inactive: Vec<InactiveReason> =
        subscribers.inactive_by_reason.into_iter().map(|(reason, count)| InactiveReason { reason, count }).collect();
    inactive.sort_by_key(|reason| std::cmp::Reverse(reason.count));
    let subscribers =
        SubscriberCounts { active: subscribers.active, following_all: subscribers.following_all, inactive };
    let sources = services.sources().list().await?.into_iter().map(|source| source_health(source, now)).collect();
    let broadcasts = services
        .newsroom()
        .recent(RECENT_BROADCASTS)
        .await?
        .into_iter()
        .map(|(summary, progress)| BroadcastLine {
            kind: summary.kind.to_string(),
            headline: summary.headline.unwrap_or_default(),
            created_by: summary.created_by.unwrap_or_default(),
            created: moment(summary.created_at, now),
            progress,
        })
        .collect();
    Ok(Overview { subscribers, channels, sources, broadcasts })
}

fn source_health(source: SourceRecord, now: i64) -> SourceHealth {
    SourceHealth {
        last_poll: source.last_polled_at.map_or_else(|| "never".into(), |at| moment(at, now)),
        next_poll: if source.next_poll_at <= now { "due now".into() } else { moment(source.next_poll_at, now) },
        name: source.name,
        url: source.url,
        kind: source.kind.to_string(),
        consecutive_failures: source.consecutive_failures,
        last_error: source.last_error,
    }
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
