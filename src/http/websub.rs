//! `/websub/{source id}`: where WebSub hubs verify kabar's intent and push new items. Public, as
//! the protocol requires; a push counts only when it is signed with the subscription's secret.

use std::collections::HashMap;

use axum::{
    Router,
    body::Bytes,
    extract::{DefaultBodyLimit, Query, State},
    http::{HeaderMap, StatusCode},
    response::IntoResponse,
    routing::get,
};

use super::{HttpState, extract::ApiPath};
use crate::{services::sources::HubAnswer, sources::fetch::MAX_BODY_BYTES};

pub fn router() -> Router<HttpState> {
    Router::new()
        .route("/websub/{source_id}", get(verify_intent).post(receive_push))
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
}

/// The hub asks whether we really want (or no longer want) this subscription: echo its
/// challenge only for the hub and topic we asked for.
async fn verify_intent(
    State(state): State<HttpState>,
    ApiPath(source_id): ApiPath<i64>,
    Query(query): Query<HashMap<String, String>>,
) -> impl IntoResponse {
    let field = |name: &str| query.get(name).map(String::as_str).unwrap_or_default();
    let lease = query.get("hub.lease_seconds").map(String::as_str);
    let sources = state.services.sources();
    let answer =
        sources.verify_hub_intent(source_id, field("hub.mode"), field("hub.topic"), lease, field("hub.challenge"));
    match answer.await {
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
