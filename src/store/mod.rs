//! SQLite or PostgreSQL through sqlx: the pool, the embedded migrations of each backend, and one
//! file per table group, whose SQL is written once for both (see [`sql`]). Nothing above the
//! store writes SQL; it speaks the domain's types.
//!
//! Every arrow of the flow that crosses a crash goes through here, so each operation that must
//! be all-or-nothing (recording an article and fanning it out, say) is one transaction.

mod articles;
mod broadcasts;
mod channels;
mod dashboard;
mod deliveries;
mod digests;
mod editors;
mod fan_out;
mod health;
mod idempotency;
mod inbound;
mod lease;
mod outcomes;
mod sources;
pub mod sql;
mod stats;
mod subscribers;
mod websub;

use std::{str::FromStr, sync::Arc, time::Duration};

use sqlx::{
    postgres::{PgConnectOptions, PgPoolOptions},
    sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous},
};

use self::sql::{Pool, Transaction};

use crate::domain::Language;

pub use deliveries::OutboxSignal;
pub use health::{DatabaseFileProblem, StorageFault, check_database_file, database_file};

/// How long a database connection serves before it is replaced by a fresh one.
const CONNECTION_LIFETIME: Duration = Duration::from_secs(60);

/// A storage failure; callers add context with `anyhow` at the edges.
pub type StoreResult<T> = Result<T, sqlx::Error>;

/// The database handle: cheap to clone, shared by every part of the application.
#[derive(Clone, Debug)]
pub struct Store {
    pool: Pool,
    defaults: Arc<ReaderDefaults>,
    /// Broadcasts' messages by platform and language, as claims need them: read once, not once
    /// per claim.
    messages: Arc<deliveries::MessageCache>,
    /// The database file; None in memory.
    file: Option<Arc<std::path::Path>>,
}

/// What a subscriber who chose nothing gets: the operator's `[readers]` settings.
#[derive(Debug, Clone)]
pub struct ReaderDefaults {
    /// The language of chats whose app's language kabar does not speak.
    pub language: Language,
    /// The zone of quiet hours and daily digests.
    pub zone: chrono_tz::Tz,
    /// At most this many channels are made from feed categories.
    pub max_category_channels: usize,
}

impl Default for ReaderDefaults {
    fn default() -> Self {
        ReaderDefaults { language: Language::English, zone: chrono_tz::Asia::Jakarta, max_category_channels: 30 }
    }
}

impl ReaderDefaults {
    /// The defaults `[readers]` asks for.
    pub fn from_settings(readers: &crate::config::ReaderSettings) -> ReaderDefaults {
        ReaderDefaults {
            language: readers.default_language,
            zone: readers.timezone.0,
            max_category_channels: readers.max_category_channels,
        }
    }
}

impl Store {
    /// Opens the database at `url`: a PostgreSQL server for a `postgres://` URL, else a SQLite
    /// file (created when missing, in WAL mode).
    pub async fn connect(url: &str) -> StoreResult<Store> {
        if is_postgres(url) {
            return Store::open_postgres(url).await;
        }
        // An in-memory database exists once per connection, so it must have exactly one.
        let max_connections = if url.contains(":memory:") { 1 } else { 8 };
        Store::open_sqlite(sqlite_options(url)?, max_connections).await
    }

    async fn open_postgres(url: &str) -> StoreResult<Store> {
        let options = PgConnectOptions::from_str(url)?.application_name("kabar");
        let pool = PgPoolOptions::new()
            .max_connections(POSTGRES_CONNECTIONS)
            .acquire_timeout(Duration::from_secs(10))
            .connect_with(options)
            .await?;
        Ok(Store { pool: Pool::Postgres(pool), defaults: Default::default(), messages: Default::default(), file: None })
    }

