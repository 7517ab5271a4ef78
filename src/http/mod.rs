//! The HTTP server: health and metrics for operators, the admin API for editors' tools and the
//! CMS, the dashboard, and the webhooks of Telegram and WebSub hubs. Each part exposes a
//! `router()`; [`router`] puts them together. Handlers parse and answer; every action is a call
//! to [`crate::services`].

mod api;
mod dashboard;
mod error;
mod extract;
mod health;
mod idempotency;
pub mod server;
mod sources;
mod telegram_webhook;
mod throttle;
mod websub;

use std::sync::{
    Arc,
    atomic::{AtomicBool, Ordering},
};

use axum::Router;

pub use error::ApiError;

use crate::services::Services;

/// What the handlers share.
#[derive(Clone)]
pub struct HttpState {
    pub services: Services,
    pub admin_token: Option<Arc<str>>,
    /// Set once the bot has reached the Bot API and is polling for updates.
    pub bot_running: Arc<AtomicBool>,
    /// Slows down guessing of the admin token.
    pub auth_throttle: Arc<throttle::AuthThrottle>,
    /// Set in webhook mode: where Telegram's updates are stored and announced.
    pub webhook: Option<Arc<crate::telegram::webhook::WebhookInbox>>,
}

impl HttpState {
    fn bot_is_running(&self) -> bool {
        self.bot_running.load(Ordering::Relaxed)
    }
}

/// Every route of kabar's HTTP server.
pub fn router(state: HttpState) -> Router {
    Router::new()
        .merge(health::router())
        .merge(websub::router())
        .merge(telegram_webhook::router())
        .merge(dashboard::router())
        .nest("/api", api::router(state.clone()))
        .with_state(state)
}
