//! Editors: `/breaking <text or URL>` shows the message exactly as readers will see it, with Send
//! and Cancel buttons; one tap on Send queues it for every active subscriber and the status
//! message then follows the push live, with a Stop button. `/push <url>` pushes an article at
//! once, `/recall <id>` takes a push back out of readers' chats. The role (config or
//! `kabar editors add`) is checked on every command and again on every tap.

mod newsroom;
mod progress;

use std::sync::Arc;

use teloxide::{
    prelude::*,
    types::{InlineKeyboardButton, InlineKeyboardMarkup, ReplyMarkup},
};

pub use newsroom::{push, recall};

use super::{BotContext, reply, strip_markup};
use crate::{
    locale,
    render::{TEXT_LIMIT, compose, html::visible_len},
    store::NewBroadcast,
};

const SEND: &str = "breaking:send:";
const CANCEL: &str = "breaking:cancel:";
const STOP: &str = "breaking:stop:";

/// The longest text an editor may write: the template's own words need the rest.
const TEXT_BUDGET: usize = TEXT_LIMIT - 64;

pub async fn breaking(bot: &Bot, message: &Message, context: &BotContext, text: &str) -> anyhow::Result<()> {
    let language = context.language_of(message.from.as_ref());
    let say = |key: &str| locale::text(language, key, &[]);
    if !refuse_non_editor(bot, message, context, "/breaking").await? {
        return Ok(());
    }
    let text = text.trim();
    if text.is_empty() {
        reply(bot, context, &message.chat, say("breaking_usage"), None).await?;
        return Ok(());
    }
    let length = text.encode_utf16().count();
    if length > TEXT_BUDGET {
        let args: [(&str, &(dyn std::fmt::Display + Sync)); 2] = [("length", &length), ("limit", &TEXT_BUDGET)];
        reply(bot, context, &message.chat, locale::text(language, "breaking_too_long", &args), None).await?;
        return Ok(());
    }
    let editor = message.from.as_ref().map_or(0, |u| u.id.0);
    let draft = match draft_of(context, text, &format!("editor:{editor}")).await {
        Ok(draft) => draft,
        Err(error) => {
            let answer = locale::text(language, "push_failed", &[("error", &crate::render::html::escape(&error))]);
            reply(bot, context, &message.chat, answer, None).await?;
            return Ok(());
        }
    };
    // The editor sees the message exactly as readers of their language will.
    let body_html = compose::body_in(&draft, language).to_owned();
    debug_assert!(visible_len(&body_html) <= TEXT_LIMIT);
    let id = context.store.create_draft(&draft).await?;
    let readers = context.store.count_active_subscribers().await?;
    let buttons = InlineKeyboardMarkup::new([[
        InlineKeyboardButton::callback(
            locale::text(language, "button_send", &[("count", &readers)]),
            format!("{SEND}{id}"),
        ),
        InlineKeyboardButton::callback(say("button_cancel"), format!("{CANCEL}{id}")),
    ]]);
    reply(bot, context, &message.chat, body_html, Some(ReplyMarkup::InlineKeyboard(buttons))).await?;
    Ok(())
}

/// The breaking message for `text`: the text itself, or, when it is only a link, the article
/// there (its title and summary, read like any other) with that link.
async fn draft_of(context: &BotContext, text: &str, created_by: &str) -> Result<NewBroadcast, String> {
    let as_link = url::Url::parse(text).ok().filter(|url| matches!(url.scheme(), "http" | "https"));
    let Some(link) = as_link else {
        return compose::announcement(&context.renderer, text, None, true, created_by).map_err(|e| e.to_string());
    };
    let page = context.publisher.read_page(link.as_str()).await.map_err(|e| e.to_string())?;
    let title = page.title.ok_or_else(|| format!("no article title was found at {link}"))?;
    let words = match page.summary {
        Some(summary) => format!("{title}\n\n{summary}"),
        None => title,
    };
    compose::announcement(&context.renderer, &words, Some(link.as_str()), true, created_by).map_err(|e| e.to_string())
}

/// Tells a non-editor no; true when the sender is an editor.
async fn refuse_non_editor(bot: &Bot, message: &Message, context: &BotContext, command: &str) -> anyhow::Result<bool> {
    if context.is_editor(message.from.as_ref()).await {
        return Ok(true);
    }
    tracing::warn!(user = ?message.from.as_ref().map(|u| u.id), command, "refused an editor's command from a non-editor");
    let language = context.language_of(message.from.as_ref());
    reply(bot, context, &message.chat, locale::text(language, "not_editor", &[]), None).await?;
    Ok(false)
}

/// Whether a tap is on an editor's buttons (a preview, or a push's Stop).
pub fn is_editor_button(query: &CallbackQuery) -> bool {
    query.data.as_deref().is_some_and(|data| data.starts_with("breaking:"))
}

