//! The `sources` table: watched sites, their poll schedule and their health.

use super::{Store, StoreResult, sql};
use crate::{
    config::SourceSettings,
    domain::{SourceRecord, now_ms},
};

const SOURCE_COLUMNS: &str = "id, name, url, kind, origin, poll_interval_secs, primed, etag, last_modified, \
     consecutive_failures, last_error, next_poll_at, last_polled_at, corrections";

impl Store {
    /// Makes the table match the config: sources are upserted by name, and config sources no
    /// longer listed are disabled (kept, so their history still dedupes). A source whose URL
    /// changed is primed again, so the new feed's backlog is recorded rather than pushed.
    pub async fn sync_config_sources(&self, sources: &[SourceSettings]) -> StoreResult<()> {
        let mut tx = self.begin_write().await?;
        sql::query("UPDATE sources SET enabled = FALSE WHERE origin = 'config'").execute(&mut tx).await?;
        for source in sources {
            sql::query(
                "INSERT INTO sources (name, url, kind, origin, poll_interval_secs, enabled, created_at, corrections)
                 VALUES ($1, $2, $3, 'config', $4, TRUE, $5, $6)
                 ON CONFLICT (name) DO UPDATE SET
                     primed = CASE WHEN sources.url = excluded.url THEN sources.primed ELSE FALSE END,
                     etag = CASE WHEN sources.url = excluded.url THEN sources.etag END,
                     last_modified = CASE WHEN sources.url = excluded.url THEN sources.last_modified END,
                     url = excluded.url, kind = excluded.kind, corrections = excluded.corrections,
                     poll_interval_secs = excluded.poll_interval_secs, enabled = TRUE",
            )
            .bind(&source.name)
            .bind(source.url.as_str())
            .bind(source.kind)
            .bind(source.poll_interval_secs as i64)
            .bind(now_ms())
            .bind(source.corrections)
            .execute(&mut tx)
            .await?;
        }
        tx.commit().await
    }

    /// Adds a source while kabar runs; the watcher polls it at its next tick. A source removed
    /// earlier under the same name comes back (its history still dedupes). False when an
    /// enabled source already has the name.
    pub async fn add_source(&self, source: &SourceSettings) -> StoreResult<bool> {
        let added = sql::query(
            "INSERT INTO sources (name, url, kind, origin, poll_interval_secs, enabled, created_at, corrections)
             VALUES ($1, $2, $3, 'runtime', $4, TRUE, $5, $6)
             ON CONFLICT (name) DO UPDATE SET
                 primed = CASE WHEN sources.url = excluded.url THEN sources.primed ELSE FALSE END,
                 url = excluded.url, kind = excluded.kind, origin = 'runtime', corrections = excluded.corrections,
                 poll_interval_secs = excluded.poll_interval_secs, enabled = TRUE, next_poll_at = 0
             WHERE sources.enabled = FALSE",
        )
        .bind(&source.name)
        .bind(source.url.as_str())
        .bind(source.kind)
        .bind(source.poll_interval_secs as i64)
        .bind(now_ms())
        .bind(source.corrections)
        .execute(&self.pool)
        .await?;
        Ok(added > 0)
    }

    /// Points a source at the feed its page linked to; the old validators no longer apply.
    pub async fn set_source_feed_url(&self, source_id: i64, feed_url: &str) -> StoreResult<()> {
        sql::query("UPDATE sources SET url = $2, etag = NULL, last_modified = NULL WHERE id = $1")
            .bind(source_id)
            .bind(feed_url)
            .execute(&self.pool)
            .await
            .map(|_| ())
    }

    /// Stops watching a source, keeping its articles so they still dedupe. False when no enabled
    /// source has the name.
    pub async fn remove_source(&self, name: &str) -> StoreResult<bool> {
        let removed = sql::query("UPDATE sources SET enabled = FALSE WHERE name = $1 AND enabled = TRUE")
            .bind(name)
            .execute(&self.pool)
            .await?;
        Ok(removed > 0)
    }

    /// Enabled sources whose next poll is due at `now`.
    pub async fn due_sources(&self, now: i64) -> StoreResult<Vec<SourceRecord>> {
        sql::query_as(&format!(
            "SELECT {SOURCE_COLUMNS} FROM sources WHERE enabled = TRUE AND next_poll_at <= $1 ORDER BY next_poll_at"
        ))
        .bind(now)
        .fetch_all(&self.pool)
        .await
    }

    /// Every enabled source, for operators.
    pub async fn enabled_sources(&self) -> StoreResult<Vec<SourceRecord>> {
        sql::query_as(&format!("SELECT {SOURCE_COLUMNS} FROM sources WHERE enabled = TRUE ORDER BY name"))
            .fetch_all(&self.pool)
            .await
    }

    /// A poll worked: the validators for the next conditional GET and the next poll time.
    pub async fn record_poll_success(
        &self,
        source_id: i64,
        etag: Option<&str>,
        last_modified: Option<&str>,
        next_poll_at: i64,
    ) -> StoreResult<()> {
        sql::query(
            "UPDATE sources SET etag = COALESCE($2, etag), last_modified = COALESCE($3, last_modified),
                 last_polled_at = $4, next_poll_at = $5, consecutive_failures = 0, last_error = NULL
             WHERE id = $1",
        )
        .bind(source_id)
        .bind(etag)
        .bind(last_modified)
        .bind(now_ms())
        .bind(next_poll_at)
        .execute(&self.pool)
        .await
        .map(|_| ())
    }

    /// A poll failed: the error stays visible and the next try is pushed back.
    pub async fn record_poll_failure(&self, source_id: i64, error: &str, next_poll_at: i64) -> StoreResult<()> {
        sql::query(
            "UPDATE sources SET last_polled_at = $2, next_poll_at = $3,
                 consecutive_failures = consecutive_failures + 1, last_error = $4
             WHERE id = $1",
        )
        .bind(source_id)
        .bind(now_ms())
        .bind(next_poll_at)
        .bind(error)
        .execute(&self.pool)
        .await
        .map(|_| ())
    }

    /// One source by name, enabled or not.
    pub async fn source(&self, name: &str) -> StoreResult<Option<SourceRecord>> {
        sql::query_as(&format!("SELECT {SOURCE_COLUMNS} FROM sources WHERE name = $1"))
            .bind(name)
            .fetch_optional(&self.pool)
            .await
    }

    /// One enabled source by id.
    pub async fn enabled_source(&self, id: i64) -> StoreResult<Option<SourceRecord>> {
        sql::query_as(&format!("SELECT {SOURCE_COLUMNS} FROM sources WHERE id = $1 AND enabled = TRUE"))
            .bind(id)
            .fetch_optional(&self.pool)
            .await
    }

    /// Makes a source due at once; false when there is no such enabled source.
    pub async fn poll_source_now(&self, name: &str) -> StoreResult<bool> {
        let result = sql::query("UPDATE sources SET next_poll_at = 0 WHERE name = $1 AND enabled = TRUE")
            .bind(name)
            .execute(&self.pool)
            .await?;
        Ok(result > 0)
    }

    /// How many enabled sources are failing right now, for metrics.
    pub async fn count_failing_sources(&self) -> StoreResult<i64> {
        sql::query_scalar("SELECT COUNT(*) FROM sources WHERE enabled = TRUE AND consecutive_failures > 0")
            .fetch_one(&self.pool)
            .await
    }
}