    async fn open_sqlite(options: SqliteConnectOptions, max_connections: u32) -> StoreResult<Store> {
        // sqlx names an in-memory database `file:sqlx-in-memory-N`, which is no file.
        let name = options.get_filename();
        let in_memory = name.as_os_str().is_empty()
            || name.ends_with(":memory:")
            || name.to_string_lossy().starts_with("file:sqlx-in-memory");
        let file = (!in_memory).then(|| Arc::from(name));
        // An in-memory database lives as long as its one connection; a file's connections are
        // renewed now and then, because SQLite opens a file it may not write read-only and the
        // connection stays so after the operator fixes the file's permissions.
        let lifetime = file.is_some().then_some(CONNECTION_LIFETIME);
        let pool = SqlitePoolOptions::new()
            .max_connections(max_connections)
            .max_lifetime(lifetime)
            .idle_timeout(lifetime)
            .after_release(|connection, _| Box::pin(still_usable(connection)))
            .connect_with(options)
            .await?;
        Ok(Store { pool: Pool::Sqlite(pool), defaults: Default::default(), messages: Default::default(), file })
    }

    /// The same database, with the operator's defaults for readers.
    pub fn with_defaults(self, defaults: ReaderDefaults) -> Store {
        Store { defaults: Arc::new(defaults), ..self }
    }

    pub fn defaults(&self) -> &ReaderDefaults {
        &self.defaults
    }

    /// Applies the migrations embedded from `migrations/sqlite/` or `migrations/postgres/`.
    ///
    /// On PostgreSQL, sqlx holds an advisory lock while they run, so instances starting together
    /// migrate once. On SQLite they run with foreign keys off, as SQLite prescribes for rebuilding a table (dropping the
    /// old one must not cascade to the rows that refer to it), on one connection that is closed
    /// afterwards rather than returned to the pool if anything fails; every foreign key is then
    /// checked, so a migration cannot leave the database inconsistent unnoticed.
    pub async fn migrate(&self) -> Result<(), sqlx::migrate::MigrateError> {
        let pool = match &self.pool {
            Pool::Sqlite(pool) => pool,
            Pool::Postgres(pool) => return POSTGRES_MIGRATIONS.run(pool).await,
        };
        let mut connection = pool.acquire().await?;
        let migrated = migrate_without_foreign_keys(&mut connection).await;
        if migrated.is_err() {
            drop(connection.detach());
        }
        migrated
    }

    /// The migrations of this database's backend.
    fn migrator(&self) -> &'static sqlx::migrate::Migrator {
        match self.pool.dialect() {
            sql::Dialect::Sqlite => &MIGRATIONS,
            sql::Dialect::Postgres => &POSTGRES_MIGRATIONS,
        }
    }

    /// A transaction that writes, holding the one write lock from its first statement, so that
    /// writers take turns on both backends. SQLite cannot upgrade a reading transaction once
    /// another connection has written (SQLITE_BUSY_SNAPSHOT), so every transaction that writes
    /// starts as a writer and waits its turn. PostgreSQL would let writers interleave, and then
    /// a check made inside one (is this story known? is this draft still a draft?) could miss
    /// what another is writing at the same moment: its transactions take a transaction-level
    /// advisory lock first, and each later statement sees what the writers before committed.
    /// The outbox claim, which must not wait behind a fan-out, runs outside such a transaction.
    async fn begin_write(&self) -> StoreResult<Transaction> {
        Ok(match &self.pool {
            Pool::Sqlite(pool) => Transaction::Sqlite(pool.begin_with("BEGIN IMMEDIATE").await?),
            Pool::Postgres(pool) => {
                let mut tx = Transaction::Postgres(pool.begin().await?);
                sql::query("SELECT pg_advisory_xact_lock($1)").bind(WRITE_LOCK).execute(&mut tx).await?;
                tx
            }
        })
    }

    /// The pool itself, for tests and benchmarks that set up states no public operation makes
    /// (stories held for hours, a million readers' choices). Nothing in kabar itself uses it.
    pub fn pool(&self) -> &Pool {
        &self.pool
    }

    /// Whether the database is a PostgreSQL server.
    pub fn is_postgres(&self) -> bool {
        matches!(self.pool, Pool::Postgres(_))
    }

    /// The database's file; None in memory.
    pub fn file(&self) -> Option<&std::path::Path> {
        self.file.as_deref()
    }

    /// A cheap round trip, for health checks.
    pub async fn ping(&self) -> StoreResult<()> {
        sql::query("SELECT 1").execute(&self.pool).await.map(|_| ())
    }

    /// Closes every connection; later calls fail.
    pub async fn close(&self) {
        self.pool.close().await;
    }
}

/// Whether `url` names a PostgreSQL server rather than a SQLite file.
pub fn is_postgres(url: &str) -> bool {
    url.starts_with("postgres://") || url.starts_with("postgresql://")
}

