//! New messages: `sendMessage`, `sendPhoto`, and `sendChatAction`. All new messages pass
//! through [`deliver`], which checks the chat, applies the flood limits, stores and records.

use std::sync::Arc;
use std::time::Instant;

use serde_json::{Value, json};

use crate::Shared;
use crate::error::{ApiError, msg, ok_body};
use crate::limits::Charge;
use crate::params::{ChatTarget, Params};
use crate::record::{PhotoInput, SentKind, SentMessage, unix_millis};
use crate::shapes::{ChatKind, Content, PhotoSize, StoredMessage};
use crate::text::{self, Field, Markup};

/// The message being replied to.
pub(crate) struct ReplyTo {
    pub message_id: i32,
    pub allow_missing: bool,
}

/// A new message before the sandbox accepts it.
struct Draft {
    method: &'static str,
    content: Content,
    markup: Markup,
    source: Option<String>,
    parse_mode: Option<String>,
    reply: Option<ReplyTo>,
    link_preview_options: Option<Value>,
    photo: Option<PhotoInput>,
    disable_notification: bool,
}

pub(super) fn send_message(sh: &Shared, p: &Params) -> Result<Vec<u8>, ApiError> {
    let target = p.chat_target()?;
    let given = text::given_text(&sh.text_rules(), p, Field::Text)?;
    let link_preview_options = link_preview(p)?;
    let draft = Draft {
        method: "sendMessage",
        content: Content::Text {
            text: given.formatted.text,
            entities: given.formatted.entities,
            link_preview_options: link_preview_options.clone(),
        },
        markup: text::reply_markup(p)?,
        source: given.source,
        parse_mode: given.parse_mode,
        reply: reply_target(p)?,
        link_preview_options,
        photo: None,
        disable_notification: p.flag("disable_notification"),
    };
    let message = deliver(sh, &target, draft)?;
    Ok(ok_body(&*message))
}

pub(super) fn send_photo(sh: &Shared, p: &Params) -> Result<Vec<u8>, ApiError> {
    let target = p.chat_target()?;
    let input = photo_input(p)?;
    let caption = text::given_text(&sh.text_rules(), p, Field::Caption)?;
    let markup = text::reply_markup(p)?;
    let reply = reply_target(p)?;
    let sizes = photo_sizes(sh, &input)?;
    let draft = Draft {
        method: "sendPhoto",
        content: Content::Photo {
            sizes,
            caption: Some(caption.formatted.text).filter(|c| !c.is_empty()),
            caption_entities: caption.formatted.entities,
        },
        markup,
        source: caption.source,
        parse_mode: caption.parse_mode,
        reply,
        link_preview_options: None,
        photo: Some(input),
        disable_notification: p.flag("disable_notification"),
    };
    let message = deliver(sh, &target, draft)?;
    Ok(ok_body(&*message))
}

pub(super) fn send_chat_action(sh: &Shared, p: &Params) -> Result<Vec<u8>, ApiError> {
    let target = p.chat_target()?;
    let world = sh.world();
    let chat_id = world.resolve(&target)?;
    world.postable(chat_id)?;
    Ok(ok_body(&true))
}

/// Checks the chat and the limits, stores the message and records it.
fn deliver(sh: &Shared, target: &ChatTarget, draft: Draft) -> Result<Arc<StoredMessage>, ApiError> {
    let now = Instant::now();
    let millis = unix_millis();
    let mut world = sh.world();
    let chat_id = world.resolve(target)?;
    let chat = world.postable(chat_id)?;
    let (chat_shape, kind) = (chat.shape.clone(), chat.kind());
    let reply_to = match draft.reply {
        None => None,
        Some(reply) => match world.messages.get(&(chat_id, reply.message_id)) {
            Some(message) => Some(message.clone()),
            None if reply.allow_missing => None,
            None => return Err(ApiError::bad_request(msg::REPLY_NOT_FOUND)),
        },
    };
    let charge = Charge { chat_id, is_group: kind.is_group(), new_message: true };
    world.admit(charge, now)?;
    let message_id = world.next_message_id(chat_id);
    let reply_to_message_id = reply_to.as_ref().map(|m| m.message_id);
    let message = Arc::new(StoredMessage {
        message_id,
        chat: chat_shape,
        // Channel posts carry the channel as sender, not the bot.
        from: (kind != ChatKind::Channel).then(|| world.bot.clone()),
        date: (millis / 1000) as i64,
        edit_date: None,
        content: draft.content,
        reply_to,
        reply_markup: draft.markup.inline,
        by_bot: true,
    });
    world.store(message.clone());
    sh.record.push(SentMessage {
        text: draft.source,
        parse_mode: draft.parse_mode,
        reply_markup: draft.markup.sent,
        disable_notification: draft.disable_notification,
        link_preview_options: draft.link_preview_options,
        reply_to_message_id,
        photo: draft.photo,
        ..record_of(SentKind::Message, draft.method, &message, now, millis)
    });
    Ok(message)
}

