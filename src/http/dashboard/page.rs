//! The dashboard's HTML: minijinja templates compiled into the binary, escaped as HTML whatever
//! their names, and the error pages.

use axum::{
    http::StatusCode,
    response::{Html, IntoResponse, Response},
};
use minijinja::{AutoEscape, Environment, context};
use serde::Serialize;

use super::overview::Overview;
use crate::domain::{BroadcastProgress, Limits};

const TEMPLATES: [(&str, &str); 4] = [
    ("base.html.j2", include_str!("../../../templates/dashboard/base.html.j2")),
    ("login.html.j2", include_str!("../../../templates/dashboard/login.html.j2")),
    ("dashboard.html.j2", include_str!("../../../templates/dashboard/dashboard.html.j2")),
    ("broadcast.html.j2", include_str!("../../../templates/dashboard/broadcast.html.j2")),
];

/// The parsed templates, made once per server.
pub(super) struct Templates(Environment<'static>);

/// A line at the top of the page about what just happened.
#[derive(Serialize)]
#[serde(tag = "kind", content = "text", rename_all = "lowercase")]
pub(super) enum Notice {
    Success(&'static str),
    Error(String),
}

impl Templates {
    pub(super) fn new() -> Templates {
        let mut env = Environment::new();
        // Every value is escaped: sources' errors and names come from the outside world.
        env.set_auto_escape_callback(|_| AutoEscape::Html);
        for (name, source) in TEMPLATES {
            env.add_template(name, source).expect("the dashboard templates are valid");
        }
        Templates(env)
    }

    /// The login form, with `problem` above it when the last attempt failed.
    pub(super) fn login(&self, status: StatusCode, enabled: bool, problem: Option<&str>) -> Response {
        match self.render("login.html.j2", context! { enabled, problem }) {
            Ok(html) => (status, html).into_response(),
            Err(error) => error.into_response(),
        }
    }

    pub(super) fn dashboard(
        &self,
        overview: &Overview,
        limits: &Limits,
        csrf: &str,
        notice: Option<Notice>,
    ) -> Result<Html<String>, PageError> {
        self.render("dashboard.html.j2", context! { overview, limits, csrf, notice })
    }

    /// One broadcast's progress, reloading itself while it is sending.
    pub(super) fn broadcast(
        &self,
        progress: &BroadcastProgress,
        headline: Option<&str>,
        csrf: &str,
    ) -> Result<Html<String>, PageError> {
        self.render("broadcast.html.j2", context! { progress, headline, csrf })
    }

    fn render(&self, name: &str, context: minijinja::Value) -> Result<Html<String>, PageError> {
        let template = self.0.get_template(name)?;
        Ok(Html(template.render(context)?))
    }
}

/// Why a dashboard request failed, answered as a short page that shows no internals.
#[derive(Debug, thiserror::Error)]
pub(super) enum PageError {
    #[error("this form is out of date or did not come from the dashboard: reload the page and try again")]
    Forbidden,
    #[error("there is no such broadcast")]
    NotFound,
    #[error("something went wrong; the server's log says what")]
    Internal(#[from] anyhow::Error),
}

impl From<sqlx::Error> for PageError {
    fn from(error: sqlx::Error) -> Self {
        PageError::Internal(error.into())
    }
}

impl From<minijinja::Error> for PageError {
    fn from(error: minijinja::Error) -> Self {
        PageError::Internal(error.into())
    }
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        let status = match &self {
            PageError::Forbidden => StatusCode::FORBIDDEN,
            PageError::NotFound => StatusCode::NOT_FOUND,
            PageError::Internal(error) => {
                tracing::error!(error = format!("{error:#}"), "dashboard request failed");
                StatusCode::INTERNAL_SERVER_ERROR
            }
        };
        // Fixed texts only, so nothing here needs escaping.
        let page = format!(
            "<!doctype html><meta charset=utf-8><title>kabar</title>\
             <p>{self}.</p><p><a href=\"/dashboard\">Back to the dashboard</a></p>"
        );
        (status, Html(page)).into_response()
    }
}
