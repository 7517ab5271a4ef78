//! The application: everything built from one [`Settings`], then run until a shutdown future
//! resolves. Tests start it exactly like the binary does, on port 0, and stop it the same way
//! signals do.
//!
//! This is where the platforms are wired in: Telegram's transport and pacer become the outlet
//! the delivery engine sends through, and its pacing rules read the operator's `[limits]`.

use std::{
    future::Future,
    net::SocketAddr,
    sync::{Arc, atomic::AtomicBool},
    time::Duration,
};

use anyhow::Context;
use teloxide::prelude::*;
use tokio::net::TcpListener;
use tokio_util::{sync::CancellationToken, task::TaskTracker};

use crate::{
    article::Summarizer,
    audience::channels::ChannelRules,
    config::Settings,
    delivery::{DeliveryEngine, Outlet, Outlets, Pacer, SendRight},
    http::{self, HttpState, server::ConnectionLimits},
    metrics::Metrics,
    render::Renderer,
    services::{LimitsControl, ServiceParts, Services, pages::PageReader, preview::Previewer},
    sources::{Fetcher, guard::AddressGuard, websub::WebSub},
    store::{ReaderDefaults, StorageFault, Store, check_database_file},
    telegram::{self, BotContext, Editors, TelegramTransport},
};

/// How long a stopping application waits for its parts and their background work.
const STOP_GRACE: Duration = Duration::from_secs(15);
/// How often idle chats are dropped from the pacers' memory.
const PACER_CLEANUP: Duration = Duration::from_secs(300);

/// A built application, ready to run.
pub struct Application {
    settings: Settings,
    listener: TcpListener,
    bot: Bot,
    store: Store,
    engine: DeliveryEngine,
    services: Services,
    telegram: Outlet,
    http_state: HttpState,
    tasks: TaskTracker,
    stop: CancellationToken,
}

impl Application {
    /// Opens and migrates the database, syncs the configured sources and channels, binds the
    /// HTTP listener (port 0 picks a free one) and prepares every part. Nothing runs yet.
    pub async fn build(settings: Settings) -> anyhow::Result<Application> {
        telegram::ids::check_editors(&settings)?;
        let store = open_store(&settings, Opening::Checked).await?;
        store.sync_config_sources(&settings.sources).await.context("syncing the configured sources")?;
        store.sync_config_channels(&settings.channels).await.context("syncing the configured channels")?;
        let listen = settings.listen_addr()?;
        let listener = TcpListener::bind(listen).await.with_context(|| format!("listening on {listen}"))?;

        let bot = telegram_bot(&settings)?;
        let metrics = Metrics::default();
        let telegram_pacer = Arc::new(Pacer::new(telegram::pacing::rules(&settings.limits)));
        let telegram = Outlet::new(Arc::new(TelegramTransport::new(bot.clone())), telegram_pacer.clone());
        let outlets = Outlets::new([telegram.clone()]);
        let engine = DeliveryEngine::new(store.clone(), outlets, settings.delivery.clone(), metrics.clone());
        let (tasks, stop) = (TaskTracker::new(), CancellationToken::new());
        let parts = Parts { store: store.clone(), engine: engine.clone(), metrics, telegram_pacer };
        let services = assemble_services(&settings, parts, tasks.clone(), stop.clone())?;
        let http_state = HttpState {
            services: services.clone(),
            admin_token: settings.http.admin_token.as_deref().map(Arc::from),
            bot_running: Arc::new(AtomicBool::new(false)),
            auth_throttle: Arc::default(),
            webhook: webhook_inbox(&settings),
        };
        Ok(Application { settings, listener, bot, store, engine, services, telegram, http_state, tasks, stop })
    }

    /// The address the HTTP server listens on (with the real port when 0 was asked for).
    pub fn http_addr(&self) -> SocketAddr {
        self.listener.local_addr().expect("a bound listener has an address")
    }

    /// What a changed config can change while the application runs.
    pub fn reloader(&self) -> Reloader {
        Reloader { services: self.services.clone() }
    }

    /// The service layer, for tools that run beside the application (the demo).
    pub fn services(&self) -> &Services {
        &self.services
    }

