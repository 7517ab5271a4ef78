//! `/api/*`: broadcasts, limits and the CMS article hook, behind the admin bearer token.

use axum::{
    Json, Router,
    extract::{Request, State},
    http::{HeaderMap, StatusCode, header},
    middleware::{self, Next},
    response::{IntoResponse, Response},
    routing::{get, post},
};
use serde::{Deserialize, Serialize};
use serde_json::json;
use subtle::ConstantTimeEq;

use super::{
    ApiError, HttpState,
    extract::{ApiJson, ApiPath},
    idempotency,
};
use crate::{
    domain::Limits,
    services::{articles::PublishOutcome, newsroom::Queued, pages::PublishError},
};

pub fn router(state: HttpState) -> Router<HttpState> {
    Router::new()
        .route("/broadcasts", post(create_broadcast))
        .route("/broadcasts/{id}", get(broadcast_progress).delete(cancel_broadcast))
        .route("/broadcasts/{id}/failures", get(broadcast_failures))
        .route("/limits", get(read_limits).put(change_limits))
        .route("/articles", post(publish_article))
        .merge(super::sources::router())
        .route_layer(middleware::from_fn_with_state(state, require_admin))
}

/// Every `/api` request needs `Authorization: Bearer <admin_token>` (the scheme in any case, as
/// RFC 9110 says), the token compared in constant time.
async fn require_admin(State(state): State<HttpState>, request: Request, next: Next) -> Result<Response, ApiError> {
    let given =
        request.headers().get(header::AUTHORIZATION).and_then(|value| value.to_str().ok()).and_then(bearer_token);
    match (&state.admin_token, given) {
        (Some(expected), Some(given)) if bool::from(expected.as_bytes().ct_eq(given.as_bytes())) => {
            Ok(next.run(request).await)
        }
        _ => {
            state.auth_throttle.failed().await;
            Err(ApiError::Unauthorized)
        }
    }
}

/// The token of an `Authorization` value of the Bearer scheme.
fn bearer_token(value: &str) -> Option<&str> {
    let (scheme, token) = value.trim().split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
}

#[derive(Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
struct BroadcastRequest {
    text: String,
    url: Option<String>,
    #[serde(default)]
    breaking: bool,
}

async fn create_broadcast(
    State(state): State<HttpState>,
    headers: HeaderMap,
    ApiJson(request): ApiJson<BroadcastRequest>,
) -> Result<Response, ApiError> {
    let key = idempotency::key_of(&headers, "/api/broadcasts", &request)?;
    let newsroom = state.services.newsroom();
    let announcement = newsroom
        .check(&request.text, request.url.as_deref(), request.breaking)
        .map_err(|problem| ApiError::Unprocessable(problem.to_string()))?;
    let queued = match &key {
        None => newsroom.announce(&announcement, "api").await?,
        Some(key) => match newsroom.announce_once(&announcement, "api", key, queued_answer).await? {
            Ok(queued) => queued,
            Err(remembered) => return Ok(idempotency::replay(remembered)?.expect("a remembered answer")),
        },
    };
    let (status, body) = queued_answer(queued);
    Ok((StatusCode::from_u16(status).expect("a valid status"), [("content-type", "application/json")], body)
        .into_response())
}

/// The answer to a queued broadcast, also the one a retry with its key gets again.
fn queued_answer(queued: Queued) -> (u16, String) {
    (StatusCode::ACCEPTED.as_u16(), json!({ "id": queued.id, "recipients": queued.recipients }).to_string())
}

async fn broadcast_progress(
    State(state): State<HttpState>,
    ApiPath(id): ApiPath<i64>,
) -> Result<impl IntoResponse, ApiError> {
    let progress = state.services.newsroom().progress(id).await?;
    progress.map(Json).ok_or_else(|| ApiError::NotFound(format!("no broadcast {id}")))
}

