//! Webhook delivery: while `setWebhook` is in force, one task posts each pending update, oldest
//! first and one at a time, to the webhook URL, as Telegram does. A 2xx answer acknowledges the
//! update; anything else (or no answer) keeps it queued, shows in `getWebhookInfo` and is retried
//! after a backoff.
//!
//! Telegram only posts to `https` URLs; the sandbox also posts to plain `http`, because tests
//! serve their webhook on loopback without TLS.

use std::sync::Arc;
use std::time::Duration;

use reqwest::header::{CONTENT_TYPE, HeaderValue};
use tokio::sync::watch;

use crate::Shared;
use crate::updates::{Delivery, UpdateQueue};

/// The header carrying `setWebhook`'s `secret_token`.
pub(crate) const SECRET_HEADER: &str = "X-Telegram-Bot-Api-Secret-Token";

/// First wait after a failure; doubles per consecutive failure. Far shorter than Telegram's,
/// so tests of retries finish quickly.
const FIRST_RETRY: Duration = Duration::from_millis(200);
/// The longest wait between retries.
const LAST_RETRY: Duration = Duration::from_secs(5);
/// A webhook that does not answer within this long counts as failed.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);

/// Starts the delivery task next to the server; it ends when the sandbox shuts down, so it
/// does not keep the shared state alive.
pub(crate) fn spawn_delivery(runtime: &tokio::runtime::Handle, shared: Arc<Shared>) {
    let stopped = shared.shutdown.subscribe();
    runtime.spawn(deliver_until_shutdown(shared, stopped));
}

async fn deliver_until_shutdown(shared: Arc<Shared>, mut stopped: watch::Receiver<bool>) {
    let client = match http_client() {
        Ok(client) => client,
        Err(err) => {
            tracing::warn!(%err, "telegram sandbox cannot deliver to webhooks");
            return;
        }
    };
    let updates = &shared.updates;
    let mut backoff = Backoff::default();
    while let Some(delivery) = next_delivery(updates, &mut stopped).await {
        let outcome = tokio::select! {
            outcome = post(&client, &delivery) => outcome,
            _ = stopped.wait_for(|stop| *stop) => return,
        };
        match outcome {
            Ok(()) => {
                updates.delivered(&delivery);
                backoff = Backoff::default();
            }
            Err(message) => {
                tracing::debug!(url = %delivery.url, %message, "webhook delivery failed");
                updates.delivery_failed(&delivery, message);
                if !pause(updates, &delivery, backoff.next_wait(), &mut stopped).await {
                    return;
                }
            }
        }
    }
}

/// A client for loopback test servers: no proxy from the environment, bounded waits.
fn http_client() -> reqwest::Result<reqwest::Client> {
    reqwest::Client::builder().no_proxy().connect_timeout(REQUEST_TIMEOUT).timeout(REQUEST_TIMEOUT).build()
}

/// Waits for an update to deliver; `None` once the sandbox shuts down.
async fn next_delivery(updates: &UpdateQueue, stopped: &mut watch::Receiver<bool>) -> Option<Delivery> {
    loop {
        if *stopped.borrow() {
            return None;
        }
        if let Some(delivery) = updates.next_delivery() {
            return Some(delivery);
        }
        tokio::select! {
            () = updates.wait_for_webhook_work() => {}
            _ = stopped.wait_for(|stop| *stop) => return None,
        }
    }
}

/// Posts one update; `Err` carries the reason in Telegram's `last_error_message` wording.
async fn post(client: &reqwest::Client, delivery: &Delivery) -> Result<(), String> {
    let mut request = client
        .post(&delivery.url)
        .header(CONTENT_TYPE, HeaderValue::from_static("application/json"))
        .body(delivery.json.clone());
    if let Some(secret) = &delivery.secret_token {
        request = request.header(SECRET_HEADER, secret);
    }
    let response = request.send().await.map_err(|err| describe_failure(&err))?;
    let status = response.status();
    if status.is_success() { Ok(()) } else { Err(format!("Wrong response from the webhook: {status}")) }
}

fn describe_failure(err: &reqwest::Error) -> String {
    if err.is_timeout() {
        "Read timeout expired".to_owned()
    } else if err.is_connect() {
        "Connection refused".to_owned()
    } else {
        format!("Failed to deliver the update: {err}")
    }
}

/// Sleeps `wait` before a retry; cut short when the webhook is set anew or deleted, so a fixed
/// webhook is tried at once. `false` when the sandbox shuts down.
async fn pause(
    updates: &UpdateQueue,
    delivery: &Delivery,
    wait: Duration,
    stopped: &mut watch::Receiver<bool>,
) -> bool {
    let deadline = tokio::time::Instant::now() + wait;
    loop {
        tokio::select! {
            () = tokio::time::sleep_until(deadline) => return true,
            () = updates.wait_for_webhook_work() => {
                if updates.webhook_changed_since(delivery) {
                    return true;
                }
            }
            _ = stopped.wait_for(|stop| *stop) => return false,
        }
    }
}

/// Waits between retries: [`FIRST_RETRY`], doubling up to [`LAST_RETRY`].
#[derive(Default)]
struct Backoff {
    failures: u32,
}

impl Backoff {
    fn next_wait(&mut self) -> Duration {
        let wait = FIRST_RETRY.saturating_mul(1 << self.failures.min(16));
        self.failures += 1;
        wait.min(LAST_RETRY)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_from_200ms_up_to_5s() {
        let mut backoff = Backoff::default();
        let waits: Vec<u64> = (0..8).map(|_| backoff.next_wait().as_millis() as u64).collect();
        assert_eq!(waits, [200, 400, 800, 1600, 3200, 5000, 5000, 5000]);
    }
}
