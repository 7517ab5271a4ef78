//! The sandbox's model of Telegram: users, chats, memberships, stored messages, issued photos
//! and pending callback queries, plus the limiter, all behind one short-held lock.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::config::SandboxConfig;
use crate::error::{ApiError, msg};
use crate::limits::{Charge, Limiter, retry_after_seconds};
use crate::params::ChatTarget;
use crate::shapes::{ChatKind, ChatShape, MemberStatus, PhotoSize, StoredMessage, UserShape};

/// A user the sandbox plays.
pub(crate) struct UserRecord {
    pub shape: Arc<UserShape>,
    pub blocked: bool,
    pub deactivated: bool,
    /// Whether the user ever opened the bot; a bot cannot write first.
    pub started: bool,
}

/// A chat the sandbox knows.
pub(crate) struct ChatRecord {
    pub shape: Arc<ChatShape>,
    /// Human members and their standing.
    pub members: HashMap<i64, MemberStatus>,
    pub bot_status: MemberStatus,
    pub migrated_to: Option<i64>,
    pub next_message_id: i32,
}

impl ChatRecord {
    pub fn new(shape: ChatShape, bot_status: MemberStatus) -> Self {
        ChatRecord {
            shape: Arc::new(shape),
            members: HashMap::new(),
            bot_status,
            migrated_to: None,
            next_message_id: 0,
        }
    }

    pub fn kind(&self) -> ChatKind {
        self.shape.kind
    }
}

/// A command as `setMyCommands` stores it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BotCommandEntry {
    /// The command without `/`.
    pub command: String,
    /// Its description.
    pub description: String,
}

/// Everything mutable about the simulated Telegram.
pub(crate) struct World {
    pub bot: Arc<UserShape>,
    pub users: HashMap<i64, UserRecord>,
    pub chats: HashMap<i64, ChatRecord>,
    /// Lower-case public usernames of channels and supergroups.
    pub usernames: HashMap<String, i64>,
    pub messages: HashMap<(i64, i32), Arc<StoredMessage>>,
    /// Every photo size's file id, to the sizes of its photo.
    pub photos: HashMap<String, Arc<[PhotoSize]>>,
    /// Callback queries waiting for `answerCallbackQuery`.
    pub callbacks: HashSet<String>,
    /// Keyed by scope key and language code.
    pub commands: HashMap<(String, String), Vec<BotCommandEntry>>,
    pub limiter: Limiter,
    serial: u64,
}

impl World {
    pub fn new(config: &SandboxConfig) -> Self {
        let bot = UserShape {
            id: config.bot_id(),
            is_bot: true,
            first_name: config.bot.first_name.clone(),
            last_name: None,
            username: Some(config.bot.username.clone()),
            language_code: None,
        };
        World {
            bot: Arc::new(bot),
            users: HashMap::new(),
            chats: HashMap::new(),
            usernames: HashMap::new(),
            messages: HashMap::new(),
            photos: HashMap::new(),
            callbacks: HashSet::new(),
            commands: HashMap::new(),
            limiter: Limiter::new(config.limits.clone()),
            serial: 0,
        }
    }

    /// A number never handed out before, for ids.
    pub fn serial(&mut self) -> u64 {
        self.serial += 1;
        self.serial
    }

    /// The chat id for `chat_id`.
    pub fn resolve(&self, target: &ChatTarget) -> Result<i64, ApiError> {
        match target {
            ChatTarget::Id(id) => Ok(*id),
            ChatTarget::Username(name) => {
                self.usernames.get(name).copied().ok_or_else(|| ApiError::bad_request(msg::CHAT_NOT_FOUND))
            }
        }
    }

    /// A known chat that still exists (a migrated group answers with its successor).
    pub fn chat(&self, chat_id: i64) -> Result<&ChatRecord, ApiError> {
        let chat = self.chats.get(&chat_id).ok_or_else(|| ApiError::bad_request(msg::CHAT_NOT_FOUND))?;
        match chat.migrated_to {
            Some(to) => Err(ApiError::migrated(to)),
            None => Ok(chat),
        }
    }

    /// A chat the bot may post to, or Telegram's reason why not.
    pub fn postable(&self, chat_id: i64) -> Result<&ChatRecord, ApiError> {
        let chat = self.chat(chat_id)?;
        let kind = chat.kind();
        if kind == ChatKind::Private {
            let user = self.users.get(&chat_id).ok_or_else(|| ApiError::bad_request(msg::CHAT_NOT_FOUND))?;
            return match user {
                u if u.deactivated => Err(ApiError::forbidden(msg::DEACTIVATED)),
                u if u.blocked => Err(ApiError::forbidden(msg::BLOCKED)),
                u if !u.started => Err(ApiError::forbidden(msg::CANT_INITIATE)),
                _ => Ok(chat),
            };
        }
        let kind_name = kind.as_str();
        match chat.bot_status {
            MemberStatus::Kicked => {
                Err(ApiError::forbidden(format!("Forbidden: bot was kicked from the {kind_name} chat")))
            }
            MemberStatus::Left => {
                Err(ApiError::forbidden(format!("Forbidden: bot is not a member of the {kind_name} chat")))
            }
            MemberStatus::Member if kind == ChatKind::Channel => Err(ApiError::bad_request(msg::NEED_ADMIN_IN_CHANNEL)),
            _ => Ok(chat),
        }
    }

    /// Applies the flood limits to a request, consuming its share when admitted.
    pub fn admit(&mut self, charge: Charge, now: std::time::Instant) -> Result<(), ApiError> {
        self.limiter.try_acquire(charge, now).map_err(|wait| ApiError::too_many_requests(retry_after_seconds(wait)))
    }

    /// Keeps a message (replacing an earlier version of it).
    pub fn store(&mut self, message: Arc<StoredMessage>) {
        self.messages.insert((message.chat.id, message.message_id), message);
    }

    /// Allocates the next message id in a chat (ids are per chat).
    pub fn next_message_id(&mut self, chat_id: i64) -> i32 {
        let chat = self.chats.get_mut(&chat_id).expect("chat checked before");
        chat.next_message_id += 1;
        chat.next_message_id
    }

    /// The user sending in a chat: known, and present in the chat.
    pub fn sender(&self, chat_id: i64, user_id: i64) -> Result<(&ChatRecord, Arc<UserShape>), String> {
        let user = self.users.get(&user_id).ok_or_else(|| format!("unknown user {user_id}"))?;
        let chat = self.chats.get(&chat_id).ok_or_else(|| format!("unknown chat {chat_id}"))?;
        if chat.migrated_to.is_some() {
            return Err(format!("chat {chat_id} was migrated to a supergroup"));
        }
        let present = chat_id == user_id || chat.members.get(&user_id).is_some_and(|s| s.is_present());
        if !present {
            return Err(format!("user {user_id} is not a member of chat {chat_id}"));
        }
        Ok((chat, user.shape.clone()))
    }

    /// The bot's and the users' standing in a chat.
    pub fn member_status(&self, chat: &ChatRecord, user_id: i64) -> MemberStatus {
        if user_id == self.bot.id {
            return chat.bot_status;
        }
        if chat.kind() == ChatKind::Private {
            return if chat.shape.id == user_id { MemberStatus::Member } else { MemberStatus::Left };
        }
        chat.members.get(&user_id).copied().unwrap_or(MemberStatus::Left)
    }
}
