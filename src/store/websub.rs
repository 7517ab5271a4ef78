//! The `websub_subscriptions` table: one hub subscription per source.

use sqlx::FromRow;

use super::{Store, StoreResult, now_ms};

/// A source's subscription at its hub.
#[derive(Debug, Clone, FromRow)]
pub struct WebSubSubscription {
    pub source_id: i64,
    pub hub: String,
    pub topic: String,
    pub secret: String,
    pub state: String,
    pub lease_until: Option<i64>,
    pub updated_at: i64,
}

impl Store {
    /// The subscription of a source, if one was ever requested.
    pub async fn websub_subscription(&self, source_id: i64) -> StoreResult<Option<WebSubSubscription>> {
        sqlx::query_as(
            "SELECT source_id, hub, topic, secret, state, lease_until, updated_at FROM websub_subscriptions WHERE source_id = ?1",
        )
        .bind(source_id)
        .fetch_optional(&self.pool)
        .await
    }

    /// Records a subscription request with its new secret, replacing an older one.
    pub async fn websub_requested(&self, source_id: i64, hub: &str, topic: &str, secret: &str) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO websub_subscriptions (source_id, hub, topic, secret, state, updated_at)
             VALUES (?1, ?2, ?3, ?4, 'requested', ?5)
             ON CONFLICT (source_id) DO UPDATE SET hub = excluded.hub, topic = excluded.topic,
                 secret = excluded.secret, state = 'requested', updated_at = excluded.updated_at",
        )
        .bind(source_id)
        .bind(hub)
        .bind(topic)
        .bind(secret)
        .bind(now_ms())
        .execute(&self.pool)
        .await
        .map(|_| ())
    }

    /// The hub verified our intent (`lease_until` set) or denied the subscription.
    pub async fn websub_settled(&self, source_id: i64, state: &str, lease_until: Option<i64>) -> StoreResult<()> {
        sqlx::query(
            "UPDATE websub_subscriptions SET state = ?2, lease_until = ?3, updated_at = ?4 WHERE source_id = ?1",
        )
        .bind(source_id)
        .bind(state)
        .bind(lease_until)
        .bind(now_ms())
        .execute(&self.pool)
        .await
        .map(|_| ())
    }
}
