//! The outbox workers: claim due deliveries, pace, send, and record what happened.
//!
//! Outcomes are written in small batches by one recorder task, so the database sees one
//! transaction per batch rather than one per message. A crash loses at most the outcomes of that
//! batch: those deliveries are sent again after their lease, never lost.

use std::{
    collections::VecDeque,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use rand::Rng;
use tokio::{
    sync::{Notify, Semaphore, mpsc, watch},
    task::JoinSet,
};

use super::{Admission, OutgoingMessage, Pacer, Photo, SendFailure, Transport};
use crate::{
    config::DeliverySettings,
    metrics::Metrics,
    shutdown::stopped,
    store::{ClaimedDelivery, DeliveryOutcome, OutcomeKind, Store, now_ms},
};

/// How long an idle engine waits before looking at the outbox again, unless woken.
const IDLE_POLL: Duration = Duration::from_millis(250);
/// Outcomes written in one transaction at most.
const OUTCOME_BATCH: usize = 256;
/// How long a stopping engine lets in-flight sends finish.
const DRAIN_GRACE: Duration = Duration::from_secs(10);
/// Backoff bounds for temporary failures.
const BACKOFF_BASE: Duration = Duration::from_secs(2);
const BACKOFF_CAP: Duration = Duration::from_secs(300);

/// The delivery workers; cheap to clone.
#[derive(Clone)]
pub struct DeliveryEngine {
    inner: Arc<Inner>,
}

struct Inner {
    store: Store,
    transport: Arc<dyn Transport>,
    pacer: Arc<Pacer>,
    settings: DeliverySettings,
    metrics: Metrics,
    wake: Notify,
    broken_photos: Mutex<RecentSet>,
}

/// The last few photo URLs the platform refused, so a broken image costs one failed send, not
/// one per reader.
#[derive(Default)]
struct RecentSet(VecDeque<String>);

impl RecentSet {
    const CAPACITY: usize = 64;

    fn contains(&self, url: &str) -> bool {
        self.0.iter().any(|known| known == url)
    }

    fn remember(&mut self, url: &str) {
        if !self.contains(url) {
            if self.0.len() == Self::CAPACITY {
                self.0.pop_front();
            }
            self.0.push_back(url.to_owned());
        }
    }
}

impl DeliveryEngine {
    pub fn new(
        store: Store,
        transport: Arc<dyn Transport>,
        pacer: Arc<Pacer>,
        settings: DeliverySettings,
        metrics: Metrics,
    ) -> DeliveryEngine {
        let broken_photos = Mutex::default();
        DeliveryEngine {
            inner: Arc::new(Inner { store, transport, pacer, settings, metrics, wake: Notify::new(), broken_photos }),
        }
    }

    /// Tells an idle engine that new deliveries are queued.
    pub fn wake(&self) {
        self.inner.wake.notify_one();
    }

    /// Edits every message broadcast `broadcast_id` put in chats to say what the broadcast says
    /// now (a correction), paced like every send; returns how many were edited and how many
    /// could not be.
    pub async fn edit_sent(&self, broadcast_id: i64) -> anyhow::Result<(usize, usize)> {
        let sent = self.inner.store.sent_messages(broadcast_id).await?;
        let mut messages = std::collections::HashMap::new();
        let (mut edited, mut failed) = (0, 0);
        for delivered in sent {
            let language =
                delivered.language.clone().unwrap_or_else(|| self.inner.store.defaults().language.to_owned());
            if !messages.contains_key(&language) {
                let message = self.inner.store.message_in(broadcast_id, &language).await?;
                messages.insert(language.clone(), message);
            }
            self.inner.pacer.admit(delivered.chat_id, delivered.chat_kind().is_group()).await;
            match self.inner.transport.edit(delivered.chat_id, delivered.message_id, &messages[&language]).await {
                Ok(_) => edited += 1,
                Err(failure) => {
                    tracing::debug!(chat_id = delivered.chat_id, %failure, "cannot correct a sent message");
                    failed += 1;
                }
            }
        }
        Ok((edited, failed))
    }

    /// Claims one batch of due deliveries, sends them one after another and records the outcomes.
    /// Returns how many were claimed. Tests use it to drain the queue deterministically.
    pub async fn try_execute_batch(&self) -> anyhow::Result<usize> {
        let claimed =
            self.inner.store.claim_due_deliveries(self.inner.settings.concurrency as i64, self.lease_ms()).await?;
        let (_never_stops, mut running) = watch::channel(false);
        let mut outcomes = Vec::with_capacity(claimed.len());
        for delivery in &claimed {
            outcomes.push(self.inner.deliver(delivery, &mut running).await);
        }
        self.inner.store.record_outcomes(&outcomes).await?;
        Ok(claimed.len())
    }

    /// Runs until `stop` turns true. Then sends already on the wire finish, sends still waiting
    /// for their turn go back to the queue, and every outcome is recorded.
    pub async fn run(&self, mut stop: watch::Receiver<bool>) {
        match self.inner.store.release_claims().await {
            Ok(0) => {}
            Ok(released) => tracing::warn!(released, "deliveries in flight when kabar last stopped are queued again"),
            Err(error) => tracing::error!(%error, "cannot release old claims; they are retried after their lease"),
        }
        let (outcome_tx, outcome_rx) = mpsc::channel(OUTCOME_BATCH * 4);
        let recorder = tokio::spawn(record_outcomes(self.inner.store.clone(), outcome_rx));
        let slots = Arc::new(Semaphore::new(self.inner.settings.concurrency));
        let mut sends = JoinSet::new();
        while !*stop.borrow() {
            while sends.try_join_next().is_some() {}
            // Claim in batches: one claim per quarter of the slots, not one per finished send.
            let free = slots.available_permits();
            if free < (self.inner.settings.concurrency / 4).max(1) && !sends.is_empty() {
                tokio::select! {
                    _ = sends.join_next() => {}
                    _ = stop.changed() => {}
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
                    () = tokio::time::sleep(IDLE_POLL) => {}
                    _ = stop.changed() => {}
                }
                continue;
            }
            for delivery in claimed {
                let slot = slots.clone().acquire_owned().await.expect("the semaphore is never closed");
                let (inner, outcomes, mut stop) = (self.inner.clone(), outcome_tx.clone(), stop.clone());
                sends.spawn(async move {
                    let outcome = inner.deliver(&delivery, &mut stop).await;
                    let _ = outcomes.send(outcome).await;
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

impl Inner {
    /// Sends one delivery and decides what happens to it next.
    async fn deliver(&self, delivery: &ClaimedDelivery, stop: &mut watch::Receiver<bool>) -> DeliveryOutcome {
        let kind = self.attempt(delivery, stop).await;
        self.metrics.delivery(outcome_label(&kind));
        if let Some(reason) = failure_reason(&kind) {
            self.metrics.delivery_failed(&reason);
        }
        if matches!(kind, OutcomeKind::Sent { .. }) {
            self.metrics.delivery_latency((now_ms() - delivery.queued_at) as f64 / 1000.0);
        }
        DeliveryOutcome { delivery_id: delivery.id, kind }
    }

    async fn attempt(&self, delivery: &ClaimedDelivery, stop: &mut watch::Receiver<bool>) -> OutcomeKind {
        if !delivery.subscriber_active {
            return OutcomeKind::Failed { error: "the reader is no longer subscribed".into() };
        }
        let admission = tokio::select! {
            admission = self.pacer.try_admit(delivery.chat_id, delivery.chat_kind().is_group(), delivery.priority()) => admission,
            () = stopped(stop) => return OutcomeKind::Deferred { due_at: now_ms() },
        };
        if let Admission::NotBefore(when) = admission {
            return OutcomeKind::Deferred { due_at: unix_ms_at(when) };
        }
        let message = self.message_for(delivery);
        let mut sent = self.transport.send(delivery.chat_id, &message).await;
        if let (Some(photo), Err(SendFailure::PhotoRefused { reason, bad_photo })) = (&message.photo, &sent) {
            // A photo the platform will not send must not cost the story: it goes as text, in
            // its own turn; a photo that is itself broken is not tried for anyone else.
            tracing::warn!(url = photo.url, reason, "the photo was refused; sending the story as text");
            if *bad_photo {
                self.broken_photos.lock().expect("the photo lock is never poisoned").remember(&photo.url);
            }
            self.pacer.admit(delivery.chat_id, delivery.chat_kind().is_group()).await;
            sent = self.transport.send(delivery.chat_id, &message.without_photo()).await;
        }
        match sent {
            Ok(message_id) => OutcomeKind::Sent { message_id },
            Err(failure) => self.after_failure(delivery, failure),
        }
    }

    /// The delivery as a message: a photo with its caption when there is one that works, else
    /// text with a link preview.
    fn message_for(&self, delivery: &ClaimedDelivery) -> OutgoingMessage {
        let photo = match (&delivery.image_url, &delivery.caption_html) {
            (Some(url), Some(caption_html)) if self.settings.photos && !self.photo_is_broken(url) => {
                Some(Photo { url: url.clone(), caption_html: caption_html.clone() })
            }
            _ => None,
        };
        OutgoingMessage {
            html: delivery.body_html.clone(),
            link_preview_url: delivery.link_url.clone(),
            photo,
            silent: delivery.silent,
        }
    }

    fn photo_is_broken(&self, url: &str) -> bool {
        self.broken_photos.lock().expect("the photo lock is never poisoned").contains(url)
    }

    fn after_failure(&self, delivery: &ClaimedDelivery, failure: SendFailure) -> OutcomeKind {
        match failure {
            SendFailure::RetryAfter(wait) => {
                // Telegram does not say whether a flood wait is for one chat or the whole bot,
                // so the whole bot waits: slower for a moment, never over the limit again.
                self.metrics.rate_limited();
                self.pacer.pause_for(wait);
                tracing::warn!(chat_id = delivery.chat_id, ?wait, "flood control: pausing all sends");
                OutcomeKind::Deferred { due_at: now_ms() + wait.as_millis() as i64 }
            }
            SendFailure::ChatGone(reason) => OutcomeKind::ChatGone { chat_id: delivery.chat_id, reason },
            SendFailure::ChatMoved(new_chat_id) => OutcomeKind::ChatMoved { chat_id: delivery.chat_id, new_chat_id },
            SendFailure::Rejected(error) => OutcomeKind::Failed { error },
            SendFailure::PhotoRefused { reason, .. } => {
                OutcomeKind::Failed { error: format!("photo refused: {reason}") }
            }
            SendFailure::Temporary(error) if delivery.attempts + 1 >= i64::from(self.settings.max_attempts) => {
                OutcomeKind::Failed { error: format!("gave up after {} attempts: {error}", delivery.attempts + 1) }
            }
            SendFailure::Temporary(error) => {
                OutcomeKind::Retry { due_at: now_ms() + backoff(delivery.attempts).as_millis() as i64, error }
            }
        }
    }
}

/// Exponential backoff with full jitter: somewhere in [delay/2, delay], delay doubling per attempt.
fn backoff(attempts_so_far: i64) -> Duration {
    let delay = BACKOFF_BASE.saturating_mul(1 << attempts_so_far.clamp(0, 16)).min(BACKOFF_CAP);
    delay.mul_f64(rand::rng().random_range(0.5..=1.0))
}

fn unix_ms_at(when: Instant) -> i64 {
    now_ms() + when.saturating_duration_since(Instant::now()).as_millis() as i64
}

fn outcome_label(kind: &OutcomeKind) -> &'static str {
    match kind {
        OutcomeKind::Sent { .. } => "sent",
        OutcomeKind::Deferred { .. } => "deferred",
        OutcomeKind::Retry { .. } => "retry",
        OutcomeKind::Failed { .. } => "failed",
        OutcomeKind::ChatGone { .. } => "chat_gone",
        OutcomeKind::ChatMoved { .. } => "chat_moved",
    }
}

/// Why a delivery was given up, as a metric label: the chat's state when it is gone, else the
/// kind of refusal.
fn failure_reason(kind: &OutcomeKind) -> Option<String> {
    let reason = match kind {
        OutcomeKind::ChatGone { reason, .. } => reason.replace(' ', "_"),
        OutcomeKind::Failed { error } if error.starts_with("gave up") => "gave_up".into(),
        OutcomeKind::Failed { error } if error.starts_with("photo refused") => "photo_refused".into(),
        OutcomeKind::Failed { error } if error.contains("no longer subscribed") => "unsubscribed".into(),
        OutcomeKind::Failed { .. } => "rejected".into(),
        _ => return None,
    };
    Some(reason)
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

#[cfg(test)]
mod tests {
    use std::{collections::VecDeque, sync::Mutex};

    use super::*;
    use crate::{
        config::Limits,
        delivery::transport::SendFuture,
        store::{BroadcastKind, NewBroadcast, NewSubscriber, test_store},
    };

    /// Answers each send with the next scripted result.
    struct ScriptedTransport(Mutex<VecDeque<Result<i64, SendFailure>>>);

    impl Transport for ScriptedTransport {
        fn send<'a>(&'a self, _: i64, _: &'a OutgoingMessage) -> SendFuture<'a> {
            let answer = self.0.lock().unwrap().pop_front().expect("a scripted answer");
            Box::pin(async move { answer })
        }
    }

    async fn engine_answering(
        answers: Vec<Result<i64, SendFailure>>,
    ) -> (DeliveryEngine, Store, i64, tempfile::TempDir) {
        let (store, dir) = test_store().await;
        store.subscribe(&NewSubscriber::private(42)).await.unwrap();
        let broadcast = NewBroadcast::plain(BroadcastKind::Breaking, "x", "test");
        let (id, _) = store.create_broadcast(&broadcast).await.unwrap();
        let limits = Limits { global_per_sec: 1000, per_chat_per_sec: 1000, group_per_min: 1000 };
        let settings = DeliverySettings { max_attempts: 2, ..DeliverySettings::default() };
        let transport = Arc::new(ScriptedTransport(Mutex::new(answers.into())));
        let engine =
            DeliveryEngine::new(store.clone(), transport, Arc::new(Pacer::new(limits)), settings, Metrics::default());
        (engine, store, id, dir)
    }

    #[tokio::test]
    async fn a_temporary_failure_is_retried_later_then_given_up_at_the_bound() {
        let failure = || Err(SendFailure::Temporary("502".into()));
        let (engine, store, id, _dir) = engine_answering(vec![failure(), failure()]).await;
        assert_eq!(engine.try_execute_batch().await.unwrap(), 1);
        assert_eq!(engine.try_execute_batch().await.unwrap(), 0, "the retry waits for its backoff");
        sqlx::query("UPDATE deliveries SET due_at = 0").execute(store.pool()).await.unwrap();
        // Let the chat's own interval (1 ms at this limit) pass, or the retry is only deferred.
        tokio::time::sleep(Duration::from_millis(20)).await;
        assert_eq!(engine.try_execute_batch().await.unwrap(), 1);
        let failures = store.failed_deliveries(id, 10).await.unwrap();
        assert_eq!(failures[0].attempts, 2);
        assert!(failures[0].last_error.as_deref().unwrap().contains("gave up after 2 attempts"), "{failures:?}");
    }

    #[tokio::test]
    async fn a_sent_delivery_keeps_the_platforms_message_id() {
        let (engine, store, id, _dir) = engine_answering(vec![Ok(777)]).await;
        engine.try_execute_batch().await.unwrap();
        let progress = store.broadcast_progress(id).await.unwrap().unwrap();
        assert_eq!((progress.sent, progress.pending), (1, 0));
    }

    #[test]
    fn failures_are_counted_by_reason() {
        let gone = OutcomeKind::ChatGone { chat_id: 1, reason: "chat not found".into() };
        assert_eq!(failure_reason(&gone).as_deref(), Some("chat_not_found"));
        let gave_up = OutcomeKind::Failed { error: "gave up after 6 attempts: 502".into() };
        assert_eq!(failure_reason(&gave_up).as_deref(), Some("gave_up"));
        let refused = OutcomeKind::Failed { error: "Bad Request: can't parse entities".into() };
        assert_eq!(failure_reason(&refused).as_deref(), Some("rejected"));
        assert_eq!(failure_reason(&OutcomeKind::Sent { message_id: 1 }), None);
    }

    #[test]
    fn backoff_grows_and_stays_bounded() {
        assert!(backoff(0) <= BACKOFF_BASE);
        assert!(backoff(3) >= BACKOFF_BASE * 4);
        assert!(backoff(40) <= BACKOFF_CAP);
    }
}
