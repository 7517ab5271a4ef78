//! Readers acting: writing to the bot and tapping its buttons.

use serde_json::json;

use super::chats::store_user_message;
use super::{ControlError, fail};
use crate::Sandbox;
use crate::html::MessageEntity;
use crate::shapes::{ChatKind, Content, StoredMessage};
use crate::text::has_callback_button;

impl Sandbox {
    /// User `user_id` writes `text` in `chat_id` (their own id for the private chat); returns the
    /// message id. A leading `/command` or `/command@bot` gets a `bot_command` entity. In groups
    /// a bot in privacy mode only receives commands and replies to its messages.
    pub fn user_sends_text(&self, chat_id: i64, user_id: i64, text: &str) -> Result<i32, ControlError> {
        self.user_writes(chat_id, user_id, text, None)
    }

    /// Like [`Sandbox::user_sends_text`], replying to message `reply_to` of the same chat.
    pub fn user_replies(&self, chat_id: i64, user_id: i64, reply_to: i32, text: &str) -> Result<i32, ControlError> {
        self.user_writes(chat_id, user_id, text, Some(reply_to))
    }

    fn user_writes(&self, chat_id: i64, user_id: i64, text: &str, reply_to: Option<i32>) -> Result<i32, ControlError> {
        if text.is_empty() {
            return fail("a message needs text");
        }
        let mut world = self.shared.world();
        let (chat, from) = world.sender(chat_id, user_id).map_err(ControlError)?;
        let kind = chat.kind();
        let bot_present = chat.bot_status.is_present();
        if kind == ChatKind::Channel {
            return fail("readers do not write in channels");
        }
        let user = &world.users[&user_id];
        if kind == ChatKind::Private && (user.blocked || user.deactivated) {
            return fail(format!("user {user_id} has blocked the bot or is deactivated"));
        }
        let reply_to = match reply_to {
            Some(id) => match world.messages.get(&(chat_id, id)) {
                Some(message) => Some(message.clone()),
                None => return fail(format!("no message {id} in chat {chat_id}")),
            },
            None => None,
        };
        if kind == ChatKind::Private {
            world.users.get_mut(&user_id).expect("checked above").started = true;
        }
        let delivered = match kind {
            ChatKind::Private => true,
            _ => {
                bot_present
                    && (self.shared.config.bot.can_read_all_group_messages
                        || visible_in_privacy_mode(text, &self.shared.config.bot.username, reply_to.as_deref()))
            }
        };
        let content =
            Content::Text { text: text.to_owned(), entities: command_entities(text), link_preview_options: None };
        let message = store_user_message(&mut world, chat_id, &from, content, reply_to);
        drop(world);
        if delivered {
            self.shared.updates.push("message", &*message);
        }
        Ok(message.message_id)
    }

    /// User `user_id` taps the inline button with callback data `data` under the bot's message
    /// `message_id` in `chat_id`; the bot gets a `callback_query` with the full message. Returns
    /// the callback query id. Fails when no such button exists.
    pub fn user_taps_button(
        &self,
        chat_id: i64,
        user_id: i64,
        message_id: i32,
        data: &str,
    ) -> Result<String, ControlError> {
        let mut world = self.shared.world();
        let (_, from) = world.sender(chat_id, user_id).map_err(ControlError)?;
        let Some(message) = world.messages.get(&(chat_id, message_id)).cloned() else {
            return fail(format!("no message {message_id} in chat {chat_id}"));
        };
        if !tappable(&message, data) {
            return fail(format!("message {message_id} has no button with callback data {data:?}"));
        }
        let id = format!("{}{:010}", world.bot.id.unsigned_abs() % 1_000_000, world.serial());
        world.callbacks.insert(id.clone());
        drop(world);
        let query = json!({
            "id": id,
            "from": &*from,
            "message": &*message,
            // Stable per chat, as Telegram's is.
            "chat_instance": (chat_id.unsigned_abs().wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 1).to_string(),
            "data": data,
        });
        self.shared.updates.push("callback_query", &query);
        Ok(id)
    }
}

/// A `/command` or `/command@bot` at the start gets a `bot_command` entity, as clients send it.
fn command_entities(text: &str) -> Vec<MessageEntity> {
    if !text.starts_with('/') {
        return Vec::new();
    }
    let token = text.split(char::is_whitespace).next().unwrap_or("");
    let valid = token.len() > 1 && token[1..].bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'@');
    if valid { vec![MessageEntity::new("bot_command", 0, token.len())] } else { Vec::new() }
}

/// Whether a bot in privacy mode sees this group message: commands for it and replies to it.
fn visible_in_privacy_mode(text: &str, bot_username: &str, reply_to: Option<&StoredMessage>) -> bool {
    if reply_to.is_some_and(|m| m.by_bot) {
        return true;
    }
    let Some(entity) = command_entities(text).into_iter().next() else {
        return false;
    };
    match text[..entity.length].split_once('@') {
        Some((_, addressee)) => addressee.eq_ignore_ascii_case(bot_username),
        None => true,
    }
}

/// Whether the message has a button with this callback data.
fn tappable(message: &StoredMessage, data: &str) -> bool {
    message.by_bot && has_callback_button(message.reply_markup.as_ref(), data)
}
