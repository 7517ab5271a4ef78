//! Every action that changes kabar's state, in one place: the HTTP API, the dashboard, the bot's
//! handlers and the CLI all call these, and only these, so that each action is done (queued,
//! counted, woken, logged) the same way whoever asks. The edges parse and answer; nothing above
//! this layer touches the store.
//!
//! - [`newsroom`]: broadcasts: announcements and breaking news, drafts, cancel, recall, progress.
//! - [`articles`]: publishing a story found by polling, pushed by a hub or posted by the CMS,
//!   at most once; corrections; reading a page as a push would.
//! - [`readers`]: subscribing, unsubscribing, preferences, channels and keywords.
//! - [`sources`]: adding, removing and polling watched sites; WebSub verification.
//! - [`pages`]: reading an article's page as a push does; [`preview`]: what a push would send.
//! - [`editors`], [`limits`], [`inbox`] (stored webhook updates), [`health`] (readiness, metrics).
//! - [`watcher`] and [`digests`]: the background loops that poll sources and send digests.

pub mod articles;
pub mod digests;
pub mod editors;
pub mod health;
pub mod inbox;
pub mod leadership;
pub mod limits;
pub mod newsroom;
pub mod operators;
pub mod pages;
pub mod preview;
pub mod readers;
pub mod sources;
pub mod watcher;

use std::{future::Future, sync::Arc};

use tokio_util::{sync::CancellationToken, task::TaskTracker};

use crate::{
    article::Summarizer,
    audience::channels::ChannelRules,
    config::WatcherSettings,
    delivery::DeliveryEngine,
    domain::Stats,
    metrics::Metrics,
    render::Renderer,
    sources::Fetcher,
    store::{ReaderDefaults, Store, StoreResult},
};
pub use limits::LimitsControl;

/// What the services are made of; the application builds it once.
pub struct ServiceParts {
    pub store: Store,
    pub engine: DeliveryEngine,
    pub metrics: Metrics,
    pub renderer: Arc<Renderer>,
    pub summarizer: Arc<Summarizer>,
    pub fetcher: Fetcher,
    pub channels: ChannelRules,
    pub limits: LimitsControl,
    /// What the watcher does with what a poll finds (the push cap).
    pub watcher: WatcherSettings,
    /// Where background work started by an action runs, so that a clean stop waits for it.
    pub tasks: TaskTracker,
    /// Cancelled when kabar stops.
    pub stopping: CancellationToken,
}

/// The service layer; cheap to clone.
#[derive(Clone)]
pub struct Services {
    inner: Arc<ServiceParts>,
    /// What the storage watch found, for readiness.
    storage: Arc<health::StorageWatch>,
    /// Readers' updates a storage fault held back.
    backlog: Arc<inbox::Backlog>,
    /// Whether this instance does the work that must happen once.
    leadership: Arc<leadership::Leadership>,
}

impl Services {
    pub fn new(parts: ServiceParts) -> Services {
        Services {
            inner: Arc::new(parts),
            storage: Default::default(),
            backlog: Default::default(),
            leadership: Default::default(),
        }
    }

    pub fn newsroom(&self) -> newsroom::Newsroom<'_> {
        newsroom::Newsroom(self)
    }

    pub fn articles(&self) -> articles::Articles<'_> {
        articles::Articles(self)
    }

    pub fn readers(&self) -> readers::Readers<'_> {
        readers::Readers(self)
    }

    pub fn sources(&self) -> sources::Sources<'_> {
        sources::Sources(self)
    }

    pub fn editors(&self) -> editors::Editors<'_> {
        editors::Editors(self)
    }

    pub fn operators(&self) -> operators::Operators<'_> {
        operators::Operators(self)
    }

    pub fn leadership(&self) -> &leadership::Leadership {
        &self.leadership
    }

    pub fn inbox(&self) -> inbox::Inbox<'_> {
        inbox::Inbox(self)
    }

    pub fn health(&self) -> health::Health<'_> {
        health::Health(self)
    }

    /// The sending limits, readable and changeable while kabar runs.
    pub fn limits(&self) -> &LimitsControl {
        &self.inner.limits
    }

    /// What readers get before they choose anything.
    pub fn defaults(&self) -> &ReaderDefaults {
        self.inner.store.defaults()
    }

    /// Counts of the whole service, as `kabar stats` shows them.
    pub async fn stats(&self) -> StoreResult<Stats> {
        self.inner.store.stats().await
    }

    /// Runs `work` in the background, tracked: a clean stop waits for it.
    pub fn spawn(&self, work: impl Future<Output = ()> + Send + 'static) {
        self.inner.tasks.spawn(work);
    }

    /// Reads article pages as a push does.
    pub fn pages(&self) -> pages::PageReader {
        pages::PageReader::new(self.inner.fetcher.clone(), self.inner.summarizer.clone())
    }

    /// Cancelled when kabar stops: long background work ends early on it.
    pub fn stopping(&self) -> &CancellationToken {
        &self.inner.stopping
    }

    /// The loop that polls the sources.
    pub fn watcher(&self) -> watcher::Watcher {
        watcher::Watcher::new(self.clone())
    }

    /// The loop that sends readers' digests.
    pub fn digests(&self) -> digests::DigestSender {
        digests::DigestSender::new(self.clone())
    }
}
