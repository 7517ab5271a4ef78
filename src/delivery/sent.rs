//! What is done to messages already in readers' chats: a correction edits them, a recall deletes
//! them. Both are paced like every send, on each message's own platform.

use std::{
    collections::{HashMap, hash_map::Entry},
    time::Duration,
};

use tokio_util::sync::CancellationToken;

use super::{DeliveryEngine, OutgoingMessage, Photo};
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

impl DeliveryEngine {
    /// Edits every message broadcast `broadcast_id` put in chats to say what the broadcast says
    /// now (a correction), each in its reader's platform and language, until `stop`.
    pub async fn edit_sent(&self, broadcast_id: i64, stop: &CancellationToken) -> anyhow::Result<SentReport> {
        let mut messages: HashMap<(Platform, Language), OutgoingMessage> = HashMap::new();
        let mut report = SentReport::default();
        let sent = self.store().sent_messages(broadcast_id).await?;
        for (done, delivered) in sent.iter().enumerate() {
            if stop.is_cancelled() {
                report.left = sent.len() - done;
                break;
            }
            let Some(outlet) = self.outlets().get(delivered.recipient.platform) else {
                report.beyond_reach += 1;
                continue;
            };
            let key = (delivered.recipient.platform, delivered.language.unwrap_or(self.store().defaults().language));
            if let Entry::Vacant(vacant) = messages.entry(key) {
                vacant.insert(outgoing(self.store().broadcast_message(broadcast_id, key.0, key.1).await?));
            }
            outlet.admit_reply(&delivered.recipient.address, delivered.kind).await;
            match outlet.transport.edit(&delivered.recipient, &delivered.message_id, &messages[&key]).await {
                Ok(()) => report.done += 1,
                Err(failure) => {
                    tracing::debug!(recipient = %delivered.recipient, %failure, "cannot correct a sent message");
                    report.failed += 1;
                }
            }
        }
        Ok(report)
    }

    /// Deletes every message broadcast `broadcast_id` put in chats, as far as each platform
    /// allows (Telegram: within 48 hours; some platforms never), until `stop`.
    pub async fn delete_sent(&self, broadcast_id: i64, stop: &CancellationToken) -> anyhow::Result<SentReport> {
        let mut report = SentReport::default();
        let sent = self.store().sent_messages(broadcast_id).await?;
        for (done, delivered) in sent.iter().enumerate() {
            if stop.is_cancelled() {
                report.left = sent.len() - done;
                break;
            }
            let outlet = self.outlets().get(delivered.recipient.platform);
            let Some(outlet) = outlet.filter(|outlet| still_deletable(delivered, outlet.transport.deletable_for()))
            else {
                report.beyond_reach += 1;
                continue;
            };
            outlet.admit_reply(&delivered.recipient.address, delivered.kind).await;
            match outlet.transport.delete(&delivered.recipient, &delivered.message_id).await {
                Ok(()) => report.done += 1,
                Err(failure) => {
                    tracing::debug!(recipient = %delivered.recipient, %failure, "cannot delete a recalled message");
                    report.failed += 1;
                }
            }
        }
        Ok(report)
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