/// Why deliveries of a broadcast failed: up to 1,000 of them, with their chats and reasons.
async fn broadcast_failures(
    State(state): State<HttpState>,
    ApiPath(id): ApiPath<i64>,
) -> Result<impl IntoResponse, ApiError> {
    let newsroom = state.services.newsroom();
    if newsroom.progress(id).await?.is_none() {
        return Err(ApiError::NotFound(format!("no broadcast {id}")));
    }
    Ok(Json(newsroom.failures(id, 1000).await?))
}

async fn cancel_broadcast(
    State(state): State<HttpState>,
    ApiPath(id): ApiPath<i64>,
) -> Result<impl IntoResponse, ApiError> {
    let progress = state.services.newsroom().cancel(id).await?;
    Ok(Json(progress.ok_or_else(|| ApiError::NotFound(format!("no broadcast {id}")))?))
}

async fn read_limits(State(state): State<HttpState>) -> Json<Limits> {
    Json(state.services.limits().get())
}

/// Any subset of the `[limits]` keys; the others keep their values.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LimitsChange {
    global_per_sec: Option<u32>,
    per_chat_per_sec: Option<u32>,
    group_per_min: Option<u32>,
}

async fn change_limits(
    State(state): State<HttpState>,
    ApiJson(change): ApiJson<LimitsChange>,
) -> Result<Json<Limits>, ApiError> {
    let current = state.services.limits().get();
    let limits = Limits {
        global_per_sec: change.global_per_sec.unwrap_or(current.global_per_sec),
        per_chat_per_sec: change.per_chat_per_sec.unwrap_or(current.per_chat_per_sec),
        group_per_min: change.group_per_min.unwrap_or(current.group_per_min),
    };
    Ok(Json(state.services.limits().set(limits).map_err(ApiError::Unprocessable)?))
}

#[derive(Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
struct ArticleRequest {
    url: String,
}

/// The CMS hook. The article is pushed once whatever happens (dedupe by URL), and a request
/// retried with its `Idempotency-Key` is also answered as the first time.
async fn publish_article(
    State(state): State<HttpState>,
    headers: HeaderMap,
    ApiJson(request): ApiJson<ArticleRequest>,
) -> Result<Response, ApiError> {
    let key = idempotency::key_of(&headers, "/api/articles", &request)?;
    if let Some(key) = &key
        && let Some(answer) = idempotency::replay(state.services.articles().remembered(key).await?)?
    {
        return Ok(answer);
    }
    let answer = article_answer(&state, &request.url).await?;
    if let Some(key) = &key {
        let (status, body) = (answer.0.as_u16(), answer.1.to_string());
        state.services.articles().remember(key, status, &body).await?;
    }
    Ok((answer.0, Json(answer.1)).into_response())
}

async fn article_answer(state: &HttpState, url: &str) -> Result<(StatusCode, serde_json::Value), ApiError> {
    match state.services.articles().publish_url(url.trim()).await {
        Ok(PublishOutcome::Published { broadcast_id, recipients }) => {
            Ok((StatusCode::ACCEPTED, json!({ "id": broadcast_id, "recipients": recipients, "duplicate": false })))
        }
        Ok(PublishOutcome::Duplicate) => Ok((StatusCode::OK, json!({ "duplicate": true, "recipients": 0 }))),
        Err(PublishError::BadUrl(url)) => {
            Err(ApiError::Unprocessable(format!("`url` is not an absolute http(s) URL: {url}")))
        }
        Err(error @ (PublishError::Fetch(_) | PublishError::NoTitle(_))) => {
            Err(ApiError::BadGateway(error.to_string()))
        }
        Err(PublishError::Internal(error)) => Err(ApiError::Internal(error)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bearer_scheme_is_read_in_any_case() {
        assert_eq!(bearer_token("Bearer abc"), Some("abc"));
        assert_eq!(bearer_token("bearer  abc "), Some("abc"));
        assert_eq!(bearer_token("BEARER abc"), Some("abc"));
        assert_eq!(bearer_token("Basic abc"), None);
        assert_eq!(bearer_token("Bearerabc"), None);
    }
}
