//! Telegram through teloxide: the transport the delivery engine sends with, and the bot that
//! readers and editors talk to.
//!
//! - [`transport`]: sends a message and classifies teloxide's typed errors into outcomes.
//! - [`commands`]: the command enum, the handler tree ([`schema`]) and its dependencies.
//! - [`readers`]: `/start`, `/stop`, `/help`, and leaving when a reader blocks the bot.
//! - [`editors`]: `/breaking` with its preview and confirmation buttons.
//! - [`polling`]: running the bot, and starting it again when it fails.

pub mod commands;
pub mod editors;
pub mod polling;
pub mod readers;
pub mod transport;

use std::{collections::HashSet, sync::Arc};

use teloxide::{
    prelude::*,
    types::{BotCommand, BotCommandScope, ChatKind as TgChatKind, ParseMode, PublicChatKind, ReplyMarkup},
    utils::command::BotCommands,
};

pub use commands::{BotContext, Command, schema};
pub use transport::TelegramTransport;

use crate::{locale, store::ChatKind};

/// Telegram's own ids that must never count as a person: the anonymous group admin and the
/// service account that forwards channel posts.
const SERVICE_USER_IDS: [u64; 2] = [1_087_968_824, 777_000];

/// Editors by Telegram user id.
#[derive(Debug, Clone, Default)]
pub struct Editors(HashSet<u64>);

impl Editors {
    pub fn new(user_ids: &[i64]) -> Editors {
        Editors(user_ids.iter().filter_map(|&id| u64::try_from(id).ok()).collect())
    }

    /// Whether `user` may push breaking news. Service ids never may, whatever the config says.
    pub fn allows(&self, user: Option<&teloxide::types::User>) -> bool {
        user.is_some_and(|u| !SERVICE_USER_IDS.contains(&u.id.0) && !u.is_bot && self.0.contains(&u.id.0))
    }
}

/// The kind of a Telegram chat, as the store records it.
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

/// Sends a reply, paced like every other send, in Telegram HTML.
pub async fn reply(
    bot: &Bot,
    context: &BotContext,
    chat: &teloxide::types::Chat,
    html: String,
    markup: Option<ReplyMarkup>,
) -> ResponseResult<Message> {
    context.pacer.admit(chat.id.0, chat_kind(chat).is_group()).await;
    let request = bot.send_message(chat.id, html).parse_mode(ParseMode::Html);
    match markup {
        Some(markup) => request.reply_markup(markup).await,
        None => request.await,
    }
}

/// Registers the command menu in English (the default) and Indonesian.
pub async fn register_commands(bot: &Bot) -> ResponseResult<()> {
    for language in ["en", "id"] {
        let commands: Vec<BotCommand> =
            [("start", "command_start"), ("stop", "command_stop"), ("help", "command_help")]
                .into_iter()
                .map(|(name, key)| BotCommand::new(name, locale::text(language, key, &[])))
                .collect();
        let request = bot.set_my_commands(commands).scope(BotCommandScope::Default);
        if language == "en" {
            request.await?;
        } else {
            request.language_code(language).await?;
        }
    }
    debug_assert!(Command::descriptions().to_string().contains("start"));
    Ok(())
}

/// The language to answer a user in.
pub fn language_of(user: Option<&teloxide::types::User>) -> &'static str {
    locale::language_for(user.and_then(|u| u.language_code.as_deref()))
}

/// The shared context, as the dispatcher's dependency.
pub type SharedContext = Arc<BotContext>;