    /// Runs the bot, the watcher, the digests, the delivery workers and the HTTP server until
    /// `shutdown` resolves; then stops taking work, lets in-flight sends and background work
    /// finish (within a grace period) and closes the database.
    pub async fn run_until_stopped(self, shutdown: impl Future<Output = ()>) -> anyhow::Result<()> {
        let (tasks, stop) = (self.tasks.clone(), self.stop.clone());
        // A lone instance leads from its first moment; beside a leader, this one stands by.
        self.services.leadership().try_to_lead(&self.store).await;
        tasks.spawn({
            let (services, store, stop) = (self.services.clone(), self.store.clone(), stop.clone());
            async move { services.leadership().keep(&store, stop).await }
        });
        self.spawn_while_leading(&tasks, {
            let (engine, services) = (self.engine.clone(), self.services.clone());
            move |term| {
                let engine = engine.clone();
                let services = services.clone();
                async move { engine.run(term, SendRight::while_(move || services.leadership().is_leading())).await }
            }
        });
        let websub = self
            .settings
            .http
            .public_url
            .clone()
            .map(|url| WebSub::new(self.store.clone(), url, AddressGuard::from(&self.settings.fetch)));
        self.spawn_while_leading(&tasks, {
            let watcher = self.services.watcher().with_websub(websub);
            move |term| {
                let watcher = watcher.clone();
                async move { watcher.run(term).await }
            }
        });
        self.spawn_while_leading(&tasks, {
            let digests = self.services.digests();
            move |term| {
                let digests = digests.clone();
                async move { digests.run(term).await }
            }
        });
        self.spawn_while_leading(&tasks, {
            let (bot, settings, services) = (self.bot.clone(), self.settings.clone(), self.services.clone());
            let (telegram, http_state) = (self.telegram.clone(), self.http_state.clone());
            move |term| run_bot(bot.clone(), &settings, &services, telegram.clone(), &http_state, term)
        });
        tasks.spawn({
            let (services, stop) = (self.services.clone(), stop.clone());
            async move { services.health().watch_storage(stop).await }
        });
        let limits = ConnectionLimits {
            max_connections: self.settings.http.max_connections,
            header_timeout: Duration::from_secs(self.settings.http.header_timeout_secs),
            request_timeout: Duration::from_secs(self.settings.http.request_timeout_secs),
        }
        .within_open_files();
        tasks.spawn(http::server::serve(self.listener, http::router(self.http_state.clone()), limits, stop.clone()));
        tasks.spawn(forget_idle_chats(self.telegram.pacer.clone(), stop.clone()));

        shutdown.await;
        tracing::info!("stopping: finishing in-flight sends and background work");
        stop.cancel();
        tasks.close();
        if tokio::time::timeout(STOP_GRACE, tasks.wait()).await.is_err() {
            tracing::warn!(left = tasks.len(), "some work did not stop in time; leaving it behind");
        }
        self.store.close().await;
        tracing::info!("stopped");
        Ok(())
    }
}

impl Application {
    /// Runs `work` on `tasks` during each term in which this instance leads (see
    /// `services::leadership`), until kabar stops.
    fn spawn_while_leading<F, Fut>(&self, tasks: &TaskTracker, work: F)
    where
        F: Fn(CancellationToken) -> Fut + Send + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        let (services, stop) = (self.services.clone(), self.stop.clone());
        tasks.spawn(async move { services.leadership().while_leading(stop, work).await });
    }
}

/// What the services stand on, made differently for a running application and for a tool.
struct Parts {
    store: Store,
    engine: DeliveryEngine,
    metrics: Metrics,
    telegram_pacer: Arc<Pacer>,
}

fn assemble_services(
    settings: &Settings,
    parts: Parts,
    tasks: TaskTracker,
    stopping: CancellationToken,
) -> anyhow::Result<Services> {
    let (summarizer, renderer) = load_operator_content(settings)?;
    Ok(Services::new(ServiceParts {
        store: parts.store,
        engine: parts.engine,
        metrics: parts.metrics,
        renderer: Arc::new(renderer),
        summarizer: Arc::new(summarizer),
        fetcher: Fetcher::new(AddressGuard::from(&settings.fetch)),
        channels: ChannelRules::new(&settings.channels, &settings.readers),
        limits: LimitsControl::new(settings.limits, parts.telegram_pacer, telegram::pacing::rules),
        watcher: settings.watcher.clone(),
        tasks,
        stopping,
    }))
}

/// The services for a command that runs beside `kabar run` (or instead of it): the same
/// database and rules, but no bot and no senders. What it queues, a running kabar sends.
pub async fn tool_services(settings: &Settings) -> anyhow::Result<Services> {
    let store = open_store(settings, Opening::Quick).await?;
    let metrics = Metrics::default();
    let engine = DeliveryEngine::new(store.clone(), Outlets::default(), settings.delivery.clone(), metrics.clone());
    let telegram_pacer = Arc::new(Pacer::new(telegram::pacing::rules(&settings.limits)));
    let parts = Parts { store, engine, metrics, telegram_pacer };
    assemble_services(settings, parts, TaskTracker::new(), CancellationToken::new())
}

