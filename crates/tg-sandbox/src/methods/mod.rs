//! The Bot API methods the sandbox implements, dispatched by canonical name. Anything else
//! answers 404 "Not Found", as Telegram does for unknown methods.

mod bot;
mod chat;
mod edit;
mod send;

use crate::Sandbox;
use crate::error::ApiError;
use crate::params::Params;

use send::link_preview;

/// Every implemented method, spelled as in the Bot API documentation.
const METHODS: &[&str] = &[
    "sendMessage",
    "sendPhoto",
    "editMessageText",
    "editMessageCaption",
    "editMessageReplyMarkup",
    "deleteMessage",
    "getUpdates",
    "getMe",
    "answerCallbackQuery",
    "sendChatAction",
    "setMyCommands",
    "getMyCommands",
    "deleteMyCommands",
    "setWebhook",
    "deleteWebhook",
    "getWebhookInfo",
    "getChat",
    "getChatMember",
    "getChatAdministrators",
    "getChatMemberCount",
    "logOut",
    "close",
];

/// The canonical spelling of a method name given in any case (`SendMessage`, `sendmessage`).
pub(crate) fn canonical(name: &str) -> Option<&'static str> {
    METHODS.iter().copied().find(|m| m.eq_ignore_ascii_case(name))
}

/// Runs a method; the answer is the whole JSON body.
pub(crate) async fn call(sandbox: &Sandbox, method: &'static str, p: &Params) -> Result<Vec<u8>, ApiError> {
    let sh = &*sandbox.shared;
    match method {
        "sendMessage" => send::send_message(sh, p),
        "sendPhoto" => send::send_photo(sh, p),
        "sendChatAction" => send::send_chat_action(sh, p),
        "editMessageText" => edit::edit_message_text(sh, p),
        "editMessageCaption" => edit::edit_message_caption(sh, p),
        "editMessageReplyMarkup" => edit::edit_message_reply_markup(sh, p),
        "deleteMessage" => edit::delete_message(sh, p),
        "getUpdates" => bot::get_updates(sh, p).await,
        "getMe" => bot::get_me(sh),
        "answerCallbackQuery" => bot::answer_callback_query(sh, p),
        "setMyCommands" => bot::set_my_commands(sh, p),
        "getMyCommands" => bot::get_my_commands(sh, p),
        "deleteMyCommands" => bot::delete_my_commands(sh, p),
        "setWebhook" => bot::set_webhook(sh, p),
        "deleteWebhook" => bot::delete_webhook(sh, p),
        "getWebhookInfo" => bot::get_webhook_info(sh),
        "getChat" => chat::get_chat(sh, p),
        "getChatMember" => chat::get_chat_member(sh, p),
        "getChatAdministrators" => chat::get_chat_administrators(sh, p),
        "getChatMemberCount" => chat::get_chat_member_count(sh, p),
        "logOut" | "close" => Ok(crate::error::ok_body(&true)),
        _ => Err(ApiError::not_found()),
    }
}
