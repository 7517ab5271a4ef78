//! What operators and probes ask of a running kabar: whether it can work, and the figures the
//! metrics show. A watch probes the storage every few seconds, so that a full disk or a read-only
//! or damaged database shows in `/readyz` (and `/healthz`, once it lasts) before a reader's
//! message is lost to it, and clears by itself when the disk does.

use std::{
    path::Path,
    sync::Mutex,
    time::{Duration, Instant},
};

use tokio_util::sync::CancellationToken;

use super::Services;
pub use crate::store::StorageFault;
use crate::{
    metrics::{Snapshot, SourceHealth},
    store::StoreResult,
};

/// How often the storage is probed with a write.
const PROBE_EVERY: Duration = Duration::from_secs(5);
/// How often every page of the database is read to find damage.
const FULL_CHECK_EVERY: Duration = Duration::from_secs(6 * 3600);
/// How long writes may fail before kabar counts as unhealthy (not only not ready): long enough
/// that a moment's trouble does not get it restarted, short enough that a lasting one does.
pub const UNHEALTHY_AFTER: Duration = Duration::from_secs(30);
/// How long news waits, once writes work again, for readers' updates held back by the fault to
/// be handled: long enough for a batch Telegram kept to be fetched, stored and handled; short
/// enough that news never stalls on a backlog that cannot clear.
const READERS_FIRST_FOR: Duration = Duration::from_secs(30);

/// What the storage watch last found.
#[derive(Debug, Default)]
pub struct StorageWatch {
    state: Mutex<WatchState>,
}

#[derive(Debug, Default)]
struct WatchState {
    /// Since when writes fail, and how.
    failing: Option<(Instant, StorageFault)>,
    /// When writes last worked again after failing.
    recovered: Option<Instant>,
    /// What the last full check found wrong.
    damage: Option<String>,
}

impl StorageWatch {
    /// Records a write probe's result, logging when the storage starts or stops failing.
    fn record(&self, probe: Result<(), StorageFault>) {
        let mut state = self.state.lock().expect("the storage watch is never poisoned");
        match (probe, state.failing) {
            (Ok(()), Some((since, fault))) => {
                tracing::info!(%fault, lasted = ?since.elapsed(), "the database takes writes again");
                state.failing = None;
                state.recovered = Some(Instant::now());
            }
            (Err(fault), None) => {
                tracing::error!(%fault, "the database does not take writes; kabar is not ready until it does");
                state.failing = Some((Instant::now(), fault));
            }
            (Err(fault), Some((since, _))) => state.failing = Some((since, fault)),
            (Ok(()), None) => {}
        }
    }

    /// A storage fault an action ran into, between probes.
    pub fn noticed(&self, fault: StorageFault) {
        let mut state = self.state.lock().expect("the storage watch is never poisoned");
        if state.failing.is_none() {
            tracing::error!(%fault, "the database failed an action; kabar is not ready until it takes writes");
            state.failing = Some((Instant::now(), fault));
        }
    }

    fn record_damage(&self, damage: Option<String>) {
        if let Some(damage) = &damage {
            tracing::error!(damage, "the database is damaged; restore it from a backup (see `kabar backup`)");
        }
        self.state.lock().expect("the storage watch is never poisoned").damage = damage;
    }

    /// How writes fail, and for how long, when they do.
    fn failing(&self) -> Option<(Duration, StorageFault)> {
        let state = self.state.lock().expect("the storage watch is never poisoned");
        state.failing.map(|(since, fault)| (since.elapsed(), fault))
    }

    /// Whether writes worked again less than `window` ago.
    fn recovered_within(&self, window: Duration) -> bool {
        let state = self.state.lock().expect("the storage watch is never poisoned");
        state.recovered.is_some_and(|at| at.elapsed() < window)
    }

    fn damage(&self) -> Option<String> {
        self.state.lock().expect("the storage watch is never poisoned").damage.clone()
    }
}

/// Readiness and metrics.
pub struct Health<'a>(pub(super) &'a Services);

