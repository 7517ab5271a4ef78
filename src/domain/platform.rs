//! The chat platforms kabar sends to, and who it sends to there.

use serde::Serialize;

use super::stored::text_enum;

text_enum! {
    /// A chat platform readers follow kabar on. Each has its own transport, markup and limits.
    pub enum Platform {
        Telegram = "telegram",
    }
}

text_enum! {
    /// What kind of chat a subscriber is. Telegram has all four; a WhatsApp reader is private.
    pub enum ChatKind {
        Private = "private",
        Group = "group",
        Supergroup = "supergroup",
        /// A broadcast channel the bot posts into as an admin.
        Channel = "channel",
    }
}

impl ChatKind {
    /// A chat of many people (a group or a supergroup), whose admins manage its subscription.
    pub fn is_group(self) -> bool {
        matches!(self, ChatKind::Group | ChatKind::Supergroup)
    }
}

/// Where a message goes: a chat on one platform, by the platform's own address for it (a
/// Telegram chat id, a WhatsApp number), always as text at this boundary.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, sqlx::FromRow)]
pub struct Recipient {
    pub platform: Platform,
    pub address: String,
}

impl Recipient {
    pub fn new(platform: Platform, address: impl Into<String>) -> Recipient {
        Recipient { platform, address: address.into() }
    }

    /// A Telegram chat, by its id.
    pub fn telegram(chat_id: i64) -> Recipient {
        Recipient::new(Platform::Telegram, chat_id.to_string())
    }
}

impl std::fmt::Display for Recipient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", self.platform, self.address)
    }
}
