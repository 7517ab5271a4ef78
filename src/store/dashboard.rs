//! The `dashboard_sessions` and `login_attempts` tables: who is signed in to the dashboard, and
//! how often each client address tried to sign in lately. Session ids reach this table only as
//! digests, so the table holds no usable cookie.

use super::{Store, StoreResult, sql};

impl Store {
    /// Opens a session, and forgets the sessions that have expired.
    pub async fn open_dashboard_session(
        &self,
        id_digest: &str,
        csrf: &str,
        expires_at: i64,
        now: i64,
    ) -> StoreResult<()> {
        let mut tx = self.begin_write().await?;
        sql::query("DELETE FROM dashboard_sessions WHERE expires_at <= $1").bind(now).execute(&mut tx).await?;
        sql::query("INSERT INTO dashboard_sessions (id_digest, csrf, expires_at) VALUES ($1, $2, $3)")
            .bind(id_digest)
            .bind(csrf)
            .bind(expires_at)
            .execute(&mut tx)
            .await?;
        tx.commit().await
    }

    /// The CSRF token of the session whose id has digest `id_digest`, unless it expired.
    pub async fn dashboard_session(&self, id_digest: &str, now: i64) -> StoreResult<Option<String>> {
        sql::query_scalar("SELECT csrf FROM dashboard_sessions WHERE id_digest = $1 AND expires_at > $2")
            .bind(id_digest)
            .bind(now)
            .fetch_optional(&self.pool)
            .await
    }

    pub async fn close_dashboard_session(&self, id_digest: &str) -> StoreResult<()> {
        sql::query("DELETE FROM dashboard_sessions WHERE id_digest = $1").bind(id_digest).execute(&self.pool).await?;
        Ok(())
    }

    /// Records a login attempt from `client` and returns how many it made since `since`, this one
    /// included; attempts older than that are forgotten.
    pub async fn count_login_attempt(&self, client: &str, now: i64, since: i64) -> StoreResult<i64> {
        let mut tx = self.begin_write().await?;
        sql::query("DELETE FROM login_attempts WHERE attempted_at < $1").bind(since).execute(&mut tx).await?;
        sql::query("INSERT INTO login_attempts (client, attempted_at) VALUES ($1, $2)")
            .bind(client)
            .bind(now)
            .execute(&mut tx)
            .await?;
        let attempts = sql::query_scalar("SELECT COUNT(*) FROM login_attempts WHERE client = $1")
            .bind(client)
            .fetch_one(&mut tx)
            .await?;
        tx.commit().await?;
        Ok(attempts)
    }
}

#[cfg(test)]
mod tests {
    use crate::store::test_store;

    #[tokio::test]
    async fn a_session_is_found_until_it_expires_or_closes() {
        let (store, _dir) = test_store().await;
        store.open_dashboard_session("aa", "csrf-a", 2_000, 1_000).await.unwrap();
        store.open_dashboard_session("bb", "csrf-b", 5_000, 1_000).await.unwrap();
        assert_eq!(store.dashboard_session("aa", 1_999).await.unwrap().as_deref(), Some("csrf-a"));
        assert_eq!(store.dashboard_session("aa", 2_000).await.unwrap(), None, "expired");
        assert_eq!(store.dashboard_session("cc", 1_000).await.unwrap(), None, "never opened");
        store.close_dashboard_session("bb").await.unwrap();
        assert_eq!(store.dashboard_session("bb", 1_000).await.unwrap(), None, "closed");
    }

    #[tokio::test]
    async fn expired_sessions_are_forgotten_when_another_opens() {
        let (store, _dir) = test_store().await;
        store.open_dashboard_session("old", "x", 2_000, 1_000).await.unwrap();
        store.open_dashboard_session("new", "y", 9_000, 3_000).await.unwrap();
        let rows: i64 =
            super::sql::query_scalar("SELECT COUNT(*) FROM dashboard_sessions").fetch_one(store.pool()).await.unwrap();
        assert_eq!(rows, 1);
    }

    #[tokio::test]
    async fn login_attempts_are_counted_per_client_within_the_window() {
        let (store, _dir) = test_store().await;
        for now in [1_000, 2_000, 3_000] {
            store.count_login_attempt("10.0.0.1", now, now - 60_000).await.unwrap();
        }
        assert_eq!(store.count_login_attempt("10.0.0.2", 4_000, -56_000).await.unwrap(), 1, "another address");
        assert_eq!(store.count_login_attempt("10.0.0.1", 5_000, -55_000).await.unwrap(), 4);
        assert_eq!(store.count_login_attempt("10.0.0.1", 62_500, 2_500).await.unwrap(), 3, "older ones forgotten");
    }
}
