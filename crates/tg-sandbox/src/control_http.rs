//! The control API over HTTP under `/control`, for driving the sandbox from outside Rust
//! (`kabar demo`, scripts). JSON in, `{"ok":true,"result":...}` or `{"ok":false,"description"}`
//! out; the same operations as the Rust methods on [`Sandbox`].

use std::time::Duration;

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::Sandbox;
use crate::control::{ControlError, NewGroup, NewUser};
use crate::faults::Fault;
use crate::shapes::MemberStatus;

pub(crate) fn router() -> Router<Sandbox> {
    Router::new()
        .route("/users", post(add_user))
        .route("/users/{id}/{action}", post(user_action))
        .route("/groups", post(add_group))
        .route("/groups/{id}/migrate", post(migrate))
        .route("/chats/{id}/bot-status", post(bot_status))
        .route("/messages", post(user_message))
        .route("/callbacks", post(tap))
        .route("/sent", get(sent))
        .route("/rejections", get(rejections))
        .route("/callback-answers", get(answers))
        .route("/stats", get(stats))
        .route("/faults", post(add_fault).delete(clear_faults))
        .route("/reset", post(reset))
}

fn answer(result: Result<Value, ControlError>) -> Response {
    match result {
        Ok(result) => Json(json!({"ok": true, "result": result})).into_response(),
        Err(err) => (StatusCode::BAD_REQUEST, Json(json!({"ok": false, "description": err.0}))).into_response(),
    }
}

fn done(result: Result<(), ControlError>) -> Response {
    answer(result.map(|()| Value::Bool(true)))
}

async fn add_user(State(sb): State<Sandbox>, Json(user): Json<NewUser>) -> Response {
    sb.add_user(user);
    done(Ok(()))
}

async fn user_action(State(sb): State<Sandbox>, Path((id, action)): Path<(i64, String)>) -> Response {
    done(match action.as_str() {
        "block" => sb.block_bot(id),
        "unblock" => sb.unblock_bot(id),
        "deactivate" => sb.deactivate_user(id),
        other => Err(ControlError(format!("unknown action {other}; use block, unblock or deactivate"))),
    })
}

async fn add_group(State(sb): State<Sandbox>, Json(group): Json<NewGroup>) -> Response {
    done(sb.add_group(group))
}

#[derive(Deserialize)]
struct Migration {
    supergroup_id: i64,
}

async fn migrate(State(sb): State<Sandbox>, Path(id): Path<i64>, Json(m): Json<Migration>) -> Response {
    done(sb.migrate_group(id, m.supergroup_id))
}

#[derive(Deserialize)]
struct BotStatus {
    status: MemberStatus,
    by: i64,
}

async fn bot_status(State(sb): State<Sandbox>, Path(id): Path<i64>, Json(s): Json<BotStatus>) -> Response {
    done(sb.set_bot_status(id, s.status, s.by))
}

#[derive(Deserialize)]
struct UserMessage {
    chat_id: i64,
    user_id: i64,
    text: String,
    #[serde(default)]
    reply_to_message_id: Option<i32>,
}

async fn user_message(State(sb): State<Sandbox>, Json(m): Json<UserMessage>) -> Response {
    let sent = match m.reply_to_message_id {
        Some(reply_to) => sb.user_replies(m.chat_id, m.user_id, reply_to, &m.text),
        None => sb.user_sends_text(m.chat_id, m.user_id, &m.text),
    };
    answer(sent.map(|id| json!({"message_id": id})))
}

#[derive(Deserialize)]
struct Tap {
    chat_id: i64,
    user_id: i64,
    message_id: i32,
    data: String,
}

async fn tap(State(sb): State<Sandbox>, Json(t): Json<Tap>) -> Response {
    let tapped = sb.user_taps_button(t.chat_id, t.user_id, t.message_id, &t.data);
    answer(tapped.map(|id| json!({"callback_query_id": id})))
}

#[derive(Deserialize)]
struct ChatFilter {
    chat_id: Option<i64>,
}

async fn sent(State(sb): State<Sandbox>, Query(filter): Query<ChatFilter>) -> Response {
    let sent = match filter.chat_id {
        Some(chat_id) => sb.sent_to(chat_id),
        None => sb.sent(),
    };
    answer(Ok(json!(sent)))
}

async fn rejections(State(sb): State<Sandbox>) -> Response {
    answer(Ok(json!(sb.rejections())))
}

async fn answers(State(sb): State<Sandbox>) -> Response {
    answer(Ok(json!(sb.callback_answers())))
}

async fn stats(State(sb): State<Sandbox>) -> Response {
    answer(Ok(json!({
        "count_429": sb.count_429(),
        "sends_per_second": sb.sends_per_second(),
        "max_sends_in_any_second": sb.max_sends_in_any_window(Duration::from_secs(1), None),
        "pending_updates": sb.pending_updates(),
        "webhook_deliveries": sb.webhook_deliveries(),
        "webhook_failures": sb.webhook_failures(),
    })))
}

#[derive(Deserialize)]
struct FaultRequest {
    /// `internal_error`, `bad_gateway` or `hang`.
    fault: String,
    #[serde(default = "one")]
    count: u32,
    #[serde(default)]
    method: Option<String>,
    #[serde(default)]
    hang_ms: u64,
}

fn one() -> u32 {
    1
}

async fn add_fault(State(sb): State<Sandbox>, Json(f): Json<FaultRequest>) -> Response {
    let fault = match f.fault.as_str() {
        "internal_error" => Fault::InternalError,
        "bad_gateway" => Fault::BadGateway,
        "hang" => Fault::Hang(Duration::from_millis(f.hang_ms)),
        other => return done(Err(ControlError(format!("unknown fault {other}")))),
    };
    match &f.method {
        Some(method) => sb.inject_fault_on(method, fault, f.count),
        None => sb.inject_fault(fault, f.count),
    }
    done(Ok(()))
}

async fn clear_faults(State(sb): State<Sandbox>) -> Response {
    sb.clear_faults();
    done(Ok(()))
}

async fn reset(State(sb): State<Sandbox>) -> Response {
    sb.reset_record();
    done(Ok(()))
}
