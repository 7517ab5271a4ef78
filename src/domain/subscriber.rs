//! Subscribers: the chats that follow kabar, with their choices.

use sqlx::FromRow;

use super::{ChatKind, DeliveryMode, Language, QuietHours, Recipient, Schedule, Zone, stored::text_enum};

text_enum! {
    /// Why a chat gets no pushes.
    pub enum InactiveReason {
        /// The reader sent /stop (or STOP).
        Stopped = "stopped",
        /// A group or channel the bot was added to that no admin has subscribed yet.
        Pending = "pending",
        /// The bot was removed from the group or channel.
        Removed = "removed",
        /// The group became a supergroup that was subscribed already.
        Migrated = "migrated",
        /// The reader blocked the bot.
        Blocked = "blocked",
        /// The reader's account is gone.
        Deactivated = "deactivated",
        /// The bot was kicked from the chat.
        Kicked = "kicked",
        ChatNotFound = "chat_not_found",
        GroupDeactivated = "group_deactivated",
        /// The reader never opened a chat with the bot.
        NeverStarted = "never_started",
    }
}

/// A chat asking to subscribe.
#[derive(Debug, Clone)]
pub struct NewSubscriber {
    pub recipient: Recipient,
    pub kind: ChatKind,
    pub username: Option<String>,
    pub display_name: Option<String>,
    /// The language the chat's app is set to (Telegram's `language_code`), when known.
    pub app_language: Option<String>,
}

impl NewSubscriber {
    /// A private chat known only by its address, as in an import from another system.
    pub fn private(recipient: Recipient) -> NewSubscriber {
        NewSubscriber { recipient, kind: ChatKind::Private, username: None, display_name: None, app_language: None }
    }
}

/// A subscriber with its preferences.
#[derive(Debug, Clone, FromRow)]
pub struct Subscriber {
    pub id: i64,
    #[sqlx(flatten)]
    pub recipient: Recipient,
    pub kind: ChatKind,
    pub display_name: Option<String>,
    pub active: bool,
    pub inactive_reason: Option<InactiveReason>,
    /// None for chats imported without one: they get the operator's default.
    pub language: Option<Language>,
    /// Follows every channel, including ones added later.
    pub all_channels: bool,
    #[sqlx(flatten)]
    pub choices: ScheduleChoices,
    /// For a group or channel: the user who added the bot.
    pub added_by: Option<i64>,
}

/// What a subscriber chose about when news reaches them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, FromRow)]
pub struct ScheduleChoices {
    pub delivery_mode: DeliveryMode,
    pub quiet_hours: Option<QuietHours>,
    /// None for the operator's default zone.
    pub timezone: Option<Zone>,
    /// Breaking news skips the reader's digest.
    pub breaking_instant: bool,
}

impl ScheduleChoices {
    /// These choices as a schedule; `default_zone` when no zone was chosen.
    pub fn schedule(&self, default_zone: chrono_tz::Tz) -> Schedule {
        Schedule {
            mode: self.delivery_mode,
            quiet: self.quiet_hours,
            zone: self.timezone.map_or(default_zone, |zone| zone.0),
            breaking_instant: self.breaking_instant,
        }
    }
}

impl Subscriber {
    /// When this subscriber gets its news; `default_zone` when it chose no zone.
    pub fn schedule(&self, default_zone: chrono_tz::Tz) -> Schedule {
        self.choices.schedule(default_zone)
    }

    /// The language the subscriber is spoken to in; `default` when it has none.
    pub fn language_or(&self, default: Language) -> Language {
        self.language.unwrap_or(default)
    }
}

/// One preference a subscriber can change.
#[derive(Debug, Clone)]
pub enum Preference {
    /// Chosen by the reader: kept even when their app's language changes.
    Language(Language),
    Mode(DeliveryMode),
    QuietHours(Option<QuietHours>),
    Zone(chrono_tz::Tz),
    BreakingInstant(bool),
}

/// What subscribing did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SubscribeOutcome {
    Subscribed,
    /// An inactive chat came back, with its old settings.
    Resubscribed,
    AlreadySubscribed,
}

/// An active reader with stories waiting for a digest.
#[derive(Debug, Clone, FromRow)]
pub struct WaitingReader {
    #[sqlx(flatten)]
    pub subscriber: Subscriber,
    /// When the oldest waiting story was held, unix ms.
    pub oldest_held_at: i64,
}
