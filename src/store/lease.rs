//! The `leader_lease` table: which instance does the work that must happen once, and in which
//! term (epoch).

use super::{Store, StoreResult, sql};

impl Store {
    /// Takes or renews the lease for `holder` until `now + ttl_ms`, unless another holder's lease
    /// is still running. Returns the term's epoch: the same while `holder` keeps renewing in
    /// time, a new one whenever the lease changes hands or lapsed in between. None while
    /// another instance holds it.
    pub async fn hold_lease(&self, holder: &str, now: i64, ttl_ms: i64) -> StoreResult<Option<i64>> {
        sql::query_scalar(
            "INSERT INTO leader_lease (id, holder, epoch, expires_at) VALUES (1, $1, 1, $2 + $3)
             ON CONFLICT (id) DO UPDATE SET
                 epoch = CASE WHEN leader_lease.holder = excluded.holder AND leader_lease.expires_at > $2
                              THEN leader_lease.epoch ELSE leader_lease.epoch + 1 END,
                 holder = excluded.holder,
                 expires_at = excluded.expires_at
             WHERE leader_lease.holder = excluded.holder OR leader_lease.expires_at <= $2
             RETURNING epoch",
        )
        .bind(holder)
        .bind(now)
        .bind(ttl_ms)
        .fetch_optional(&self.pool)
        .await
    }

    /// Who holds the lease, or last held it.
    pub async fn lease_holder(&self) -> StoreResult<Option<String>> {
        sql::query_scalar("SELECT holder FROM leader_lease WHERE id = 1").fetch_optional(&self.pool).await
    }

    /// Ends `holder`'s lease at once, so that a standby need not wait for it to expire.
    pub async fn give_up_lease(&self, holder: &str) -> StoreResult<()> {
        sql::query("UPDATE leader_lease SET expires_at = 0 WHERE holder = $1").bind(holder).execute(&self.pool).await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use crate::store::test_store;

    const TTL: i64 = 15_000;

    #[tokio::test]
    async fn one_holder_at_a_time_and_a_new_epoch_for_each_term() {
        let (store, _dir) = test_store().await;
        assert_eq!(store.hold_lease("a", 1_000, TTL).await.unwrap(), Some(1));
        assert_eq!(store.hold_lease("b", 2_000, TTL).await.unwrap(), None, "a's lease runs");
        assert_eq!(store.hold_lease("a", 10_000, TTL).await.unwrap(), Some(1), "renewed in time: the same term");
        assert_eq!(store.hold_lease("b", 24_000, TTL).await.unwrap(), None, "renewed until 25 000");
        assert_eq!(store.hold_lease("b", 25_000, TTL).await.unwrap(), Some(2), "expired: b takes over");
        assert_eq!(store.hold_lease("a", 26_000, TTL).await.unwrap(), None, "a learns its term ended");
    }

    #[tokio::test]
    async fn a_holder_renewing_after_its_lease_lapsed_starts_a_new_term() {
        let (store, _dir) = test_store().await;
        assert_eq!(store.hold_lease("a", 0, TTL).await.unwrap(), Some(1));
        assert_eq!(store.hold_lease("a", 20_000, TTL).await.unwrap(), Some(2));
    }

    #[tokio::test]
    async fn a_lease_given_up_is_taken_at_once() {
        let (store, _dir) = test_store().await;
        store.hold_lease("a", 1_000, TTL).await.unwrap();
        store.give_up_lease("b").await.unwrap();
        assert_eq!(store.hold_lease("b", 1_001, TTL).await.unwrap(), None, "only the holder gives it up");
        store.give_up_lease("a").await.unwrap();
        assert_eq!(store.hold_lease("b", 1_002, TTL).await.unwrap(), Some(2));
    }
}
