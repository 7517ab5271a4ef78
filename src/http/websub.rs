//! `/websub/{source id}/{token}`: where WebSub hubs verify kabar's intent and push new items.
//! Public, as the protocol requires: a verification counts only at the callback URL the hub was
//! given (the token is known to it alone), a push only when it is signed with the
//! subscription's secret. Subscriptions made before callbacks had a token still push to
//! `/websub/{source id}` until they are renewed.

use std::collections::HashMap;

use axum::{
    Router,
    body::Bytes,
    extract::{DefaultBodyLimit, Query, State},
    http::{HeaderMap, StatusCode},
    response::IntoResponse,
    routing::{get, post},
};

use super::{HttpState, extract::ApiPath};
use crate::{services::sources::HubAnswer, sources::fetch::MAX_BODY_BYTES};

pub fn router() -> Router<HttpState> {
    Router::new()
        .route("/websub/{source_id}/{token}", get(verify_intent).post(receive_push))
        .route("/websub/{source_id}", post(receive_push_without_token))
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
}

/// The hub asks whether we really want (or no longer want) this subscription: echo its
/// challenge only for the hub and topic we asked for.
async fn verify_intent(
    State(state): State<HttpState>,
    ApiPath((source_id, token)): ApiPath<(i64, String)>,
    Query(query): Query<HashMap<String, String>>,
) -> impl IntoResponse {
    let field = |name: &str| query.get(name).map(String::as_str).unwrap_or_default();
    let lease = query.get("hub.lease_seconds").map(String::as_str);
    let (mode, topic, challenge) = (field("hub.mode"), field("hub.topic"), field("hub.challenge"));
    let sources = state.services.sources();
    match sources.verify_hub_intent(source_id, &token, mode, topic, lease, challenge).await {
        Ok(HubAnswer::Challenge(challenge)) => (StatusCode::OK, challenge),
        Ok(HubAnswer::Unknown) => (StatusCode::NOT_FOUND, String::new()),
        Err(error) => {
            tracing::error!(%error, source_id, "cannot record a WebSub verification");
            (StatusCode::INTERNAL_SERVER_ERROR, String::new())
        }
    }
}

/// The hub pushes the feed's new content. Answered at once; publishing goes on in the
/// background. Unsigned or wrongly signed pushes are ignored, but still acknowledged, as the
/// protocol asks, so a forger learns nothing.
async fn receive_push(
    state: State<HttpState>,
    ApiPath((source_id, _token)): ApiPath<(i64, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> StatusCode {
    receive_push_without_token(state, ApiPath(source_id), headers, body).await
}

/// A push to a callback URL of before tokens; the signature alone decides, as at any URL.
async fn receive_push_without_token(
    State(state): State<HttpState>,
    ApiPath(source_id): ApiPath<i64>,
    headers: HeaderMap,
    body: Bytes,
) -> StatusCode {
    let signature = headers.get("x-hub-signature").and_then(|v| v.to_str().ok()).unwrap_or_default();
    match state.services.sources().receive_hub_push(source_id, signature, &body).await {
        Ok(true) => StatusCode::ACCEPTED,
        Ok(false) => StatusCode::NOT_FOUND,
        Err(error) => {
            tracing::error!(%error, source_id, "cannot read a WebSub subscription");
            StatusCode::INTERNAL_SERVER_ERROR
        }
    }
}
