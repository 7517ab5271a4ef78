//! Brute force against the admin token: wrong tokens beyond a small budget are answered slowly,
//! one at a time, so guessing runs at about one try a second however many connections it uses.
//! The answer stays 401 (the contract's), and a request with the right token is never slowed.

use std::{num::NonZeroU32, time::Duration};

use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};
use tokio::sync::Mutex;

/// Wrong tokens answered at once, per minute: enough for a mistyped config and its retries.
const FREE_FAILURES_PER_MINUTE: u32 = 20;
/// How long each wrong token past the budget waits, one at a time.
const PENALTY: Duration = Duration::from_secs(1);

/// Shared by every request of the server.
#[derive(Debug)]
pub struct AuthThrottle {
    free: DefaultDirectRateLimiter,
    penalty: Mutex<()>,
}

impl Default for AuthThrottle {
    fn default() -> Self {
        let per_minute = NonZeroU32::new(FREE_FAILURES_PER_MINUTE).expect("a non-zero budget");
        AuthThrottle { free: RateLimiter::direct(Quota::per_minute(per_minute)), penalty: Mutex::new(()) }
    }
}

impl AuthThrottle {
    /// Called for each wrong or missing token before answering it.
    pub async fn failed(&self) {
        if self.free.check().is_ok() {
            return;
        }
        let _one_at_a_time = self.penalty.lock().await;
        tracing::warn!("wrong admin tokens keep coming; answering them slowly");
        tokio::time::sleep(PENALTY).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn failures_past_the_budget_are_answered_one_second_apart() {
        let throttle = AuthThrottle::default();
        let started = tokio::time::Instant::now();
        for _ in 0..FREE_FAILURES_PER_MINUTE {
            throttle.failed().await;
        }
        assert!(started.elapsed() < Duration::from_millis(10), "the budget is answered at once");
        throttle.failed().await;
        throttle.failed().await;
        assert!(started.elapsed() >= 2 * PENALTY);
    }
}