/// The advisory lock every writing transaction on PostgreSQL takes: "kabar" in ASCII.
const WRITE_LOCK: i64 = 0x6B_61_62_61_72;

/// Connections to a PostgreSQL server per instance: the sender's claims and outcomes, the
/// watcher, the bot and the API each hold one now and then; several instances share the server's
/// `max_connections` (100 by default).
const POSTGRES_CONNECTIONS: u32 = 10;

fn sqlite_options(url: &str) -> StoreResult<SqliteConnectOptions> {
    Ok(SqliteConnectOptions::from_str(url)?
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        // NORMAL is durable across process crashes in WAL mode; only a power loss can drop the
        // last commits, which the outbox then sends again.
        .synchronous(SqliteSynchronous::Normal)
        .foreign_keys(true)
        .busy_timeout(Duration::from_secs(10)))
}

/// Whether a connection handed back to the pool may serve again. When a disk fills, SQLite may
/// roll a transaction back by itself; sqlx still counts it open, its own ROLLBACK then fails,
/// and every later BEGIN on that connection would fail ("non-zero transaction depth") long after
/// the disk has room again. Such a connection is closed instead; the pool opens a fresh one.
async fn still_usable(connection: &mut sqlx::SqliteConnection) -> Result<bool, sqlx::Error> {
    use sqlx::Connection;
    // The round trip waits for the rollback a dropped transaction queued.
    connection.ping().await?;
    Ok(!connection.is_in_transaction())
}

/// Runs the migrations on `connection` with its foreign keys off, then turns them on again and
/// checks them.
async fn migrate_without_foreign_keys(
    connection: &mut sqlx::SqliteConnection,
) -> Result<(), sqlx::migrate::MigrateError> {
    sqlx::query("PRAGMA foreign_keys = OFF").execute(&mut *connection).await?;
    MIGRATIONS.run(&mut *connection).await?;
    sqlx::query("PRAGMA foreign_keys = ON").execute(&mut *connection).await?;
    let broken: Vec<(String, i64)> =
        sqlx::query_as("SELECT \"table\", rowid FROM pragma_foreign_key_check").fetch_all(&mut *connection).await?;
    if let Some((table, row)) = broken.first() {
        let problem =
            format!("{} rows break a foreign key after migrating, the first in {table} (row {row})", broken.len());
        return Err(sqlx::migrate::MigrateError::Execute(sqlx::Error::Protocol(problem)));
    }
    Ok(())
}

/// The schema of each backend, embedded at build time.
static MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");
static POSTGRES_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

/// The backend the tests run on: SQLite, unless `KABAR_TEST_BACKEND=postgres` asks for a
/// database of its own on the test process's PostgreSQL server (which `scripts/test` does for a
/// second run of the store's tests and the end-to-end groups that must hold on both).
#[cfg(test)]
pub(crate) async fn test_store() -> (Store, tempfile::TempDir) {
    if std::env::var("KABAR_TEST_BACKEND").as_deref() != Ok("postgres") {
        return sqlite_test_store().await;
    }
    let server = pg_harness::TestPostgres::shared().expect("PostgreSQL starts");
    let url = server.fresh_database("kabar_unit").expect("a database of the test's own");
    let store = Store::connect(&url).await.expect("the database opens");
    store.migrate().await.expect("the migrations apply");
    (store, tempfile::tempdir().expect("a temporary directory"))
}

/// A SQLite database in a temporary directory, for tests of what only SQLite has (its file).
#[cfg(test)]
pub(crate) async fn sqlite_test_store() -> (Store, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let url = format!("sqlite://{}", dir.path().join("test.db").display());
    let store = Store::connect(&url).await.expect("the database opens");
    store.migrate().await.expect("the migrations apply");
    (store, dir)
}

#[cfg(test)]
mod tests {
    #[tokio::test]
    async fn an_in_memory_database_has_no_file_beside_which_to_lock() {
        let store = super::Store::connect("sqlite::memory:").await.unwrap();
        assert_eq!(store.file(), None);
        let (on_disk, _dir) = super::sqlite_test_store().await;
        assert!(on_disk.file().is_some_and(|file| file.ends_with("test.db")));
    }
}
