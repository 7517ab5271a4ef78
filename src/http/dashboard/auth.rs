//! Who may use the dashboard: a login form that takes the admin token, sessions kept in memory,
//! and a CSRF token per session for every form that changes something.
//!
//! The cookie holds a random session id, never the admin token, so a leaked cookie dies with its
//! session (12 hours, or a logout, or a restart). Logins are rate-limited per client address
//! ([`LoginAttempts`]): a guesser is slowed to a few tries a minute, and an operator elsewhere is
//! not locked out by someone else's guessing.

use std::{
    collections::HashMap,
    net::{IpAddr, SocketAddr},
    num::NonZeroU32,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use axum::{
    Extension, Form,
    extract::{ConnectInfo, FromRequestParts, State},
    http::{HeaderMap, HeaderValue, StatusCode, header, request::Parts},
    response::{IntoResponse, Redirect, Response},
};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use serde::Deserialize;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use super::{CsrfForm, DASHBOARD, Dashboard, SharedDashboard, page::PageError};
use crate::http::HttpState;

const COOKIE: &str = "kabar_session";
const LOGIN: &str = "/dashboard/login";
/// How long a session lasts: one working day.
const SESSION_LIFETIME: Duration = Duration::from_secs(12 * 60 * 60);
/// Login attempts allowed per minute, right or wrong, across all clients.
const LOGINS_PER_MINUTE: u32 = 5;

/// The open sessions, by the SHA-256 of their id: looking one up then leaks nothing usable about
/// the ids through timing, and a memory dump holds no usable cookie.
#[derive(Default)]
pub(super) struct Sessions {
    open: Mutex<HashMap<[u8; 32], OpenSession>>,
}

struct OpenSession {
    csrf: Arc<str>,
    expires_at: Instant,
}

/// A signed-in operator, as handlers see them.
pub(super) struct Session {
    id: String,
    csrf: Arc<str>,
}

impl Sessions {
    /// Opens a session; returns its id, for the cookie.
    fn open(&self) -> String {
        let id = random_hex();
        let session = OpenSession { csrf: random_hex().into(), expires_at: Instant::now() + SESSION_LIFETIME };
        let mut open = self.lock();
        let now = Instant::now();
        open.retain(|_, session| session.expires_at > now);
        open.insert(digest(&id), session);
        id
    }

    fn find(&self, id: &str) -> Option<Session> {
        let open = self.lock();
        let session = open.get(&digest(id)).filter(|session| session.expires_at > Instant::now())?;
        Some(Session { id: id.to_owned(), csrf: session.csrf.clone() })
    }

    fn close(&self, id: &str) {
        self.lock().remove(&digest(id));
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<[u8; 32], OpenSession>> {
        self.open.lock().expect("the sessions lock is never poisoned")
    }
}

impl Session {
    /// The token every form of this session carries.
    pub(super) fn csrf(&self) -> &str {
        &self.csrf
    }

    /// Refuses a form whose token is not this session's: another site made the browser send it.
    pub(super) fn check_csrf(&self, given: &str) -> Result<(), PageError> {
        match bool::from(self.csrf.as_bytes().ct_eq(given.as_bytes())) {
            true => Ok(()),
            false => Err(PageError::Forbidden),
        }
    }
}

/// Every dashboard page but the login needs a session; without one the browser goes to the login.
impl FromRequestParts<HttpState> for Session {
    type Rejection = Redirect;

    async fn from_request_parts(parts: &mut Parts, _state: &HttpState) -> Result<Self, Self::Rejection> {
        let dashboard = parts.extensions.get::<Arc<Dashboard>>().expect("the dashboard router adds its state");
        session_id(&parts.headers).and_then(|id| dashboard.sessions.find(id)).ok_or_else(|| Redirect::to(LOGIN))
    }
}

/// Counts login attempts per client address, right or wrong. Past the budget even the right
/// token is refused from that address, or a guesser would still learn it from the one answer
/// that differs; an operator elsewhere is not locked out by someone else's guessing.
pub(super) struct LoginAttempts(DefaultKeyedRateLimiter<IpAddr>);

impl LoginAttempts {
    pub(super) fn new() -> LoginAttempts {
        let per_minute = NonZeroU32::new(LOGINS_PER_MINUTE).expect("a positive quota");
        LoginAttempts(RateLimiter::keyed(Quota::per_minute(per_minute)))
    }

    fn allow_one(&self, client: IpAddr) -> bool {
        self.0.retain_recent();
        self.0.check_key(&client).is_ok()
    }
}

pub(super) async fn login_form(State(state): State<HttpState>, Extension(dashboard): SharedDashboard) -> Response {
    dashboard.templates.login(StatusCode::OK, state.admin_token.is_some(), None)
}

#[derive(Deserialize)]
pub(super) struct LoginForm {
    #[serde(default)]
    token: String,
}

pub(super) async fn log_in(
    State(state): State<HttpState>,
    Extension(dashboard): SharedDashboard,
    ConnectInfo(client): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Form(form): Form<LoginForm>,
) -> Response {
    let enabled = state.admin_token.is_some();
    if !dashboard.login_attempts.allow_one(client.ip()) {
        tracing::warn!("dashboard login refused: too many attempts");
        let problem = "Too many login attempts. Wait a minute, then try again.";
        return dashboard.templates.login(StatusCode::TOO_MANY_REQUESTS, enabled, Some(problem));
    }
    if !is_admin_token(state.admin_token.as_deref(), form.token.trim()) {
        tracing::warn!("dashboard login refused: wrong token");
        return dashboard.templates.login(StatusCode::UNAUTHORIZED, enabled, Some("That is not the admin token."));
    }
    let id = dashboard.sessions.open();
    tracing::info!("operator signed in to the dashboard");
    let cookie = format!("{COOKIE}={id}; Max-Age={}{}", SESSION_LIFETIME.as_secs(), cookie_attributes(&headers));
    with_cookie(Redirect::to(DASHBOARD), &cookie)
}

fn is_admin_token(expected: Option<&str>, given: &str) -> bool {
    expected.is_some_and(|expected| bool::from(expected.as_bytes().ct_eq(given.as_bytes())))
}

pub(super) async fn log_out(
    Extension(dashboard): SharedDashboard,
    session: Session,
    headers: HeaderMap,
    Form(form): Form<CsrfForm>,
) -> Result<Response, PageError> {
    session.check_csrf(&form.csrf)?;
    dashboard.sessions.close(&session.id);
    let cookie = format!("{COOKIE}=; Max-Age=0{}", cookie_attributes(&headers));
    Ok(with_cookie(Redirect::to(LOGIN), &cookie))
}

/// The cookie goes back only to the dashboard, never to scripts, never along a link from another
/// site, and only over HTTPS unless this is a browser on the same machine over plain HTTP.
fn cookie_attributes(headers: &HeaderMap) -> &'static str {
    if is_plain_http_on_this_machine(headers) {
        "; Path=/dashboard; HttpOnly; SameSite=Strict"
    } else {
        "; Path=/dashboard; HttpOnly; SameSite=Strict; Secure"
    }
}

/// A request is taken as plain HTTP from this machine when it names a loopback host and no proxy
/// says it came over HTTPS. kabar itself never speaks TLS, so this is a guess from the headers;
/// guessing wrong towards `Secure` only makes a plain-HTTP browser drop the cookie.
fn is_plain_http_on_this_machine(headers: &HeaderMap) -> bool {
    let text = |name: &str| headers.get(name).and_then(|value| value.to_str().ok()).unwrap_or_default();
    let forwarded_https = text("x-forwarded-proto").trim().eq_ignore_ascii_case("https");
    !forwarded_https && matches!(without_port(text("host")), "127.0.0.1" | "localhost" | "[::1]")
}

/// `host:port` without the port; an IPv6 address keeps its brackets.
fn without_port(host: &str) -> &str {
    match host.rsplit_once(':') {
        Some((name, port)) if !port.is_empty() && port.bytes().all(|b| b.is_ascii_digit()) => name,
        _ => host,
    }
}

fn with_cookie(redirect: Redirect, cookie: &str) -> Response {
    let mut response = redirect.into_response();
    let value = HeaderValue::from_str(cookie).expect("a cookie of hex digits and fixed attributes");
    response.headers_mut().insert(header::SET_COOKIE, value);
    response
}

/// The session id the browser sent, if any.
fn session_id(headers: &HeaderMap) -> Option<&str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .find_map(|pair| pair.trim().strip_prefix(COOKIE)?.strip_prefix('='))
}

/// 32 random bytes from the thread's CSPRNG, as hex.
fn random_hex() -> String {
    hex::encode(rand::random::<[u8; 32]>())
}

fn digest(id: &str) -> [u8; 32] {
    Sha256::digest(id.as_bytes()).into()
}
