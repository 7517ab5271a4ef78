//! The application: everything built from one [`Settings`], then run until a shutdown future
//! resolves. Tests start it exactly like the binary does, on port 0, and stop it the same way
//! signals do.

use std::{
    future::Future,
    net::SocketAddr,
    sync::{Arc, atomic::AtomicBool},
    time::Duration,
};

use anyhow::Context;
use teloxide::prelude::*;
use tokio::{net::TcpListener, sync::watch, task::JoinHandle};

use crate::{
    article::Summarizer,
    audience::{channels::ChannelRules, digests::DigestSender},
    config::Settings,
    delivery::{DeliveryEngine, Pacer},
    http::{self, HttpState},
    metrics::Metrics,
    render::Renderer,
    shutdown::stopped,
    sources::{Fetcher, Publisher, Watcher, websub::WebSub},
    store::{ReaderDefaults, Store},
    telegram::{self, BotContext, Editors, TelegramTransport},
};

/// How long a stopping application waits for each part before leaving it behind.
const STOP_GRACE: Duration = Duration::from_secs(15);
/// How often idle chats are dropped from the pacer's memory.
const PACER_CLEANUP: Duration = Duration::from_secs(300);

/// A built application, ready to run.
pub struct Application {
    settings: Settings,
    listener: TcpListener,
    bot: Bot,
    store: Store,
    pacer: Arc<Pacer>,
    engine: DeliveryEngine,
    publisher: Publisher,
    http_state: HttpState,
}

impl Application {
    /// Opens and migrates the database, syncs the configured sources, binds the HTTP listener
    /// (port 0 picks a free one) and prepares every part. Nothing runs yet.
    pub async fn build(settings: Settings) -> anyhow::Result<Application> {
        let store = Store::connect(&settings.database.url)
            .await
            .with_context(|| format!("opening the database {}", settings.database.url))?
            .with_defaults(ReaderDefaults::from_settings(&settings.readers));
        store.migrate().await.context("migrating the database")?;
        store.sync_config_sources(&settings.sources).await.context("syncing the configured sources")?;
        store.sync_config_channels(&settings.channels).await.context("syncing the configured channels")?;
        let listen = settings.listen_addr()?;
        let listener = TcpListener::bind(listen).await.with_context(|| format!("listening on {listen}"))?;

        let bot = telegram_bot(&settings)?;
        let metrics = Metrics::default();
        let pacer = Arc::new(Pacer::new(settings.limits));
        let transport = Arc::new(TelegramTransport::new(bot.clone()));
        let engine =
            DeliveryEngine::new(store.clone(), transport, pacer.clone(), settings.delivery.clone(), metrics.clone());
        let (summarizer, renderer) = load_operator_content(&settings)?;
        let renderer = Arc::new(renderer);
        let publisher = Publisher {
            store: store.clone(),
            fetcher: Fetcher::new(settings.fetch.guard()),
            summarizer: Arc::new(summarizer),
            renderer: renderer.clone(),
            channels: Arc::new(ChannelRules::new(&settings.channels, &settings.readers)),
            engine: engine.clone(),
            metrics: metrics.clone(),
        };
        let http_state = HttpState {
            store: store.clone(),
            metrics,
            pacer: pacer.clone(),
            renderer,
            engine: engine.clone(),
            publisher: publisher.clone(),
            admin_token: settings.http.admin_token.as_deref().map(Arc::from),
            bot_running: Arc::new(AtomicBool::new(false)),
            auth_throttle: Arc::default(),
            webhook: webhook_inbox(&settings),
        };
        Ok(Application { settings, listener, bot, store, pacer, engine, publisher, http_state })
    }

    /// The address the HTTP server listens on (with the real port when 0 was asked for).
    pub fn http_addr(&self) -> SocketAddr {
        self.listener.local_addr().expect("a bound listener has an address")
    }

    /// What a changed config can change while the application runs.
    pub fn reloader(&self) -> Reloader {
        Reloader { pacer: self.pacer.clone() }
    }

