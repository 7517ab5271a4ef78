//! The `channels` table and who follows what: `follows`, and the channels of each article.

use super::{
    Store, StoreResult,
    sql::{self, Transaction},
};
use crate::{
    config::ChannelSettings,
    domain::{ChannelRecord, ChannelRef, now_ms},
};

impl Store {
    /// Makes the `channels` table hold the config's channels, in the config's order. Channels
    /// made from categories stay; configured ones no longer in the file are removed.
    pub async fn sync_config_channels(&self, channels: &[ChannelSettings]) -> StoreResult<()> {
        let mut tx = self.begin_write().await?;
        for (position, channel) in channels.iter().enumerate() {
            let names = serde_json::to_string(&channel.names).unwrap_or_else(|_| "{}".into());
            sql::query(
                "INSERT INTO channels (slug, name, localized_names, origin, is_default, position, created_at)
                 VALUES ($1, $2, $3, 'config', $4, $5, $6)
                 ON CONFLICT (slug) DO UPDATE SET name = excluded.name, localized_names = excluded.localized_names,
                     origin = 'config', is_default = excluded.is_default, position = excluded.position",
            )
            .bind(&channel.slug)
            .bind(&channel.name)
            .bind(names)
            .bind(channel.default)
            .bind(position as i64)
            .bind(now_ms())
            .execute(&mut tx)
            .await?;
        }
        let kept = serde_json::to_string(&channels.iter().map(|c| &c.slug).collect::<Vec<_>>()).unwrap_or_default();
        let removed = format!(
            "SELECT id FROM channels WHERE origin = 'config' AND slug NOT IN ({})",
            tx.dialect().json_texts("$1")
        );
        // Readers who followed only removed channels would get nothing, without being told:
        // they follow everything again.
        sql::query(&format!(
            "UPDATE subscribers SET all_channels = TRUE WHERE all_channels = FALSE
               AND id IN (SELECT subscriber_id FROM follows WHERE channel_id IN ({removed}))
               AND NOT EXISTS (SELECT 1 FROM follows f WHERE f.subscriber_id = subscribers.id
                               AND f.channel_id NOT IN ({removed}))"
        ))
        .bind(&kept)
        .execute(&mut tx)
        .await?;
        sql::query(&format!("DELETE FROM channels WHERE id IN ({removed})")).bind(&kept).execute(&mut tx).await?;
        tx.commit().await
    }

    /// Every channel: the configured ones in their order, then those made from categories by name.
    pub async fn channels(&self) -> StoreResult<Vec<ChannelRecord>> {
        sql::query_as(
            "SELECT id, slug, name, localized_names, is_default FROM channels
             ORDER BY origin = 'category', position, lower(name)",
        )
        .fetch_all(&self.pool)
        .await
    }

    /// The ids of the channels a subscriber follows one by one (empty when it follows all).
    pub async fn followed_channels(&self, subscriber_id: i64) -> StoreResult<Vec<i64>> {
        sql::query_scalar("SELECT channel_id FROM follows WHERE subscriber_id = $1")
            .bind(subscriber_id)
            .fetch_all(&self.pool)
            .await
    }

    /// Follows or unfollows one channel. A subscriber following everything switches to
    /// following every channel but this one.
    pub async fn toggle_follow(&self, subscriber_id: i64, channel_id: i64) -> StoreResult<()> {
        let mut tx = self.begin_write().await?;
        let follows_all: bool = sql::query_scalar("SELECT all_channels FROM subscribers WHERE id = $1")
            .bind(subscriber_id)
            .fetch_one(&mut tx)
            .await?;
        if follows_all {
            sql::query(
                "INSERT INTO follows (subscriber_id, channel_id) SELECT $1, id FROM channels WHERE id != $2
                 ON CONFLICT DO NOTHING",
            )
            .bind(subscriber_id)
            .bind(channel_id)
            .execute(&mut tx)
            .await?;
            set_follows_all(&mut tx, subscriber_id, false).await?;
        } else {
            let removed = sql::query("DELETE FROM follows WHERE subscriber_id = $1 AND channel_id = $2")
                .bind(subscriber_id)
                .bind(channel_id)
                .execute(&mut tx)
                .await?;
            if removed == 0 {
                sql::query("INSERT INTO follows (subscriber_id, channel_id) SELECT $1, id FROM channels WHERE id = $2 ON CONFLICT DO NOTHING")
                    .bind(subscriber_id)
                    .bind(channel_id)
                    .execute(&mut tx)
                    .await?;
            }
        }
        tx.commit().await
    }

    /// Follows every channel, including ones added later (true), or none (false).
    pub async fn follow_all(&self, subscriber_id: i64, all: bool) -> StoreResult<()> {
        let mut tx = self.begin_write().await?;
        sql::query("DELETE FROM follows WHERE subscriber_id = $1").bind(subscriber_id).execute(&mut tx).await?;
        set_follows_all(&mut tx, subscriber_id, all).await?;
        tx.commit().await
    }
}

