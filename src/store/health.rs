//! What the store can tell of its own health, and how it keeps it: a database file that is empty
//! or no database at all is refused before anything touches it; a write probe says whether the
//! disk takes writes; integrity checks, cheap and full; consistent online backups; and which
//! failures are the storage's (a full disk, a read-only file, a damaged page) rather than kabar's.

use std::path::{Path, PathBuf};

use super::{Store, StoreResult, sql, sql::Dialect};
use crate::domain::now_ms;

/// Why a database file is refused before it is opened.
#[derive(Debug, thiserror::Error)]
pub enum DatabaseFileProblem {
    #[error(
        "the database file {0} is empty (0 bytes): restore it from a backup (see `kabar backup`), or start afresh on \
         purpose with `kabar migrate --allow-empty`"
    )]
    Empty(PathBuf),
    #[error("{0} is not a SQLite database (its header is wrong): restore it from a backup (see `kabar backup`)")]
    NotADatabase(PathBuf),
    #[error("cannot read the database file {0}: {1}")]
    Unreadable(PathBuf, std::io::Error),
}

/// The file a `sqlite:` URL names; None for an in-memory database.
pub fn database_file(url: &str) -> Option<PathBuf> {
    let path = url.strip_prefix("sqlite://").or_else(|| url.strip_prefix("sqlite:"))?;
    let path = path.split('?').next().unwrap_or(path);
    (!path.is_empty() && !path.contains(":memory:")).then(|| PathBuf::from(path))
}

/// Refuses a database file that exists but is empty (unless `allow_empty`) or is not SQLite's. A
/// file that does not exist yet is fine: it is created.
pub fn check_database_file(url: &str, allow_empty: bool) -> Result<(), DatabaseFileProblem> {
    let Some(path) = database_file(url) else { return Ok(()) };
    let header = match read_header(&path) {
        Ok(Some(header)) => header,
        Ok(None) => return Ok(()),
        Err(error) => return Err(DatabaseFileProblem::Unreadable(path, error)),
    };
    match header.as_slice() {
        [] if allow_empty => Ok(()),
        [] => Err(DatabaseFileProblem::Empty(path)),
        header if header.starts_with(b"SQLite format 3\0") => Ok(()),
        _ => Err(DatabaseFileProblem::NotADatabase(path)),
    }
}

/// The first 16 bytes of `path`, or None when there is no such file.
fn read_header(path: &Path) -> std::io::Result<Option<Vec<u8>>> {
    use std::io::Read;
    let file = match std::fs::File::open(path) {
        Ok(file) => file,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(error) => return Err(error),
    };
    let mut header = Vec::with_capacity(16);
    file.take(16).read_to_end(&mut header)?;
    Ok(Some(header))
}

/// How the storage is failing, in words for operators: a failure that is the storage's (a full
/// disk, a read-only or damaged file, no connection to be had) rather than a mistake of kabar's,
/// worth a 503 and a retry later.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum StorageFault {
    #[error("the disk holding the database is full")]
    DiskFull,
    #[error("the database file is read-only")]
    ReadOnly,
    #[error("the disk holding the database fails to read or write")]
    DiskError,
    #[error("the database is damaged; restore it from a backup")]
    Damaged,
    #[error("the database is locked by another writer")]
    Locked,
    #[error("no database connection can be had")]
    Unreachable,
    #[error("writes to the database fail")]
    WritesFail,
}

impl StorageFault {
    /// The storage fault `error` is, or None when it is not the storage's.
    pub fn of(error: &sqlx::Error) -> Option<StorageFault> {
        match error {
            // SQLite's primary result code is the low byte of the extended one.
            sqlx::Error::Database(database) => match database.code()?.parse::<i64>().ok()? & 0xff {
                13 => Some(StorageFault::DiskFull),
                8 => Some(StorageFault::ReadOnly),
                10 | 14 => Some(StorageFault::DiskError),
                11 | 26 => Some(StorageFault::Damaged),
                5 | 6 => Some(StorageFault::Locked),
                _ => None,
            },
            sqlx::Error::Io(_) => Some(StorageFault::DiskError),
            sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed | sqlx::Error::WorkerCrashed => {
                Some(StorageFault::Unreachable)
            }
            _ => None,
        }
    }

