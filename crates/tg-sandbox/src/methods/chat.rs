//! Reading chats: `getChat`, `getChatMember`, `getChatAdministrators`, `getChatMemberCount`.

use crate::Shared;
use crate::error::{ApiError, msg, ok_body};
use crate::params::Params;
use crate::shapes::{ChatKind, MemberStatus, chat_full_info, member_json};

pub(super) fn get_chat(sh: &Shared, p: &Params) -> Result<Vec<u8>, ApiError> {
    let target = p.chat_target()?;
    let world = sh.world();
    let chat = world.chat(world.resolve(&target)?)?;
    Ok(ok_body(&chat_full_info(&chat.shape, None)))
}

pub(super) fn get_chat_member(sh: &Shared, p: &Params) -> Result<Vec<u8>, ApiError> {
    let target = p.chat_target()?;
    let user_id = p.int("user_id").ok_or_else(|| ApiError::bad_request(msg::USER_NOT_FOUND))?;
    let world = sh.world();
    let chat = world.chat(world.resolve(&target)?)?;
    let user = if user_id == world.bot.id {
        world.bot.clone()
    } else {
        let user = world.users.get(&user_id).ok_or_else(|| ApiError::bad_request(msg::USER_NOT_FOUND))?;
        user.shape.clone()
    };
    let status = world.member_status(chat, user_id);
    Ok(ok_body(&member_json(&user, status, chat.kind())))
}

pub(super) fn get_chat_administrators(sh: &Shared, p: &Params) -> Result<Vec<u8>, ApiError> {
    let target = p.chat_target()?;
    let world = sh.world();
    let chat = world.chat(world.resolve(&target)?)?;
    if chat.kind() == ChatKind::Private {
        return Err(ApiError::bad_request(msg::NO_ADMINS_IN_PRIVATE));
    }
    let mut admins: Vec<(MemberStatus, i64)> = chat
        .members
        .iter()
        .filter(|(_, s)| matches!(s, MemberStatus::Creator | MemberStatus::Administrator))
        .map(|(id, s)| (*s, *id))
        .collect();
    // The owner first, then by id, so answers are stable.
    admins.sort_by_key(|(status, id)| (*status != MemberStatus::Creator, *id));
    let mut list: Vec<_> = admins
        .iter()
        .filter_map(|(status, id)| world.users.get(id).map(|u| member_json(&u.shape, *status, chat.kind())))
        .collect();
    if chat.bot_status == MemberStatus::Administrator {
        list.push(member_json(&world.bot, MemberStatus::Administrator, chat.kind()));
    }
    Ok(ok_body(&list))
}

pub(super) fn get_chat_member_count(sh: &Shared, p: &Params) -> Result<Vec<u8>, ApiError> {
    let target = p.chat_target()?;
    let world = sh.world();
    let chat = world.chat(world.resolve(&target)?)?;
    let count = match chat.kind() {
        ChatKind::Private => 2,
        _ => {
            let humans = chat.members.values().filter(|s| s.is_present()).count();
            humans + usize::from(chat.bot_status.is_present())
        }
    };
    Ok(ok_body(&count))
}
