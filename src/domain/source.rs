//! Sources: the sites kabar watches.

use serde::Serialize;
use sqlx::FromRow;

use super::stored::text_enum;

text_enum! {
    /// How a source's URL is read.
    #[derive(Default)]
    pub enum SourceKind {
        /// RSS 2.0, RSS 1.0, Atom or JSON Feed.
        #[default]
        Feed = "feed",
        /// A WordPress site's root, read through `/wp-json/wp/v2/posts`.
        Wordpress = "wordpress",
    }
}

text_enum! {
    /// Where a source was named.
    pub enum SourceOrigin {
        /// The config file's `[[sources]]`, synced at start.
        Config = "config",
        /// Added while kabar runs (CLI, API).
        Runtime = "runtime",
    }
}

/// A source as the watcher and operators see it.
#[derive(Debug, Clone, FromRow, Serialize)]
pub struct SourceRecord {
    pub id: i64,
    pub name: String,
    pub url: String,
    pub kind: SourceKind,
    pub origin: SourceOrigin,
    pub poll_interval_secs: i64,
    /// Its first poll recorded the backlog; only later items are pushed.
    pub primed: bool,
    pub etag: Option<String>,
    pub last_modified: Option<String>,
    pub consecutive_failures: i64,
    pub last_error: Option<String>,
    /// Unix ms.
    pub next_poll_at: i64,
    /// Unix ms.
    pub last_polled_at: Option<i64>,
    /// Edit sent messages when the site changes a pushed story's title.
    pub corrections: bool,
}

text_enum! {
    /// Where a WebSub subscription at a hub stands.
    pub enum WebSubState {
        Requested = "requested",
        Verified = "verified",
        Denied = "denied",
    }
}

/// A source's subscription at its hub.
#[derive(Debug, Clone, FromRow)]
pub struct WebSubSubscription {
    pub source_id: i64,
    pub hub: String,
    pub topic: String,
    /// The HMAC key the hub signs its pushes with.
    pub secret: String,
    pub state: WebSubState,
    /// Unix ms.
    pub lease_until: Option<i64>,
    /// Unix ms.
    pub updated_at: i64,
}
