//! What is done to messages already in readers' chats: a correction edits them, a recall deletes
//! them. Both are paced like every send, on each message's own platform.

use std::{
    collections::{HashMap, hash_map::Entry},
    time::Duration,
};

use tokio_util::sync::CancellationToken;

use super::{DeliveryEngine, OutgoingMessage, Outlet, Photo};
use crate::domain::{BroadcastMessage, DeliveredMessage, Language, Platform, now_ms};

/// What a correction or a recall did to the messages a push put in chats.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SentReport {
    /// Edited, or deleted.
    pub done: usize,
    /// The platform refused, or failed.
    pub failed: usize,
    /// Too old for the platform to delete, or on a platform that cannot delete at all.
    pub beyond_reach: usize,
    /// Not tried: kabar was stopping.
    pub left: usize,
}

/// What is done to a sent message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Change {
    /// Made to say what its broadcast says now.
    Edit,
    /// Taken out of the chat.
    Delete,
}

impl DeliveryEngine {
    /// Edits every message broadcast `broadcast_id` put in chats to say what the broadcast says
    /// now (a correction), each in its reader's platform and language, until `stop`.
    pub async fn edit_sent(&self, broadcast_id: i64, stop: &CancellationToken) -> anyhow::Result<SentReport> {
        self.change_sent(broadcast_id, Change::Edit, stop).await
    }

    /// Deletes every message broadcast `broadcast_id` put in chats, as far as each platform
    /// allows (Telegram: within 48 hours; some platforms never), until `stop`.
    pub async fn delete_sent(&self, broadcast_id: i64, stop: &CancellationToken) -> anyhow::Result<SentReport> {
        self.change_sent(broadcast_id, Change::Delete, stop).await
    }

    /// Makes `change` to each message broadcast `broadcast_id` put in chats that its platform
    /// can still reach, paced like every send, until `stop`.
    async fn change_sent(
        &self,
        broadcast_id: i64,
        change: Change,
        stop: &CancellationToken,
    ) -> anyhow::Result<SentReport> {
        let mut messages: HashMap<(Platform, Language), OutgoingMessage> = HashMap::new();
        let mut report = SentReport::default();
        let sent = self.store().sent_messages(broadcast_id).await?;
        for (done, delivered) in sent.iter().enumerate() {
            if stop.is_cancelled() {
                report.left = sent.len() - done;
                break;
            }
            let outlet = self.outlets().get(delivered.recipient.platform);
            let reachable = |outlet: &&Outlet| {
                change == Change::Edit || still_deletable(delivered, outlet.transport.deletable_for())
            };
            let Some(outlet) = outlet.filter(reachable) else {
                report.beyond_reach += 1;
                continue;
            };
            outlet.admit_reply(&delivered.recipient.address, delivered.kind).await;
            let (to, message_id) = (&delivered.recipient, &delivered.message_id);
            let changed = match change {
                Change::Edit => {
                    let message = self.message_for(broadcast_id, delivered, &mut messages).await?;
                    outlet.transport.edit(to, message_id, message).await
                }
                Change::Delete => outlet.transport.delete(to, message_id).await,
            };
            match changed {
                Ok(()) => report.done += 1,
                Err(failure) => {
                    tracing::debug!(recipient = %to, ?change, %failure, "a sent message could not be changed");
                    report.failed += 1;
                }
            }
        }
        Ok(report)
    }

    /// The broadcast's message for `delivered`'s platform and language, read once per pair.
    async fn message_for<'a>(
        &self,
        broadcast_id: i64,
        delivered: &DeliveredMessage,
        messages: &'a mut HashMap<(Platform, Language), OutgoingMessage>,
    ) -> anyhow::Result<&'a OutgoingMessage> {
        let key = (delivered.recipient.platform, delivered.language.unwrap_or(self.store().defaults().language));
        if let Entry::Vacant(vacant) = messages.entry(key) {
            vacant.insert(outgoing(self.store().broadcast_message(broadcast_id, key.0, key.1).await?));
        }
        Ok(&messages[&key])
    }
}

/// Whether `delivered` is young enough for a platform that deletes for `deletable_for`.
fn still_deletable(delivered: &DeliveredMessage, deletable_for: Option<Duration>) -> bool {
    deletable_for.is_some_and(|window| delivered.sent_at >= now_ms() - window.as_millis() as i64)
}

/// A stored message as a message to send again: text with its link, and the photo with its
/// caption when there is one.
pub fn outgoing(message: BroadcastMessage) -> OutgoingMessage {
    let photo = match (message.image_url, message.caption) {
        (Some(url), Some(caption)) => Some(Photo { url, caption }),
        _ => None,
    };
    OutgoingMessage { text: message.body, link_preview_url: message.link_url, photo, silent: false }
}
