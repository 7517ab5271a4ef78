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

/// 200 once the database answers and the bot is running; 503 with the reason otherwise, also
/// once writes have failed for a while (a restart may not help, but an orchestrator's alert does).
async fn healthz(State(state): State<HttpState>) -> impl IntoResponse {
    let database = state.services.health().storage_is_healthy().await;
    let bot = state.bot_is_running();
    let status = if database && bot { StatusCode::OK } else { StatusCode::SERVICE_UNAVAILABLE };
    let word = |ok: bool| if ok { "ok" } else { "down" };
    (status, Json(json!({ "status": word(database && bot), "database": word(database), "bot": word(bot) })))
}

/// 200 when this instance can do its work: the database answers and takes writes, the bot runs,
/// the schema is the one this binary expects, the tables and the outbox can be read. Otherwise
/// 503 with the first reason.
async fn readyz(State(state): State<HttpState>) -> impl IntoResponse {
    let storage = state.services.health().first_storage_problem().await;
    let reason = storage.or_else(|| (!state.bot_is_running()).then(|| "the bot is not running yet".to_owned()));
    match reason {
        None => (StatusCode::OK, Json(json!({ "status": "ready" }))),
        Some(reason) => (StatusCode::SERVICE_UNAVAILABLE, Json(json!({ "status": "not ready", "reason": reason }))),
    }
}

async fn metrics(State(state): State<HttpState>) -> impl IntoResponse {
    let text = state.services.health().metrics_text().await;
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")], text)
}
