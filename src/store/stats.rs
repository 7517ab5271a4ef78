//! What operators read out of the database as a whole: the counts behind `kabar stats` and the
//! metrics, the checks `/readyz` makes, and the subscriber export, read in id batches.

use std::collections::BTreeMap;

use super::{Store, StoreResult, sql};
use crate::domain::{
    Priority, QueueDepth, Stats, SubscriberCounts, now_ms,
    stats::{
        ArticleStats, BroadcastStats, ChannelStats, DeliveryStats, ExportedSubscriber, SourceStats, SubscriberStats,
    },
};

/// "Recent" in every count below: the last 24 hours.
const DAY_MS: i64 = 24 * 60 * 60 * 1000;

impl Store {
    /// Every count of `kabar stats`, "recent" meaning the last 24 hours.
    pub async fn stats(&self) -> StoreResult<Stats> {
        let since = now_ms() - DAY_MS;
        Ok(Stats {
            subscribers: self.subscriber_stats().await?,
            channels: self.channel_stats().await?,
            sources: self.source_stats().await?,
            articles: self.article_stats(since).await?,
            broadcasts: self.broadcast_stats(since).await?,
            deliveries: self.delivery_stats(since).await?,
        })
    }

    /// Active and inactive subscribers.
    pub async fn subscriber_counts(&self) -> StoreResult<SubscriberCounts> {
        sql::query_as(
            "SELECT COUNT(*) FILTER (WHERE active) AS active, COUNT(*) FILTER (WHERE NOT active) AS inactive FROM subscribers",
        )
        .fetch_one(&self.pool)
        .await
    }

    /// Pending deliveries by priority.
    pub async fn pending_by_priority(&self) -> StoreResult<QueueDepth> {
        let rows: Vec<(Priority, i64)> =
            sql::query_as("SELECT priority, COUNT(*) FROM deliveries WHERE status = 'pending' GROUP BY priority")
                .fetch_all(&self.pool)
                .await?;
        let mut depth = QueueDepth::default();
        for (priority, count) in rows {
            depth.add(priority, count);
        }
        Ok(depth)
    }

    /// Whether the newest migration this binary carries has been applied.
    pub async fn schema_is_current(&self) -> StoreResult<bool> {
        let newest = self.migrator().iter().map(|m| m.version).max().unwrap_or_default();
        let applied: Option<i64> = sql::query_scalar("SELECT MAX(version) FROM _sqlx_migrations WHERE success = TRUE")
            .fetch_one(&self.pool)
            .await?;
        Ok(applied.is_some_and(|applied| applied >= newest))
    }

    /// Reads the head of the outbox the way the delivery workers do; an error when it cannot.
    pub async fn outbox_is_readable(&self) -> StoreResult<()> {
        sql::query_scalar::<i64>("SELECT id FROM deliveries WHERE status = 'pending' ORDER BY priority, due_at LIMIT 1")
            .fetch_optional(&self.pool)
            .await
            .map(|_| ())
    }

    /// Up to `limit` subscribers with a row id above `after_id`, in id order: an export reads the
    /// table batch by batch, so memory stays flat however many there are.
    pub async fn subscribers_after(&self, after_id: i64, limit: i64) -> StoreResult<Vec<ExportedSubscriber>> {
        sql::query_as(
            "SELECT id, platform, address, kind, username, display_name, language, active, inactive_reason,
                    delivery_mode, quiet_hours, timezone, subscribed_at
             FROM subscribers WHERE id > $1 ORDER BY id LIMIT $2",
        )
        .bind(after_id)
        .bind(limit)
        .fetch_all(&self.pool)
        .await
    }

    /// Subscribers by state, reason, language, delivery mode and platform.
    pub async fn subscriber_stats(&self) -> StoreResult<SubscriberStats> {
        let counts = self.subscriber_counts().await?;
        let grouped =
            |sql: &'static str| async move { sql::query_as::<(Option<String>, i64)>(sql).fetch_all(&self.pool).await };
        let reasons =
            grouped("SELECT inactive_reason, COUNT(*) FROM subscribers WHERE active = FALSE GROUP BY 1").await?;
        let languages = grouped("SELECT language, COUNT(*) FROM subscribers WHERE active = TRUE GROUP BY 1").await?;
        let modes = grouped("SELECT delivery_mode, COUNT(*) FROM subscribers WHERE active = TRUE GROUP BY 1").await?;
        let platforms = grouped("SELECT platform, COUNT(*) FROM subscribers WHERE active = TRUE GROUP BY 1").await?;
        Ok(SubscriberStats {
            active: counts.active,
            inactive: counts.inactive,
            following_all: self.count_following_all().await?,
            by_platform: tally(platforms, "unknown"),
            inactive_by_reason: tally(reasons, "unknown"),
            by_language: tally(languages, self.defaults.language.as_str()),
            by_delivery_mode: tally(modes, "instant"),
        })
    }

