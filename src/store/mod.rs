//! SQLite through sqlx: the pool, the embedded migrations, and one file per table group.
//!
//! Every arrow of the flow that crosses a crash goes through here, so each operation that must
//! be all-or-nothing (recording an article and fanning it out, say) is one transaction.

mod articles;
mod broadcasts;
mod channels;
mod deliveries;
mod digests;
mod editors;
mod idempotency;
mod inbound;
mod sources;
mod stats;
mod subscribers;
mod websub;

use std::{str::FromStr, time::Duration};

use sqlx::{
    SqlitePool,
    sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous},
};

pub use articles::{ArticleRecord, NewArticle, PushedStory};
pub use broadcasts::{BroadcastKind, BroadcastProgress, BroadcastStatus, MessageBody, NewBroadcast, Priority};
pub use channels::ChannelRecord;
pub use deliveries::{ClaimedDelivery, DeliveredMessage, DeliveryOutcome, FailedDelivery, OutcomeKind};
pub use digests::{DueDigest, HeldStory, WaitingReader};
pub use editors::{ANONYMOUS_ADMIN_ID, EditorError, EditorRecord, TELEGRAM_SERVICE_ID, editor_refusal_reason};
pub use idempotency::{IdempotencyKey, Remembered};
pub use sources::SourceRecord;
pub use stats::{
    ArticleStats, BroadcastStats, ChannelStats, DeliveryStats, ExportedSubscriber, QueueDepth, SourceStats, Stats,
    SubscriberCounts, SubscriberStats,
};
pub use subscribers::{
    ChatKind, KeywordAdded, KeywordKind, NewSubscriber, PENDING, Preference, SubscribeOutcome, Subscriber,
};
pub use websub::WebSubSubscription;

/// A storage failure; callers add context with `anyhow` at the edges.
pub type StoreResult<T> = Result<T, sqlx::Error>;

/// The database handle: cheap to clone, shared by every part of the application.
#[derive(Clone, Debug)]
pub struct Store {
    pool: SqlitePool,
    defaults: std::sync::Arc<ReaderDefaults>,
    /// Broadcasts' messages by language, as claims need them: read once, not once per claim.
    messages: std::sync::Arc<deliveries::MessageCache>,
}

/// What a subscriber who chose nothing gets: the operator's `[readers]` settings.
#[derive(Debug, Clone)]
pub struct ReaderDefaults {
    /// The language of chats whose Telegram language kabar does not speak.
    pub language: &'static str,
    /// The zone of quiet hours and daily digests.
    pub zone: chrono_tz::Tz,
    /// At most this many channels are made from feed categories.
    pub max_category_channels: usize,
}

impl Default for ReaderDefaults {
    fn default() -> Self {
        ReaderDefaults { language: "en", zone: chrono_tz::Asia::Jakarta, max_category_channels: 30 }
    }
}

impl ReaderDefaults {
    /// The defaults `[readers]` asks for; the config was validated, so its values are known.
    pub fn from_settings(readers: &crate::config::ReaderSettings) -> ReaderDefaults {
        let language = crate::render::LANGUAGES.into_iter().find(|l| *l == readers.default_language).unwrap_or("en");
        let zone = crate::audience::schedule::parse_zone(&readers.timezone).unwrap_or(chrono_tz::Asia::Jakarta);
        ReaderDefaults { language, zone, max_category_channels: readers.max_category_channels }
    }
}

impl Store {
    /// Opens (creating when missing) the database at `url`, in WAL mode.
    pub async fn connect(url: &str) -> StoreResult<Store> {
        let options = SqliteConnectOptions::from_str(url)?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            // NORMAL is durable across process crashes in WAL mode; only a power loss can
            // drop the last commits, which the outbox then sends again.
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(10));
        // An in-memory database exists once per connection, so it must have exactly one.
        let max_connections = if url.contains(":memory:") { 1 } else { 8 };
        let pool = SqlitePoolOptions::new().max_connections(max_connections).connect_with(options).await?;
        Ok(Store { pool, defaults: Default::default(), messages: Default::default() })
    }

    /// The same database, with the operator's defaults for readers.
    pub fn with_defaults(self, defaults: ReaderDefaults) -> Store {
        Store { defaults: std::sync::Arc::new(defaults), ..self }
    }

    pub fn defaults(&self) -> &ReaderDefaults {
        &self.defaults
    }

    /// Applies the migrations embedded from `migrations/`.
    pub async fn migrate(&self) -> Result<(), sqlx::migrate::MigrateError> {
        sqlx::migrate!("./migrations").run(&self.pool).await
    }

    /// A transaction that holds the write lock from its first statement. SQLite cannot upgrade a
    /// reading transaction once another connection has written (SQLITE_BUSY_SNAPSHOT), so every
    /// transaction that writes starts as a writer and waits its turn instead.
    async fn begin_write(&self) -> StoreResult<sqlx::Transaction<'static, sqlx::Sqlite>> {
        self.pool.begin_with("BEGIN IMMEDIATE").await
    }

    /// The pool itself, for tests that set up states no public operation makes (stories held
    /// for hours, say).
    pub fn pool(&self) -> &SqlitePool {
        &self.pool
    }

    /// A cheap round trip, for health checks.
    pub async fn ping(&self) -> StoreResult<()> {
        sqlx::query("SELECT 1").execute(&self.pool).await.map(|_| ())
    }

    /// Closes every connection; later calls fail.
    pub async fn close(&self) {
        self.pool.close().await;
    }
}

/// The current time as unix milliseconds, the unit of every timestamp column.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_millis() as i64).unwrap_or_default()
}

#[cfg(test)]
pub(crate) async fn test_store() -> (Store, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let url = format!("sqlite://{}", dir.path().join("test.db").display());
    let store = Store::connect(&url).await.expect("the database opens");
    store.migrate().await.expect("the migrations apply");
    (store, dir)
}