/// A tap on Send, Cancel or Stop.
pub async fn on_button(bot: Bot, query: CallbackQuery, context: Arc<BotContext>) -> anyhow::Result<()> {
    let language = context.language_of(Some(&query.from));
    let Some((action, id)) = query.data.as_deref().and_then(parse_button) else {
        bot.answer_callback_query(query.id).await?;
        return Ok(());
    };
    if !context.is_editor(Some(&query.from)).await {
        tracing::warn!(user = query.from.id.0, "refused a breaking-news tap from a non-editor");
        bot.answer_callback_query(query.id).text(locale::text(language, "not_editor", &[])).show_alert(true).await?;
        return Ok(());
    }
    match action {
        Action::Send => send(&bot, &query, &context, id, language).await,
        Action::Cancel => cancel(&bot, &query, &context, id, language).await,
        Action::Stop => stop(&bot, &query, &context, id, language).await,
    }
}

async fn send(
    bot: &Bot,
    query: &CallbackQuery,
    context: &Arc<BotContext>,
    id: i64,
    language: &str,
) -> anyhow::Result<()> {
    let Some(count) = context.store.confirm_draft(id).await? else {
        return already_handled(bot, query, language).await;
    };
    context.engine.wake();
    tracing::info!(broadcast = id, recipients = count, editor = query.from.id.0, "breaking news confirmed");
    let status = locale::text(language, "breaking_sending", &[("count", &count), ("id", &id)]);
    bot.answer_callback_query(query.id.clone()).text(strip_markup(&status)).await?;
    if let Some(preview) = query.regular_message() {
        remove_buttons(bot, context, preview).await?;
        let stop = InlineKeyboardMarkup::new([[InlineKeyboardButton::callback(
            locale::text(language, "button_stop", &[]),
            format!("{STOP}{id}"),
        )]]);
        let status = reply(bot, context, &preview.chat, status, Some(ReplyMarkup::InlineKeyboard(stop))).await?;
        progress::follow(bot.clone(), context.clone(), status, id, locale::known_language(language).unwrap_or("en"));
    }
    Ok(())
}

async fn cancel(bot: &Bot, query: &CallbackQuery, context: &BotContext, id: i64, language: &str) -> anyhow::Result<()> {
    if !context.store.discard_draft(id).await? {
        return already_handled(bot, query, language).await;
    }
    let status = locale::text(language, "breaking_cancelled", &[]);
    bot.answer_callback_query(query.id.clone()).text(strip_markup(&status)).await?;
    if let Some(preview) = query.regular_message() {
        remove_buttons(bot, context, preview).await?;
        reply(bot, context, &preview.chat, status, None).await?;
    }
    Ok(())
}

/// Stop: what is not sent yet is cancelled; the progress message says so when it next looks.
async fn stop(bot: &Bot, query: &CallbackQuery, context: &BotContext, id: i64, language: &str) -> anyhow::Result<()> {
    let progress = context.store.cancel_broadcast(id).await?;
    tracing::info!(broadcast = id, editor = query.from.id.0, "an editor stopped a push");
    let cancelled = progress.map_or(0, |p| p.cancelled);
    let answer = locale::text(language, "breaking_stopping", &[("id", &id), ("cancelled", &cancelled)]);
    bot.answer_callback_query(query.id.clone()).text(strip_markup(&answer)).await?;
    Ok(())
}

async fn already_handled(bot: &Bot, query: &CallbackQuery, language: &str) -> anyhow::Result<()> {
    let answer = locale::text(language, "breaking_already_handled", &[]);
    bot.answer_callback_query(query.id.clone()).text(strip_markup(&answer)).await?;
    Ok(())
}

async fn remove_buttons(bot: &Bot, context: &BotContext, message: &Message) -> anyhow::Result<()> {
    context.pacer.admit(message.chat.id.0, super::chat_kind(&message.chat).is_group()).await;
    bot.edit_message_reply_markup(message.chat.id, message.id).await?;
    Ok(())
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Action {
    Send,
    Cancel,
    Stop,
}

fn parse_button(data: &str) -> Option<(Action, i64)> {
    let (action, id) = [(SEND, Action::Send), (CANCEL, Action::Cancel), (STOP, Action::Stop)]
        .into_iter()
        .find_map(|(prefix, action)| data.strip_prefix(prefix).map(|id| (action, id)))?;
    Some((action, id.parse().ok()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn button_data_round_trips() {
        assert_eq!(parse_button("breaking:send:42"), Some((Action::Send, 42)));
        assert_eq!(parse_button("breaking:cancel:7"), Some((Action::Cancel, 7)));
        assert_eq!(parse_button("breaking:stop:9"), Some((Action::Stop, 9)));
        assert_eq!(parse_button("breaking:send:x"), None);
        assert_eq!(parse_button("other"), None);
    }
}