    /// The storage fault somewhere in `error`'s chain of causes.
    pub fn in_chain(error: &anyhow::Error) -> Option<StorageFault> {
        error.chain().find_map(|cause| cause.downcast_ref::<sqlx::Error>()).and_then(StorageFault::of)
    }
}

/// Below this much free space on its disk, the database is taken to be full: a write that
/// needs a page more would fail, and the outbox needs many.
const MIN_FREE_BYTES: u64 = 1 << 20;

impl Store {
    /// Whether the disk takes writes now: there is room left on it, and one row is written and
    /// committed. Small writes can still succeed on a full disk (SQLite reuses its log's space),
    /// so the room is looked at too.
    pub async fn probe_writes(&self) -> Result<(), StorageFault> {
        if self.free_bytes().is_some_and(|free| free < MIN_FREE_BYTES) {
            return Err(StorageFault::DiskFull);
        }
        self.write_probe_row().await.map_err(|error| {
            tracing::debug!(%error, "the write probe failed");
            StorageFault::of(&error).unwrap_or(StorageFault::WritesFail)
        })
    }

    async fn write_probe_row(&self) -> StoreResult<()> {
        let mut tx = self.begin_write().await?;
        sql::query(
            "INSERT INTO health_probe (id, written_at) VALUES (1, $1) ON CONFLICT (id) DO UPDATE SET written_at = $1",
        )
        .bind(now_ms())
        .execute(&mut tx)
        .await?;
        tx.commit().await
    }

    /// The bytes an unprivileged writer may still use on the database's disk; None for an
    /// in-memory database or when the system cannot tell.
    fn free_bytes(&self) -> Option<u64> {
        let file = self.file.as_deref()?;
        let directory = file.parent().filter(|dir| !dir.as_os_str().is_empty()).unwrap_or(Path::new("."));
        let stats = rustix::fs::statvfs(directory).ok()?;
        Some(stats.f_bavail.saturating_mul(stats.f_frsize))
    }

    /// A cheap look at the database's integrity: the schema and the first row of every table
    /// can be read. Fast whatever the size; [`Store::full_check`] reads everything.
    pub async fn cheap_check(&self) -> StoreResult<()> {
        let tables = match self.pool.dialect() {
            Dialect::Sqlite => "SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%'",
            Dialect::Postgres => "SELECT tablename::TEXT FROM pg_tables WHERE schemaname = current_schema()",
        };
        let tables: Vec<String> = sql::query_scalar(tables).fetch_all(&self.pool).await?;
        for table in tables {
            sql::query(&format!("SELECT * FROM \"{}\" LIMIT 1", table.replace('"', "\"\"")))
                .execute(&self.pool)
                .await?;
        }
        Ok(())
    }

    /// SQLite's `quick_check` of every page: None when the database is sound, else its first
    /// finding. Seconds on a large database; run it in the background. PostgreSQL checks its own
    /// pages as it reads them, so there it finds nothing more than the cheap check.
    pub async fn full_check(&self) -> StoreResult<Option<String>> {
        if self.pool.dialect() == Dialect::Postgres {
            return Ok(None);
        }
        let findings: Vec<String> = sql::query_scalar("PRAGMA quick_check(1)").fetch_all(&self.pool).await?;
        Ok(findings.into_iter().find(|finding| finding != "ok"))
    }

    /// Writes a consistent copy of the whole SQLite database to `file`, while kabar runs. The
    /// file must not exist yet. A PostgreSQL server is backed up with its own tools.
    pub async fn backup_to(&self, file: &Path) -> StoreResult<()> {
        if self.pool.dialect() == Dialect::Postgres {
            let advice = "kabar backs up SQLite files; back a PostgreSQL database up with pg_dump";
            return Err(sqlx::Error::Configuration(advice.into()));
        }
        sql::query("VACUUM INTO $1").bind(file.to_string_lossy().into_owned()).execute(&self.pool).await.map(|_| ())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_empty_file_is_refused_unless_asked_for_and_a_missing_one_is_fine() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("kabar.db");
        let url = format!("sqlite://{}", path.display());
        assert!(check_database_file(&url, false).is_ok(), "a new database");
        std::fs::write(&path, b"").unwrap();
        let refused = check_database_file(&url, false).unwrap_err().to_string();
        assert!(refused.contains("is empty") && refused.contains("--allow-empty"), "{refused}");
        assert!(check_database_file(&url, true).is_ok());
        std::fs::write(&path, [0u8; 4096]).unwrap();
        assert!(matches!(check_database_file(&url, false), Err(DatabaseFileProblem::NotADatabase(_))));
        assert!(check_database_file("sqlite::memory:", false).is_ok());
    }

