//! `POST /telegram/webhook`: updates from Telegram in webhook mode. The secret header is checked
//! in constant time, and the update is stored before Telegram is answered, so an update
//! acknowledged is never lost, whatever happens next.

use axum::{
    Router,
    body::Bytes,
    extract::State,
    http::{HeaderMap, StatusCode},
    routing::post,
};
use subtle::ConstantTimeEq;

use super::{ApiError, HttpState};

const SECRET_HEADER: &str = "x-telegram-bot-api-secret-token";

pub fn router() -> Router<HttpState> {
    Router::new().route("/telegram/webhook", post(receive))
}

async fn receive(State(state): State<HttpState>, headers: HeaderMap, body: Bytes) -> Result<StatusCode, ApiError> {
    let Some(webhook) = &state.webhook else {
        return Err(ApiError::NotFound("kabar is not in webhook mode".into()));
    };
    let given = headers.get(SECRET_HEADER).map(|value| value.as_bytes()).unwrap_or_default();
    if !bool::from(given.ct_eq(webhook.secret.as_bytes())) {
        tracing::warn!("a webhook update without the right secret was refused");
        return Err(ApiError::Unauthorized);
    }
    let update: serde_json::Value =
        serde_json::from_slice(&body).map_err(|e| ApiError::BadRequest(format!("not an update: {e}")))?;
    let update_id =
        update["update_id"].as_i64().ok_or_else(|| ApiError::BadRequest("the update has no `update_id`".into()))?;
    let text = std::str::from_utf8(&body).map_err(|_| ApiError::BadRequest("the update is not UTF-8".into()))?;
    state.services.inbox().keep(update_id, text).await?;
    webhook.arrived.notify_one();
    Ok(StatusCode::OK)
}
