//! The types every layer speaks: articles and broadcasts, subscribers and their choices,
//! deliveries and their outcomes, sources, platforms and languages. A leaf of the layers: it
//! imports nothing of kabar's but the text helpers, so every other module may use it.
//!
//! Values kept in the database map to and from their stored form in one place each
//! (`stored`), and an unknown stored value is an error.

pub mod article;
pub mod broadcast;
pub mod channel;
pub mod delivery;
pub mod editor;
pub mod idempotency;
pub mod keywords;
pub mod language;
pub mod limits;
pub mod platform;
pub mod schedule;
pub mod source;
pub mod stats;
pub(crate) mod stored;
pub mod subscriber;

pub use article::{ArticleRecord, NewArticle, PushedStory};
pub use broadcast::{
    BroadcastKind, BroadcastMessage, BroadcastProgress, BroadcastState, BroadcastStatus, BroadcastSummary,
    DraftDecision, DueDigest, HeldStory, MessageBody, NewBroadcast, Priority,
};
pub use channel::{ChannelRecord, ChannelRef};
pub use delivery::{
    ClaimedDelivery, DeliveredMessage, DeliveryOutcome, DeliveryStatus, FailedDelivery, FailureReason, OutcomeKind,
};
pub use editor::EditorRecord;
pub use idempotency::{IdempotencyKey, Remembered};
pub use keywords::{KeywordAdded, KeywordFilter, KeywordKind};
pub use language::Language;
pub use limits::Limits;
pub use platform::{ChatKind, Platform, Recipient};
pub use schedule::{DeliveryMode, QuietHours, Route, Schedule, Zone};
pub use source::{SourceKind, SourceOrigin, SourceRecord, WebSubState, WebSubSubscription};
pub use stats::{QueueDepth, Stats, SubscriberCounts};
pub use subscriber::{
    InactiveReason, NewSubscriber, Preference, ScheduleChoices, SubscribeOutcome, Subscriber, WaitingReader,
};

/// The current time as unix milliseconds, the unit of every stored timestamp.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_millis() as i64).unwrap_or_default()
}
