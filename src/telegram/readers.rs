//! Readers: `/start` subscribes (and offers the channels to choose from), `/stop` unsubscribes,
//! `/help` explains. In a group only its admins may subscribe or unsubscribe it.

use std::sync::Arc;

use teloxide::{prelude::*, types::ReplyMarkup};

use super::{BotContext, chat_kind, may_manage, recipient, reply};
use crate::{
    domain::{NewSubscriber, SubscribeOutcome},
    locale,
};

pub async fn start(bot: &Bot, message: &Message, context: &BotContext) -> anyhow::Result<()> {
    let user_language = context.language_in(message.chat.id, message.from.as_ref()).await?;
    if !may_manage(bot, message).await? {
        reply(bot, context, &message.chat, locale::text(user_language, "only_admins", &[]), None).await?;
        return Ok(());
    }
    let subscriber = NewSubscriber {
        recipient: recipient(message.chat.id),
        kind: chat_kind(&message.chat),
        username: message.chat.username().map(str::to_owned),
        display_name: message.chat.title().map(str::to_owned).or_else(|| message.from.as_ref().map(|u| u.full_name())),
        // A group's language is its admin's until the admins pick one with /lang.
        app_language: message.from.as_ref().and_then(|u| u.language_code.clone()),
    };
    let readers = context.services.readers();
    let outcome = readers.subscribe(&subscriber).await?;
    let key = match outcome {
        SubscribeOutcome::Subscribed => "subscribed",
        SubscribeOutcome::Resubscribed => "resubscribed",
        SubscribeOutcome::AlreadySubscribed => "already_subscribed",
    };
    let language = context.language_in(message.chat.id, message.from.as_ref()).await?;
    let mut text = locale::text(language, key, &[]);
    let mut keyboard = None;
    if outcome == SubscribeOutcome::Subscribed
        && let Some(stored) = readers.subscriber(&subscriber.recipient).await?
    {
        let choices = readers.channel_choices(&stored).await?;
        if let (menu, Some(buttons)) = super::preferences::menus::channel_menu(&stored, &choices, language) {
            text = format!("{text}\n\n{menu}");
            keyboard = Some(ReplyMarkup::InlineKeyboard(buttons));
        }
    }
    reply(bot, context, &message.chat, text, keyboard).await?;
    Ok(())
}

pub async fn stop(bot: &Bot, message: &Message, context: &BotContext) -> anyhow::Result<()> {
    let language = context.language_in(message.chat.id, message.from.as_ref()).await?;
    if !may_manage(bot, message).await? {
        reply(bot, context, &message.chat, locale::text(language, "only_admins", &[]), None).await?;
        return Ok(());
    }
    let was_active = context.services.readers().unsubscribe(&recipient(message.chat.id)).await?;
    let key = if was_active { "unsubscribed" } else { "not_subscribed" };
    reply(bot, context, &message.chat, locale::text(language, key, &[]), None).await?;
    Ok(())
}

pub async fn help(bot: &Bot, message: &Message, context: &BotContext) -> anyhow::Result<()> {
    let language = context.language_in(message.chat.id, message.from.as_ref()).await?;
    let mut text = locale::text(language, "help", &[]);
    if context.is_editor(message.from.as_ref()).await {
        text.push_str(&locale::text(language, "editor_help", &[]));
    }
    reply(bot, context, &message.chat, text, None).await?;
    Ok(())
}

/// Anything else typed in a private chat gets the help text, so nobody is left wondering.
pub async fn help_for_chatter(bot: Bot, message: Message, context: Arc<BotContext>) -> anyhow::Result<()> {
    help(&bot, &message, &context).await
}
