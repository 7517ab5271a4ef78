//! Chats and their people: users, groups, migrations, blocking, the bot's own standing.

use std::sync::Arc;

use serde_json::json;

use super::{ControlError, GroupKind, NewGroup, NewUser, fail};
use crate::Sandbox;
use crate::record::unix_millis;
use crate::shapes::{ChatKind, ChatShape, Content, MemberStatus, StoredMessage, UserShape, member_json};
use crate::world::{ChatRecord, UserRecord, World};

impl Sandbox {
    /// Adds (or replaces) a user and their private chat with the bot.
    pub fn add_user(&self, user: NewUser) {
        let shape = Arc::new(UserShape {
            id: user.id,
            is_bot: false,
            first_name: user.first_name.clone(),
            last_name: user.last_name.clone(),
            username: user.username.clone(),
            language_code: user.language_code,
        });
        let chat = ChatShape {
            id: user.id,
            kind: ChatKind::Private,
            title: None,
            username: user.username,
            first_name: Some(user.first_name),
            last_name: user.last_name,
        };
        let mut world = self.shared.world();
        world
            .users
            .insert(user.id, UserRecord { shape, blocked: false, deactivated: false, started: user.has_started_bot });
        match world.chats.get_mut(&user.id) {
            Some(existing) => existing.shape = Arc::new(chat),
            None => {
                world.chats.insert(user.id, ChatRecord::new(chat, MemberStatus::Member));
            }
        }
    }

    /// Adds a group, supergroup or channel with the bot in it, and sends the bot the
    /// `my_chat_member` update for being added (from the owner, else the first admin or member).
    pub fn add_group(&self, group: NewGroup) -> Result<(), ControlError> {
        let mut world = self.shared.world();
        let people = group.owner.iter().chain(&group.admins).chain(&group.members);
        if let Some(unknown) = people.clone().find(|id| !world.users.contains_key(id)) {
            return fail(format!("unknown user {unknown}; add_user first"));
        }
        let adder = people.clone().next().copied();
        let kind = match group.kind {
            GroupKind::Group => ChatKind::Group,
            GroupKind::Supergroup => ChatKind::Supergroup,
            GroupKind::Channel => ChatKind::Channel,
        };
        let shape = ChatShape {
            id: group.id,
            kind,
            title: Some(group.title),
            username: group.username.clone().filter(|_| kind != ChatKind::Group),
            first_name: None,
            last_name: None,
        };
        let bot_status = if group.bot_is_admin { MemberStatus::Administrator } else { MemberStatus::Member };
        let mut chat = ChatRecord::new(shape, bot_status);
        chat.members.extend(group.members.iter().map(|id| (*id, MemberStatus::Member)));
        chat.members.extend(group.admins.iter().map(|id| (*id, MemberStatus::Administrator)));
        chat.members.extend(group.owner.iter().map(|id| (*id, MemberStatus::Creator)));
        if let Some(name) = &chat.shape.username {
            world.usernames.insert(name.to_ascii_lowercase(), group.id);
        }
        let update = adder.map(|by| my_chat_member(&world, &chat.shape, by, MemberStatus::Left, bot_status));
        world.chats.insert(group.id, chat);
        drop(world);
        if let Some(update) = update {
            self.shared.updates.push("my_chat_member", &update);
        }
        Ok(())
    }

    /// Upgrades a basic group to a supergroup with a new id. Sends to the old id then fail with
    /// `migrate_to_chat_id`; both chats get the service messages Telegram sends.
    pub fn migrate_group(&self, group_id: i64, supergroup_id: i64) -> Result<(), ControlError> {
        let mut world = self.shared.world();
        let Some(old) = world.chats.get(&group_id).filter(|c| c.kind() == ChatKind::Group && c.migrated_to.is_none())
        else {
            return fail(format!("chat {group_id} is not a basic group"));
        };
        let by = old.members.iter().find(|(_, s)| **s == MemberStatus::Creator).or(old.members.iter().next());
        let Some(by) = by.and_then(|(id, _)| world.users.get(id)).map(|u| u.shape.clone()) else {
            return fail(format!("group {group_id} has no members to migrate it"));
        };
        let shape = ChatShape { id: supergroup_id, kind: ChatKind::Supergroup, ..ChatShape::clone(&old.shape) };
        let mut successor = ChatRecord::new(shape, old.bot_status);
        successor.members = old.members.clone();
        world.chats.insert(supergroup_id, successor);
        let notices = [(group_id, Content::MigrateTo(supergroup_id)), (supergroup_id, Content::MigrateFrom(group_id))];
        let messages: Vec<_> = notices
            .into_iter()
            .map(|(chat_id, content)| store_user_message(&mut world, chat_id, &by, content, None))
            .collect();
        world.chats.get_mut(&group_id).expect("checked above").migrated_to = Some(supergroup_id);
        drop(world);
        for message in messages {
            self.shared.updates.push("message", &*message);
        }
        Ok(())
    }

