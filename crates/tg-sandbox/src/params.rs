//! Method parameters, read the way the Bot API reads them: from the query string and from a
//! JSON, urlencoded or multipart body. Form and multipart values arrive as strings, so accessors
//! accept `123` and `"123"` alike, and JSON-valued parameters (`reply_markup`, `entities`) may be
//! objects or JSON text.

use std::borrow::Cow;
use std::collections::HashMap;

use axum::extract::{FromRequest, Multipart, Query, Request};
use axum::http::header;
use serde_json::{Map, Value};

use crate::error::{ApiError, msg};

/// Largest body accepted; Telegram takes 50 MB uploads from bots.
const BODY_LIMIT: usize = 50 * 1024 * 1024;

/// A file uploaded in a multipart request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Upload {
    pub file_name: String,
    pub size: usize,
}

/// Where a message goes: a numeric id or a public `@username`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum ChatTarget {
    Id(i64),
    Username(String),
}

/// All parameters of one call.
#[derive(Debug, Default)]
pub(crate) struct Params {
    values: Map<String, Value>,
    files: HashMap<String, Upload>,
}

impl Params {
    /// Reads query string and body. Failures are 400s worded like Telegram's.
    pub async fn from_request(req: Request) -> Result<Params, ApiError> {
        let mut params = Params::default();
        if req.uri().query().is_some_and(|q| !q.is_empty()) {
            let Query(pairs) = Query::<Vec<(String, String)>>::try_from_uri(req.uri())
                .map_err(|_| ApiError::bad_request("Bad Request: can't parse query string"))?;
            params.extend_strings(pairs);
        }
        let content_type =
            req.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("").to_ascii_lowercase();
        if content_type.starts_with("multipart/form-data") {
            params.read_multipart(req).await?;
        } else if content_type.starts_with("application/x-www-form-urlencoded") {
            let axum::Form(pairs) = axum::Form::<Vec<(String, String)>>::from_request(req, &())
                .await
                .map_err(|_| ApiError::bad_request("Bad Request: can't parse form data"))?;
            params.extend_strings(pairs);
        } else {
            let body = axum::body::to_bytes(req.into_body(), BODY_LIMIT)
                .await
                .map_err(|_| ApiError::bad_request("Bad Request: can't read request body"))?;
            if !body.iter().all(u8::is_ascii_whitespace) {
                let map: Map<String, Value> = serde_json::from_slice(&body)
                    .map_err(|_| ApiError::bad_request("Bad Request: can't parse JSON object"))?;
                params.values.extend(map);
            }
        }
        Ok(params)
    }

    async fn read_multipart(&mut self, req: Request) -> Result<(), ApiError> {
        let bad = |_| ApiError::bad_request("Bad Request: can't parse multipart form data");
        let mut form = Multipart::from_request(req, &())
            .await
            .map_err(|_| ApiError::bad_request("Bad Request: can't parse multipart form data"))?;
        while let Some(field) = form.next_field().await.map_err(bad)? {
            let name = field.name().unwrap_or_default().to_owned();
            match field.file_name().map(str::to_owned) {
                Some(file_name) => {
                    let size = field.bytes().await.map_err(bad)?.len();
                    self.files.insert(name, Upload { file_name, size });
                }
                None => {
                    let text = field.text().await.map_err(bad)?;
                    self.values.insert(name, Value::String(text));
                }
            }
        }
        Ok(())
    }

    fn extend_strings(&mut self, pairs: Vec<(String, String)>) {
        for (key, value) in pairs {
            self.values.insert(key, Value::String(value));
        }
    }

    /// A string parameter; numbers are given as their text.
    pub fn str(&self, key: &str) -> Option<Cow<'_, str>> {
        match self.values.get(key)? {
            Value::String(s) => Some(Cow::Borrowed(s)),
            Value::Number(n) => Some(Cow::Owned(n.to_string())),
            _ => None,
        }
    }

    /// An integer parameter, from a number or a numeric string.
    pub fn int(&self, key: &str) -> Option<i64> {
        match self.values.get(key)? {
            Value::Number(n) => n.as_i64(),
            Value::String(s) => s.trim().parse().ok(),
            _ => None,
        }
    }

    /// A boolean parameter: `true`, `"true"`, `1` or `"1"`.
    pub fn flag(&self, key: &str) -> bool {
        match self.values.get(key) {
            Some(Value::Bool(b)) => *b,
            Some(Value::String(s)) => matches!(s.as_str(), "true" | "True" | "1"),
            Some(Value::Number(n)) => n.as_i64() == Some(1),
            _ => false,
        }
    }

    /// A JSON-valued parameter, given inline or as JSON text. `Err(())` when the text is not JSON.
    pub fn json(&self, key: &str) -> Result<Option<Cow<'_, Value>>, ()> {
        match self.values.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) if s.is_empty() => Ok(None),
            Some(Value::String(s)) => serde_json::from_str(s).map(|v| Some(Cow::Owned(v))).map_err(|_| ()),
            Some(other) => Ok(Some(Cow::Borrowed(other))),
        }
    }

    /// An uploaded file by part name.
    pub fn file(&self, name: &str) -> Option<&Upload> {
        self.files.get(name)
    }

    /// `chat_id`: required, numeric or `@username`.
    pub fn chat_target(&self) -> Result<ChatTarget, ApiError> {
        match self.values.get("chat_id") {
            None | Some(Value::Null) => Err(ApiError::bad_request(msg::CHAT_ID_EMPTY)),
            Some(Value::Number(n)) => {
                n.as_i64().map(ChatTarget::Id).ok_or_else(|| ApiError::bad_request(msg::CHAT_NOT_FOUND))
            }
            Some(Value::String(s)) if s.is_empty() => Err(ApiError::bad_request(msg::CHAT_ID_EMPTY)),
            Some(Value::String(s)) => match s.strip_prefix('@') {
                Some(name) => Ok(ChatTarget::Username(name.to_ascii_lowercase())),
                None => s.trim().parse().map(ChatTarget::Id).map_err(|_| ApiError::bad_request(msg::CHAT_NOT_FOUND)),
            },
            Some(_) => Err(ApiError::bad_request(msg::CHAT_NOT_FOUND)),
        }
    }

    /// The numeric chat id, if given that way; for the rejection log.
    pub fn chat_id(&self) -> Option<i64> {
        match self.chat_target() {
            Ok(ChatTarget::Id(id)) => Some(id),
            _ => None,
        }
    }
}