async fn set_follows_all(tx: &mut Transaction, subscriber_id: i64, all: bool) -> StoreResult<()> {
    sql::query("UPDATE subscribers SET all_channels = $2, updated_at = $3 WHERE id = $1")
        .bind(subscriber_id)
        .bind(all)
        .bind(now_ms())
        .execute(&mut *tx)
        .await
        .map(|_| ())
}

/// A new subscriber follows the default channels when the operator marked any, else everything.
pub(super) async fn follow_defaults(tx: &mut Transaction, subscriber_id: i64) -> StoreResult<()> {
    let followed = sql::query(
        "INSERT INTO follows (subscriber_id, channel_id) SELECT $1, id FROM channels WHERE is_default = TRUE ON CONFLICT DO NOTHING",
    )
    .bind(subscriber_id)
    .execute(&mut *tx)
    .await?;
    set_follows_all(tx, subscriber_id, followed == 0).await
}

/// Files an article under its channels, creating those made from categories (up to `max_made`
/// of them in all; past that, a new category is left out).
pub(super) async fn file_article(
    tx: &mut Transaction,
    article_id: i64,
    channels: &[ChannelRef],
    max_made: usize,
) -> StoreResult<()> {
    for channel in channels {
        if let ChannelRef::FromCategory { slug, name } = channel {
            sql::query(
                "INSERT INTO channels (slug, name, origin, created_at)
                 SELECT $1, $2, 'category', $3
                 WHERE (SELECT COUNT(*) FROM channels WHERE origin = 'category') < $4
                 ON CONFLICT (slug) DO NOTHING",
            )
            .bind(slug)
            .bind(name)
            .bind(now_ms())
            .bind(max_made as i64)
            .execute(&mut *tx)
            .await?;
        }
        sql::query("INSERT INTO article_channels (article_id, channel_id) SELECT $1, id FROM channels WHERE slug = $2 ON CONFLICT DO NOTHING")
            .bind(article_id)
            .bind(channel.slug())
            .execute(&mut *tx)
            .await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{
        domain::{NewSubscriber, Recipient},
        store::test_store,
    };

    fn channel(slug: &str, default: bool) -> ChannelSettings {
        ChannelSettings {
            slug: slug.into(),
            name: slug.to_uppercase(),
            names: Default::default(),
            categories: Vec::new(),
            sources: Vec::new(),
            default,
        }
    }

    async fn reader(store: &Store, chat_id: i64) -> i64 {
        store.subscribe(&NewSubscriber::private(Recipient::telegram(chat_id))).await.unwrap();
        store.subscriber(&Recipient::telegram(chat_id)).await.unwrap().unwrap().id
    }

    #[tokio::test]
    async fn unfollowing_one_channel_of_all_keeps_the_others() {
        let (store, _dir) = test_store().await;
        store.sync_config_channels(&[channel("a", false), channel("b", false), channel("c", false)]).await.unwrap();
        let id = reader(&store, 1).await;
        assert!(store.subscriber(&Recipient::telegram(1)).await.unwrap().unwrap().all_channels);
        let b = store.channels().await.unwrap()[1].id;
        store.toggle_follow(id, b).await.unwrap();
        let mut followed = store.followed_channels(id).await.unwrap();
        followed.sort();
        let all: Vec<i64> = store.channels().await.unwrap().iter().map(|c| c.id).filter(|&c| c != b).collect();
        assert_eq!(followed, all);
        store.toggle_follow(id, b).await.unwrap();
        assert_eq!(store.followed_channels(id).await.unwrap().len(), 3, "tapped again, followed again");
    }

    #[tokio::test]
    async fn a_removed_channel_leaves_its_only_followers_following_everything() {
        let (store, _dir) = test_store().await;
        store.sync_config_channels(&[channel("a", true), channel("b", false)]).await.unwrap();
        let id = reader(&store, 1).await;
        assert!(
            !store.subscriber(&Recipient::telegram(1)).await.unwrap().unwrap().all_channels,
            "new readers follow the default"
        );
        store.sync_config_channels(&[channel("b", false)]).await.unwrap();
        assert!(store.subscriber(&Recipient::telegram(1)).await.unwrap().unwrap().all_channels);
        assert!(store.followed_channels(id).await.unwrap().is_empty());
    }

    #[tokio::test]
    async fn channels_made_from_categories_stop_at_the_cap() {
        let (store, _dir) = test_store().await;
        let mut tx = store.begin_write().await.unwrap();
        sql::query("INSERT INTO articles (id, item_key, title, discovered_at) VALUES (1, 'k', 't', 0)")
            .execute(&mut tx)
            .await
            .unwrap();
        let made: Vec<ChannelRef> =
            (0..5).map(|n| ChannelRef::FromCategory { slug: format!("c{n}"), name: format!("C{n}") }).collect();
        file_article(&mut tx, 1, &made, 3).await.unwrap();
        tx.commit().await.unwrap();
        assert_eq!(store.channels().await.unwrap().len(), 3);
    }
}
