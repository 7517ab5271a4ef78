//! Editors: `/breaking <text>` shows the message exactly as readers will see it, with Send and
//! Cancel buttons; one tap on Send queues it for every active subscriber. The role is checked on
//! the command and again on every tap.

use std::sync::Arc;

use teloxide::{
    prelude::*,
    types::{InlineKeyboardButton, InlineKeyboardMarkup, ReplyMarkup},
};

use super::{BotContext, reply};
use crate::{
    locale,
    render::{TEXT_LIMIT, compose, html::visible_len},
};

const SEND: &str = "breaking:send:";
const CANCEL: &str = "breaking:cancel:";

pub async fn breaking(bot: &Bot, message: &Message, context: &BotContext, text: &str) -> anyhow::Result<()> {
    let language = context.language_of(message.from.as_ref());
    let say = |key: &str| locale::text(language, key, &[]);
    if !context.editors.allows(message.from.as_ref()) {
        tracing::warn!(user = ?message.from.as_ref().map(|u| u.id), "refused /breaking from a non-editor");
        reply(bot, context, &message.chat, say("not_editor"), None).await?;
        return Ok(());
    }
    if text.trim().is_empty() {
        reply(bot, context, &message.chat, say("breaking_usage"), None).await?;
        return Ok(());
    }
    let length = text.trim().encode_utf16().count();
    if length > TEXT_LIMIT - 64 {
        let args: [(&str, &(dyn std::fmt::Display + Sync)); 2] = [("length", &length), ("limit", &(TEXT_LIMIT - 64))];
        reply(bot, context, &message.chat, locale::text(language, "breaking_too_long", &args), None).await?;
        return Ok(());
    }
    let editor = message.from.as_ref().map_or(0, |u| u.id.0);
    let draft = compose::announcement(&context.renderer, text, None, true, &format!("editor:{editor}"))?;
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

/// Whether a tap is on a breaking-news preview's buttons.
pub fn is_editor_button(query: &CallbackQuery) -> bool {
    query.data.as_deref().is_some_and(|data| data.starts_with("breaking:"))
}

/// A tap on Send or Cancel under a preview.
pub async fn on_button(bot: Bot, query: CallbackQuery, context: Arc<BotContext>) -> anyhow::Result<()> {
    let language = context.language_of(Some(&query.from));
    let Some((action, id)) = query.data.as_deref().and_then(parse_button) else {
        bot.answer_callback_query(query.id).await?;
        return Ok(());
    };
    if !context.editors.allows(Some(&query.from)) {
        tracing::warn!(user = query.from.id.0, "refused a breaking-news tap from a non-editor");
        bot.answer_callback_query(query.id).text(locale::text(language, "not_editor", &[])).show_alert(true).await?;
        return Ok(());
    }
    let outcome = match action {
        Action::Send => context.store.confirm_draft(id).await?.map(|count| {
            context.engine.wake();
            tracing::info!(broadcast = id, recipients = count, editor = query.from.id.0, "breaking news confirmed");
            locale::text(language, "breaking_sending", &[("count", &count), ("id", &id)])
        }),
        Action::Cancel => {
            context.store.discard_draft(id).await?.then(|| locale::text(language, "breaking_cancelled", &[]))
        }
    };
    let answer = outcome.clone().unwrap_or_else(|| locale::text(language, "breaking_already_handled", &[]));
    bot.answer_callback_query(query.id.clone()).text(strip_markup(&answer)).await?;
    if let (Some(status), Some(preview)) = (outcome, query.regular_message()) {
        context.pacer.admit(preview.chat.id.0, super::chat_kind(&preview.chat).is_group()).await;
        bot.edit_message_reply_markup(preview.chat.id, preview.id).await?;
        reply(&bot, &context, &preview.chat, status, None).await?;
    }
    Ok(())
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Action {
    Send,
    Cancel,
}

fn parse_button(data: &str) -> Option<(Action, i64)> {
    let (action, id) = if let Some(id) = data.strip_prefix(SEND) {
        (Action::Send, id)
    } else {
        (Action::Cancel, data.strip_prefix(CANCEL)?)
    };
    Some((action, id.parse().ok()?))
}

/// Callback answers are plain text.
fn strip_markup(text: &str) -> String {
    text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn button_data_round_trips() {
        assert_eq!(parse_button("breaking:send:42"), Some((Action::Send, 42)));
        assert_eq!(parse_button("breaking:cancel:7"), Some((Action::Cancel, 7)));
        assert_eq!(parse_button("breaking:send:x"), None);
        assert_eq!(parse_button("other"), None);
    }
}
