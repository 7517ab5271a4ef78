//! The update queue behind `getUpdates`: offsets confirm updates, `timeout` long-polls on a
//! `Notify`, a newer poll ends an older one with 409 as on Telegram, and an active webhook
//! forbids polling.

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

/// Webhook settings as `getWebhookInfo` reports them.
#[derive(Clone, Debug, Default, Serialize)]
pub(crate) struct WebhookInfo {
    pub url: String,
    pub has_custom_certificate: bool,
    pub pending_update_count: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_connections: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub allowed_updates: Option<Vec<String>>,
}

#[derive(Default)]
struct QueueState {
    next_id: u32,
    queue: VecDeque<Queued>,
    allowed: Option<Vec<String>>,
    poll_generation: u64,
    webhook: Option<WebhookInfo>,
}

/// Pending updates for the bot.
#[derive(Default)]
pub(crate) struct UpdateQueue {
    state: Mutex<QueueState>,
    arrived: Notify,
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
        self.arrived.notify_waiters();
        id
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

    pub fn set_webhook(&self, info: Option<WebhookInfo>, drop_pending: bool) {
        let mut state = self.state();
        state.webhook = info;
        if drop_pending {
            state.queue.clear();
        }
        drop(state);
        // A poll waiting while a webhook is set would never be answered otherwise.
        self.arrived.notify_waiters();
    }

    pub fn webhook_info(&self) -> WebhookInfo {
        let state = self.state();
        let mut info = state.webhook.clone().unwrap_or_default();
        info.pending_update_count = state.queue.len();
        info
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

/// The next `limit` allowed updates as a JSON array; disallowed ones are dropped for good.
fn take(state: &mut QueueState, limit: usize) -> String {
    let QueueState { queue, allowed, .. } = state;
    let allowed = &*allowed;
    let is_allowed = |kind: &str| match allowed {
        Some(list) => list.iter().any(|k| k == kind),
        None => !OPT_IN_KINDS.contains(&kind),
    };
    queue.retain(|u| is_allowed(u.kind));
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
