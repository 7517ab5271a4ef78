//! What operators read of the service as a whole: the counts behind `kabar stats`, the metrics
//! and the dashboard.

use std::collections::BTreeMap;

use serde::Serialize;

use super::{ChatKind, DeliveryMode, InactiveReason, Language, Priority, QuietHours, Recipient, Zone};

/// Everything `kabar stats` shows.
#[derive(Debug, Clone, Serialize)]
pub struct Stats {
    pub subscribers: SubscriberStats,
    /// Every channel with how many active subscribers get its stories.
    pub channels: Vec<ChannelStats>,
    pub sources: SourceStats,
    pub articles: ArticleStats,
    pub broadcasts: BroadcastStats,
    pub deliveries: DeliveryStats,
}

#[derive(Debug, Clone, Serialize)]
pub struct SubscriberStats {
    pub active: i64,
    pub inactive: i64,
    /// Active subscribers who follow every channel, counted in each channel's followers.
    pub following_all: i64,
    /// Active subscribers by platform.
    pub by_platform: BTreeMap<String, i64>,
    /// 'stopped', 'blocked', 'pending' (a group nobody subscribed yet), ...
    pub inactive_by_reason: BTreeMap<String, i64>,
    /// Active subscribers by language; those without one count under the operator's default.
    pub by_language: BTreeMap<String, i64>,
    /// Active subscribers by delivery mode ('instant', 'hourly', 'daily:H').
    pub by_delivery_mode: BTreeMap<String, i64>,
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct ChannelStats {
    pub slug: String,
    pub name: String,
    /// Active subscribers who follow it, one by one or by following everything.
    pub followers: i64,
}

#[derive(Debug, Clone, Serialize)]
pub struct SourceStats {
    /// Enabled sources.
    pub total: i64,
    /// Enabled sources whose last poll failed.
    pub failing: i64,
}

#[derive(Debug, Clone, Serialize)]
pub struct ArticleStats {
    /// Every article recorded, pushed or not (the backlog counts too).
    pub total: i64,
    pub pushed_last_24h: i64,
}

#[derive(Debug, Clone, Serialize)]
pub struct BroadcastStats {
    /// Queued in the last 24 hours (drafts never confirmed do not count).
    pub last_24h: i64,
    pub last_24h_by_kind: BTreeMap<String, i64>,
}

#[derive(Debug, Clone, Serialize)]
pub struct DeliveryStats {
    pub pending: QueueDepth,
    /// Of the broadcasts queued in the last 24 hours. Deliveries are counted through their
    /// broadcast because that is indexed; a scan by send time would read the whole history.
    pub sent_last_24h: i64,
    pub failed_last_24h: i64,
}

/// Pending deliveries by priority: what the outbox still has to send.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct QueueDepth {
    pub reply: i64,
    pub breaking: i64,
    pub article: i64,
    pub digest: i64,
}

impl QueueDepth {
    /// Each priority's label and count, most urgent first.
    pub fn by_label(&self) -> [(&'static str, i64); 4] {
        let count = |priority| match priority {
            Priority::Reply => self.reply,
            Priority::Breaking => self.breaking,
            Priority::Article => self.article,
            Priority::Digest => self.digest,
        };
        Priority::ALL.map(|priority| (priority.label(), count(priority)))
    }

    /// Adds `count` deliveries of `priority`.
    pub fn add(&mut self, priority: Priority, count: i64) {
        match priority {
            Priority::Reply => self.reply += count,
            Priority::Breaking => self.breaking += count,
            Priority::Article => self.article += count,
            Priority::Digest => self.digest += count,
        }
    }
}

/// Subscribers by state, for metrics.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, sqlx::FromRow)]
pub struct SubscriberCounts {
    pub active: i64,
    pub inactive: i64,
}

/// One subscriber as `kabar subscribers export` writes it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ExportedSubscriber {
    /// The row id, to read the next batch after.
    pub id: i64,
    #[sqlx(flatten)]
    pub recipient: Recipient,
    pub kind: ChatKind,
    pub username: Option<String>,
    pub display_name: Option<String>,
    pub language: Option<Language>,
    pub active: bool,
    pub inactive_reason: Option<InactiveReason>,
    pub delivery_mode: DeliveryMode,
    pub quiet_hours: Option<QuietHours>,
    pub timezone: Option<Zone>,
    /// Unix milliseconds.
    pub subscribed_at: i64,
}