    /// The database, for tests and tools that run beside the application.
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// Runs the bot, the watcher, the delivery workers and the HTTP server until `shutdown`
    /// resolves; then stops taking work, lets in-flight sends finish and closes the database.
    pub async fn run_until_stopped(self, shutdown: impl Future<Output = ()>) -> anyhow::Result<()> {
        let (stop_tx, stop_rx) = watch::channel(false);
        let engine = tokio::spawn({
            let (engine, stop) = (self.engine.clone(), stop_rx.clone());
            async move { engine.run(stop).await }
        });
        let websub = self
            .settings
            .http
            .public_url
            .clone()
            .map(|url| WebSub::new(self.store.clone(), url, self.settings.fetch.guard()));
        let watcher = tokio::spawn({
            let (watcher, stop) = (Watcher::new(self.publisher.clone()).with_websub(websub), stop_rx.clone());
            async move { watcher.run(stop).await }
        });
        let http = tokio::spawn(serve_http(self.listener, self.http_state.clone(), stop_rx.clone()));
        let janitor = tokio::spawn(forget_idle_chats(self.pacer.clone(), stop_rx.clone()));
        let digests = tokio::spawn({
            let stop = stop_rx.clone();
            let sender = DigestSender {
                store: self.store.clone(),
                renderer: self.http_state.renderer.clone(),
                engine: self.engine.clone(),
                metrics: self.http_state.metrics.clone(),
            };
            async move { sender.run(stop).await }
        });
        let context = Arc::new(BotContext {
            store: self.store.clone(),
            pacer: self.pacer.clone(),
            renderer: self.http_state.renderer.clone(),
            engine: self.engine.clone(),
            publisher: self.publisher.clone(),
            editors: Editors::new(&self.settings.editors.user_ids),
        });
        let running = self.http_state.bot_running.clone();
        let bot = match (&self.settings.telegram.webhook_url, &self.http_state.webhook) {
            (Some(url), Some(inbox)) => {
                tokio::spawn(telegram::webhook::run(self.bot, context, url.clone(), inbox.clone(), running, stop_rx))
            }
            _ => tokio::spawn(telegram::polling::run(
                self.bot,
                context,
                self.settings.telegram.poll_timeout_secs,
                running,
                stop_rx,
            )),
        };

        shutdown.await;
        tracing::info!("stopping: finishing in-flight sends");
        let _ = stop_tx.send(true);
        let parts = [
            ("bot", bot),
            ("digests", digests),
            ("delivery", engine),
            ("watcher", watcher),
            ("http", http),
            ("janitor", janitor),
        ];
        for (name, task) in parts {
            stop_within_grace(name, task).await;
        }
        self.store.close().await;
        tracing::info!("stopped");
        Ok(())
    }
}

/// Applies a reloaded config (SIGHUP) to a running application: the `[limits]`, at once. Other
/// keys need a restart, and the log says so when they changed.
#[derive(Clone)]
pub struct Reloader {
    pacer: Arc<Pacer>,
}

impl Reloader {
    pub fn apply(&self, settings: &Settings) {
        let (before, after) = (self.pacer.limits(), settings.limits);
        if before == after {
            tracing::info!("config reloaded; the limits are unchanged");
            return;
        }
        self.pacer.set_limits(after);
        tracing::info!(?before, ?after, "config reloaded; the new limits apply now");
    }
}

/// The summarizer with the operator's extra rules and the renderer with their templates; an
/// error names the config key whose file is wrong.
pub fn load_operator_content(settings: &Settings) -> anyhow::Result<(Summarizer, Renderer)> {
    let summarizer = Summarizer::from_settings(&settings.summary).context("config key `summary.rules_file`")?;
    let renderer = Renderer::with_overrides(settings.templates.dir.as_deref()).context("config key `templates.dir`")?;
    Ok((summarizer, renderer))
}

/// In webhook mode, where the HTTP receiver leaves Telegram's updates for the bot.
fn webhook_inbox(settings: &Settings) -> Option<Arc<telegram::webhook::WebhookInbox>> {
    settings.telegram.webhook_url.as_ref()?;
    let secret = settings.telegram.webhook_secret.clone()?;
    Some(Arc::new(telegram::webhook::WebhookInbox { secret, arrived: tokio::sync::Notify::new() }))
}

fn telegram_bot(settings: &Settings) -> anyhow::Result<Bot> {
    let token = settings.require_token()?;
    // The HTTP timeout must outlast the long poll, or every quiet poll would end in an error.
    let client = teloxide::net::default_reqwest_settings()
        .timeout(Duration::from_secs(u64::from(settings.telegram.poll_timeout_secs) + 20))
        .build()
        .context("building the Telegram HTTP client")?;
    Ok(Bot::with_client(token, client).set_api_url(settings.telegram.api_url.clone()))
}

async fn stop_within_grace(name: &str, task: JoinHandle<()>) {
    let abort = task.abort_handle();
    if tokio::time::timeout(STOP_GRACE, task).await.is_err() {
        tracing::warn!(part = name, "did not stop in time; leaving it behind");
        abort.abort();
    }
}

async fn serve_http(listener: TcpListener, state: HttpState, mut stop: watch::Receiver<bool>) {
    let app = http::router(state);
    let stopping = async move { stopped(&mut stop).await };
    // Client addresses are known to the handlers (the dashboard's login limit is per address).
    let app = app.into_make_service_with_connect_info::<SocketAddr>();
    if let Err(error) = axum::serve(listener, app).with_graceful_shutdown(stopping).await {
        tracing::error!(%error, "the HTTP server failed");
    }
}

async fn forget_idle_chats(pacer: Arc<Pacer>, mut stop: watch::Receiver<bool>) {
    loop {
        tokio::select! {
            () = tokio::time::sleep(PACER_CLEANUP) => pacer.forget_idle_chats(),
            () = stopped(&mut stop) => return,
        }
    }
}
