//! Deliveries: one copy of a broadcast for one subscriber, in the outbox until it has an outcome.

use serde::Serialize;
use sqlx::FromRow;

use super::{ChatKind, InactiveReason, Language, Priority, Recipient, stored::text_column, stored::text_enum};

text_enum! {
    /// Where one delivery stands.
    pub enum DeliveryStatus {
        Pending = "pending",
        Sent = "sent",
        Failed = "failed",
        Cancelled = "cancelled",
    }
}

/// Why a delivery was given up: kept with it, counted in the metrics.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FailureReason {
    /// The chat cannot receive messages any more; its subscriber is inactive for this reason.
    ChatGone(InactiveReason),
    /// The subscriber was no longer active when its turn came.
    Unsubscribed,
    /// The platform refused this message for good.
    Rejected,
    /// The platform refused the message's photo, and the message could not go as text either.
    PhotoRefused,
    /// Temporary failures, until the attempts ran out.
    GaveUp,
    /// The subscriber's platform is not configured in this instance.
    NoTransport,
}

impl FailureReason {
    /// The stored text, also the metric label: a gone chat's reason, or the failure's own word.
    pub fn as_stored(&self) -> &'static str {
        match self {
            FailureReason::ChatGone(reason) => reason.as_str(),
            FailureReason::Unsubscribed => "unsubscribed",
            FailureReason::Rejected => "rejected",
            FailureReason::PhotoRefused => "photo_refused",
            FailureReason::GaveUp => "gave_up",
            FailureReason::NoTransport => "no_transport",
        }
    }

    /// Reads back what [`FailureReason::as_stored`] wrote.
    pub fn from_stored(stored: &str) -> Option<FailureReason> {
        let own = [
            FailureReason::Unsubscribed,
            FailureReason::Rejected,
            FailureReason::PhotoRefused,
            FailureReason::GaveUp,
            FailureReason::NoTransport,
        ];
        own.into_iter()
            .find(|reason| reason.as_stored() == stored)
            .or_else(|| InactiveReason::parse(stored).map(FailureReason::ChatGone))
    }
}

text_column!(FailureReason, as_stored, from_stored);

impl Serialize for FailureReason {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_stored())
    }
}

/// A delivery reserved by a worker, with everything needed to send it.
#[derive(Debug, Clone)]
pub struct ClaimedDelivery {
    pub id: i64,
    pub broadcast_id: i64,
    pub subscriber_id: i64,
    pub priority: Priority,
    pub attempts: i64,
    pub recipient: Recipient,
    pub chat_kind: ChatKind,
    pub subscriber_active: bool,
    /// The message in the subscriber's platform markup and language (or its own, for a digest).
    pub body: String,
    /// The message as a photo's caption, when the broadcast has a photo.
    pub caption: Option<String>,
    pub link_url: Option<String>,
    pub image_url: Option<String>,
    /// Sent without a notification sound.
    pub silent: bool,
    /// When its broadcast was queued, unix ms: the start of the publish-to-delivery latency.
    pub queued_at: i64,
}

/// A message a delivery put in a chat, for correcting or taking it back.
#[derive(Debug, Clone, FromRow)]
pub struct DeliveredMessage {
    #[sqlx(flatten)]
    pub recipient: Recipient,
    pub kind: ChatKind,
    /// The subscriber's language, for editing the message in it.
    pub language: Option<Language>,
    /// The platform's id of the message.
    pub message_id: String,
    /// Unix ms.
    pub sent_at: i64,
}

/// What happened to one claimed delivery.
#[derive(Debug, Clone)]
pub struct DeliveryOutcome {
    pub delivery_id: i64,
    pub kind: OutcomeKind,
}

/// The outcomes a worker can record.
#[derive(Debug, Clone)]
pub enum OutcomeKind {
    /// The platform accepted the message, under this id.
    Sent { message_id: String },
    /// Not attempted yet (the chat's own limit was not ready): due again at `due_at`, no attempt used.
    Deferred { due_at: i64 },
    /// Attempted and failed for a passing reason: due again at `due_at`.
    Retry { due_at: i64, error: String },
    /// Given up for good; the reason and its detail are kept.
    Failed { reason: FailureReason, error: String },
    /// The chat is gone (blocked the bot, deleted account): the subscriber becomes inactive.
    ChatGone { recipient: Recipient, reason: InactiveReason },
    /// The chat has a new address on its platform, as a chat of `kind` (a Telegram group
    /// became a supergroup): the subscriber moves there, and the delivery is due again at once.
    Readdressed { recipient: Recipient, new_address: String, kind: ChatKind },
}

impl OutcomeKind {
    /// A label for metrics.
    pub fn label(&self) -> &'static str {
        match self {
            OutcomeKind::Sent { .. } => "sent",
            OutcomeKind::Deferred { .. } => "deferred",
            OutcomeKind::Retry { .. } => "retry",
            OutcomeKind::Failed { .. } => "failed",
            OutcomeKind::ChatGone { .. } => "chat_gone",
            OutcomeKind::Readdressed { .. } => "readdressed",
        }
    }

    /// Why the delivery was given up, when it was.
    pub fn failure_reason(&self) -> Option<FailureReason> {
        match self {
            OutcomeKind::Failed { reason, .. } => Some(*reason),
            OutcomeKind::ChatGone { reason, .. } => Some(FailureReason::ChatGone(*reason)),
            _ => None,
        }
    }
}

/// A delivery that did not reach its chat, with the reason kept.
#[derive(Debug, Clone, FromRow, Serialize)]
pub struct FailedDelivery {
    #[sqlx(flatten)]
    #[serde(flatten)]
    pub recipient: Recipient,
    pub attempts: i64,
    pub reason: Option<FailureReason>,
    pub last_error: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failure_reasons_read_back_what_they_store() {
        let reasons = [
            FailureReason::ChatGone(InactiveReason::Blocked),
            FailureReason::ChatGone(InactiveReason::ChatNotFound),
            FailureReason::GaveUp,
            FailureReason::PhotoRefused,
            FailureReason::Rejected,
        ];
        for reason in reasons {
            assert_eq!(FailureReason::from_stored(reason.as_stored()), Some(reason));
        }
        assert_eq!(FailureReason::from_stored("exploded"), None);
    }
}
