//! Changes of the bot's own membership (`my_chat_member`): a reader who blocks the bot is marked
//! inactive at once; when the bot is added to a group or made admin of a Telegram channel, the
//! chat is remembered and its admins are told how to subscribe it.

use std::sync::Arc;

use teloxide::{
    prelude::*,
    types::{ChatMemberUpdated, InlineKeyboardButton, InlineKeyboardMarkup, ParseMode, ReplyMarkup},
};

use super::{BotContext, chat_kind, preferences::Button, preferences::Tap, reply};
use crate::{
    locale::text,
    render::html::escape,
    store::{ChatKind, NewSubscriber},
};

pub async fn on_change(bot: Bot, update: ChatMemberUpdated, context: Arc<BotContext>) -> anyhow::Result<()> {
    let member = &update.new_chat_member;
    if member.is_banned() || member.is_left() {
        let reason = if update.chat.is_private() { "blocked" } else { "removed" };
        let changed = context.store.deactivate_chat(update.chat.id.0, reason).await?;
        tracing::info!(chat_id = update.chat.id.0, reason, changed, "the bot lost access to a chat");
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
        context.store.move_chat(message.chat.id.0, new_chat.0).await?;
        tracing::info!(
            from = message.chat.id.0,
            to = new_chat.0,
            "a group became a supergroup; its subscription moved"
        );
    }
    Ok(())
}

/// The chat as a subscriber-to-be, its language the adder's.
fn chat_of(update: &ChatMemberUpdated) -> NewSubscriber {
    NewSubscriber {
        chat_id: update.chat.id.0,
        kind: chat_kind(&update.chat),
        username: update.chat.username().map(str::to_owned),
        display_name: update.chat.title().map(str::to_owned),
        language_code: update.from.language_code.clone(),
    }
}

/// In a group, anyone can read the bot's messages: it says how an admin subscribes the group.
async fn welcome_group(bot: &Bot, update: &ChatMemberUpdated, context: &BotContext) -> anyhow::Result<()> {
    let subscriber = context.store.note_chat_joined(&chat_of(update), update.from.id.0 as i64).await?;
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
    let subscriber = context.store.note_chat_joined(&chat_of(update), update.from.id.0 as i64).await?;
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
    context.pacer.admit(admin_chat.0, false).await;
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
