//! `/dashboard`: a server-rendered page for operators, behind the admin token. It shows the
//! subscribers, the sources' health and the latest broadcasts, and changes the sending limits.
//!
//! It works without JavaScript: every action is a form POST that answers with a redirect.
//! [`auth`] handles signing in, the cookie and the CSRF tokens; [`overview`] reads what the page
//! shows; [`page`] renders it.

mod auth;
mod overview;
mod page;

use std::sync::Arc;

use axum::{
    Extension, Form, Router,
    extract::{Path, Query, State},
    http::{HeaderValue, StatusCode, header},
    middleware,
    response::{IntoResponse, Redirect, Response},
    routing::{get, post},
};
use serde::Deserialize;

use self::{
    auth::Session,
    page::{PageError, Templates},
};
use super::HttpState;
use crate::domain::{BroadcastStatus, Limits};

const DASHBOARD: &str = "/dashboard";

/// What the dashboard keeps between requests: made once per server, so tests get their own.
struct Dashboard {
    templates: Templates,
}

type SharedDashboard = Extension<Arc<Dashboard>>;

/// The `/dashboard` routes. Its state lives in an extension, so [`HttpState`] needs nothing new.
pub fn router() -> Router<HttpState> {
    let dashboard = Dashboard { templates: Templates::new() };
    Router::new()
        .route(DASHBOARD, get(show_dashboard))
        .route("/dashboard/login", get(auth::login_form).post(auth::log_in))
        .route("/dashboard/logout", post(auth::log_out))
        .route("/dashboard/limits", post(change_limits))
        .route("/dashboard/broadcasts/{id}", get(show_broadcast))
        .route("/dashboard/broadcasts/{id}/cancel", post(cancel_broadcast))
        .layer(Extension(Arc::new(dashboard)))
        .layer(middleware::map_response(harden))
}

/// Pages that act on cookies must not be framed (clickjacking), cached or run foreign code.
async fn harden(mut response: Response) -> Response {
    let headers = response.headers_mut();
    let policy = "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; \
                  base-uri 'none'";
    headers.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(policy));
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    response
}

/// Which action the last redirect confirms, as `?done=...`.
#[derive(Deserialize)]
struct Confirmation {
    done: Option<String>,
}

impl Confirmation {
    /// A fixed text per action: nothing from the query string is shown as it came.
    fn notice(&self) -> Option<&'static str> {
        match self.done.as_deref() {
            Some("limits") => Some("Limits saved; they apply at once."),
            Some("cancel") => Some("Broadcast cancelled; sends already in flight finish."),
            Some("finished") => Some("That broadcast had already finished: nothing to cancel."),
            _ => None,
        }
    }
}

async fn show_dashboard(
    State(state): State<HttpState>,
    Extension(dashboard): SharedDashboard,
    session: Session,
    Query(confirmation): Query<Confirmation>,
) -> Result<Response, PageError> {
    let notice = confirmation.notice().map(page::Notice::Success);
    render_dashboard(&state, &dashboard, &session, notice, StatusCode::OK).await
}

async fn render_dashboard(
    state: &HttpState,
    dashboard: &Dashboard,
    session: &Session,
    notice: Option<page::Notice>,
    status: StatusCode,
) -> Result<Response, PageError> {
    let overview = overview::load(&state.services).await?;
    let html = dashboard.templates.dashboard(&overview, &state.services.limits().get(), session.csrf(), notice)?;
    Ok((status, html).into_response())
}

/// The limits form: every key as typed, and the session's CSRF token.
#[derive(Deserialize)]
struct LimitsForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    global_per_sec: String,
    #[serde(default)]
    per_chat_per_sec: String,
    #[serde(default)]
    group_per_min: String,
}

impl LimitsForm {
    /// The limits asked for, or which field is not a number.
    fn limits(&self) -> Result<Limits, String> {
        Ok(Limits {
            global_per_sec: whole_number("limits.global_per_sec", &self.global_per_sec)?,
            per_chat_per_sec: whole_number("limits.per_chat_per_sec", &self.per_chat_per_sec)?,
            group_per_min: whole_number("limits.group_per_min", &self.group_per_min)?,
        })
    }
}

fn whole_number(key: &str, typed: &str) -> Result<u32, String> {
    typed.trim().parse().map_err(|_| format!("{key} must be a whole number, got {typed:?}"))
}

async fn change_limits(
    State(state): State<HttpState>,
    Extension(dashboard): SharedDashboard,
    session: Session,
    Form(form): Form<LimitsForm>,
) -> Result<Response, PageError> {
    session.check_csrf(&form.csrf)?;
    match form.limits().and_then(|limits| state.services.limits().set(limits)) {
        Ok(limits) => {
            tracing::info!(?limits, "limits changed through the dashboard");
            Ok(Redirect::to("/dashboard?done=limits").into_response())
        }
        Err(problem) => {
            let notice = Some(page::Notice::Error(problem));
            render_dashboard(&state, &dashboard, &session, notice, StatusCode::UNPROCESSABLE_ENTITY).await
        }
    }
}

/// A form that carries nothing but the session's CSRF token.
#[derive(Deserialize)]
struct CsrfForm {
    #[serde(default)]
    csrf: String,
}

async fn show_broadcast(
    State(state): State<HttpState>,
    Extension(dashboard): SharedDashboard,
    session: Session,
    Path(id): Path<i64>,
) -> Result<Response, PageError> {
    let newsroom = state.services.newsroom();
    let progress = newsroom.progress(id).await?.ok_or(PageError::NotFound)?;
    let headline = newsroom.headline(id).await?;
    Ok(dashboard.templates.broadcast(&progress, headline.as_deref(), session.csrf())?.into_response())
}

async fn cancel_broadcast(
    State(state): State<HttpState>,
    session: Session,
    Path(id): Path<i64>,
    Form(form): Form<CsrfForm>,
) -> Result<Response, PageError> {
    session.check_csrf(&form.csrf)?;
    let progress = state.services.newsroom().cancel(id).await?.ok_or(PageError::NotFound)?;
    if progress.status != BroadcastStatus::Cancelled {
        return Ok(Redirect::to("/dashboard?done=finished").into_response());
    }
    Ok(Redirect::to("/dashboard?done=cancel").into_response())
}
