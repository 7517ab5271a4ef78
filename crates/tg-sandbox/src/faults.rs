//! Fault injection for retry tests: the next N requests (optionally to one method) fail the way
//! Telegram or the proxy in front of it fails.

use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

/// How a request fails.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Fault {
    /// 500 with Telegram's JSON error body.
    InternalError,
    /// 502 with an nginx HTML page, which teloxide reports as `InvalidJson`.
    BadGateway,
    /// The answer is held back this long, then the request is served normally.
    Hang(Duration),
}

struct Rule {
    fault: Fault,
    remaining: u32,
    /// Lower-case method name, or every method.
    method: Option<String>,
}

/// Pending fault rules; the common case (none) costs one atomic load.
#[derive(Default)]
pub(crate) struct Faults {
    armed: AtomicBool,
    rules: Mutex<Vec<Rule>>,
}

impl Faults {
    pub fn add(&self, fault: Fault, count: u32, method: Option<&str>) {
        if count == 0 {
            return;
        }
        let mut rules = self.rules.lock().unwrap_or_else(|e| e.into_inner());
        rules.push(Rule { fault, remaining: count, method: method.map(str::to_ascii_lowercase) });
        self.armed.store(true, Ordering::Release);
    }

    pub fn clear(&self) {
        self.rules.lock().unwrap_or_else(|e| e.into_inner()).clear();
        self.armed.store(false, Ordering::Release);
    }

    /// The fault this call to `method` suffers, if any; consumes one from its rule.
    pub fn take(&self, method: &str) -> Option<Fault> {
        if !self.armed.load(Ordering::Acquire) {
            return None;
        }
        let mut rules = self.rules.lock().unwrap_or_else(|e| e.into_inner());
        let applies = |r: &Rule| r.method.as_deref().is_none_or(|m| m.eq_ignore_ascii_case(method));
        let index = rules.iter().position(applies)?;
        let rule = &mut rules[index];
        rule.remaining -= 1;
        let fault = rule.fault.clone();
        if rule.remaining == 0 {
            rules.remove(index);
        }
        if rules.is_empty() {
            self.armed.store(false, Ordering::Release);
        }
        Some(fault)
    }
}

/// The answer a failing request gets.
pub(crate) fn fault_response(fault: &Fault) -> Option<Response> {
    match fault {
        Fault::InternalError => Some(crate::error::json_response(
            StatusCode::INTERNAL_SERVER_ERROR,
            br#"{"ok":false,"error_code":500,"description":"Internal Server Error"}"#.to_vec(),
        )),
        Fault::BadGateway => Some(
            (
                StatusCode::BAD_GATEWAY,
                [(header::CONTENT_TYPE, "text/html")],
                "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 \
                 Bad Gateway</h1></center>\r\n<hr><center>nginx/1.18.0</center>\r\n</body>\r\n</html>\r\n",
            )
                .into_response(),
        ),
        Fault::Hang(_) => None,
    }
}
