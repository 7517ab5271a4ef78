//! Telegram through teloxide: the transport the delivery engine sends with, and the bot that
//! readers and editors talk to.
//!
//! - [`transport`]: sends, edits and deletes, and classifies teloxide's typed errors into outcomes;
//!   [`pacing`]: Telegram's limits as pacing rules; [`ids`]: Telegram's ids that are no person.
//! - [`commands`]: the command enum, the handler tree ([`schema`]) and its dependencies.
//! - [`readers`]: `/start`, `/stop`, `/help`.
//! - [`preferences`]: channels, language, schedule and keyword filters, by command and by button.
//! - [`membership`]: the bot blocked, added to a group or made admin of a channel.
//! - [`editors`]: `/breaking` with its preview and confirmation buttons.
//! - [`polling`]: running the bot by long polling, storing each batch of updates received.
//! - [`webhook`]: the alternative to polling: updates posted by Telegram, stored.
//! - [`inbox`]: handling the stored updates, keeping those a storage fault held back.

pub mod commands;
pub mod editors;
pub mod ids;
pub mod inbox;
pub mod membership;
pub mod pacing;
pub mod polling;
pub mod preferences;
pub mod readers;
pub mod transport;
pub mod webhook;

use std::collections::HashSet;

use teloxide::{
    ApiError, RequestError,
    prelude::*,
    types::{
        BotCommand, BotCommandScope, ChatKind as TgChatKind, InlineKeyboardMarkup, ParseMode, PublicChatKind,
        ReplyMarkup,
    },
    utils::command::BotCommands,
};

pub use commands::{BotContext, Command, WANTED_UPDATES, schema};
pub use transport::TelegramTransport;

use crate::{
    domain::{ChatKind, Language, Recipient},
    locale,
    render::{Markup, TelegramHtml},
};

/// Editors listed in the config, by Telegram user id.
#[derive(Debug, Clone, Default)]
pub struct Editors(HashSet<u64>);

impl Editors {
    pub fn new(user_ids: &[i64]) -> Editors {
        Editors(user_ids.iter().filter_map(|&id| u64::try_from(id).ok()).collect())
    }

    /// Whether `user` is a person who could be an editor: never a bot, never Telegram's anonymous
    /// admin or service account, whatever the config or the editors table say.
    pub fn may_be_editor(user: &teloxide::types::User) -> bool {
        !ids::is_service_id(user.id.0) && !user.is_bot
    }

    /// Whether the config lists `user` as an editor.
    pub fn listed(&self, user: &teloxide::types::User) -> bool {
        self.0.contains(&user.id.0)
    }
}

/// The kind of a Telegram chat, as kabar keeps it.
pub fn chat_kind(chat: &teloxide::types::Chat) -> ChatKind {
    match &chat.kind {
        TgChatKind::Private(_) => ChatKind::Private,
        TgChatKind::Public(public) => match public.kind {
            PublicChatKind::Group => ChatKind::Group,
            PublicChatKind::Supergroup(_) => ChatKind::Supergroup,
            PublicChatKind::Channel(_) => ChatKind::Channel,
        },
    }
}

/// The recipient a Telegram chat is, by its id.
pub fn recipient(chat: ChatId) -> Recipient {
    Recipient::telegram(chat.0)
}

/// The Telegram chat a recipient is; None for another platform's.
pub fn chat_id_of(recipient: &Recipient) -> Option<ChatId> {
    (recipient.platform == crate::domain::Platform::Telegram).then(|| recipient.address.parse().ok().map(ChatId))?
}

/// Sends a reply, paced like every other send, in Telegram HTML.
pub async fn reply(
    bot: &Bot,
    context: &BotContext,
    chat: &teloxide::types::Chat,
    html: String,
    markup: Option<ReplyMarkup>,
) -> ResponseResult<Message> {
    context.pace(chat.id, chat_kind(chat)).await;
    let request = bot.send_message(chat.id, html).parse_mode(ParseMode::Html);
    match markup {
        Some(markup) => request.reply_markup(markup).await,
        None => request.await,
    }
}

/// Edits a message kabar sent (its text and buttons), paced like a reply. An edit that changes
/// nothing (a double tap) is not an error.
pub async fn edit(
    bot: &Bot,
    context: &BotContext,
    message: &Message,
    html: String,
    markup: Option<InlineKeyboardMarkup>,
) -> ResponseResult<()> {
    context.pace(message.chat.id, chat_kind(&message.chat)).await;
    let request = bot.edit_message_text(message.chat.id, message.id, html).parse_mode(ParseMode::Html);
    let sent = match markup {
        Some(markup) => request.reply_markup(markup).await,
        None => request.await,
    };
    match sent {
        Ok(_) | Err(RequestError::Api(ApiError::MessageNotModified)) => Ok(()),
        Err(error) => Err(error),
    }
}

/// The command menu readers see, in the order shown, with the locale key of each description.
const READER_MENU: [(&str, &str); 8] = [
    ("start", "command_start"),
    ("channels", "command_channels"),
    ("status", "command_status"),
    ("settings", "command_settings"),
    ("filter", "command_filter"),
    ("lang", "command_lang"),
    ("stop", "command_stop"),
    ("help", "command_help"),
];

/// Registers the command menu in every language kabar speaks; `default_language`'s menu is
/// also the one for every other language.
pub async fn register_commands(bot: &Bot, default_language: Language) -> ResponseResult<()> {
    let menu = |language: Language| -> Vec<BotCommand> {
        READER_MENU.into_iter().map(|(name, key)| BotCommand::new(name, locale::text(language, key, &[]))).collect()
    };
    bot.set_my_commands(menu(default_language)).scope(BotCommandScope::Default).await?;
    for &language in Language::ALL {
        bot.set_my_commands(menu(language)).scope(BotCommandScope::Default).language_code(language.as_str()).await?;
    }
    debug_assert!(READER_MENU.iter().all(|(name, _)| Command::descriptions().to_string().contains(name)));
    Ok(())
}

/// The most of a reader's input a reply quotes back.
const QUOTE_CHARS: usize = 64;

/// What a reader typed, as a reply quotes it: escaped, and cut short, so that no input (a
/// 4,000-character "time zone", say) can make the reply longer than Telegram takes.
pub fn quote(input: &str) -> String {
    crate::render::telegram_html::escape(&crate::text::cut_at_word(input.trim(), QUOTE_CHARS))
}

/// A locale text for a callback answer, which Telegram shows as plain text.
pub fn strip_markup(html: &str) -> String {
    TelegramHtml.plain_text(html)
}

/// Whether the sender of `message` may subscribe its chat or change its settings: anyone in a
/// private chat, an admin in a group (also one posting anonymously as the group).
pub async fn may_manage(bot: &Bot, message: &Message) -> ResponseResult<bool> {
    if message.chat.is_private() {
        return Ok(true);
    }
    if message.sender_chat.as_ref().is_some_and(|sender| sender.id == message.chat.id) {
        return Ok(true);
    }
    let Some(user) = &message.from else { return Ok(false) };
    if ids::is_service_id(user.id.0) {
        return Ok(false);
    }
    Ok(bot.get_chat_member(message.chat.id, user.id).await?.is_privileged())
}
