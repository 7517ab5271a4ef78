//! `Idempotency-Key` on the API's POSTs: a client that retries (a CMS after a timeout, say) gets
//! the first answer again, with `Idempotent-Replayed: true`, and nothing is pushed twice.

use axum::{
    http::{HeaderMap, HeaderValue, StatusCode},
    response::{IntoResponse, Response},
};
use serde::Serialize;
use sha2::{Digest, Sha256};

use super::ApiError;
use crate::domain::{IdempotencyKey, Remembered};

const HEADER: &str = "idempotency-key";
/// Longer keys are not keys but payloads.
const MAX_KEY_CHARS: usize = 255;

/// The request's key, if it sent one, tied to `route` and to the request itself.
pub fn key_of(
    headers: &HeaderMap,
    route: &'static str,
    request: &impl Serialize,
) -> Result<Option<IdempotencyKey>, ApiError> {
    let Some(value) = headers.get(HEADER) else { return Ok(None) };
    let key = value
        .to_str()
        .ok()
        .map(str::trim)
        .filter(|key| !key.is_empty() && key.len() <= MAX_KEY_CHARS && key.chars().all(|c| c.is_ascii_graphic()))
        .ok_or_else(|| {
            ApiError::BadRequest(format!("`Idempotency-Key` must be 1 to {MAX_KEY_CHARS} visible ASCII characters"))
        })?;
    let canonical = serde_json::to_vec(request).map_err(anyhow::Error::from)?;
    let request_hash = hex::encode(Sha256::digest(&canonical));
    Ok(Some(IdempotencyKey { route, key: key.to_owned(), request_hash }))
}

/// The answer for a key used before: the first answer again, or a refusal when the key came
/// with another request.
pub fn replay(remembered: Remembered) -> Result<Option<Response>, ApiError> {
    match remembered {
        Remembered::New => Ok(None),
        Remembered::OtherRequest => {
            Err(ApiError::Unprocessable("this `Idempotency-Key` was already used for another request".into()))
        }
        Remembered::Answer { status, body } => {
            let status = StatusCode::from_u16(status).unwrap_or(StatusCode::OK);
            let mut response = (status, [("content-type", "application/json")], body).into_response();
            response.headers_mut().insert("idempotent-replayed", HeaderValue::from_static("true"));
            Ok(Some(response))
        }
    }
}
