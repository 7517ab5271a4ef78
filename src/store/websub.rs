//! The `websub_subscriptions` table: one hub subscription per source.

use super::{Store, StoreResult, sql};
use crate::domain::{WebSubState, WebSubSubscription, now_ms};

impl Store {
    /// The subscription of a source, if one was ever requested.
    pub async fn websub_subscription(&self, source_id: i64) -> StoreResult<Option<WebSubSubscription>> {
        sql::query_as(
            "SELECT source_id, hub, topic, secret, state, lease_until, updated_at FROM websub_subscriptions WHERE source_id = $1",
        )
        .bind(source_id)
        .fetch_optional(&self.pool)
        .await
    }

    /// Records a subscription request with its new secret, replacing an older one.
    pub async fn websub_requested(&self, source_id: i64, hub: &str, topic: &str, secret: &str) -> StoreResult<()> {
        sql::query(
            "INSERT INTO websub_subscriptions (source_id, hub, topic, secret, state, updated_at)
             VALUES ($1, $2, $3, $4, $6, $5)
             ON CONFLICT (source_id) DO UPDATE SET hub = excluded.hub, topic = excluded.topic,
                 secret = excluded.secret, state = excluded.state, updated_at = excluded.updated_at",
        )
        .bind(source_id)
        .bind(hub)
        .bind(topic)
        .bind(secret)
        .bind(now_ms())
        .bind(WebSubState::Requested)
        .execute(&self.pool)
        .await
        .map(|_| ())
    }

    /// The hub verified our intent (`lease_until` set) or denied the subscription.
    pub async fn websub_settled(
        &self,
        source_id: i64,
        state: WebSubState,
        lease_until: Option<i64>,
    ) -> StoreResult<()> {
        sql::query("UPDATE websub_subscriptions SET state = $2, lease_until = $3, updated_at = $4 WHERE source_id = $1")
            .bind(source_id)
            .bind(state)
            .bind(lease_until)
            .bind(now_ms())
            .execute(&self.pool)
            .await
            .map(|_| ())
    }
}
