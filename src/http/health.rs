//! `/healthz`, `/readyz` and `/metrics`.

use axum::{
    Json, Router,
    extract::State,
    http::{StatusCode, header},
    response::IntoResponse,
    routing::get,
};
use serde_json::json;

use super::HttpState;

pub fn router() -> Router<HttpState> {
    Router::new().route("/healthz", get(healthz)).route("/readyz", get(readyz)).route("/metrics", get(metrics))
}

/// 200 once the database answers and the bot is running (on the leader; a standby runs none);
/// 503 with the reason otherwise, also once writes have failed for a while (a restart may not
/// help, but an orchestrator's alert does).
async fn healthz(State(state): State<HttpState>) -> impl IntoResponse {
    let database = state.services.health().storage_is_healthy().await;
    let bot = bot_is_fine(&state);
    let status = if database && bot { StatusCode::OK } else { StatusCode::SERVICE_UNAVAILABLE };
    let word = |ok: bool| if ok { "ok" } else { "down" };
    (status, Json(json!({ "status": word(database && bot), "database": word(database), "bot": word(bot) })))
}

/// 200 when this instance can do its work: the database answers and takes writes, the bot runs
/// (on the leader), the schema is the one this binary expects, the tables and the outbox can be
/// read. Otherwise 503 with the first reason. `sender` says whether this instance is the one
/// that sends, polls and answers the chat, or stands by.
async fn readyz(State(state): State<HttpState>) -> impl IntoResponse {
    let storage = state.services.health().first_storage_problem().await;
    let reason = storage.or_else(|| (!bot_is_fine(&state)).then(|| "the bot is not running yet".to_owned()));
    let sender = state.services.leadership().is_leading();
    match reason {
        None => (StatusCode::OK, Json(json!({ "status": "ready", "sender": sender }))),
        Some(reason) => (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(json!({ "status": "not ready", "reason": reason, "sender": sender })),
        ),
    }
}

/// The bot runs on the leader; a standby runs none, and is fine without.
fn bot_is_fine(state: &HttpState) -> bool {
    state.bot_is_running() || !state.services.leadership().is_leading()
}

async fn metrics(State(state): State<HttpState>) -> impl IntoResponse {
    let text = state.services.health().metrics_text().await;
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")], text)
}
