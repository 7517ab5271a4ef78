//! Readers, on any platform: subscribing and unsubscribing, what becomes of chats the platform
//! says are gone or moved, and every preference (channels, language, schedule, keywords).

use std::collections::HashSet;

use super::Services;
use crate::{
    domain::{
        ChannelRecord, ChatKind, InactiveReason, KeywordAdded, KeywordFilter, KeywordKind, Language, NewSubscriber,
        Preference, Recipient, Schedule, SubscribeOutcome, Subscriber,
        stats::{ChannelStats, ExportedSubscriber, SubscriberStats},
    },
    store::StoreResult,
};

/// Readers.
pub struct Readers<'a>(pub(super) &'a Services);

/// The channels a subscriber may follow, and those it follows one by one.
#[derive(Debug, Clone)]
pub struct ChannelChoices {
    pub channels: Vec<ChannelRecord>,
    /// Empty when the subscriber follows everything.
    pub followed: HashSet<i64>,
}

/// Everything about one subscription, for a status message.
#[derive(Debug, Clone)]
pub struct ReaderStatus {
    /// The names of the channels followed one by one, in the reader's language.
    pub followed_names: Vec<String>,
    pub schedule: Schedule,
    pub keywords: KeywordFilter,
}

impl Readers<'_> {
    /// Subscribes a chat, or brings an inactive one back with its old settings.
    pub async fn subscribe(&self, chat: &NewSubscriber) -> StoreResult<SubscribeOutcome> {
        let outcome = self.0.inner.store.subscribe(chat).await?;
        tracing::info!(recipient = %chat.recipient, ?outcome, "subscribe");
        Ok(outcome)
    }

    /// The reader asked to stop; true when they were subscribed.
    pub async fn unsubscribe(&self, recipient: &Recipient) -> StoreResult<bool> {
        let was_active = self.deactivate(recipient, InactiveReason::Stopped).await?;
        tracing::info!(%recipient, was_active, "unsubscribe");
        Ok(was_active)
    }

    /// The chat can no longer receive pushes (blocked, removed, ...); true when it was active.
    pub async fn deactivate(&self, recipient: &Recipient, reason: InactiveReason) -> StoreResult<bool> {
        self.0.inner.store.deactivate(recipient, reason).await
    }

    /// Remembers a group or channel the bot was added to by `added_by`, not subscribed until
    /// one of its admins says so.
    pub async fn note_joined(&self, chat: &NewSubscriber, added_by: i64) -> StoreResult<Subscriber> {
        self.0.inner.store.note_chat_joined(chat, added_by).await
    }

    /// The chat moved to a new address on its platform, as a chat of `kind`: its subscription
    /// and settings follow it.
    pub async fn moved(&self, recipient: &Recipient, new_address: &str, kind: ChatKind) -> StoreResult<()> {
        self.0.inner.store.move_recipient(recipient, new_address, kind).await?;
        tracing::info!(from = %recipient, to = new_address, "a chat moved; its subscription follows it");
        Ok(())
    }

    /// A chat's subscription, active or not.
    pub async fn subscriber(&self, recipient: &Recipient) -> StoreResult<Option<Subscriber>> {
        self.0.inner.store.subscriber(recipient).await
    }

    /// A chat's subscription when it is active.
    pub async fn active_subscriber(&self, recipient: &Recipient) -> StoreResult<Option<Subscriber>> {
        Ok(self.subscriber(recipient).await?.filter(|subscriber| subscriber.active))
    }

    /// The language a chat is spoken to in, when it has one stored.
    pub async fn language_of(&self, recipient: &Recipient) -> StoreResult<Option<Language>> {
        Ok(self.subscriber(recipient).await?.and_then(|subscriber| subscriber.language))
    }

    /// Changes one preference.
    pub async fn set_preference(&self, subscriber_id: i64, preference: &Preference) -> StoreResult<()> {
        self.0.inner.store.set_preference(subscriber_id, preference).await
    }

    /// The subscriber's keywords.
    pub async fn keywords(&self, subscriber_id: i64) -> StoreResult<KeywordFilter> {
        self.0.inner.store.keywords(subscriber_id).await
    }

    /// Adds a keyword (already checked and folded, see [`crate::domain::keywords::keyword`]).
    pub async fn add_keyword(&self, subscriber_id: i64, kind: KeywordKind, word: &str) -> StoreResult<KeywordAdded> {
        self.0.inner.store.add_keyword(subscriber_id, kind, word).await
    }

    /// Removes one keyword (`Some`) or all of them (`None`); returns how many went.
    pub async fn remove_keywords(&self, subscriber_id: i64, word: Option<&str>) -> StoreResult<u64> {
        self.0.inner.store.remove_keywords(subscriber_id, word).await
    }

    /// Every channel, and those the subscriber follows one by one.
    pub async fn channel_choices(&self, subscriber: &Subscriber) -> StoreResult<ChannelChoices> {
        let channels = self.0.inner.store.channels().await?;
        let followed = self.0.inner.store.followed_channels(subscriber.id).await?.into_iter().collect();
        Ok(ChannelChoices { channels, followed })
    }

    /// Follows or unfollows one channel.
    pub async fn toggle_channel(&self, subscriber_id: i64, channel_id: i64) -> StoreResult<()> {
        self.0.inner.store.toggle_follow(subscriber_id, channel_id).await
    }

    /// Follows every channel, including ones added later (true), or none (false).
    pub async fn follow_all(&self, subscriber_id: i64, all: bool) -> StoreResult<()> {
        self.0.inner.store.follow_all(subscriber_id, all).await
    }

    /// What the subscriber follows and how it gets it, names in `language`.
    pub async fn status(&self, subscriber: &Subscriber, language: Language) -> StoreResult<ReaderStatus> {
        let choices = self.channel_choices(subscriber).await?;
        let followed_names = choices
            .channels
            .iter()
            .filter(|channel| choices.followed.contains(&channel.id))
            .map(|channel| channel.name_in(language))
            .collect();
        let schedule = subscriber.schedule(self.0.defaults().zone);
        let keywords = self.keywords(subscriber.id).await?;
        Ok(ReaderStatus { followed_names, schedule, keywords })
    }

    /// The audience at a glance: subscribers by state and kind, and each channel's followers.
    pub async fn audience(&self) -> StoreResult<(SubscriberStats, Vec<ChannelStats>)> {
        Ok((self.0.inner.store.subscriber_stats().await?, self.0.inner.store.channel_stats().await?))
    }

    /// Up to `limit` subscribers after row `after_id`, in id order, for an export that reads the
    /// table batch by batch.
    pub async fn export_batch(&self, after_id: i64, limit: i64) -> StoreResult<Vec<ExportedSubscriber>> {
        self.0.inner.store.subscribers_after(after_id, limit).await
    }
}
