//! What the store can tell of its own health, and how it keeps it: a database file that is empty
//! or no database at all is refused before anything touches it; a write probe says whether the
//! disk takes writes; integrity checks, cheap and full; consistent online backups; and which
//! failures are the storage's (a full disk, a read-only file, a damaged page) rather than kabar's.

use std::path::{Path, PathBuf};

use super::{Store, StoreResult};
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

/// Whether `error` is the storage failing (a full disk, a read-only or damaged file, no
/// connection to be had) rather than a mistake of kabar's: worth a 503 and a retry later.
pub fn is_storage_fault(error: &sqlx::Error) -> bool {
    /// SQLite's primary result codes of storage trouble: BUSY, LOCKED, READONLY, IOERR,
    /// CORRUPT, FULL, CANTOPEN, NOTADB.
    const STORAGE_CODES: [i64; 8] = [5, 6, 8, 10, 11, 13, 14, 26];
    match error {
        sqlx::Error::Database(database) => database
            .code()
            .and_then(|code| code.parse::<i64>().ok())
            .is_some_and(|code| STORAGE_CODES.contains(&(code & 0xff))),
        sqlx::Error::Io(_) | sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed | sqlx::Error::WorkerCrashed => true,
        _ => false,
    }
}

impl Store {
    /// Writes one row and commits: an error when the disk does not take writes now.
    pub async fn probe_write(&self) -> StoreResult<()> {
        let mut tx = self.begin_write().await?;
        sqlx::query("INSERT INTO health_probe (id, written_at) VALUES (1, ?1) ON CONFLICT (id) DO UPDATE SET written_at = ?1")
            .bind(now_ms())
            .execute(&mut *tx)
            .await?;
        tx.commit().await
    }

    /// A cheap look at the database's integrity: the schema and the first page of every table
    /// can be read. Fast whatever the size; [`Store::full_check`] reads everything.
    pub async fn cheap_check(&self) -> StoreResult<()> {
        let tables: Vec<String> =
            sqlx::query_scalar("SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")
                .fetch_all(&self.pool)
                .await?;
        for table in tables {
            sqlx::query(&format!("SELECT * FROM \"{}\" LIMIT 1", table.replace('"', "\"\"")))
                .fetch_optional(&self.pool)
                .await?;
        }
        Ok(())
    }

    /// SQLite's `quick_check` of every page: None when the database is sound, else its first
    /// finding. Seconds on a large database; run it in the background.
    pub async fn full_check(&self) -> StoreResult<Option<String>> {
        let findings: Vec<String> = sqlx::query_scalar("PRAGMA quick_check(1)").fetch_all(&self.pool).await?;
        Ok(findings.into_iter().find(|finding| finding != "ok"))
    }

    /// Writes a consistent copy of the whole database to `file`, while kabar runs. The file
    /// must not exist yet.
    pub async fn backup_to(&self, file: &Path) -> StoreResult<()> {
        sqlx::query("VACUUM INTO ?1").bind(file.to_string_lossy().into_owned()).execute(&self.pool).await.map(|_| ())
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
    async fn a_sound_database_passes_both_checks_and_takes_a_probe_and_a_backup() {
        let (store, dir) = crate::store::test_store().await;
        store.probe_write().await.unwrap();
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
        let (store, dir) = crate::store::test_store().await;
        sqlx::query("CREATE TABLE ballast (data BLOB)").execute(store.pool()).await.unwrap();
        let pages: i64 = sqlx::query_scalar("PRAGMA page_count").fetch_one(store.pool()).await.unwrap();
        let url = format!("sqlite://{}", dir.path().join("test.db").display());
        let capped = super::super::connect_options(&url).unwrap().pragma("max_page_count", (pages + 40).to_string());
        let full = Store::open(capped, 2).await.unwrap();

        let mut refused = None;
        for _ in 0..100 {
            if let Err(error) = write_ballast(&full, 64 * 1024).await {
                refused = Some(error);
                break;
            }
        }
        let refused = refused.expect("the capped database fills up");
        assert!(is_storage_fault(&refused), "{refused}");
        for _ in 0..5 {
            assert!(write_ballast(&full, 64 * 1024).await.is_err(), "still full");
        }

        sqlx::query("DELETE FROM ballast").execute(full.pool()).await.unwrap();
        for _ in 0..5 {
            write_ballast(&full, 1024).await.expect("every connection writes again once there is room");
            full.probe_write().await.unwrap();
        }
    }

    async fn write_ballast(store: &Store, bytes: i64) -> StoreResult<()> {
        let mut tx = store.begin_write().await?;
        sqlx::query("INSERT INTO ballast (data) VALUES (zeroblob(?1))").bind(bytes).execute(&mut *tx).await?;
        tx.commit().await
    }

    #[test]
    fn full_disks_and_read_only_files_are_storage_faults() {
        assert!(is_storage_fault(&sqlx::Error::PoolTimedOut));
        assert!(!is_storage_fault(&sqlx::Error::RowNotFound));
    }
}
