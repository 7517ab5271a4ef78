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
    domain::{DraftDecision, Language, Platform},
    locale,
    render::telegram_html::escape,
    services::newsroom::{AnnouncementError, DraftError},
};

const SEND: &str = "breaking:send:";
const CANCEL: &str = "breaking:cancel:";
const STOP: &str = "breaking:stop:";

pub async fn breaking(bot: &Bot, message: &Message, context: &BotContext, text: &str) -> anyhow::Result<()> {
    let language = context.language_of(message.from.as_ref());
    let say = |key: &str| locale::text(language, key, &[]);
    if !refuse_non_editor(bot, message, context, "/breaking").await? {
        return Ok(());
    }
    let Some(editor) = message.from.as_ref() else { return Ok(()) };
    let draft = match context.services.newsroom().draft(text, &author(editor)).await {
        Ok(draft) => draft,
        Err(DraftError::Internal(error)) => return Err(error),
        Err(refused) => {
            reply(bot, context, &message.chat, refusal(&refused, language), None).await?;
            return Ok(());
        }
    };
    // The editor sees the message exactly as readers of their language will.
    let preview = draft.broadcast.body(Platform::Telegram, language).map(|body| body.text.clone()).unwrap_or_default();
    let buttons = InlineKeyboardMarkup::new([[
        InlineKeyboardButton::callback(
            locale::text(language, "button_send", &[("count", &draft.audience)]),
            format!("{SEND}{}", draft.id),
        ),
        InlineKeyboardButton::callback(say("button_cancel"), format!("{CANCEL}{}", draft.id)),
    ]]);
    reply(bot, context, &message.chat, preview, Some(ReplyMarkup::InlineKeyboard(buttons))).await?;
    Ok(())
}

/// Why a draft was refused, in the editor's words.
fn refusal(refused: &DraftError, language: Language) -> String {
    match refused {
        DraftError::Invalid(AnnouncementError::Empty) => locale::text(language, "breaking_usage", &[]),
        DraftError::Invalid(AnnouncementError::TooLong { length, limit }) => {
            let args: [(&str, &(dyn std::fmt::Display + Sync)); 2] = [("length", length), ("limit", limit)];
            locale::text(language, "breaking_too_long", &args)
        }
        other => locale::text(language, "push_failed", &[("error", &escape(&other.to_string()))]),
    }
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
    language: Language,
) -> anyhow::Result<()> {
    let count = match context.services.newsroom().confirm(id, &author(&query.from)).await? {
        DraftDecision::Done(count) => count,
        refused => return refuse_tap(bot, query, refused, language).await,
    };
    tracing::info!(broadcast = id, editor = query.from.id.0, "an editor confirmed breaking news");
    let status = locale::text(language, "breaking_sending", &[("count", &count), ("id", &id)]);
    bot.answer_callback_query(query.id.clone()).text(strip_markup(&status)).await?;
    if let Some(preview) = query.regular_message() {
        remove_buttons(bot, context, preview).await?;
        let stop = InlineKeyboardMarkup::new([[InlineKeyboardButton::callback(
            locale::text(language, "button_stop", &[]),
            format!("{STOP}{id}"),
        )]]);
        let status = reply(bot, context, &preview.chat, status, Some(ReplyMarkup::InlineKeyboard(stop))).await?;
        progress::follow(bot.clone(), context.clone(), status, id, language);
    }
    Ok(())
}

async fn cancel(
    bot: &Bot,
    query: &CallbackQuery,
    context: &BotContext,
    id: i64,
    language: Language,
) -> anyhow::Result<()> {
    let decision = context.services.newsroom().discard(id, &author(&query.from)).await?;
    if decision != DraftDecision::Done(()) {
        return refuse_tap(bot, query, decision, language).await;
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
async fn stop(
    bot: &Bot,
    query: &CallbackQuery,
    context: &BotContext,
    id: i64,
    language: Language,
) -> anyhow::Result<()> {
    let progress = context.services.newsroom().cancel(id).await?;
    tracing::info!(broadcast = id, editor = query.from.id.0, "an editor stopped a push");
    let cancelled = progress.map_or(0, |p| p.cancelled);
    let answer = locale::text(language, "breaking_stopping", &[("id", &id), ("cancelled", &cancelled)]);
    bot.answer_callback_query(query.id.clone()).text(strip_markup(&answer)).await?;
    Ok(())
}

/// Answers a tap on a draft that was handled already, or that another editor wrote.
async fn refuse_tap<T>(
    bot: &Bot,
    query: &CallbackQuery,
    refused: DraftDecision<T>,
    language: Language,
) -> anyhow::Result<()> {
    let key = match refused {
        DraftDecision::NotYours => "breaking_not_yours",
        _ => "breaking_already_handled",
    };
    let answer = locale::text(language, key, &[]);
    bot.answer_callback_query(query.id.clone()).text(strip_markup(&answer)).await?;
    Ok(())
}

/// Who wrote a draft, as broadcasts record it: the only editor who may send or cancel it.
fn author(editor: &teloxide::types::User) -> String {
    format!("editor:{}", editor.id.0)
}

async fn remove_buttons(bot: &Bot, context: &BotContext, message: &Message) -> anyhow::Result<()> {
    context.pace(message.chat.id, super::chat_kind(&message.chat)).await;
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
