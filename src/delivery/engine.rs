//! The outbox workers: claim due deliveries, send each through its platform's outlet, and record
//! what happened.
//!
//! Outcomes are written in small batches by one recorder task, so the database sees one
//! transaction per batch rather than one per message. A crash loses at most the outcomes of that
//! batch: those deliveries are sent again after their lease, never lost.

use std::{sync::Arc, time::Duration};

use tokio::{
    sync::{Notify, Semaphore, mpsc},
    task::JoinSet,
};
use tokio_util::sync::CancellationToken;

use super::{Outlets, SendRight, attempt::Attempts};
use crate::{
    config::DeliverySettings,
    domain::{DeliveryOutcome, OutcomeKind},
    metrics::Metrics,
    store::{OutboxSignal, Store},
};

/// How long an idle engine waits before looking at the outbox again, unless woken.
const IDLE_POLL: Duration = Duration::from_millis(250);
/// Outcomes written in one transaction at most.
const OUTCOME_BATCH: usize = 256;
/// How long a stopping engine lets in-flight sends finish.
const DRAIN_GRACE: Duration = Duration::from_secs(10);

/// The delivery workers; cheap to clone.
#[derive(Clone)]
pub struct DeliveryEngine {
    inner: Arc<Inner>,
}

struct Inner {
    store: Store,
    attempts: Attempts,
    settings: DeliverySettings,
    wake: Notify,
}

impl DeliveryEngine {
    pub fn new(store: Store, outlets: Outlets, settings: DeliverySettings, metrics: Metrics) -> DeliveryEngine {
        let attempts = Attempts::new(outlets, settings.clone(), metrics);
        DeliveryEngine { inner: Arc::new(Inner { store, attempts, settings, wake: Notify::new() }) }
    }

    /// The platforms this engine sends to.
    pub fn outlets(&self) -> &Outlets {
        self.inner.attempts.outlets()
    }

    /// The database the outbox lives in.
    pub(super) fn store(&self) -> &Store {
        &self.inner.store
    }

    /// Tells an idle engine that new deliveries are queued.
    pub fn wake(&self) {
        self.inner.wake.notify_one();
    }

    /// Claims one batch of due deliveries, sends them one after another and records the outcomes.
    /// Returns how many were claimed. Tests use it to drain the queue deterministically.
    pub async fn try_execute_batch(&self) -> anyhow::Result<usize> {
        let claimed =
            self.inner.store.claim_due_deliveries(self.inner.settings.concurrency as i64, self.lease_ms()).await?;
        let never_stops = CancellationToken::new();
        let mut outcomes = Vec::with_capacity(claimed.len());
        for delivery in &claimed {
            outcomes.push(self.inner.attempts.deliver(delivery, &never_stops, &SendRight::always()).await);
        }
        self.inner.store.record_outcomes(&outcomes).await?;
        Ok(claimed.len())
    }

    /// Runs until `stop` is cancelled, starting sends only while `right` holds. Then sends
    /// already on the wire finish, sends still waiting for their turn go back to the queue, and
    /// every outcome is recorded; but once the right is lost, the sends not started are left
    /// claimed for the next sender, which releases them when its term begins: a deferral written
    /// by this one then could hand the next sender a delivery it is sending already.
    pub async fn run(&self, stop: CancellationToken, right: SendRight) {
        match self.inner.store.release_claims().await {
            Ok(0) => {}
            Ok(released) => tracing::warn!(released, "deliveries in flight when kabar last stopped are queued again"),
            Err(error) => tracing::error!(%error, "cannot release old claims; they are retried after their lease"),
        }
        let mut signal = match self.inner.store.outbox_signal().await {
            Ok(signal) => signal,
            Err(error) => {
                tracing::warn!(%error, "no notifications of queued deliveries; the outbox is polled");
                None
            }
        };
        let (outcome_tx, outcome_rx) = mpsc::channel(OUTCOME_BATCH * 4);
        let recorder = tokio::spawn(record_outcomes(self.inner.store.clone(), outcome_rx));
        let concurrency = self.inner.settings.concurrency;
        let slots = Arc::new(Semaphore::new(concurrency));
        let mut sends = JoinSet::new();
        while !stop.is_cancelled() {
            while sends.try_join_next().is_some() {}
            // Claim in batches: one claim per quarter of the slots, not one per finished send.
            let free = slots.available_permits();
            if free < (concurrency / 4).max(1) && !sends.is_empty() {
                tokio::select! {
                    _ = sends.join_next() => {}
                    () = stop.cancelled() => {}
                }
                continue;
            }
            let claimed = match self.inner.store.claim_due_deliveries(free as i64, self.lease_ms()).await {
                Ok(claimed) => claimed,
                Err(error) => {
                    tracing::error!(%error, "cannot claim deliveries; retrying in a second");
                    tokio::time::sleep(Duration::from_secs(1)).await;
                    continue;
                }
            };
            if claimed.is_empty() {
                tokio::select! {
                    () = self.inner.wake.notified() => {}
                    () = next_signal(&mut signal) => {}
                    () = tokio::time::sleep(IDLE_POLL) => {}
                    () = stop.cancelled() => {}
                }
                continue;
            }
            for delivery in claimed {
                let slot = slots.clone().acquire_owned().await.expect("the semaphore is never closed");
                let (inner, outcomes, stop, right) =
                    (self.inner.clone(), outcome_tx.clone(), stop.clone(), right.clone());
                sends.spawn(async move {
                    let outcome = inner.attempts.deliver(&delivery, &stop, &right).await;
                    if right.holds() || !matches!(outcome.kind, OutcomeKind::Deferred { .. }) {
                        let _ = outcomes.send(outcome).await;
                    }
                    drop(slot);
                });
            }
        }
        if tokio::time::timeout(DRAIN_GRACE, async { while sends.join_next().await.is_some() {} }).await.is_err() {
            tracing::warn!("sends still in flight after the grace period; they will be retried after their lease");
        }
        drop(outcome_tx);
        let _ = recorder.await;
    }

    fn lease_ms(&self) -> i64 {
        (self.inner.settings.lease_secs * 1000) as i64
    }
}

/// Returns when another instance queued deliveries; never without a signal (SQLite). A dropped
/// connection returns after a pause, so that a server that is down is not asked again at once.
async fn next_signal(signal: &mut Option<OutboxSignal>) {
    let Some(signal) = signal else { return std::future::pending().await };
    if let Err(error) = signal.next().await {
        tracing::debug!(%error, "the outbox notifications' connection dropped; it is made again");
        tokio::time::sleep(IDLE_POLL).await;
    }
}

/// Writes outcomes in batches until every sender is gone, then flushes the rest.
async fn record_outcomes(store: Store, mut outcomes: mpsc::Receiver<DeliveryOutcome>) {
    let mut batch = Vec::with_capacity(OUTCOME_BATCH);
    while outcomes.recv_many(&mut batch, OUTCOME_BATCH).await > 0 {
        while let Err(error) = store.record_outcomes(&batch).await {
            tracing::error!(%error, "cannot record delivery outcomes; retrying");
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
        batch.clear();
    }
}