    async fn count_following_all(&self) -> StoreResult<i64> {
        sql::query_scalar("SELECT COUNT(*) FROM subscribers WHERE active = TRUE AND all_channels = TRUE")
            .fetch_one(&self.pool)
            .await
    }

    /// Every channel with its active followers: those who chose it, and those who follow all.
    pub async fn channel_stats(&self) -> StoreResult<Vec<ChannelStats>> {
        let follow_everything = self.count_following_all().await?;
        let one_by_one: Vec<ChannelStats> = sql::query_as(
            "SELECT c.slug, c.name, COUNT(s.id) AS followers FROM channels c
             LEFT JOIN follows f ON f.channel_id = c.id
             LEFT JOIN subscribers s ON s.id = f.subscriber_id AND s.active = TRUE AND s.all_channels = FALSE
             GROUP BY c.id ORDER BY c.origin = 'category', c.position, lower(c.name)",
        )
        .fetch_all(&self.pool)
        .await?;
        Ok(one_by_one
            .into_iter()
            .map(|channel| ChannelStats { followers: channel.followers + follow_everything, ..channel })
            .collect())
    }

    async fn source_stats(&self) -> StoreResult<SourceStats> {
        let (total, failing): (i64, i64) = sql::query_as(
            "SELECT COUNT(*), COUNT(*) FILTER (WHERE consecutive_failures > 0) FROM sources WHERE enabled = TRUE",
        )
        .fetch_one(&self.pool)
        .await?;
        Ok(SourceStats { total, failing })
    }

    async fn article_stats(&self, since: i64) -> StoreResult<ArticleStats> {
        let (total, pushed_last_24h): (i64, i64) = sql::query_as(
            "SELECT COUNT(*), COUNT(*) FILTER (WHERE pushed = TRUE AND discovered_at >= $1) FROM articles",
        )
        .bind(since)
        .fetch_one(&self.pool)
        .await?;
        Ok(ArticleStats { total, pushed_last_24h })
    }

    async fn broadcast_stats(&self, since: i64) -> StoreResult<BroadcastStats> {
        let by_kind: Vec<(Option<String>, i64)> = sql::query_as(
            "SELECT kind, COUNT(*) FROM broadcasts
             WHERE created_at >= $1 AND status NOT IN ('draft', 'discarded') GROUP BY kind",
        )
        .bind(since)
        .fetch_all(&self.pool)
        .await?;
        let last_24h_by_kind = tally(by_kind, "unknown");
        Ok(BroadcastStats { last_24h: last_24h_by_kind.values().sum(), last_24h_by_kind })
    }

    async fn delivery_stats(&self, since: i64) -> StoreResult<DeliveryStats> {
        let (sent_last_24h, failed_last_24h): (i64, i64) = sql::query_as(
            "SELECT COUNT(*) FILTER (WHERE d.status = 'sent'), COUNT(*) FILTER (WHERE d.status = 'failed')
             FROM broadcasts b JOIN deliveries d ON d.broadcast_id = b.id WHERE b.created_at >= $1",
        )
        .bind(since)
        .fetch_one(&self.pool)
        .await?;
        Ok(DeliveryStats { pending: self.pending_by_priority().await?, sent_last_24h, failed_last_24h })
    }
}

