//! Readers: `/start` subscribes, `/stop` unsubscribes, `/help` explains; a reader who blocks the
//! bot is marked inactive at once.

use std::sync::Arc;

use teloxide::{prelude::*, types::ChatMemberUpdated};

use super::{BotContext, chat_kind, language_of, reply};
use crate::{
    locale,
    store::{NewSubscriber, SubscribeOutcome},
};

pub async fn start(bot: &Bot, message: &Message, context: &BotContext) -> anyhow::Result<()> {
    if !may_manage(bot, message).await? {
        return Ok(());
    }
    let language = language_of(message.from.as_ref());
    let subscriber = NewSubscriber {
        chat_id: message.chat.id.0,
        kind: chat_kind(&message.chat),
        username: message.chat.username().map(str::to_owned),
        display_name: message.chat.title().map(str::to_owned).or_else(|| message.from.as_ref().map(|u| u.full_name())),
        language_code: message.from.as_ref().and_then(|u| u.language_code.clone()),
    };
    let key = match context.store.subscribe(&subscriber).await? {
        SubscribeOutcome::Subscribed => "subscribed",
        SubscribeOutcome::Resubscribed => "resubscribed",
        SubscribeOutcome::AlreadySubscribed => "already_subscribed",
    };
    tracing::info!(chat_id = subscriber.chat_id, outcome = key, "reader /start");
    reply(bot, context, &message.chat, locale::text(language, key, &[]), None).await?;
    Ok(())
}

pub async fn stop(bot: &Bot, message: &Message, context: &BotContext) -> anyhow::Result<()> {
    if !may_manage(bot, message).await? {
        return Ok(());
    }
    let language = language_of(message.from.as_ref());
    let was_active = context.store.deactivate_chat(message.chat.id.0, "stopped").await?;
    tracing::info!(chat_id = message.chat.id.0, was_active, "reader /stop");
    let key = if was_active { "unsubscribed" } else { "not_subscribed" };
    reply(bot, context, &message.chat, locale::text(language, key, &[]), None).await?;
    Ok(())
}

pub async fn help(bot: &Bot, message: &Message, context: &BotContext) -> anyhow::Result<()> {
    let language = language_of(message.from.as_ref());
    let mut text = locale::text(language, "help", &[]);
    if context.editors.allows(message.from.as_ref()) {
        text.push_str(&locale::text(language, "editor_help", &[]));
    }
    reply(bot, context, &message.chat, text, None).await?;
    Ok(())
}

/// Anything else typed in a private chat gets the help text, so nobody is left wondering.
pub async fn help_for_chatter(bot: Bot, message: Message, context: Arc<BotContext>) -> anyhow::Result<()> {
    help(&bot, &message, &context).await
}

/// The bot was blocked, kicked or removed: stop sending there at once.
pub async fn on_membership_change(update: ChatMemberUpdated, context: Arc<BotContext>) -> anyhow::Result<()> {
    let member = &update.new_chat_member;
    if member.is_banned() || member.is_left() {
        let reason = if update.chat.is_private() { "blocked" } else { "removed" };
        let changed = context.store.deactivate_chat(update.chat.id.0, reason).await?;
        tracing::info!(chat_id = update.chat.id.0, reason, changed, "the bot lost access to a chat");
    }
    Ok(())
}

/// In a group, only its administrators may subscribe or unsubscribe it.
async fn may_manage(bot: &Bot, message: &Message) -> anyhow::Result<bool> {
    if message.chat.is_private() {
        return Ok(true);
    }
    let Some(user) = &message.from else { return Ok(false) };
    Ok(bot.get_chat_member(message.chat.id, user.id).await?.is_privileged())
}
