//! Playing the readers: users and groups come into existence, write to the bot, tap its buttons,
//! block it. Each action produces the update real Telegram would send the bot.

mod chats;
mod readers;

use serde::{Deserialize, Serialize};

/// A control action that makes no sense (unknown user, a button that is not there, ...).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ControlError(pub String);

impl std::fmt::Display for ControlError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ControlError {}

pub(crate) fn fail<T>(message: impl Into<String>) -> Result<T, ControlError> {
    Err(ControlError(message.into()))
}

/// A user to add; their private chat with the bot has the same id.
#[derive(Clone, Debug, Deserialize, Serialize)]
pub struct NewUser {
    /// User id (positive).
    pub id: i64,
    /// First name.
    pub first_name: String,
    /// Last name.
    #[serde(default)]
    pub last_name: Option<String>,
    /// Username without `@`.
    #[serde(default)]
    pub username: Option<String>,
    /// IETF language tag of the user's client.
    #[serde(default)]
    pub language_code: Option<String>,
    /// Whether the user has opened the bot; if not, the bot cannot write first (403).
    #[serde(default = "started_by_default")]
    pub has_started_bot: bool,
}

fn started_by_default() -> bool {
    true
}

impl NewUser {
    /// A user who has started the bot.
    pub fn new(id: i64, first_name: impl Into<String>) -> Self {
        NewUser {
            id,
            first_name: first_name.into(),
            last_name: None,
            username: None,
            language_code: None,
            has_started_bot: true,
        }
    }

    /// With a username.
    pub fn username(mut self, username: impl Into<String>) -> Self {
        self.username = Some(username.into());
        self
    }

    /// With a last name.
    pub fn last_name(mut self, last_name: impl Into<String>) -> Self {
        self.last_name = Some(last_name.into());
        self
    }

    /// With a client language.
    pub fn language_code(mut self, code: impl Into<String>) -> Self {
        self.language_code = Some(code.into());
        self
    }

    /// A user who never opened the bot.
    pub fn not_started(mut self) -> Self {
        self.has_started_bot = false;
        self
    }
}

/// What kind of multi-user chat to create.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum GroupKind {
    /// A basic group (20 messages a minute; can migrate to a supergroup).
    Group,
    /// A supergroup.
    Supergroup,
    /// A channel; the bot must be an administrator to post.
    Channel,
}

/// A group, supergroup or channel to add, with the bot already in it.
#[derive(Clone, Debug, Deserialize, Serialize)]
pub struct NewGroup {
    /// Chat id (negative; `-100...` for supergroups and channels).
    pub id: i64,
    /// Title.
    pub title: String,
    /// Kind of chat.
    #[serde(rename = "type")]
    pub kind: GroupKind,
    /// Public username without `@`, making `chat_id: "@name"` work.
    #[serde(default)]
    pub username: Option<String>,
    /// The owner, a known user.
    #[serde(default)]
    pub owner: Option<i64>,
    /// Administrators, known users.
    #[serde(default)]
    pub admins: Vec<i64>,
    /// Plain members, known users.
    #[serde(default)]
    pub members: Vec<i64>,
    /// Whether the bot is an administrator (always, for channels).
    #[serde(default)]
    pub bot_is_admin: bool,
}

impl NewGroup {
    fn new(id: i64, title: impl Into<String>, kind: GroupKind) -> Self {
        NewGroup {
            id,
            title: title.into(),
            kind,
            username: None,
            owner: None,
            admins: Vec::new(),
            members: Vec::new(),
            bot_is_admin: kind == GroupKind::Channel,
        }
    }

    /// A basic group.
    pub fn group(id: i64, title: impl Into<String>) -> Self {
        NewGroup::new(id, title, GroupKind::Group)
    }

    /// A supergroup.
    pub fn supergroup(id: i64, title: impl Into<String>) -> Self {
        NewGroup::new(id, title, GroupKind::Supergroup)
    }

    /// A channel with the bot as administrator.
    pub fn channel(id: i64, title: impl Into<String>) -> Self {
        NewGroup::new(id, title, GroupKind::Channel)
    }

    /// With a public username.
    pub fn username(mut self, username: impl Into<String>) -> Self {
        self.username = Some(username.into());
        self
    }

    /// With an owner, who is also the one adding the bot.
    pub fn owner(mut self, user_id: i64) -> Self {
        self.owner = Some(user_id);
        self
    }

    /// With an administrator.
    pub fn admin(mut self, user_id: i64) -> Self {
        self.admins.push(user_id);
        self
    }

    /// With a member.
    pub fn member(mut self, user_id: i64) -> Self {
        self.members.push(user_id);
        self
    }

    /// With the bot as administrator.
    pub fn bot_admin(mut self) -> Self {
        self.bot_is_admin = true;
        self
    }
}
