//! `/healthz` and `/metrics`.

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
    Router::new().route("/healthz", get(healthz)).route("/metrics", get(metrics))
}

/// 200 once the database answers and the bot is running; 503 with the reason otherwise.
async fn healthz(State(state): State<HttpState>) -> impl IntoResponse {
    let database = state.store.ping().await.is_ok();
    let bot = state.bot_is_running();
    let status = if database && bot { StatusCode::OK } else { StatusCode::SERVICE_UNAVAILABLE };
    let word = |ok: bool| if ok { "ok" } else { "down" };
    (status, Json(json!({ "status": word(database && bot), "database": word(database), "bot": word(bot) })))
}

async fn metrics(State(state): State<HttpState>) -> impl IntoResponse {
    let store = &state.store;
    let sources = store.enabled_sources().await.unwrap_or_default();
    let snapshot = Snapshot {
        active_subscribers: store.count_active_subscribers().await.unwrap_or(-1),
        pending_deliveries: store.count_pending_deliveries().await.unwrap_or(-1),
        failing_sources: store.count_failing_sources().await.unwrap_or(-1),
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