/// A record of a stored message, with the text and entities a reader sees in it; callers add
/// what the request said.
pub(super) fn record_of(
    kind: SentKind,
    method: &'static str,
    message: &StoredMessage,
    at: Instant,
    millis: u64,
) -> SentMessage {
    let (plain_text, entities) = match &message.content {
        Content::Text { text, entities, .. } => (Some(text.clone()), entities.clone()),
        Content::Photo { caption, caption_entities, .. } => (caption.clone(), caption_entities.clone()),
        _ => (None, Vec::new()),
    };
    SentMessage {
        plain_text,
        entities,
        ..SentMessage::bare(kind, method, message.chat.id, message.message_id, at, millis)
    }
}

/// `link_preview_options`, or the older `disable_web_page_preview`.
pub(super) fn link_preview(p: &Params) -> Result<Option<Value>, ApiError> {
    let options = p
        .json("link_preview_options")
        .map_err(|()| ApiError::bad_request("Bad Request: can't parse link preview options JSON object"))?;
    Ok(match options {
        Some(options) => Some(options.into_owned()),
        None if p.flag("disable_web_page_preview") => Some(json!({"is_disabled": true})),
        None => None,
    })
}

/// `reply_parameters`, or the older `reply_to_message_id`.
pub(super) fn reply_target(p: &Params) -> Result<Option<ReplyTo>, ApiError> {
    let parameters = p
        .json("reply_parameters")
        .map_err(|()| ApiError::bad_request("Bad Request: can't parse reply parameters JSON object"))?;
    if let Some(parameters) = parameters {
        let message_id =
            parameters["message_id"].as_i64().ok_or_else(|| ApiError::bad_request(msg::REPLY_NOT_FOUND))?;
        return Ok(Some(ReplyTo {
            message_id: message_id as i32,
            allow_missing: parameters["allow_sending_without_reply"].as_bool().unwrap_or(false),
        }));
    }
    Ok(p.int("reply_to_message_id")
        .map(|id| ReplyTo { message_id: id as i32, allow_missing: p.flag("allow_sending_without_reply") }))
}

/// `photo`: an upload (direct or `attach://`), an HTTP URL, or a file id.
fn photo_input(p: &Params) -> Result<PhotoInput, ApiError> {
    let upload = |u: &crate::params::Upload| PhotoInput::Upload { file_name: u.file_name.clone(), size: u.size };
    if let Some(file) = p.file("photo") {
        return Ok(upload(file));
    }
    let value = p.str("photo").ok_or_else(|| ApiError::bad_request(msg::NO_PHOTO))?;
    if let Some(part) = value.strip_prefix("attach://") {
        return p.file(part).map(upload).ok_or_else(|| ApiError::bad_request(msg::NO_PHOTO));
    }
    if value.starts_with("http://") || value.starts_with("https://") {
        return Ok(PhotoInput::Url(value.into_owned()));
    }
    Ok(PhotoInput::FileId(value.into_owned()))
}

/// The sizes Telegram makes of a photo: a file id it issued earlier maps to the same photo;
/// anything else becomes a new photo with new file ids.
fn photo_sizes(sh: &Shared, input: &PhotoInput) -> Result<Arc<[PhotoSize]>, ApiError> {
    let mut world = sh.world();
    if let PhotoInput::FileId(id) = input {
        return world.photos.get(id).cloned().ok_or_else(|| ApiError::bad_request(msg::WRONG_FILE));
    }
    let serial = world.serial();
    let sizes: Arc<[PhotoSize]> = [(90, 60, 1_200), (320, 213, 14_000), (800, 533, 62_000)]
        .iter()
        .enumerate()
        .map(|(n, (width, height, size))| PhotoSize {
            file_id: format!("AgACAgIAAxkDAAIB{serial:08}Sandbox{n}"),
            file_unique_id: format!("AQAD{serial:08}{n}"),
            file_size: *size,
            width: *width,
            height: *height,
        })
        .collect();
    for size in sizes.iter() {
        world.photos.insert(size.file_id.clone(), sizes.clone());
    }
    Ok(sizes)
}