    /// The user blocks the bot: sends fail with 403 and the bot gets `my_chat_member`
    /// (member → kicked).
    pub fn block_bot(&self, user_id: i64) -> Result<(), ControlError> {
        self.set_blocked(user_id, true)
    }

    /// The user unblocks (restarts) the bot: `my_chat_member` kicked → member.
    pub fn unblock_bot(&self, user_id: i64) -> Result<(), ControlError> {
        self.set_blocked(user_id, false)
    }

    fn set_blocked(&self, user_id: i64, blocked: bool) -> Result<(), ControlError> {
        let mut world = self.shared.world();
        let Some(user) = world.users.get_mut(&user_id) else {
            return fail(format!("unknown user {user_id}"));
        };
        if user.blocked == blocked {
            return Ok(());
        }
        user.blocked = blocked;
        user.started |= !blocked;
        let (old, new) = if blocked {
            (MemberStatus::Member, MemberStatus::Kicked)
        } else {
            (MemberStatus::Kicked, MemberStatus::Member)
        };
        let chat = world.chats.get_mut(&user_id).expect("every user has a private chat");
        chat.bot_status = new;
        let shape = chat.shape.clone();
        let update = my_chat_member(&world, &shape, user_id, old, new);
        drop(world);
        self.shared.updates.push("my_chat_member", &update);
        Ok(())
    }

    /// The user deletes their account: sends fail with 403 "user is deactivated".
    pub fn deactivate_user(&self, user_id: i64) -> Result<(), ControlError> {
        match self.shared.world().users.get_mut(&user_id) {
            Some(user) => {
                user.deactivated = true;
                Ok(())
            }
            None => fail(format!("unknown user {user_id}")),
        }
    }

    /// Changes the bot's standing in a group or channel (made admin, kicked, ...), as done by
    /// user `by`, with the matching `my_chat_member` update.
    pub fn set_bot_status(&self, chat_id: i64, status: MemberStatus, by: i64) -> Result<(), ControlError> {
        let mut world = self.shared.world();
        if !world.users.contains_key(&by) {
            return fail(format!("unknown user {by}"));
        }
        let Some(chat) = world.chats.get_mut(&chat_id).filter(|c| c.kind() != ChatKind::Private) else {
            return fail(format!("chat {chat_id} is not a group or channel; use block_bot for users"));
        };
        let old = std::mem::replace(&mut chat.bot_status, status);
        let shape = chat.shape.clone();
        if old == status {
            return Ok(());
        }
        let update = my_chat_member(&world, &shape, by, old, status);
        drop(world);
        self.shared.updates.push("my_chat_member", &update);
        Ok(())
    }
}

/// A `ChatMemberUpdated` about the bot.
fn my_chat_member(world: &World, chat: &ChatShape, by: i64, old: MemberStatus, new: MemberStatus) -> serde_json::Value {
    let from = world.users.get(&by).map(|u| u.shape.clone());
    json!({
        "chat": chat,
        "from": from.as_deref(),
        "date": unix_millis() / 1000,
        "old_chat_member": member_json(&world.bot, old, chat.kind),
        "new_chat_member": member_json(&world.bot, new, chat.kind),
    })
}

/// Stores a message a user wrote and returns it.
pub(super) fn store_user_message(
    world: &mut World,
    chat_id: i64,
    from: &Arc<UserShape>,
    content: Content,
    reply_to: Option<Arc<StoredMessage>>,
) -> Arc<StoredMessage> {
    let message_id = world.next_message_id(chat_id);
    let message = Arc::new(StoredMessage {
        message_id,
        chat: world.chats[&chat_id].shape.clone(),
        from: Some(from.clone()),
        date: (unix_millis() / 1000) as i64,
        edit_date: None,
        content,
        reply_to,
        reply_markup: None,
        by_bot: false,
    });
    world.messages.insert((chat_id, message_id), message.clone());
    message
}