/// What `kabar preview` needs: pages read and messages rendered as `settings` would, and no
/// database.
pub fn previewer(settings: &Settings) -> anyhow::Result<Previewer> {
    let (summarizer, renderer) = load_operator_content(settings)?;
    let pages = PageReader::new(Fetcher::new(AddressGuard::from(&settings.fetch)), Arc::new(summarizer));
    Ok(Previewer::new(pages, Arc::new(renderer)))
}

/// The bot, in webhook mode when configured, else long polling.
fn run_bot(
    bot: Bot,
    settings: &Settings,
    services: &Services,
    telegram: Outlet,
    http_state: &HttpState,
    stop: CancellationToken,
) -> impl Future<Output = ()> + Send + use<> {
    let context = Arc::new(BotContext {
        services: services.clone(),
        outlet: telegram,
        editors: Editors::new(&settings.editors.user_ids),
    });
    let running = http_state.bot_running.clone();
    let webhook = settings.telegram.webhook_url.clone().zip(http_state.webhook.clone());
    let poll_timeout_secs = settings.telegram.poll_timeout_secs;
    async move {
        match webhook {
            Some((url, inbox)) => telegram::webhook::run(bot, context, url, inbox, running, stop).await,
            None => telegram::polling::run(bot, context, poll_timeout_secs, running, stop).await,
        }
    }
}

/// Applies a reloaded config (SIGHUP) to a running application: the `[limits]`, at once. Other
/// keys need a restart.
#[derive(Clone)]
pub struct Reloader {
    services: Services,
}

impl Reloader {
    pub fn apply(&self, settings: &Settings) {
        let before = self.services.limits().get();
        match self.services.limits().set(settings.limits) {
            Ok(after) if after == before => tracing::info!("config reloaded; the limits are unchanged"),
            Ok(after) => tracing::info!(?before, ?after, "config reloaded; the new limits apply now"),
            Err(problem) => {
                tracing::error!(problem, "config reloaded, but its limits are refused; the running ones stay")
            }
        }
    }
}

/// The database of `settings`, created or upgraded as needed, with the operator's defaults for
/// readers.
pub async fn open_store(settings: &Settings, opening: Opening) -> anyhow::Result<Store> {
    check_database_file(&settings.database.url, opening == Opening::StartAfresh)?;
    let url = &settings.database.shown_url();
    let store = Store::connect(&settings.database.url)
        .await
        .map_err(|error| storage_error(error, url, "opening"))?
        .with_defaults(ReaderDefaults::from_settings(&settings.readers));
    if opening != Opening::Quick {
        match store.full_check().await {
            Ok(None) => {}
            Ok(Some(finding)) => anyhow::bail!(
                "the database {url} is damaged (SQLite's check found: {finding}): restore it from a backup made with \
                 `kabar backup`"
            ),
            Err(error) => return Err(storage_error(error, url, "checking")),
        }
    }
    store.migrate().await.context("migrating the database")?;
    Ok(store)
}

/// How carefully [`open_store`] opens the database.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Opening {
    /// Every page is read first, and a damaged database refused: before kabar runs or migrates.
    Checked,
    /// Only the file's header is looked at: for the commands run beside a running kabar.
    Quick,
    /// Checked, and an empty file taken for a new database, on purpose (`kabar migrate
    /// --allow-empty`).
    StartAfresh,
}

/// `error` of `doing` the database at `url`, saying what to do when the storage is at fault.
fn storage_error(error: sqlx::Error, url: &str, doing: &str) -> anyhow::Error {
    match StorageFault::of(&error) {
        Some(StorageFault::Damaged) => anyhow::anyhow!(
            "the database {url} is damaged ({error}): restore it from a backup made with `kabar backup`"
        ),
        Some(fault) => anyhow::anyhow!("{doing} the database {url}: {fault} ({error})"),
        None => anyhow::Error::new(error).context(format!("{doing} the database {url}")),
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

async fn forget_idle_chats(pacer: Arc<Pacer>, stop: CancellationToken) {
    loop {
        tokio::select! {
            () = tokio::time::sleep(PACER_CLEANUP) => pacer.forget_idle_chats(),
            () = stop.cancelled() => return,
        }
    }
}
