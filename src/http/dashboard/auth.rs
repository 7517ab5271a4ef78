//! Who may use the dashboard: a login form that takes the admin token, sessions kept in the
//! database (see `services::operators`), and a CSRF token per session for every form that
//! changes something.
//!
//! The cookie holds a random session id, never the admin token, so a leaked cookie dies with its
//! session (12 hours, or a logout); a restart keeps it. Logins are limited per client address: a
//! guesser is slowed to a few tries a minute, and an operator elsewhere is not locked out by
//! someone else's guessing.

use std::{net::SocketAddr, sync::Arc, time::Duration};

use axum::{
    Extension, Form,
    extract::{ConnectInfo, FromRequestParts, State},
    http::{HeaderMap, HeaderValue, StatusCode, header, request::Parts},
    response::{IntoResponse, Redirect, Response},
};
use serde::Deserialize;
use subtle::ConstantTimeEq;

use super::{CsrfForm, DASHBOARD, SharedDashboard, page::PageError};
use crate::http::HttpState;

const COOKIE: &str = "kabar_session";
const LOGIN: &str = "/dashboard/login";
/// How long a session lasts: one working day.
const SESSION_LIFETIME: Duration = Duration::from_secs(12 * 60 * 60);
/// Login attempts allowed per minute from one address, right or wrong.
const LOGINS_PER_MINUTE: u32 = 5;

/// A signed-in operator, as handlers see them.
pub(super) struct Session {
    id: String,
    csrf: Arc<str>,
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
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &HttpState) -> Result<Self, Self::Rejection> {
        let Some(id) = session_id(&parts.headers) else { return Err(Redirect::to(LOGIN).into_response()) };
        match state.services.operators().session_csrf(id).await {
            Ok(Some(csrf)) => Ok(Session { id: id.to_owned(), csrf: csrf.into() }),
            Ok(None) => Err(Redirect::to(LOGIN).into_response()),
            Err(error) => Err(PageError::from(error).into_response()),
        }
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
) -> Result<Response, PageError> {
    let enabled = state.admin_token.is_some();
    let operators = state.services.operators();
    if !operators.login_allowed(client.ip(), LOGINS_PER_MINUTE).await? {
        tracing::warn!("dashboard login refused: too many attempts");
        let problem = "Too many login attempts. Wait a minute, then try again.";
        return Ok(dashboard.templates.login(StatusCode::TOO_MANY_REQUESTS, enabled, Some(problem)));
    }
    if !is_admin_token(state.admin_token.as_deref(), form.token.trim()) {
        tracing::warn!("dashboard login refused: wrong token");
        return Ok(dashboard.templates.login(StatusCode::UNAUTHORIZED, enabled, Some("That is not the admin token.")));
    }
    let session = operators.open_session(SESSION_LIFETIME).await?;
    tracing::info!("operator signed in to the dashboard");
    let cookie =
        format!("{COOKIE}={}; Max-Age={}{}", session.id, SESSION_LIFETIME.as_secs(), cookie_attributes(&headers));
    Ok(with_cookie(Redirect::to(DASHBOARD), &cookie))
}

fn is_admin_token(expected: Option<&str>, given: &str) -> bool {
    expected.is_some_and(|expected| bool::from(expected.as_bytes().ct_eq(given.as_bytes())))
}

pub(super) async fn log_out(
    State(state): State<HttpState>,
    session: Session,
    headers: HeaderMap,
    Form(form): Form<CsrfForm>,
) -> Result<Response, PageError> {
    session.check_csrf(&form.csrf)?;
    state.services.operators().close_session(&session.id).await?;
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