    #[tokio::test]
    async fn a_sound_database_of_either_backend_passes_both_checks_and_takes_a_probe() {
        let (store, _dir) = crate::store::test_store().await;
        store.probe_writes().await.unwrap();
        store.cheap_check().await.unwrap();
        assert_eq!(store.full_check().await.unwrap(), None);
        if store.is_postgres() {
            let refused = store.backup_to(Path::new("/tmp/never.db")).await.unwrap_err();
            assert!(refused.to_string().contains("pg_dump"), "{refused}");
        }
    }

    #[tokio::test]
    async fn a_sound_database_passes_both_checks_and_takes_a_probe_and_a_backup() {
        let (store, dir) = crate::store::sqlite_test_store().await;
        store.probe_writes().await.unwrap();
        store.cheap_check().await.unwrap();
        assert_eq!(store.full_check().await.unwrap(), None);
        let copy = dir.path().join("copy.db");
        store.backup_to(&copy).await.unwrap();
        let url = format!("sqlite://{}", copy.display());
        assert!(check_database_file(&url, false).is_ok());
        let restored = Store::connect(&url).await.unwrap();
        assert!(restored.schema_is_current().await.unwrap(), "the copy is a whole database");
    }

    /// A database capped a few pages above its size stands in for a disk that fills up.
    #[tokio::test]
    async fn writes_fail_while_the_database_is_full_and_succeed_again_once_there_is_room() {
        let (store, dir) = crate::store::sqlite_test_store().await;
        sql::query("CREATE TABLE ballast (data BLOB)").execute(store.pool()).await.unwrap();
        let pages: i64 = sql::query_scalar("PRAGMA page_count").fetch_one(store.pool()).await.unwrap();
        let url = format!("sqlite://{}", dir.path().join("test.db").display());
        let capped = super::super::sqlite_options(&url).unwrap().pragma("max_page_count", (pages + 40).to_string());
        let full = Store::open_sqlite(capped, 2).await.unwrap();

        let mut refused = None;
        for _ in 0..100 {
            if let Err(error) = write_ballast(&full, 64 * 1024).await {
                refused = Some(error);
                break;
            }
        }
        let refused = refused.expect("the capped database fills up");
        assert_eq!(StorageFault::of(&refused), Some(StorageFault::DiskFull), "{refused}");
        for _ in 0..5 {
            assert!(write_ballast(&full, 64 * 1024).await.is_err(), "still full");
        }

        sql::query("DELETE FROM ballast").execute(full.pool()).await.unwrap();
        for _ in 0..5 {
            write_ballast(&full, 1024).await.expect("every connection writes again once there is room");
            full.probe_writes().await.unwrap();
        }
    }

    async fn write_ballast(store: &Store, bytes: i64) -> StoreResult<()> {
        let mut tx = store.begin_write().await?;
        sql::query("INSERT INTO ballast (data) VALUES (zeroblob($1))").bind(bytes).execute(&mut tx).await?;
        tx.commit().await
    }

    #[test]
    fn a_lost_pool_is_a_storage_fault_and_a_missing_row_is_not() {
        assert_eq!(StorageFault::of(&sqlx::Error::PoolTimedOut), Some(StorageFault::Unreachable));
        assert_eq!(StorageFault::of(&sqlx::Error::RowNotFound), None);
        let wrapped = anyhow::Error::new(sqlx::Error::PoolClosed).context("subscribing");
        assert_eq!(StorageFault::in_chain(&wrapped), Some(StorageFault::Unreachable));
    }
}
