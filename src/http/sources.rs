//! `/api/sources`: the watched sites, their health, and adding or removing them at run time.

use axum::{
    Json, Router,
    extract::State,
    http::StatusCode,
    response::IntoResponse,
    routing::{delete, get},
};

use super::{
    ApiError, HttpState,
    extract::{ApiJson, ApiPath},
};
use crate::services::sources::{AddSourceError, SourceRequest};

pub fn router() -> Router<HttpState> {
    Router::new()
        .route("/sources", get(list_sources).post(create_source))
        .route("/sources/{name}", delete(remove_source))
}

/// Every watched source with its last poll, next poll and last error.
async fn list_sources(State(state): State<HttpState>) -> Result<impl IntoResponse, ApiError> {
    Ok(Json(state.services.sources().list().await?))
}

async fn create_source(
    State(state): State<HttpState>,
    ApiJson(request): ApiJson<SourceRequest>,
) -> Result<impl IntoResponse, ApiError> {
    match state.services.sources().add(request).await {
        Ok(source) => Ok((StatusCode::CREATED, Json(source))),
        Err(error @ AddSourceError::Invalid { .. }) => Err(ApiError::Unprocessable(error.to_string())),
        Err(error @ AddSourceError::Discover(_)) => Err(ApiError::Unprocessable(error.to_string())),
        Err(error @ AddSourceError::Exists(_)) => Err(ApiError::Conflict(error.to_string())),
        Err(AddSourceError::Store(error)) => Err(error.into()),
    }
}

async fn remove_source(
    State(state): State<HttpState>,
    ApiPath(name): ApiPath<String>,
) -> Result<impl IntoResponse, ApiError> {
    if !state.services.sources().remove(&name).await? {
        return Err(ApiError::NotFound(format!("no source named {name}")));
    }
    Ok(Json(serde_json::json!({ "removed": name })))
}