/// Counts by key, rows without a key counted under `missing`.
fn tally(rows: Vec<(Option<String>, i64)>, missing: &str) -> BTreeMap<String, i64> {
    let mut counts = BTreeMap::new();
    for (key, count) in rows {
        *counts.entry(key.unwrap_or_else(|| missing.to_owned())).or_default() += count;
    }
    counts
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{
        domain::{BroadcastKind, InactiveReason, NewBroadcast, NewSubscriber, Recipient},
        store::test_store,
    };

    async fn subscribe(store: &Store, chat_id: i64, language: &str) {
        let chat = NewSubscriber {
            app_language: Some(language.into()),
            ..NewSubscriber::private(Recipient::telegram(chat_id))
        };
        store.subscribe(&chat).await.unwrap();
    }

    async fn execute(store: &Store, sql: &str) {
        sql::query(sql).execute(store.pool()).await.unwrap();
    }

    #[tokio::test]
    async fn subscribers_are_counted_by_state_reason_language_and_mode() {
        let (store, _dir) = test_store().await;
        for (chat_id, language) in [(1, "id"), (2, "id"), (3, "en"), (4, "en"), (5, "en")] {
            subscribe(&store, chat_id, language).await;
        }
        store.deactivate(&Recipient::telegram(4), InactiveReason::Blocked).await.unwrap();
        store.deactivate(&Recipient::telegram(5), InactiveReason::Stopped).await.unwrap();
        execute(&store, "UPDATE subscribers SET delivery_mode = 'hourly' WHERE address = '1'").await;

        let subscribers = store.stats().await.unwrap().subscribers;
        assert_eq!((subscribers.active, subscribers.inactive), (3, 2));
        assert_eq!(subscribers.inactive_by_reason, BTreeMap::from([("blocked".into(), 1), ("stopped".into(), 1)]));
        assert_eq!(subscribers.by_language, BTreeMap::from([("en".into(), 1), ("id".into(), 2)]));
        assert_eq!(subscribers.by_delivery_mode, BTreeMap::from([("hourly".into(), 1), ("instant".into(), 2)]));
        assert_eq!(subscribers.by_platform, BTreeMap::from([("telegram".into(), 3)]));
        assert_eq!(subscribers.following_all, 3);
        assert_eq!(store.subscriber_counts().await.unwrap(), SubscriberCounts { active: 3, inactive: 2 });
    }

    #[tokio::test]
    async fn a_channel_counts_its_followers_and_everyone_who_follows_everything() {
        let (store, _dir) = test_store().await;
        for chat_id in 1..=3 {
            subscribe(&store, chat_id, "en").await;
        }
        execute(
            &store,
            "INSERT INTO channels (id, slug, name, origin, created_at) VALUES (7, 'sport', 'Sport', 'config', 0)",
        )
        .await;
        execute(&store, "UPDATE subscribers SET all_channels = FALSE WHERE address IN ('1', '2')").await;
        execute(&store, "INSERT INTO follows SELECT id, 7 FROM subscribers WHERE address = '1'").await;

        let channels = store.stats().await.unwrap().channels;
        assert_eq!(channels.len(), 1);
        assert_eq!((channels[0].slug.as_str(), channels[0].followers), ("sport", 2), "reader 1, and 3 who follows all");
    }

    #[tokio::test]
    async fn the_outbox_is_counted_by_priority_and_recent_means_the_last_day() {
        let (store, _dir) = test_store().await;
        subscribe(&store, 1, "en").await;
        subscribe(&store, 2, "en").await;
        store.create_broadcast(&NewBroadcast::plain(BroadcastKind::Breaking, "now", "test")).await.unwrap();
        let (old, _) =
            store.create_broadcast(&NewBroadcast::plain(BroadcastKind::Article, "old", "test")).await.unwrap();
        sql::query("UPDATE broadcasts SET created_at = $2 WHERE id = $1")
            .bind(old)
            .bind(now_ms() - DAY_MS - 1000)
            .execute(store.pool())
            .await
            .unwrap();
        execute(&store, "UPDATE deliveries SET status = 'sent' WHERE subscriber_id = 1").await;

        let stats = store.stats().await.unwrap();
        assert_eq!(stats.deliveries.pending, QueueDepth { breaking: 1, article: 1, ..QueueDepth::default() });
        assert_eq!(
            (stats.deliveries.sent_last_24h, stats.deliveries.failed_last_24h),
            (1, 0),
            "the old push is left out"
        );
        assert_eq!(stats.broadcasts.last_24h, 1);
        assert_eq!(stats.broadcasts.last_24h_by_kind, BTreeMap::from([("breaking".into(), 1)]));
        assert_eq!(store.pending_by_priority().await.unwrap(), stats.deliveries.pending);
    }

    #[tokio::test]
    async fn the_schema_is_current_only_with_the_newest_migration_applied() {
        let (store, _dir) = test_store().await;
        assert!(store.schema_is_current().await.unwrap());
        store.outbox_is_readable().await.unwrap();
        execute(&store, "DELETE FROM _sqlx_migrations WHERE version = (SELECT MAX(version) FROM _sqlx_migrations)")
            .await;
        assert!(!store.schema_is_current().await.unwrap());
    }

    #[tokio::test]
    async fn subscribers_are_read_batch_by_batch_in_id_order() {
        let (store, _dir) = test_store().await;
        for chat_id in [30, 10, 20] {
            subscribe(&store, chat_id, "en").await;
        }
        let first = store.subscribers_after(0, 2).await.unwrap();
        let rest = store.subscribers_after(first[1].id, 2).await.unwrap();
        let chats: Vec<&str> = first.iter().chain(&rest).map(|s| s.recipient.address.as_str()).collect();
        assert_eq!(chats, ["30", "10", "20"], "subscription order, each once");
        assert!(store.subscribers_after(rest[0].id, 2).await.unwrap().is_empty());
    }
}
