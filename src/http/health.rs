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
use crate::metrics::{Snapshot, SourceHealth};

pub fn router() -> Router<HttpState> {
    Router::new().route("/healthz", get(healthz)).route("/readyz", get(readyz)).route("/metrics", get(metrics))
}

/// 200 once the database answers and the bot is running; 503 with the reason otherwise.
async fn healthz(State(state): State<HttpState>) -> impl IntoResponse {
    let database = state.store.ping().await.is_ok();
    let bot = state.bot_is_running();
    let status = if database && bot { StatusCode::OK } else { StatusCode::SERVICE_UNAVAILABLE };
    let word = |ok: bool| if ok { "ok" } else { "down" };
    (status, Json(json!({ "status": word(database && bot), "database": word(database), "bot": word(bot) })))
}

/// 200 when this instance can do its work: the database answers, the bot runs, the schema is
/// the one this binary expects and the outbox can be read. Otherwise 503 with the first reason,
/// worded for operators (the database's own error stays in the log, not on an open endpoint).
async fn readyz(State(state): State<HttpState>) -> impl IntoResponse {
    match first_unready_reason(&state).await {
        None => (StatusCode::OK, Json(json!({ "status": "ready" }))),
        Some(reason) => (StatusCode::SERVICE_UNAVAILABLE, Json(json!({ "status": "not ready", "reason": reason }))),
    }
}

async fn first_unready_reason(state: &HttpState) -> Option<&'static str> {
    let store = &state.store;
    if let Err(error) = store.ping().await {
        tracing::warn!(%error, "readiness: the database does not answer");
        return Some("the database does not answer");
    }
    if !state.bot_is_running() {
        return Some("the bot is not running yet");
    }
    match store.schema_is_current().await {
        Ok(true) => {}
        Ok(false) => return Some("the database misses migrations; run `kabar migrate`"),
        Err(error) => {
            tracing::warn!(%error, "readiness: cannot read the applied migrations");
            return Some("the applied migrations cannot be read");
        }
    }
    if let Err(error) = store.outbox_is_readable().await {
        tracing::warn!(%error, "readiness: cannot read the outbox");
        return Some("the outbox cannot be read");
    }
    None
}

async fn metrics(State(state): State<HttpState>) -> impl IntoResponse {
    let store = &state.store;
    let sources = store.enabled_sources().await.unwrap_or_default();
    let subscribers = store.subscriber_counts().await.ok();
    let snapshot = Snapshot {
        active_subscribers: subscribers.map_or(-1, |counts| counts.active),
        inactive_subscribers: subscribers.map_or(-1, |counts| counts.inactive),
        pending_deliveries: store.count_pending_deliveries().await.unwrap_or(-1),
        pending_by_priority: store.pending_by_priority().await.unwrap_or_default(),
        failing_sources: store.count_failing_sources().await.unwrap_or(-1),
        send_rate: state.pacer.current_rate() as i64,
        sources: sources
            .into_iter()
            .map(|s| SourceHealth {
                name: s.name,
                consecutive_failures: s.consecutive_failures,
                next_poll_at: s.next_poll_at / 1000,
            })
            .collect(),
    };
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")], state.metrics.render(snapshot))
}