impl Health<'_> {
    /// Whether writes to the database fail now: work that would only fail too (polling the
    /// sources, say) waits meanwhile.
    pub fn writes_fail(&self) -> bool {
        self.0.storage.failing().is_some()
    }

    /// Whether news (polling the sources) waits: while writes fail, since what a poll finds
    /// could not be recorded, and for a little while after, until readers' updates held back
    /// by the fault are handled.
    pub fn news_waits(&self) -> bool {
        self.writes_fail() || (self.0.inbox().backlog() && self.0.storage.recovered_within(READERS_FIRST_FOR))
    }

    /// Whether the database answers and writes have not failed for long: `/healthz`'s question.
    pub async fn storage_is_healthy(&self) -> bool {
        let failing_long = self.0.storage.failing().is_some_and(|(lasted, _)| lasted >= UNHEALTHY_AFTER);
        !failing_long && self.0.inner.store.ping().await.is_ok()
    }

    /// The first reason this instance cannot do its work, worded for operators, or None when
    /// it can: the database answers and takes writes, its schema is the one this binary
    /// expects, its tables and the outbox can be read, and no damage was found. (The
    /// database's own error stays in the log, not on an open endpoint.)
    pub async fn first_storage_problem(&self) -> Option<String> {
        let store = &self.0.inner.store;
        if let Some((_, fault)) = self.0.storage.failing() {
            return Some(format!("writes fail: {fault}"));
        }
        if let Err(error) = store.ping().await {
            tracing::warn!(%error, "readiness: the database does not answer");
            return Some("the database does not answer".into());
        }
        match store.schema_is_current().await {
            Ok(true) => {}
            Ok(false) => return Some("the database misses migrations; run `kabar migrate`".into()),
            Err(error) => return Some(unreadable("the applied migrations cannot be read", &error)),
        }
        if let Err(error) = store.outbox_is_readable().await {
            return Some(unreadable("the outbox cannot be read", &error));
        }
        if let Err(error) = store.cheap_check().await {
            return Some(unreadable("the database's tables cannot be read", &error));
        }
        self.0.storage.damage().map(|damage| format!("the database is damaged ({damage}); restore it from a backup"))
    }

    /// Probes the storage every few seconds and reads every page now and then, until `stop`.
    pub async fn watch_storage(&self, stop: CancellationToken) {
        let store = &self.0.inner.store;
        let mut full_check_due = Instant::now() + FULL_CHECK_EVERY;
        loop {
            self.0.storage.record(store.probe_writes().await);
            if Instant::now() >= full_check_due {
                full_check_due = Instant::now() + FULL_CHECK_EVERY;
                match store.full_check().await {
                    Ok(damage) => self.0.storage.record_damage(damage),
                    Err(error) => tracing::warn!(%error, "the database's integrity could not be checked"),
                }
            }
            tokio::select! {
                () = tokio::time::sleep(PROBE_EVERY) => {}
                () = stop.cancelled() => return,
            }
        }
    }

    /// Notes `error` when it is the storage failing, so that readiness says so before the next
    /// probe; true when it was.
    pub fn notice(&self, error: &anyhow::Error) -> bool {
        let fault = StorageFault::in_chain(error);
        if let Some(fault) = fault {
            self.0.storage.noticed(fault);
        }
        fault.is_some()
    }

    /// Writes a consistent copy of the database to `file`, which must not exist yet.
    pub async fn back_up(&self, file: &Path) -> StoreResult<()> {
        self.0.inner.store.backup_to(file).await
    }

    /// The gauges' values now; -1 for what the database cannot tell.
    pub async fn snapshot(&self) -> Snapshot {
        let store = &self.0.inner.store;
        let sources = store.enabled_sources().await.unwrap_or_default();
        let subscribers = store.subscriber_counts().await.ok();
        let send_rate = self.0.inner.engine.outlets().iter().map(|outlet| outlet.pacer.current_rate()).sum::<usize>();
        Snapshot {
            active_subscribers: subscribers.map_or(-1, |counts| counts.active),
            inactive_subscribers: subscribers.map_or(-1, |counts| counts.inactive),
            pending_deliveries: store.count_pending_deliveries().await.unwrap_or(-1),
            pending_by_priority: store.pending_by_priority().await.unwrap_or_default(),
            failing_sources: store.count_failing_sources().await.unwrap_or(-1),
            send_rate: send_rate as i64,
            sender_leader: i64::from(self.0.leadership.is_leading()),
            sources: sources
                .into_iter()
                .map(|s| SourceHealth {
                    name: s.name,
                    consecutive_failures: s.consecutive_failures,
                    next_poll_at: s.next_poll_at / 1000,
                })
                .collect(),
        }
    }

    /// The Prometheus exposition text.
    pub async fn metrics_text(&self) -> String {
        self.0.inner.metrics.render(self.snapshot().await)
    }
}

/// A readiness reason for a failed read, keeping the database's words in the log.
fn unreadable(reason: &str, error: &sqlx::Error) -> String {
    tracing::warn!(%error, "readiness: {reason}");
    match StorageFault::of(error) {
        Some(fault) => format!("{reason}: {fault}"),
        None => reason.to_owned(),
    }
}
