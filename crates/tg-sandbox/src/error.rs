//! Bot API errors, worded exactly as Telegram words them so teloxide maps them to its typed
//! `ApiError` variants, and the JSON envelope around answers.

use std::borrow::Cow;

use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

/// Descriptions Telegram sends; teloxide matches several of them literally.
pub(crate) mod msg {
    pub const CHAT_NOT_FOUND: &str = "Bad Request: chat not found";
    pub const CHAT_ID_EMPTY: &str = "Bad Request: chat_id is empty";
    pub const USER_NOT_FOUND: &str = "Bad Request: user not found";
    pub const BLOCKED: &str = "Forbidden: bot was blocked by the user";
    pub const DEACTIVATED: &str = "Forbidden: user is deactivated";
    pub const CANT_INITIATE: &str = "Forbidden: bot can't initiate conversation with a user";
    pub const MIGRATED: &str = "Bad Request: group chat was upgraded to a supergroup chat";
    pub const TEXT_EMPTY: &str = "Bad Request: message text is empty";
    pub const TEXT_TOO_LONG: &str = "Bad Request: message is too long";
    pub const EDITED_TOO_LONG: &str = "Bad Request: MESSAGE_TOO_LONG";
    pub const CAPTION_TOO_LONG: &str = "Bad Request: message caption is too long";
    pub const TO_DELETE_NOT_FOUND: &str = "Bad Request: message to delete not found";
    pub const TO_EDIT_NOT_FOUND: &str = "Bad Request: message to edit not found";
    pub const CANT_BE_EDITED: &str = "Bad Request: message can't be edited";
    pub const NO_TEXT_TO_EDIT: &str = "Bad Request: there is no text in the message to edit";
    pub const NO_CAPTION_TO_EDIT: &str = "Bad Request: there is no caption in the message to edit";
    pub const NOT_MODIFIED: &str = "Bad Request: message is not modified: specified new message \
        content and reply markup are exactly the same as a current content and reply markup of \
        the message";
    pub const NO_MESSAGE_ID: &str = "Bad Request: message identifier is not specified";
    pub const REPLY_NOT_FOUND: &str = "Bad Request: message to be replied not found";
    pub const QUERY_INVALID: &str = "Bad Request: query is too old and response timeout expired or query id is invalid";
    pub const BUTTON_DATA_INVALID: &str = "Bad Request: BUTTON_DATA_INVALID";
    pub const BUTTON_URL_INVALID: &str = "Bad Request: BUTTON_URL_INVALID";
    pub const TEXT_BUTTONS: &str = "Bad Request: can't parse inline keyboard button: Text buttons \
        are unallowed in the inline keyboard";
    pub const BAD_MARKUP: &str = "Bad Request: can't parse reply keyboard markup JSON object";
    pub const BAD_ENTITIES_JSON: &str = "Bad Request: can't parse entities JSON object";
    pub const NO_PHOTO: &str = "Bad Request: there is no photo in the request";
    pub const WRONG_FILE: &str = "Bad Request: wrong file identifier/HTTP URL specified";
    pub const COMMAND_INVALID: &str = "Bad Request: BOT_COMMAND_INVALID";
    pub const COMMAND_DESCRIPTION_INVALID: &str = "Bad Request: BOT_COMMAND_DESCRIPTION_INVALID";
    pub const NO_ADMINS_IN_PRIVATE: &str = "Bad Request: there are no administrators in the private chat";
    pub const NEED_ADMIN_IN_CHANNEL: &str = "Bad Request: need administrator rights in the channel chat";
    pub const WEBHOOK_ACTIVE: &str = "Conflict: can't use getUpdates method while webhook is \
        active; use deleteWebhook to delete the webhook first";
    pub const SECRET_TOKEN_UNALLOWED: &str = "Bad Request: secret token contains unallowed characters";
    pub const WEBHOOK_NEEDS_HTTPS: &str = "Bad Request: bad webhook: An HTTPS URL must be provided for webhook";
    pub const TERMINATED: &str = "Conflict: terminated by other getUpdates request; make sure \
        that only one bot instance is running";
}

