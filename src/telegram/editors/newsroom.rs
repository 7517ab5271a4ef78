//! `/push <url>`: an article pushed now, fetched and summarised like any other, and only once.
//! `/recall <id>`: an erroneous push taken back: what is not sent yet is cancelled, and what was
//! sent is deleted from readers' chats, as far as Telegram allows (48 hours).

use std::sync::Arc;

use teloxide::prelude::*;

use super::refuse_non_editor;
use crate::{
    locale,
    render::telegram_html::escape,
    services::{articles::PublishOutcome, pages::PublishError},
    telegram::{BotContext, reply},
};

pub async fn push(bot: &Bot, message: &Message, context: &BotContext, url: &str) -> anyhow::Result<()> {
    if !refuse_non_editor(bot, message, context, "/push").await? {
        return Ok(());
    }
    let language = context.language_of(message.from.as_ref());
    let url = url.trim();
    if url.is_empty() {
        reply(bot, context, &message.chat, locale::text(language, "push_usage", &[]), None).await?;
        return Ok(());
    }
    let answer = match context.services.articles().publish_url(url).await {
        Ok(PublishOutcome::Published { broadcast_id, recipients }) => {
            locale::text(language, "push_sent", &[("count", &recipients), ("id", &broadcast_id)])
        }
        Ok(PublishOutcome::Duplicate) => locale::text(language, "push_duplicate", &[]),
        Err(PublishError::Internal(error)) => return Err(error),
        Err(error) => locale::text(language, "push_failed", &[("error", &escape(&error.to_string()))]),
    };
    reply(bot, context, &message.chat, answer, None).await?;
    Ok(())
}

pub async fn recall(bot: &Bot, message: &Message, context: &Arc<BotContext>, args: &str) -> anyhow::Result<()> {
    if !refuse_non_editor(bot, message, context, "/recall").await? {
        return Ok(());
    }
    let language = context.language_of(message.from.as_ref());
    let Ok(id) = args.trim().trim_start_matches('#').parse::<i64>() else {
        reply(bot, context, &message.chat, locale::text(language, "recall_usage", &[]), None).await?;
        return Ok(());
    };
    let Some(recall) = context.services.newsroom().recall(id).await? else {
        reply(bot, context, &message.chat, locale::text(language, "recall_unknown", &[("id", &id)]), None).await?;
        return Ok(());
    };
    tracing::info!(broadcast = id, editor = ?message.from.as_ref().map(|u| u.id), "an editor recalls a push");
    let started = locale::text(language, "recall_started", &[("id", &id), ("count", &recall.messages)]);
    reply(bot, context, &message.chat, started, None).await?;
    // Deleting thousands of messages takes minutes at the limits: the editor hears back when done.
    let (bot, context_, chat) = (bot.clone(), context.clone(), message.chat.clone());
    context.services.spawn(async move {
        let Ok(report) = recall.finished.await else { return };
        let failed = report.failed + report.beyond_reach;
        let done =
            locale::text(language, "recall_done", &[("id", &id), ("deleted", &report.done), ("failed", &failed)]);
        if let Err(error) = reply(&bot, &context_, &chat, done, None).await {
            tracing::warn!(broadcast = id, %error, "cannot report a recall to the editor");
        }
    });
    Ok(())
}
