//! The `inbound_updates` table: updates received, polled or by webhook, waiting to be handled.

use super::{Store, StoreResult, sql};
use crate::domain::now_ms;

impl Store {
    /// Keeps updates received, all or none; an update received twice is kept once.
    pub async fn store_updates(&self, updates: &[(i64, String)]) -> StoreResult<()> {
        let mut tx = self.begin_write().await?;
        let received_at = now_ms();
        for (update_id, body) in updates {
            sql::query(
                "INSERT INTO inbound_updates (update_id, body, received_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
            )
            .bind(update_id)
            .bind(body)
            .bind(received_at)
            .execute(&mut tx)
            .await?;
        }
        tx.commit().await
    }

    /// The oldest updates waiting, in Telegram's order, at most `limit`.
    pub async fn waiting_updates(&self, limit: i64) -> StoreResult<Vec<(i64, String)>> {
        sql::query_as("SELECT update_id, body FROM inbound_updates ORDER BY update_id LIMIT $1")
            .bind(limit)
            .fetch_all(&self.pool)
            .await
    }

    /// Forgets an update once it is handled.
    pub async fn forget_update(&self, update_id: i64) -> StoreResult<()> {
        sql::query("DELETE FROM inbound_updates WHERE update_id = $1")
            .bind(update_id)
            .execute(&self.pool)
            .await
            .map(|_| ())
    }
}
