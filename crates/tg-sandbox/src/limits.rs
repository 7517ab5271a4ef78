//! Telegram's flood control: a sliding one-second window for the whole bot, a token bucket per
//! chat and a sliding one-minute window per group. Windows are pruned from the front, so a check
//! costs O(1) amortised however long the sandbox has been running.

use std::collections::{HashMap, VecDeque};
use std::time::{Duration, Instant};

use crate::config::Limits;

const SECOND: Duration = Duration::from_secs(1);
const MINUTE: Duration = Duration::from_secs(60);

/// What a request is, as far as the limits care.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Charge {
    /// The chat the request posts to.
    pub chat_id: i64,
    /// Groups and supergroups carry the extra per-minute limit.
    pub is_group: bool,
    /// New messages count towards the group minute; edits do not.
    pub new_message: bool,
}

/// The limiter's state; lives inside the sandbox's world lock.
#[derive(Debug)]
pub(crate) struct Limiter {
    limits: Limits,
    global: VecDeque<Instant>,
    chats: HashMap<i64, ChatWindow>,
}

#[derive(Debug)]
struct ChatWindow {
    tokens: f64,
    refilled_at: Instant,
    minute: VecDeque<Instant>,
}

impl Limiter {
    pub fn new(limits: Limits) -> Self {
        Limiter { limits, global: VecDeque::new(), chats: HashMap::new() }
    }

    /// Whether this request counts at all (edits may be exempt).
    pub fn counts(&self, charge: &Charge) -> bool {
        charge.new_message || self.limits.edits_count
    }

    /// Admits the request and consumes its share of every limit, or says how long to wait.
    /// Nothing is consumed when any limit refuses, because Telegram does not deliver it.
    pub fn try_acquire(&mut self, charge: Charge, now: Instant) -> Result<(), Duration> {
        if !self.counts(&charge) {
            return Ok(());
        }
        let limits = &self.limits;
        let mut wait = Duration::ZERO;
        if let Some(max) = limits.global_per_second {
            wait = wait.max(window_wait(&mut self.global, max, SECOND, now));
        }
        let burst = f64::from(limits.per_chat_burst.max(1));
        let chat = self.chats.entry(charge.chat_id).or_insert_with(|| ChatWindow {
            tokens: burst,
            refilled_at: now,
            minute: VecDeque::new(),
        });
        if let Some(rate) = limits.per_chat_per_second.filter(|r| *r > 0.0) {
            let elapsed = now.saturating_duration_since(chat.refilled_at).as_secs_f64();
            chat.tokens = (chat.tokens + elapsed * rate).min(burst);
            chat.refilled_at = now;
            if chat.tokens < 1.0 {
                wait = wait.max(Duration::from_secs_f64((1.0 - chat.tokens) / rate));
            }
        }
        let minute_applies = charge.is_group && charge.new_message;
        if let (true, Some(max)) = (minute_applies, limits.per_group_per_minute) {
            wait = wait.max(window_wait(&mut chat.minute, max, MINUTE, now));
        }
        if !wait.is_zero() {
            return Err(wait);
        }
        if limits.global_per_second.is_some() {
            self.global.push_back(now);
        }
        if limits.per_chat_per_second.is_some() {
            chat.tokens -= 1.0;
        }
        if minute_applies && limits.per_group_per_minute.is_some() {
            chat.minute.push_back(now);
        }
        Ok(())
    }
}

/// Drops entries older than `span` and returns how long until one more fits under `max`.
fn window_wait(window: &mut VecDeque<Instant>, max: u32, span: Duration, now: Instant) -> Duration {
    while window.front().is_some_and(|at| now.saturating_duration_since(*at) >= span) {
        window.pop_front();
    }
    if window.len() < max as usize {
        return Duration::ZERO;
    }
    // The oldest entry that must expire for a slot to open.
    let blocking = window[window.len() - max as usize];
    (blocking + span).saturating_duration_since(now).max(Duration::from_millis(1))
}

/// Telegram's `retry_after`: whole seconds, rounded up, at least one.
pub(crate) fn retry_after_seconds(wait: Duration) -> u32 {
    (wait.as_secs_f64().ceil() as u32).max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn private(chat_id: i64) -> Charge {
        Charge { chat_id, is_group: false, new_message: true }
    }

    #[test]
    fn a_chat_gets_its_burst_then_waits_for_a_token() {
        let mut limiter = Limiter::new(Limits::telegram());
        let now = Instant::now();
        for _ in 0..3 {
            assert!(limiter.try_acquire(private(1), now).is_ok());
        }
        let wait = limiter.try_acquire(private(1), now).unwrap_err();
        assert_eq!(retry_after_seconds(wait), 1);
        assert!(limiter.try_acquire(private(1), now + SECOND).is_ok());
    }

    #[test]
    fn the_bot_sends_thirty_per_second_across_chats() {
        let mut limiter = Limiter::new(Limits::telegram());
        let now = Instant::now();
        for chat in 0..30 {
            assert!(limiter.try_acquire(private(chat), now).is_ok());
        }
        assert!(limiter.try_acquire(private(99), now).is_err());
        assert!(limiter.try_acquire(private(99), now + SECOND).is_ok());
    }

    #[test]
    fn a_group_takes_twenty_messages_a_minute() {
        let mut limits = Limits::telegram();
        limits.per_chat_per_second = None;
        let mut limiter = Limiter::new(limits);
        let group = Charge { chat_id: -5, is_group: true, new_message: true };
        let start = Instant::now();
        for n in 0..20 {
            assert!(limiter.try_acquire(group, start + SECOND * n).is_ok());
        }
        let wait = limiter.try_acquire(group, start + SECOND * 20).unwrap_err();
        assert_eq!(retry_after_seconds(wait), 40);
        assert!(limiter.try_acquire(group, start + MINUTE).is_ok());
    }

    #[test]
    fn unlimited_admits_everything() {
        let mut limiter = Limiter::new(Limits::unlimited());
        let now = Instant::now();
        for _ in 0..10_000 {
            assert!(limiter.try_acquire(private(1), now).is_ok());
        }
    }
}
