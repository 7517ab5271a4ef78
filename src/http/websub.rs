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
use crate::{
    sources::{fetch::MAX_BODY_BYTES, parse::parse_feed_document, websub::signature_is_valid},
    store::now_ms,
};

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
    let Ok(Some(subscription)) = state.store.websub_subscription(source_id).await else {
        return (StatusCode::NOT_FOUND, String::new());
    };
    let field = |name: &str| query.get(name).map(String::as_str).unwrap_or_default();
    if field("hub.topic") != subscription.topic {
        return (StatusCode::NOT_FOUND, String::new());
    }
    let settled = match field("hub.mode") {
        "subscribe" => {
            let lease_ms = field("hub.lease_seconds").parse::<i64>().unwrap_or(86_400) * 1000;
            state.store.websub_settled(source_id, "verified", Some(now_ms() + lease_ms)).await
        }
        "denied" => state.store.websub_settled(source_id, "denied", None).await,
        _ => return (StatusCode::NOT_FOUND, String::new()),
    };
    if let Err(error) = settled {
        tracing::error!(%error, source_id, "cannot record a WebSub verification");
        return (StatusCode::INTERNAL_SERVER_ERROR, String::new());
    }
    tracing::info!(source_id, mode = field("hub.mode"), "WebSub hub verified");
    (StatusCode::OK, field("hub.challenge").to_owned())
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
    let (Ok(Some(subscription)), Ok(Some(source))) =
        (state.store.websub_subscription(source_id).await, state.store.enabled_source(source_id).await)
    else {
        return StatusCode::NOT_FOUND;
    };
    let signature = headers.get("x-hub-signature").and_then(|v| v.to_str().ok()).unwrap_or_default();
    if !signature_is_valid(&subscription.secret, &body, signature) {
        tracing::warn!(source = source.name, "ignored a WebSub push without a valid signature");
        return StatusCode::ACCEPTED;
    }
    let items = match parse_feed_document(&body) {
        Ok(document) => document.items,
        Err(error) => {
            tracing::warn!(source = source.name, %error, "a WebSub push is not a feed");
            return StatusCode::ACCEPTED;
        }
    };
    let publisher = state.publisher.clone();
    tokio::spawn(async move {
        match publisher.publish_new_items(&source, items).await {
            Ok(published) => tracing::info!(source = source.name, published, "WebSub push handled"),
            Err(error) => tracing::error!(source = source.name, error = format!("{error:#}"), "WebSub push failed"),
        }
    });
    StatusCode::ACCEPTED
}
