//! The update queue behind `getUpdates` and the webhook: offsets confirm updates, `timeout`
//! long-polls on a `Notify`, a newer poll ends an older one with 409 as on Telegram, and an
//! active webhook forbids polling while the delivery task (`webhook`) drains the same queue.

use std::collections::VecDeque;
use std::sync::Mutex;
use std::time::Duration;

use serde::Serialize;
use tokio::sync::{Notify, watch};

use crate::error::{ApiError, msg};

/// Update kinds Telegram leaves out unless `allowed_updates` names them.
const OPT_IN_KINDS: &[&str] = &["chat_member", "message_reaction", "message_reaction_count"];

struct Queued {
    id: u32,
    kind: &'static str,
    json: String,
}

/// `getWebhookInfo`'s answer. The secret token is deliberately absent, as on Telegram.
#[derive(Clone, Debug, Default, Serialize)]
pub(crate) struct WebhookInfo {
    pub url: String,
    pub has_custom_certificate: bool,
    pub pending_update_count: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_error_date: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_error_message: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_connections: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub allowed_updates: Option<Vec<String>>,
}

/// What `setWebhook` was given.
pub(crate) struct WebhookSettings {
    pub url: String,
    pub secret_token: Option<String>,
    pub max_connections: u32,
    /// `None` keeps the previous choice, an empty list restores the default, as on Telegram.
    pub allowed_updates: Option<Vec<String>>,
}

/// A webhook in force, with the last failed delivery as `getWebhookInfo` reports it.
struct ActiveWebhook {
    settings: WebhookSettings,
    last_error: Option<(u64, String)>,
}

/// One update on its way to the webhook. `generation` ties it to the `setWebhook` call it was
/// taken under, so a result arriving after the webhook changed does not touch the new one.
pub(crate) struct Delivery {
    pub generation: u64,
    pub url: String,
    pub secret_token: Option<String>,
    pub update_id: u32,
    pub json: String,
}

#[derive(Default)]
struct QueueState {
    next_id: u32,
    queue: VecDeque<Queued>,
    allowed: Option<Vec<String>>,
    poll_generation: u64,
    webhook: Option<ActiveWebhook>,
    /// Bumped by every `setWebhook` and `deleteWebhook`.
    webhook_generation: u64,
    webhook_deliveries: usize,
    webhook_failures: usize,
}

/// Pending updates for the bot.
#[derive(Default)]
pub(crate) struct UpdateQueue {
    state: Mutex<QueueState>,
    /// Wakes long polls; they re-check the queue themselves.
    arrived: Notify,
    /// Wakes the single webhook delivery task. `notify_one` keeps a permit, so a wake-up that
    /// comes while the task is busy posting is not lost.
    webhook_wake: Notify,
}

/// One `getUpdates` call's parameters.
pub(crate) struct Poll {
    pub offset: i64,
    pub limit: usize,
    pub timeout: Duration,
    pub allowed_updates: Option<Vec<String>>,
}

impl UpdateQueue {
    fn state(&self) -> std::sync::MutexGuard<'_, QueueState> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Queues an update whose body is the JSON of its `kind` field; returns its id.
    pub fn push(&self, kind: &'static str, body: &impl Serialize) -> u32 {
        let body = serde_json::to_string(body).expect("update body serialises");
        let mut state = self.state();
        state.next_id += 1;
        let id = state.next_id;
        let json = format!("{{\"update_id\":{id},\"{kind}\":{body}}}");
        state.queue.push_back(Queued { id, kind, json });
        drop(state);
        self.wake_all();
        id
    }

    fn wake_all(&self) {
        self.arrived.notify_waiters();
        self.webhook_wake.notify_one();
    }

    pub fn pending(&self) -> usize {
        self.state().queue.len()
    }

    /// Answers a `getUpdates` call with the JSON array of updates.
    pub async fn poll(&self, poll: Poll, mut shutdown: watch::Receiver<bool>) -> Result<String, ApiError> {
        let generation = {
            let mut state = self.state();
            if state.webhook.is_some() {
                return Err(ApiError::conflict(msg::WEBHOOK_ACTIVE));
            }
            state.poll_generation += 1;
            if let Some(allowed) = poll.allowed_updates {
                state.allowed = (!allowed.is_empty()).then_some(allowed);
            }
            confirm(&mut state.queue, poll.offset);
            state.poll_generation
        };
        // Ends an older long poll still waiting, as Telegram does.
        self.arrived.notify_waiters();
        let deadline = tokio::time::Instant::now() + poll.timeout;
        loop {
            let arrived = self.arrived.notified();
            tokio::pin!(arrived);
            arrived.as_mut().enable();
            {
                let mut state = self.state();
                if state.poll_generation != generation {
                    return Err(ApiError::conflict(msg::TERMINATED));
                }
                let batch = take(&mut state, poll.limit);
                if batch != "[]" || tokio::time::Instant::now() >= deadline || *shutdown.borrow() {
                    return Ok(batch);
                }
            }
            tokio::select! {
                () = &mut arrived => {}
                () = tokio::time::sleep_until(deadline) => {}
                _ = shutdown.changed() => {}
            }
        }
    }

