//! Changes of the bot's own membership (`my_chat_member`): a reader who blocks the bot is marked
//! inactive at once; when the bot is added to a group or made admin of a Telegram channel, the
//! chat is remembered and its admins are told how to subscribe it.

use std::sync::Arc;

use teloxide::{
    prelude::*,
    types::{ChatMemberUpdated, InlineKeyboardButton, InlineKeyboardMarkup, ParseMode, ReplyMarkup},
};

use super::{BotContext, chat_kind, preferences::Button, preferences::Tap, recipient, reply};
use crate::{
    domain::{ChatKind, InactiveReason, NewSubscriber},
    locale::text,
    render::telegram_html::escape,
};

pub async fn on_change(bot: Bot, update: ChatMemberUpdated, context: Arc<BotContext>) -> anyhow::Result<()> {
    let member = &update.new_chat_member;
    if member.is_banned() || member.is_left() {
        let reason = if update.chat.is_private() { InactiveReason::Blocked } else { InactiveReason::Removed };
        let changed = context.services.readers().deactivate(&recipient(update.chat.id), reason).await?;
        tracing::info!(chat_id = update.chat.id.0, %reason, changed, "the bot lost access to a chat");
        return Ok(());
    }
    let joined = update.old_chat_member.is_banned() || update.old_chat_member.is_left();
    match chat_kind(&update.chat) {
        ChatKind::Private => Ok(()),
        ChatKind::Channel if member.is_administrator() => welcome_channel(&bot, &update, &context).await,
        ChatKind::Group | ChatKind::Supergroup if joined => welcome_group(&bot, &update, &context).await,
        _ => Ok(()),
    }
}

/// A group became a supergroup: its subscription moves to the new id at once, before any send
/// meets the old one's `migrate_to_chat_id` error.
pub async fn on_migration(message: Message, context: Arc<BotContext>) -> anyhow::Result<()> {
    if let Some(new_chat) = message.migrate_to_chat_id() {
        let readers = context.services.readers();
        readers.moved(&recipient(message.chat.id), &new_chat.0.to_string(), ChatKind::Supergroup).await?;
    }
    Ok(())
}

/// The chat as a subscriber-to-be, its language the adder's.
fn chat_of(update: &ChatMemberUpdated) -> NewSubscriber {
    NewSubscriber {
        recipient: recipient(update.chat.id),
        kind: chat_kind(&update.chat),
        username: update.chat.username().map(str::to_owned),
        display_name: update.chat.title().map(str::to_owned),
        app_language: update.from.language_code.clone(),
    }
}

/// In a group, anyone can read the bot's messages: it says how an admin subscribes the group.
async fn welcome_group(bot: &Bot, update: &ChatMemberUpdated, context: &BotContext) -> anyhow::Result<()> {
    let subscriber = context.services.readers().note_joined(&chat_of(update), update.from.id.0 as i64).await?;
    tracing::info!(chat_id = update.chat.id.0, by = update.from.id.0, "the bot was added to a group");
    if subscriber.active {
        return Ok(());
    }
    let language = context.language_of(Some(&update.from));
    reply(bot, context, &update.chat, text(language, "group_welcome", &[]), None).await?;
    Ok(())
}

/// Nobody can send the bot commands in a Telegram channel, so the admin who made it an admin is
/// asked in their private chat, with buttons that act on the channel.
async fn welcome_channel(bot: &Bot, update: &ChatMemberUpdated, context: &BotContext) -> anyhow::Result<()> {
    let subscriber = context.services.readers().note_joined(&chat_of(update), update.from.id.0 as i64).await?;
    tracing::info!(chat_id = update.chat.id.0, by = update.from.id.0, "the bot was made admin of a channel");
    if subscriber.active {
        return Ok(());
    }
    let language = context.language_of(Some(&update.from));
    let title = escape(update.chat.title().unwrap_or_default());
    let subscribe = Button::new(update.chat.id.0, Tap::SubscribeChat).encode();
    let keyboard = InlineKeyboardMarkup::new([[InlineKeyboardButton::callback(
        text(language, "button_subscribe_channel", &[]),
        subscribe,
    )]]);
    let admin_chat = ChatId(update.from.id.0 as i64);
    context.pace(admin_chat, ChatKind::Private).await;
    let sent = bot
        .send_message(admin_chat, text(language, "channel_welcome", &[("title", &title)]))
        .parse_mode(ParseMode::Html)
        .reply_markup(ReplyMarkup::InlineKeyboard(keyboard))
        .await;
    if let Err(error) = sent {
        // The admin never started a chat with the bot: they can still /start it later.
        tracing::warn!(chat_id = update.chat.id.0, admin = update.from.id.0, %error, "cannot ask the channel's admin");
    }
    Ok(())
}