/// A failed Bot API call: status, Telegram's description and the optional `parameters`.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct ApiError {
    pub status: StatusCode,
    pub description: Cow<'static, str>,
    pub retry_after: Option<u32>,
    pub migrate_to: Option<i64>,
}

impl ApiError {
    fn new(status: StatusCode, description: impl Into<Cow<'static, str>>) -> Self {
        ApiError { status, description: description.into(), retry_after: None, migrate_to: None }
    }

    /// 400 with the full description (it already starts with "Bad Request: ").
    pub fn bad_request(description: impl Into<Cow<'static, str>>) -> Self {
        ApiError::new(StatusCode::BAD_REQUEST, description)
    }

    /// 403 with the full description.
    pub fn forbidden(description: impl Into<Cow<'static, str>>) -> Self {
        ApiError::new(StatusCode::FORBIDDEN, description)
    }

    /// 409, for getUpdates conflicts.
    pub fn conflict(description: &'static str) -> Self {
        ApiError::new(StatusCode::CONFLICT, description)
    }

    /// A wrong token.
    pub fn unauthorized() -> Self {
        ApiError::new(StatusCode::UNAUTHORIZED, "Unauthorized")
    }

    /// An unknown method or path.
    pub fn not_found() -> Self {
        ApiError::new(StatusCode::NOT_FOUND, "Not Found")
    }

    /// 429 asking the bot to wait `seconds`.
    pub fn too_many_requests(seconds: u32) -> Self {
        let mut err = ApiError::new(StatusCode::TOO_MANY_REQUESTS, format!("Too Many Requests: retry after {seconds}"));
        err.retry_after = Some(seconds);
        err
    }

    /// 400 for a group that became a supergroup, naming the new id.
    pub fn migrated(to: i64) -> Self {
        let mut err = ApiError::bad_request(msg::MIGRATED);
        err.migrate_to = Some(to);
        err
    }

    /// 400 "can't parse entities: ..." for invalid formatting.
    pub fn cant_parse_entities(detail: &str) -> Self {
        ApiError::bad_request(format!("Bad Request: can't parse entities: {detail}"))
    }
}

#[derive(Serialize)]
struct ErrorBody<'a> {
    ok: bool,
    error_code: u16,
    description: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    parameters: Option<ErrorParameters>,
}

/// Telegram sends one key at a time; teloxide parses `parameters` as an externally tagged enum.
#[derive(Serialize)]
#[serde(rename_all = "snake_case")]
enum ErrorParameters {
    RetryAfter(u32),
    MigrateToChatId(i64),
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let parameters = match (self.retry_after, self.migrate_to) {
            (Some(seconds), _) => Some(ErrorParameters::RetryAfter(seconds)),
            (None, Some(to)) => Some(ErrorParameters::MigrateToChatId(to)),
            (None, None) => None,
        };
        let body =
            ErrorBody { ok: false, error_code: self.status.as_u16(), description: &self.description, parameters };
        json_response(self.status, serde_json::to_vec(&body).unwrap_or_default())
    }
}

/// `{"ok":true,"result":<value>}` serialised in one buffer.
pub(crate) fn ok_body<T: Serialize + ?Sized>(result: &T) -> Vec<u8> {
    let mut buf = Vec::with_capacity(512);
    buf.extend_from_slice(b"{\"ok\":true,\"result\":");
    // Serialising our own shapes into a Vec cannot fail.
    serde_json::to_writer(&mut buf, result).expect("result serialises");
    buf.push(b'}');
    buf
}

/// A response with a JSON body.
pub(crate) fn json_response(status: StatusCode, body: Vec<u8>) -> Response {
    (status, [(header::CONTENT_TYPE, "application/json")], body).into_response()
}
