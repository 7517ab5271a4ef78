//! The JSON shapes the Bot API answers with: User, Chat, Message, ChatMember, ChatFullInfo.
//! teloxide 0.17 parses them strictly, so required fields are always present (see the tests
//! that deserialise every shape into teloxide's types).

use std::sync::Arc;

use serde::Serialize;
use serde::ser::{SerializeMap, Serializer};
use serde_json::{Value, json};

use crate::html::MessageEntity;

/// A `User` object.
#[derive(Clone, Debug, Serialize)]
pub(crate) struct UserShape {
    pub id: i64,
    pub is_bot: bool,
    pub first_name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub language_code: Option<String>,
}

/// The kinds of chat.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ChatKind {
    Private,
    Group,
    Supergroup,
    Channel,
}

impl ChatKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ChatKind::Private => "private",
            ChatKind::Group => "group",
            ChatKind::Supergroup => "supergroup",
            ChatKind::Channel => "channel",
        }
    }

    /// Groups and supergroups carry the 20-per-minute limit and privacy mode.
    pub fn is_group(self) -> bool {
        matches!(self, ChatKind::Group | ChatKind::Supergroup)
    }
}

/// A `Chat` object, as embedded in messages and updates.
#[derive(Clone, Debug, Serialize)]
pub(crate) struct ChatShape {
    pub id: i64,
    #[serde(rename = "type", serialize_with = "kind_str")]
    pub kind: ChatKind,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_name: Option<String>,
}

fn kind_str<S: Serializer>(kind: &ChatKind, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(kind.as_str())
}

/// One size of a photo (`PhotoSize`).
#[derive(Clone, Debug, Serialize)]
pub(crate) struct PhotoSize {
    pub file_id: String,
    pub file_unique_id: String,
    pub file_size: u32,
    pub width: u32,
    pub height: u32,
}

/// What a message carries.
#[derive(Clone, Debug)]
pub(crate) enum Content {
    Text { text: String, entities: Vec<MessageEntity>, link_preview_options: Option<Value> },
    Photo { sizes: Arc<[PhotoSize]>, caption: Option<String>, caption_entities: Vec<MessageEntity> },
    MigrateTo(i64),
    MigrateFrom(i64),
}

/// A message as the sandbox keeps it; serialised on demand into a `Message` object.
#[derive(Clone, Debug)]
pub(crate) struct StoredMessage {
    pub message_id: i32,
    pub chat: Arc<ChatShape>,
    /// Absent for channel posts, which carry `sender_chat` instead.
    pub from: Option<Arc<UserShape>>,
    pub date: i64,
    pub edit_date: Option<i64>,
    pub content: Content,
    pub reply_to: Option<Arc<StoredMessage>>,
    /// Only inline keyboards appear in messages.
    pub reply_markup: Option<Value>,
    pub by_bot: bool,
}

impl Serialize for StoredMessage {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        serialize_message(self, true, s)
    }
}

/// `reply_to_message` is one level deep, as on Telegram.
struct Nested<'a>(&'a StoredMessage);

impl Serialize for Nested<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        serialize_message(self.0, false, s)
    }
}