    /// Sets (`Some`) or deletes (`None`) the webhook; either way earlier errors are forgotten.
    pub fn set_webhook(&self, settings: Option<WebhookSettings>, drop_pending: bool) {
        let mut state = self.state();
        if let Some(allowed) = settings.as_ref().and_then(|s| s.allowed_updates.clone()) {
            state.allowed = (!allowed.is_empty()).then_some(allowed);
        }
        state.webhook = settings.map(|settings| ActiveWebhook { settings, last_error: None });
        state.webhook_generation += 1;
        if drop_pending {
            state.queue.clear();
        }
        drop(state);
        // A poll waiting while a webhook is set would never be answered otherwise, and the
        // delivery task must notice the new URL (or that there is none).
        self.wake_all();
    }

    pub fn webhook_info(&self) -> WebhookInfo {
        let state = self.state();
        let mut info = WebhookInfo { pending_update_count: state.queue.len(), ..WebhookInfo::default() };
        if let Some(webhook) = &state.webhook {
            info.url = webhook.settings.url.clone();
            info.max_connections = Some(webhook.settings.max_connections);
            info.allowed_updates = state.allowed.clone();
            info.last_error_date = webhook.last_error.as_ref().map(|(date, _)| *date);
            info.last_error_message = webhook.last_error.as_ref().map(|(_, message)| message.clone());
        }
        info
    }

    /// The oldest allowed update, when a webhook is set and something is pending.
    pub fn next_delivery(&self) -> Option<Delivery> {
        let mut state = self.state();
        drop_disallowed(&mut state);
        let webhook = &state.webhook.as_ref()?.settings;
        let update = state.queue.front()?;
        Some(Delivery {
            generation: state.webhook_generation,
            url: webhook.url.clone(),
            secret_token: webhook.secret_token.clone(),
            update_id: update.id,
            json: update.json.clone(),
        })
    }

    /// The webhook answered 2xx: the update is done, as if confirmed by a getUpdates offset.
    pub fn delivered(&self, delivery: &Delivery) {
        let mut state = self.state();
        state.queue.retain(|u| u.id != delivery.update_id);
        state.webhook_deliveries += 1;
    }

    /// The webhook failed: the update stays queued and the error shows in getWebhookInfo.
    pub fn delivery_failed(&self, delivery: &Delivery, message: String) {
        let mut state = self.state();
        state.webhook_failures += 1;
        if state.webhook_generation != delivery.generation {
            return;
        }
        if let Some(webhook) = &mut state.webhook {
            webhook.last_error = Some((crate::record::unix_millis() / 1000, message));
        }
    }

    /// Whether `setWebhook` or `deleteWebhook` was called since `delivery` was taken.
    pub fn webhook_changed_since(&self, delivery: &Delivery) -> bool {
        self.state().webhook_generation != delivery.generation
    }

    /// Resolves when an update arrives or the webhook changes (possibly spuriously).
    pub async fn wait_for_webhook_work(&self) {
        self.webhook_wake.notified().await;
    }

    /// `(acknowledged, failed)` webhook deliveries so far.
    pub fn webhook_counts(&self) -> (usize, usize) {
        let state = self.state();
        (state.webhook_deliveries, state.webhook_failures)
    }
}

/// Forgets confirmed updates: ids below a positive offset, or all but the last `-offset`.
fn confirm(queue: &mut VecDeque<Queued>, offset: i64) {
    if offset > 0 {
        while queue.front().is_some_and(|u| i64::from(u.id) < offset) {
            queue.pop_front();
        }
    } else if offset < 0 {
        let keep = offset.unsigned_abs() as usize;
        while queue.len() > keep {
            queue.pop_front();
        }
    }
}

/// Forgets updates of kinds the bot did not ask for, as Telegram never sends them.
fn drop_disallowed(state: &mut QueueState) {
    let QueueState { queue, allowed, .. } = state;
    let allowed = &*allowed;
    let is_allowed = |kind: &str| match allowed {
        Some(list) => list.iter().any(|k| k == kind),
        None => !OPT_IN_KINDS.contains(&kind),
    };
    queue.retain(|u| is_allowed(u.kind));
}

/// The next `limit` allowed updates as a JSON array; disallowed ones are dropped for good.
fn take(state: &mut QueueState, limit: usize) -> String {
    drop_disallowed(state);
    let queue = &state.queue;
    let mut out = String::from("[");
    for (n, update) in queue.iter().take(limit).enumerate() {
        if n > 0 {
            out.push(',');
        }
        out.push_str(&update.json);
    }
    out.push(']');
    out
}
