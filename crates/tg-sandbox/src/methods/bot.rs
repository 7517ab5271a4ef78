//! The bot's own settings and plumbing: `getMe`, `getUpdates`, webhooks, commands, and
//! `answerCallbackQuery`.

use std::borrow::Cow;
use std::time::Duration;

use serde_json::{Value, json};

use crate::Shared;
use crate::error::{ApiError, msg, ok_body};
use crate::params::Params;
use crate::record::CallbackAnswer;
use crate::updates::{Poll, WebhookInfo};
use crate::world::BotCommandEntry;

/// Telegram holds a long poll for at most 50 seconds.
const MAX_POLL_SECONDS: i64 = 50;

pub(super) fn get_me(sh: &Shared) -> Result<Vec<u8>, ApiError> {
    let bot = &sh.config.bot;
    Ok(ok_body(&json!({
        "id": sh.config.bot_id(),
        "is_bot": true,
        "first_name": bot.first_name,
        "username": bot.username,
        "can_join_groups": bot.can_join_groups,
        "can_read_all_group_messages": bot.can_read_all_group_messages,
        "supports_inline_queries": bot.supports_inline_queries,
        "can_connect_to_business": false,
        "has_main_web_app": false,
    })))
}

pub(super) async fn get_updates(sh: &Shared, p: &Params) -> Result<Vec<u8>, ApiError> {
    let allowed_updates = p
        .json("allowed_updates")
        .ok()
        .flatten()
        .and_then(|v| serde_json::from_value::<Vec<String>>(v.into_owned()).ok());
    let poll = Poll {
        offset: p.int("offset").unwrap_or(0),
        limit: p.int("limit").unwrap_or(100).clamp(1, 100) as usize,
        timeout: Duration::from_secs(p.int("timeout").unwrap_or(0).clamp(0, MAX_POLL_SECONDS) as u64),
        allowed_updates,
    };
    let batch = sh.updates.poll(poll, sh.shutdown.subscribe()).await?;
    Ok(format!("{{\"ok\":true,\"result\":{batch}}}").into_bytes())
}

pub(super) fn answer_callback_query(sh: &Shared, p: &Params) -> Result<Vec<u8>, ApiError> {
    let id = p.str("callback_query_id").unwrap_or_default().into_owned();
    if !sh.world().callbacks.remove(&id) {
        return Err(ApiError::bad_request(msg::QUERY_INVALID));
    }
    sh.record.answer(CallbackAnswer {
        callback_query_id: id,
        text: p.str("text").map(Cow::into_owned),
        show_alert: p.flag("show_alert"),
        url: p.str("url").map(Cow::into_owned),
    });
    Ok(ok_body(&true))
}

pub(super) fn set_my_commands(sh: &Shared, p: &Params) -> Result<Vec<u8>, ApiError> {
    let key = command_key(p)?;
    let invalid = || ApiError::bad_request(msg::COMMAND_INVALID);
    let commands = p.json("commands").map_err(|()| invalid())?.ok_or_else(invalid)?;
    let commands: Vec<BotCommandEntry> = serde_json::from_value(commands.into_owned()).map_err(|_| invalid())?;
    if commands.len() > 100 {
        return Err(invalid());
    }
    for entry in &commands {
        let name_ok = (1..=32).contains(&entry.command.len())
            && entry.command.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
        if !name_ok {
            return Err(invalid());
        }
        if !(1..=256).contains(&entry.description.chars().count()) {
            return Err(ApiError::bad_request(msg::COMMAND_DESCRIPTION_INVALID));
        }
    }
    let mut world = sh.world();
    if commands.is_empty() {
        world.commands.remove(&key);
    } else {
        world.commands.insert(key, commands);
    }
    Ok(ok_body(&true))
}

pub(super) fn get_my_commands(sh: &Shared, p: &Params) -> Result<Vec<u8>, ApiError> {
    let key = command_key(p)?;
    let world = sh.world();
    let commands = world.commands.get(&key).map_or(&[][..], Vec::as_slice);
    Ok(ok_body(commands))
}

pub(super) fn delete_my_commands(sh: &Shared, p: &Params) -> Result<Vec<u8>, ApiError> {
    let key = command_key(p)?;
    sh.world().commands.remove(&key);
    Ok(ok_body(&true))
}

/// Commands are stored per scope and language, as on Telegram.
fn command_key(p: &Params) -> Result<(String, String), ApiError> {
    let bad_scope = || ApiError::bad_request("Bad Request: can't parse BotCommandScope JSON object");
    let scope = p.json("scope").map_err(|()| bad_scope())?;
    let language = p.str("language_code").unwrap_or_default().into_owned();
    Ok((scope_key(scope.as_deref()).ok_or_else(bad_scope)?, language))
}

/// `default`, `all_private_chats`, `chat:<id>`, `chat_member:<chat>:<user>`, ...
pub(crate) fn scope_key(scope: Option<&Value>) -> Option<String> {
    let Some(scope) = scope else {
        return Some("default".to_owned());
    };
    let id = |field: &str| match &scope[field] {
        Value::Number(n) => Some(n.to_string()),
        Value::String(s) => Some(s.clone()),
        _ => None,
    };
    match scope["type"].as_str()? {
        kind @ ("default" | "all_private_chats" | "all_group_chats" | "all_chat_administrators") => {
            Some(kind.to_owned())
        }
        kind @ ("chat" | "chat_administrators") => Some(format!("{kind}:{}", id("chat_id")?)),
        "chat_member" => Some(format!("chat_member:{}:{}", id("chat_id")?, id("user_id")?)),
        _ => None,
    }
}

pub(super) fn set_webhook(sh: &Shared, p: &Params) -> Result<Vec<u8>, ApiError> {
    let url = p.str("url").unwrap_or_default().into_owned();
    let info = (!url.is_empty()).then(|| WebhookInfo {
        url,
        has_custom_certificate: false,
        pending_update_count: 0,
        max_connections: Some(p.int("max_connections").unwrap_or(40) as u32),
        allowed_updates: p
            .json("allowed_updates")
            .ok()
            .flatten()
            .and_then(|v| serde_json::from_value(v.into_owned()).ok()),
    });
    sh.updates.set_webhook(info, p.flag("drop_pending_updates"));
    Ok(ok_body(&true))
}

pub(super) fn delete_webhook(sh: &Shared, p: &Params) -> Result<Vec<u8>, ApiError> {
    sh.updates.set_webhook(None, p.flag("drop_pending_updates"));
    Ok(ok_body(&true))
}

pub(super) fn get_webhook_info(sh: &Shared) -> Result<Vec<u8>, ApiError> {
    Ok(ok_body(&sh.updates.webhook_info()))
}
