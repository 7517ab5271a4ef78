//! An in-process stand-in for the Telegram Bot API server.
//!
//! Tests, benchmarks and `kabar demo` start a [`Sandbox`] on `127.0.0.1` port 0 and point the real
//! teloxide client at it (`Bot::new(sandbox.token()).set_api_url(sandbox.api_url().parse()?)`).
//! It answers with the Bot API's own paths, JSON shapes, error descriptions and flood limits, so
//! what works against the sandbox works against Telegram; and it records everything the bot did
//! so tests can read it back as a reader would see it.
//!
//! ```no_run
//! # async fn demo() -> std::io::Result<()> {
//! use std::time::Duration;
//! use tg_sandbox::{NewUser, Sandbox, SandboxConfig};
//!
//! let sandbox = Sandbox::start(SandboxConfig::default())?;
//! sandbox.add_user(NewUser::new(42, "Ann").username("ann"));
//! sandbox.user_sends_text(42, 42, "/start").unwrap();
//! // ... run the bot against sandbox.api_url() ...
//! let replies = sandbox.wait_for_sent(42, 1, Duration::from_secs(5)).await;
//! assert_eq!(replies.len(), 1);
//! # Ok(()) }
//! ```
//!
//! # Webhooks
//! After `setWebhook` the sandbox posts every pending update, oldest first and one at a time, to
//! the URL (plain `http` too, unlike Telegram, so tests can serve it on loopback), with the
//! `X-Telegram-Bot-Api-Secret-Token` header when a secret was set. A 2xx answer acknowledges
//! the update; anything else keeps it queued and retries after 200 ms, doubling up to 5 s, with
//! the error in `getWebhookInfo`. [`Sandbox::webhook_deliveries`] and
//! [`Sandbox::webhook_failures`] count the outcomes.
//!
//! # Layout
//! - `server`: routing, authentication, fault injection, the rejection log.
//! - `methods`: one file per group of Bot API methods.
//! - `html`, `text`: Telegram's HTML parser and text/keyboard checks.
//! - `limits`: the flood limits.
//! - `world`, `shapes`: the simulated chats and the JSON they serialise to.
//! - `updates`: the queue behind `getUpdates` and the webhook.
//! - `webhook`: the task posting updates to a webhook set with `setWebhook`.
//! - `control`, `control_http`, `inspect`: playing readers and reading back what the bot did.

#![warn(missing_docs)]

mod config;
mod control;
mod control_http;
mod entity;
mod error;
mod faults;
pub mod html;
mod inspect;
mod limits;
mod methods;
mod params;
mod record;
mod server;
mod shapes;
mod text;
mod updates;
mod webhook;
mod world;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};

use axum::serve::ListenerExt;
use tokio::sync::watch;

pub use config::{BotProfile, Limits, SandboxConfig};
pub use control::{ControlError, GroupKind, NewGroup, NewUser};
pub use faults::Fault;
pub use html::MessageEntity;
pub use record::{CallbackAnswer, PhotoInput, Rejection, SentKind, SentMessage};
pub use shapes::MemberStatus;
pub use world::BotCommandEntry;

/// State shared by the server task and every handle.
pub(crate) struct Shared {
    config: SandboxConfig,
    addr: SocketAddr,
    world: Mutex<world::World>,
    record: record::Recorder,
    updates: updates::UpdateQueue,
    faults: faults::Faults,
    shutdown: watch::Sender<bool>,
}

impl Shared {
    /// The world lock; held only for bookkeeping, never across an await.
    fn world(&self) -> MutexGuard<'_, world::World> {
        self.world.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn text_rules(&self) -> text::TextRules {
        text::TextRules {
            max_text: self.config.max_text_len,
            max_caption: self.config.max_caption_len,
            strict_html: self.config.strict_html,
        }
    }
}

/// Stops the server when the last owning handle goes away.
struct Owner(Arc<Shared>);

impl Drop for Owner {
    fn drop(&mut self) {
        self.0.shutdown.send_replace(true);
    }
}

/// A running sandbox. Cheap to clone; the server stops on [`Sandbox::shutdown`] or when the last
/// clone is dropped.
#[derive(Clone)]
pub struct Sandbox {
    shared: Arc<Shared>,
    /// `None` in the server's own handle, so the server does not keep itself alive.
    _owner: Option<Arc<Owner>>,
}

/// The bot's own user, as `getMe` reports it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BotUser {
    /// User id (the token's numeric prefix).
    pub id: i64,
    /// Display name.
    pub first_name: String,
    /// Username without `@`.
    pub username: String,
}

impl Sandbox {
    /// Binds `127.0.0.1:0` and serves in a task on the current tokio runtime.
    /// Fails outside a runtime or when the port cannot be bound.
    pub fn start(config: SandboxConfig) -> std::io::Result<Sandbox> {
        let runtime = tokio::runtime::Handle::try_current().map_err(std::io::Error::other)?;
        let listener = std::net::TcpListener::bind(("127.0.0.1", 0))?;
        listener.set_nonblocking(true)?;
        let addr = listener.local_addr()?;
        let _entered = runtime.enter();
        let listener = tokio::net::TcpListener::from_std(listener)?.tap_io(|tcp| {
            // Small answers on kept-alive connections must not wait for Nagle.
            let _ = tcp.set_nodelay(true);
        });
        let (shutdown, mut stopped) = watch::channel(false);
        let shared = Arc::new(Shared {
            world: Mutex::new(world::World::new(&config)),
            config,
            addr,
            record: record::Recorder::default(),
            updates: updates::UpdateQueue::default(),
            faults: faults::Faults::default(),
            shutdown,
        });
        let server_handle = Sandbox { shared: shared.clone(), _owner: None };
        let app = server::router(server_handle);
        runtime.spawn(async move {
            let stop = async move {
                let _ = stopped.wait_for(|stop| *stop).await;
            };
            if let Err(err) = axum::serve(listener, app).with_graceful_shutdown(stop).await {
                tracing::warn!(%err, "telegram sandbox stopped");
            }
        });
        webhook::spawn_delivery(&runtime, shared.clone());
        tracing::debug!(%addr, "telegram sandbox listening");
        let owner = Arc::new(Owner(shared.clone()));
        Ok(Sandbox { shared, _owner: Some(owner) })
    }

    /// The base URL to give teloxide's `set_api_url`, e.g. `http://127.0.0.1:40123/`.
    pub fn api_url(&self) -> String {
        format!("http://{}/", self.shared.addr)
    }

    /// The address the server listens on.
    pub fn addr(&self) -> SocketAddr {
        self.shared.addr
    }

    /// The token the server accepts.
    pub fn token(&self) -> &str {
        &self.shared.config.token
    }

    /// The configuration the sandbox runs with.
    pub fn config(&self) -> &SandboxConfig {
        &self.shared.config
    }

    /// The bot's own user.
    pub fn bot_user(&self) -> BotUser {
        let bot = &self.shared.config.bot;
        BotUser { id: self.shared.config.bot_id(), first_name: bot.first_name.clone(), username: bot.username.clone() }
    }

    /// Stops accepting requests; long polls in flight return at once.
    pub fn shutdown(&self) {
        self.shared.shutdown.send_replace(true);
    }
}
