//! One attempt at one delivery: its turn under the platform's limits, the send, and what the
//! answer means for the delivery (sent, again later, given up) and for its chat.

use std::{
    collections::VecDeque,
    sync::Mutex,
    time::{Duration, Instant},
};

use rand::Rng;
use tokio_util::sync::CancellationToken;

use super::{Admission, OutgoingMessage, Outlet, Outlets, Photo, SendFailure, SendRight};
use crate::{
    config::DeliverySettings,
    domain::{ClaimedDelivery, DeliveryOutcome, FailureReason, OutcomeKind, now_ms},
    metrics::Metrics,
    text::is_web_link,
};

/// Backoff bounds for temporary failures.
const BACKOFF_BASE: Duration = Duration::from_secs(2);
const BACKOFF_CAP: Duration = Duration::from_secs(300);

/// Sends deliveries and judges the answers.
pub(super) struct Attempts {
    outlets: Outlets,
    settings: DeliverySettings,
    metrics: Metrics,
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

impl Attempts {
    pub(super) fn new(outlets: Outlets, settings: DeliverySettings, metrics: Metrics) -> Attempts {
        Attempts { outlets, settings, metrics, broken_photos: Mutex::default() }
    }

    pub(super) fn outlets(&self) -> &Outlets {
        &self.outlets
    }

    /// Sends one delivery and decides what happens to it next.
    pub(super) async fn deliver(
        &self,
        delivery: &ClaimedDelivery,
        stop: &CancellationToken,
        right: &SendRight,
    ) -> DeliveryOutcome {
        let kind = self.attempt(delivery, stop, right).await;
        self.metrics.delivery(kind.label());
        if let Some(reason) = kind.failure_reason() {
            self.metrics.delivery_failed(reason.as_stored());
        }
        if matches!(kind, OutcomeKind::Sent { .. }) {
            self.metrics.delivery_latency((now_ms() - delivery.queued_at) as f64 / 1000.0);
        }
        DeliveryOutcome { delivery_id: delivery.id, kind }
    }

    async fn attempt(&self, delivery: &ClaimedDelivery, stop: &CancellationToken, right: &SendRight) -> OutcomeKind {
        if !delivery.subscriber_active {
            let error = "the reader is no longer subscribed".into();
            return OutcomeKind::Failed { reason: FailureReason::Unsubscribed, error };
        }
        let Some(outlet) = self.outlets.get(delivery.recipient.platform) else {
            let error = format!("this instance does not send to {}", delivery.recipient.platform);
            return OutcomeKind::Failed { reason: FailureReason::NoTransport, error };
        };
        let class = outlet.transport.pace_class(delivery.chat_kind);
        let admission = tokio::select! {
            admission = outlet.pacer.try_admit(&delivery.recipient.address, class, delivery.priority) => admission,
            () = stop.cancelled() => return OutcomeKind::Deferred { due_at: now_ms() },
        };
        if let Admission::NotBefore(when) = admission {
            return OutcomeKind::Deferred { due_at: unix_ms_at(when) };
        }
        // The last moment to find that another instance has become the sender.
        if !right.holds() {
            return OutcomeKind::Deferred { due_at: now_ms() };
        }
        match self.send(outlet, delivery).await {
            Ok(message_id) => OutcomeKind::Sent { message_id },
            Err(failure) => self.after_failure(outlet, delivery, failure),
        }
    }

    /// Sends the delivery's message. A photo the platform will not send must not cost the story:
    /// it goes as text, in its own paced turn, and a photo that is itself broken is not tried for
    /// anyone else.
    async fn send(&self, outlet: &Outlet, delivery: &ClaimedDelivery) -> Result<String, SendFailure> {
        let message = self.message_for(delivery);
        let to = &delivery.recipient;
        let sent = outlet.transport.send(to, &message).await;
        let (Some(photo), Err(SendFailure::PhotoRefused { reason, bad_photo })) = (&message.photo, &sent) else {
            return sent;
        };
        tracing::warn!(url = photo.url, reason, "the photo was refused; sending the story as text");
        if *bad_photo {
            self.broken_photos.lock().expect("the photo lock is never poisoned").remember(&photo.url);
        }
        outlet.admit_reply(&to.address, delivery.chat_kind).await;
        outlet.transport.send(to, &message.without_photo()).await
    }

    /// The delivery as a message: a photo with its caption when there is one that can work (an
    /// absolute http(s) URL not refused before), else text with a link preview.
    fn message_for(&self, delivery: &ClaimedDelivery) -> OutgoingMessage {
        let photo = match (&delivery.image_url, &delivery.caption) {
            (Some(url), Some(caption)) if self.settings.photos && is_web_link(url) && !self.photo_is_broken(url) => {
                Some(Photo { url: url.clone(), caption: caption.clone() })
            }
            _ => None,
        };
        let link_preview_url = delivery.link_url.clone().filter(|url| is_web_link(url));
        OutgoingMessage { text: delivery.body.clone(), link_preview_url, photo, silent: delivery.silent }
    }

    fn photo_is_broken(&self, url: &str) -> bool {
        self.broken_photos.lock().expect("the photo lock is never poisoned").contains(url)
    }

    fn after_failure(&self, outlet: &Outlet, delivery: &ClaimedDelivery, failure: SendFailure) -> OutcomeKind {
        let recipient = delivery.recipient.clone();
        match failure {
            SendFailure::RetryAfter(wait) => {
                // Platforms do not say whether a flood wait is for one chat or the whole account,
                // so the whole platform waits: slower for a moment, never over the limit again.
                self.metrics.rate_limited();
                outlet.pacer.pause_for(wait);
                tracing::warn!(%recipient, ?wait, "flood control: pausing all sends to the platform");
                OutcomeKind::Deferred { due_at: now_ms() + wait.as_millis() as i64 }
            }
            SendFailure::ChatGone(reason) => OutcomeKind::ChatGone { recipient, reason },
            SendFailure::Moved { new_address, kind } => OutcomeKind::Readdressed { recipient, new_address, kind },
            SendFailure::Rejected(error) => OutcomeKind::Failed { reason: FailureReason::Rejected, error },
            SendFailure::PhotoRefused { reason, .. } => {
                OutcomeKind::Failed { reason: FailureReason::PhotoRefused, error: format!("photo refused: {reason}") }
            }
            SendFailure::Temporary(error) if delivery.attempts + 1 >= i64::from(self.settings.max_attempts) => {
                let error = format!("gave up after {} attempts: {error}", delivery.attempts + 1);
                OutcomeKind::Failed { reason: FailureReason::GaveUp, error }
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

#[cfg(test)]
mod tests;
