//! The bot's own settings and plumbing: `getMe`, `getUpdates`, webhooks, commands, and
//! `answerCallbackQuery`.

use std::borrow::Cow;
use std::time::Duration;

use serde_json::{Value, json};

use crate::Shared;
use crate::error::{ApiError, msg, ok_body};
use crate::params::Params;
use crate::record::CallbackAnswer;
use crate::updates::{Poll, WebhookSettings};
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
    let allowed_updates = allowed_updates(p);
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

/// Records the webhook; the delivery task (`crate::webhook`) starts posting to it at once.
/// `http` URLs are accepted besides `https` so tests can serve the webhook on loopback.
pub(super) fn set_webhook(sh: &Shared, p: &Params) -> Result<Vec<u8>, ApiError> {
    let url = p.str("url").unwrap_or_default().trim().to_owned();
    if url.is_empty() {
        sh.updates.set_webhook(None, p.flag("drop_pending_updates"));
        return Ok(ok_body(&true));
    }
    if !(url.starts_with("https://") || url.starts_with("http://")) {
        return Err(ApiError::bad_request(msg::WEBHOOK_NEEDS_HTTPS));
    }
    let settings = WebhookSettings {
        url,
        secret_token: secret_token(p)?,
        max_connections: p.int("max_connections").unwrap_or(DEFAULT_MAX_CONNECTIONS).clamp(1, 100) as u32,
        allowed_updates: allowed_updates(p),
    };
    sh.updates.set_webhook(Some(settings), p.flag("drop_pending_updates"));
    Ok(ok_body(&true))
}

/// Telegram's default for `max_connections`; the sandbox delivers one at a time regardless.
const DEFAULT_MAX_CONNECTIONS: i64 = 40;

/// `secret_token`: absent or empty means none; otherwise 1-256 of `A-Z a-z 0-9 _ -`, because
/// it has to travel as an HTTP header.
fn secret_token(p: &Params) -> Result<Option<String>, ApiError> {
    let Some(secret) = p.str("secret_token").filter(|s| !s.is_empty()) else {
        return Ok(None);
    };
    if !is_valid_secret_token(&secret) {
        return Err(ApiError::bad_request(msg::SECRET_TOKEN_UNALLOWED));
    }
    Ok(Some(secret.into_owned()))
}

fn is_valid_secret_token(secret: &str) -> bool {
    (1..=256).contains(&secret.len()) && secret.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

fn allowed_updates(p: &Params) -> Option<Vec<String>> {
    p.json("allowed_updates").ok().flatten().and_then(|v| serde_json::from_value(v.into_owned()).ok())
}

pub(super) fn delete_webhook(sh: &Shared, p: &Params) -> Result<Vec<u8>, ApiError> {
    sh.updates.set_webhook(None, p.flag("drop_pending_updates"));
    Ok(ok_body(&true))
}

pub(super) fn get_webhook_info(sh: &Shared) -> Result<Vec<u8>, ApiError> {
    Ok(ok_body(&sh.updates.webhook_info()))
}

#[cfg(test)]
mod tests {
    use super::is_valid_secret_token;

    #[test]
    fn secret_tokens_are_1_to_256_header_safe_characters() {
        assert!(is_valid_secret_token("aZ09_-"));
        assert!(is_valid_secret_token(&"x".repeat(256)));
        assert!(!is_valid_secret_token(&"x".repeat(257)));
        assert!(!is_valid_secret_token("has space"));
        assert!(!is_valid_secret_token("semi;colon"));
        assert!(!is_valid_secret_token("ünïcode"));
    }
}
