//! Changing sent messages: `editMessageText`, `editMessageCaption`, `editMessageReplyMarkup`
//! and `deleteMessage`. As on Telegram, an edit without `reply_markup` removes the keyboard, and
//! an edit that changes nothing fails with "message is not modified".

use std::sync::Arc;
use std::time::Instant;

use serde_json::Value;

use super::send::record_of;
use crate::Shared;
use crate::error::{ApiError, msg, ok_body};
use crate::html::FormattedText;
use crate::limits::Charge;
use crate::params::{ChatTarget, Params};
use crate::record::{SentKind, SentMessage, unix_millis};
use crate::shapes::{Content, StoredMessage};
use crate::text::{self, Field, Markup};

enum Change {
    Text(FormattedText, Option<Value>),
    Caption(FormattedText),
    MarkupOnly,
}

struct Edit {
    method: &'static str,
    change: Change,
    markup: Markup,
    source: Option<String>,
    parse_mode: Option<String>,
}

pub(super) fn edit_message_text(sh: &Shared, p: &Params) -> Result<Vec<u8>, ApiError> {
    let (target, message_id) = message_ref(p)?;
    let given = text::given_text(&sh.text_rules(), p, Field::EditedText)?;
    let edit = Edit {
        method: "editMessageText",
        change: Change::Text(given.formatted, super::link_preview(p)?),
        markup: text::reply_markup(p)?,
        source: given.source,
        parse_mode: given.parse_mode,
    };
    apply(sh, &target, message_id, edit)
}

pub(super) fn edit_message_caption(sh: &Shared, p: &Params) -> Result<Vec<u8>, ApiError> {
    let (target, message_id) = message_ref(p)?;
    let given = text::given_text(&sh.text_rules(), p, Field::Caption)?;
    let edit = Edit {
        method: "editMessageCaption",
        change: Change::Caption(given.formatted),
        markup: text::reply_markup(p)?,
        source: given.source,
        parse_mode: given.parse_mode,
    };
    apply(sh, &target, message_id, edit)
}

pub(super) fn edit_message_reply_markup(sh: &Shared, p: &Params) -> Result<Vec<u8>, ApiError> {
    let (target, message_id) = message_ref(p)?;
    let edit = Edit {
        method: "editMessageReplyMarkup",
        change: Change::MarkupOnly,
        markup: text::reply_markup(p)?,
        source: None,
        parse_mode: None,
    };
    apply(sh, &target, message_id, edit)
}

pub(super) fn delete_message(sh: &Shared, p: &Params) -> Result<Vec<u8>, ApiError> {
    let (target, message_id) = message_ref(p)?;
    let now = Instant::now();
    let mut world = sh.world();
    let chat_id = world.resolve(&target)?;
    world.chat(chat_id)?;
    if world.messages.remove(&(chat_id, message_id)).is_none() {
        return Err(ApiError::bad_request(msg::TO_DELETE_NOT_FOUND));
    }
    let deletion = SentMessage::bare(SentKind::Deletion, "deleteMessage", chat_id, message_id, now, unix_millis());
    sh.record.push(deletion);
    Ok(ok_body(&true))
}

/// `chat_id` and `message_id`; inline messages are not simulated.
fn message_ref(p: &Params) -> Result<(ChatTarget, i32), ApiError> {
    if p.str("inline_message_id").is_some() {
        return Err(ApiError::bad_request("Bad Request: MESSAGE_ID_INVALID"));
    }
    let target = p.chat_target()?;
    let message_id = p.int("message_id").ok_or_else(|| ApiError::bad_request(msg::NO_MESSAGE_ID))?;
    Ok((target, message_id as i32))
}

fn apply(sh: &Shared, target: &ChatTarget, message_id: i32, edit: Edit) -> Result<Vec<u8>, ApiError> {
    let now = Instant::now();
    let millis = unix_millis();
    let mut world = sh.world();
    let chat_id = world.resolve(target)?;
    let is_group = world.postable(chat_id)?.kind().is_group();
    let old = world
        .messages
        .get(&(chat_id, message_id))
        .cloned()
        .ok_or_else(|| ApiError::bad_request(msg::TO_EDIT_NOT_FOUND))?;
    if !old.by_bot {
        return Err(ApiError::bad_request(msg::CANT_BE_EDITED));
    }
    let content = changed_content(&old.content, edit.change)?;
    if same_content(&old.content, &content) && old.reply_markup == edit.markup.inline {
        return Err(ApiError::bad_request(msg::NOT_MODIFIED));
    }
    let charge = Charge { chat_id, is_group, new_message: false };
    world.admit(charge, now)?;
    let message = Arc::new(StoredMessage {
        edit_date: Some((millis / 1000) as i64),
        content,
        reply_markup: edit.markup.inline,
        ..StoredMessage::clone(&old)
    });
    world.store(message.clone());
    sh.record.push(SentMessage {
        text: edit.source,
        parse_mode: edit.parse_mode,
        reply_markup: edit.markup.sent,
        ..record_of(SentKind::Edit, edit.method, &message, now, millis)
    });
    Ok(ok_body(&*message))
}

fn changed_content(old: &Content, change: Change) -> Result<Content, ApiError> {
    match (old, change) {
        (Content::Text { .. }, Change::Text(new, link_preview_options)) => {
            Ok(Content::Text { text: new.text, entities: new.entities, link_preview_options })
        }
        (_, Change::Text(..)) => Err(ApiError::bad_request(msg::NO_TEXT_TO_EDIT)),
        (Content::Photo { sizes, .. }, Change::Caption(new)) => Ok(Content::Photo {
            sizes: sizes.clone(),
            caption: (!new.text.is_empty()).then_some(new.text),
            caption_entities: new.entities,
        }),
        (_, Change::Caption(_)) => Err(ApiError::bad_request(msg::NO_CAPTION_TO_EDIT)),
        (old, Change::MarkupOnly) => Ok(old.clone()),
    }
}

/// Whether a reader would see the same thing (link preview settings do not count).
fn same_content(a: &Content, b: &Content) -> bool {
    match (a, b) {
        (Content::Text { text: t1, entities: e1, .. }, Content::Text { text: t2, entities: e2, .. }) => {
            t1 == t2 && e1 == e2
        }
        (
            Content::Photo { caption: c1, caption_entities: e1, .. },
            Content::Photo { caption: c2, caption_entities: e2, .. },
        ) => c1 == c2 && e1 == e2,
        _ => false,
    }
}