fn serialize_message<S: Serializer>(m: &StoredMessage, with_reply: bool, s: S) -> Result<S::Ok, S::Error> {
    let mut map = s.serialize_map(None)?;
    map.serialize_entry("message_id", &m.message_id)?;
    match &m.from {
        Some(from) => map.serialize_entry("from", &**from)?,
        None => map.serialize_entry("sender_chat", &*m.chat)?,
    }
    map.serialize_entry("chat", &*m.chat)?;
    map.serialize_entry("date", &m.date)?;
    if let Some(edit_date) = m.edit_date {
        map.serialize_entry("edit_date", &edit_date)?;
    }
    if let (true, Some(reply)) = (with_reply, &m.reply_to) {
        map.serialize_entry("reply_to_message", &Nested(reply))?;
    }
    match &m.content {
        Content::Text { text, entities, link_preview_options } => {
            map.serialize_entry("text", text)?;
            if !entities.is_empty() {
                map.serialize_entry("entities", entities)?;
            }
            if let Some(options) = link_preview_options {
                map.serialize_entry("link_preview_options", options)?;
            }
        }
        Content::Photo { sizes, caption, caption_entities } => {
            map.serialize_entry("photo", &**sizes)?;
            if let Some(caption) = caption {
                map.serialize_entry("caption", caption)?;
            }
            if !caption_entities.is_empty() {
                map.serialize_entry("caption_entities", caption_entities)?;
            }
        }
        Content::MigrateTo(id) => map.serialize_entry("migrate_to_chat_id", id)?,
        Content::MigrateFrom(id) => map.serialize_entry("migrate_from_chat_id", id)?,
    }
    if let Some(markup) = &m.reply_markup {
        map.serialize_entry("reply_markup", markup)?;
    }
    map.end()
}

/// A member's standing in a chat.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum MemberStatus {
    /// The chat's owner (`creator`).
    Creator,
    /// An administrator.
    Administrator,
    /// A plain member.
    Member,
    /// Not in the chat.
    Left,
    /// Banned; for the bot in a private chat, blocked by the user.
    Kicked,
}

impl MemberStatus {
    /// Present and able to read the chat.
    pub fn is_present(self) -> bool {
        !matches!(self, MemberStatus::Left | MemberStatus::Kicked)
    }
}

/// A `ChatMember` object.
pub(crate) fn member_json(user: &UserShape, status: MemberStatus, kind: ChatKind) -> Value {
    let user = json!(user);
    match status {
        MemberStatus::Creator => json!({"user": user, "status": "creator", "is_anonymous": false}),
        MemberStatus::Member => json!({"user": user, "status": "member"}),
        MemberStatus::Left => json!({"user": user, "status": "left"}),
        MemberStatus::Kicked => json!({"user": user, "status": "kicked", "until_date": 0}),
        MemberStatus::Administrator => {
            let channel = kind == ChatKind::Channel;
            json!({
                "user": user, "status": "administrator", "can_be_edited": false,
                "is_anonymous": false, "can_manage_chat": true, "can_delete_messages": true,
                "can_manage_video_chats": true, "can_restrict_members": true,
                "can_promote_members": false, "can_change_info": true, "can_invite_users": true,
                "can_post_stories": true, "can_edit_stories": true, "can_delete_stories": true,
                "can_post_messages": channel, "can_edit_messages": channel,
                "can_pin_messages": !channel, "can_manage_topics": false,
            })
        }
    }
}

/// A `ChatFullInfo` object for `getChat`, with the fields teloxide 0.17 requires
/// (`accent_color_id`, `max_reaction_count`, `accepted_gift_types`).
pub(crate) fn chat_full_info(chat: &ChatShape, description: Option<&str>) -> Value {
    let private = chat.kind == ChatKind::Private;
    let mut info = json!(chat);
    let fields = info.as_object_mut().expect("a chat serialises to an object");
    fields.insert("accent_color_id".into(), json!(chat.id.rem_euclid(7)));
    fields.insert("max_reaction_count".into(), json!(11));
    fields.insert(
        "accepted_gift_types".into(),
        json!({
            "unlimited_gifts": private, "limited_gifts": private,
            "unique_gifts": private, "premium_subscription": private,
        }),
    );
    if chat.kind.is_group() {
        fields.insert(
            "permissions".into(),
            json!({
                "can_send_messages": true, "can_send_audios": true, "can_send_documents": true,
                "can_send_photos": true, "can_send_videos": true, "can_send_video_notes": true,
                "can_send_voice_notes": true, "can_send_polls": true,
                "can_send_other_messages": true, "can_add_web_page_previews": true,
                "can_change_info": false, "can_invite_users": true, "can_pin_messages": false,
                "can_manage_topics": false,
            }),
        );
    }
    if let Some(description) = description {
        fields.insert("description".into(), json!(description));
    }
    info
}
