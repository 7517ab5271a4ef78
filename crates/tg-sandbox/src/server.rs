//! Routing: `/bot<token>/<method>` for the Bot API (method names case-insensitive, as on
//! Telegram) and `/control/...` for tests. Every refused Bot API call lands in the rejection log.

use axum::Router;
use axum::extract::{DefaultBodyLimit, Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use crate::error::{ApiError, json_response};
use crate::faults::{Fault, fault_response};
use crate::params::Params;
use crate::record::{Rejection, unix_millis};
use crate::{Sandbox, Shared, control_http, methods};

/// Telegram takes uploads of up to 50 MB from bots.
const MAX_BODY: usize = 50 * 1024 * 1024;

/// The whole HTTP surface.
pub(crate) fn router(sandbox: Sandbox) -> Router {
    Router::new()
        .nest("/control", control_http::router())
        .fallback(bot_api)
        .layer(DefaultBodyLimit::max(MAX_BODY))
        .with_state(sandbox)
}

async fn bot_api(State(sandbox): State<Sandbox>, req: Request) -> Response {
    let shared = &*sandbox.shared;
    let path = req.uri().path().trim_start_matches('/');
    let Some((token_segment, method)) = path.split_once('/') else {
        return reject(shared, path, None, ApiError::not_found());
    };
    let token_ok = token_segment
        .strip_prefix("bot")
        .is_some_and(|token| token == shared.config.token || percent_decode(token) == shared.config.token);
    let method = method.to_owned();
    if !token_ok {
        return reject(shared, &method, None, ApiError::unauthorized());
    }
    match shared.faults.take(&method) {
        Some(Fault::Hang(duration)) => {
            let mut stopped = shared.shutdown.subscribe();
            tokio::select! {
                () = tokio::time::sleep(duration) => {}
                _ = stopped.wait_for(|stop| *stop) => {}
            }
        }
        Some(fault) => {
            let response = fault_response(&fault).expect("only hangs have no response");
            record_rejection(shared, &method, None, response.status(), "injected fault", None);
            return response;
        }
        None => {}
    }
    let Some(canonical) = methods::canonical(&method) else {
        return reject(shared, &method, None, ApiError::not_found());
    };
    let params = match Params::from_request(req).await {
        Ok(params) => params,
        Err(err) => return reject(shared, canonical, None, err),
    };
    match methods::call(&sandbox, canonical, &params).await {
        Ok(body) => json_response(StatusCode::OK, body),
        Err(err) => reject(shared, canonical, params.chat_id(), err),
    }
}

fn reject(shared: &Shared, method: &str, chat_id: Option<i64>, err: ApiError) -> Response {
    record_rejection(shared, method, chat_id, err.status, &err.description, err.retry_after);
    err.into_response()
}

fn record_rejection(
    shared: &Shared,
    method: &str,
    chat_id: Option<i64>,
    status: StatusCode,
    description: &str,
    retry_after: Option<u32>,
) {
    shared.record.reject(Rejection {
        method: method.to_owned(),
        chat_id,
        status: status.as_u16(),
        description: description.to_owned(),
        retry_after,
        at: std::time::Instant::now(),
        unix_millis: unix_millis(),
    });
}

/// Decodes `%XX` escapes, for clients that escape the `:` in the token.
fn percent_decode(raw: &str) -> String {
    let bytes = raw.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = raw.get(i + 1..i + 3).and_then(|h| u8::from_str_radix(h, 16).ok());
        match (bytes[i], hex) {
            (b'%', Some(byte)) => {
                out.push(byte);
                i += 3;
            }
            (byte, _) => {
                out.push(byte);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}
