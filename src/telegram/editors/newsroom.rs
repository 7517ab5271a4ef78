//! `/push <url>`: an article pushed now, fetched and summarised like any other, and only once.
//! `/recall <id>`: an erroneous push taken back: what is not sent yet is cancelled, and what was
//! sent is deleted from readers' chats, as far as Telegram allows (48 hours).

use std::{sync::Arc, time::Duration};

use teloxide::{prelude::*, types::MessageId};

use super::refuse_non_editor;
use crate::{
    locale,
    render::html::escape,
    sources::{PublishOutcome, publish::PublishError},
    store::{DeliveredMessage, now_ms},
    telegram::{BotContext, reply},
};

/// Telegram lets a bot delete its messages for this long.
const DELETABLE_FOR: Duration = Duration::from_secs(48 * 3600);

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
    let answer = match context.publisher.publish_url(url).await {
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
    if context.store.cancel_broadcast(id).await?.is_none() {
        reply(bot, context, &message.chat, locale::text(language, "recall_unknown", &[("id", &id)]), None).await?;
        return Ok(());
    }
    let sent = context.store.sent_messages(id).await?;
    tracing::info!(broadcast = id, messages = sent.len(), editor = ?message.from.as_ref().map(|u| u.id), "recalling a push");
    let started = locale::text(language, "recall_started", &[("id", &id), ("count", &sent.len())]);
    reply(bot, context, &message.chat, started, None).await?;
    // Deleting thousands of messages takes minutes at the limits: the editor's chat stays free.
    let (bot, context, chat) = (bot.clone(), context.clone(), message.chat.clone());
    tokio::spawn(async move {
        let (deleted, failed) = delete_all(&bot, &context, &sent).await;
        let done = locale::text(language, "recall_done", &[("id", &id), ("deleted", &deleted), ("failed", &failed)]);
        if let Err(error) = reply(&bot, &context, &chat, done, None).await {
            tracing::warn!(broadcast = id, %error, "cannot report a recall to the editor");
        }
    });
    Ok(())
}

/// Deletes each sent message still young enough, paced like every send; returns how many were
/// deleted and how many could not be.
async fn delete_all(bot: &Bot, context: &BotContext, sent: &[DeliveredMessage]) -> (usize, usize) {
    let oldest_deletable = now_ms() - DELETABLE_FOR.as_millis() as i64;
    let (mut deleted, mut failed) = (0, 0);
    for message in sent {
        if message.sent_at < oldest_deletable {
            failed += 1;
            continue;
        }
        context.pacer.admit(message.chat_id, message.chat_kind().is_group()).await;
        match bot.delete_message(ChatId(message.chat_id), MessageId(message.message_id as i32)).await {
            Ok(_) => deleted += 1,
            Err(error) => {
                tracing::debug!(chat_id = message.chat_id, %error, "cannot delete a recalled message");
                failed += 1;
            }
        }
    }
    (deleted, failed)
}
