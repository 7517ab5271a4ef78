//! Pacing: the configured limits, enforced smoothly with governor (GCRA with a burst of one, so no
//! one-second window ever holds more than the limit), shared by broadcasts and replies alike.

use std::{
    collections::VecDeque,
    num::NonZeroU32,
    sync::{
        Arc, Mutex, RwLock,
        atomic::{AtomicUsize, Ordering},
    },
    time::{Duration, Instant},
};

use governor::{DefaultDirectRateLimiter, DefaultKeyedRateLimiter, Quota, RateLimiter, clock::Clock};

use crate::{config::Limits, store::Priority};

/// One waiting count per [`Priority`], most urgent first.
const LANES: usize = 4;

/// The limits are enforced over windows this much longer than the platform's, so that the
/// jitter between a send being admitted and it reaching the platform never pushes one over.
const JITTER_MARGIN: f64 = 0.02;

/// Whether a send may go now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Admission {
    Go,
    /// This chat (or group) is not ready before then; try again later.
    NotBefore(Instant),
}

/// The shared limiter of everything kabar sends.
#[derive(Debug)]
pub struct Pacer {
    limiters: RwLock<Arc<Limiters>>,
    /// A flood wait from the platform, or the settling time after a limit change.
    paused_until: Mutex<Option<Instant>>,
    /// Sends waiting for a global slot, by priority: a send steps aside while a more urgent one
    /// waits, so replies go before breaking news, and breaking news before regular stories.
    waiting: [AtomicUsize; LANES],
    /// Until then groups wait: their limiter was replaced and forgot their last sends.
    groups_settle_until: Mutex<Option<Instant>>,
}

#[derive(Debug)]
struct Limiters {
    limits: Limits,
    global: GlobalLimiter,
    chats: Arc<DefaultKeyedRateLimiter<i64>>,
    groups: Arc<DefaultKeyedRateLimiter<i64>>,
}

impl Limiters {
    fn new(limits: Limits) -> Limiters {
        Limiters {
            limits,
            global: GlobalLimiter::new(limits.global_per_sec),
            chats: Arc::new(RateLimiter::keyed(smooth_quota(limits.per_chat_per_sec, Duration::from_secs(1)))),
            groups: Arc::new(RateLimiter::keyed(smooth_quota(limits.group_per_min, Duration::from_secs(60)))),
        }
    }

    /// New limits that keep what the old ones remember: the log of recent sends, so a lowered
    /// limit binds at once, and every chat's and group's turn where that limit did not change.
    fn changed_to(&self, limits: Limits) -> Limiters {
        let fresh = Limiters::new(limits);
        *fresh.global.recent.lock().expect("the send log lock is never poisoned") =
            self.global.recent.lock().expect("the send log lock is never poisoned").clone();
        Limiters {
            chats: if limits.per_chat_per_sec == self.limits.per_chat_per_sec {
                self.chats.clone()
            } else {
                fresh.chats
            },
            groups: if limits.group_per_min == self.limits.group_per_min { self.groups.clone() } else { fresh.groups },
            ..fresh
        }
    }
}

/// `count` sends per `window` (stretched by the jitter margin), one at a time.
fn smooth_quota(count: u32, window: Duration) -> Quota {
    let period = window.mul_f64(1.0 + JITTER_MARGIN).div_f64(f64::from(count.max(1)));
    Quota::with_period(period).expect("a positive period").allow_burst(NonZeroU32::MIN)
}

/// The whole bot's limit. Governor spaces sends evenly, with a small burst so that a timer that
/// wakes a little late can catch up instead of losing the slot; the log of recent sends is the
/// hard guarantee that no window of a second (plus the jitter margin) holds more than the limit.
#[derive(Debug)]
struct GlobalLimiter {
    spacing: DefaultDirectRateLimiter,
    recent: Mutex<VecDeque<Instant>>,
    limit: usize,
    window: Duration,
}

impl GlobalLimiter {
    fn new(per_sec: u32) -> GlobalLimiter {
        let burst = NonZeroU32::new((per_sec / 100).max(2)).expect("at least two");
        GlobalLimiter {
            spacing: RateLimiter::direct(smooth_quota(per_sec, Duration::from_secs(1)).allow_burst(burst)),
            recent: Mutex::new(VecDeque::with_capacity(per_sec as usize)),
            limit: per_sec as usize,
            window: Duration::from_secs(1).mul_f64(1.0 + JITTER_MARGIN),
        }
    }

    /// Sends admitted during the last second.
    fn sends_in_last_second(&self) -> usize {
        let now = Instant::now();
        let recent = self.recent.lock().expect("the send log lock is never poisoned");
        recent.iter().filter(|&&sent| now.duration_since(sent) < Duration::from_secs(1)).count()
    }

    /// Takes a slot now, or says how long to wait for one.
    fn try_take(&self) -> Result<(), Duration> {
        let now = Instant::now();
        let mut recent = self.recent.lock().expect("the send log lock is never poisoned");
        while recent.front().is_some_and(|&sent| now.duration_since(sent) >= self.window) {
            recent.pop_front();
        }
        if let Some(&oldest) = recent.front().filter(|_| recent.len() >= self.limit) {
            return Err(self.window - now.duration_since(oldest));
        }
        self.spacing.check().map_err(|not_until| not_until.wait_time_from(self.spacing.clock().now()))?;
        recent.push_back(now);
        Ok(())
    }
}

fn interval(count: u32, window: Duration) -> Duration {
    window.div_f64(f64::from(count.max(1)))
}

impl Pacer {
    pub fn new(limits: Limits) -> Pacer {
        Pacer {
            limiters: RwLock::new(Arc::new(Limiters::new(limits))),
            paused_until: Mutex::new(None),
            waiting: Default::default(),
            groups_settle_until: Mutex::new(None),
        }
    }

    /// Sends admitted during the last second, replies included: the send rate right now.
    pub fn current_rate(&self) -> usize {
        self.current().global.sends_in_last_second()
    }

    /// The limits in force.
    pub fn limits(&self) -> Limits {
        self.current().limits
    }

    /// Applies new limits at once. A per-chat or per-group limiter whose quota changed starts
    /// fresh and has forgotten who received what last, so the chats (or the groups) it governs
    /// wait one old interval first: nobody gets a second message too soon.
    pub fn set_limits(&self, limits: Limits) {
        let mut current = self.limiters.write().expect("the pacer lock is never poisoned");
        let old = current.limits;
        if old == limits {
            return;
        }
        *current = Arc::new(current.changed_to(limits));
        drop(current);
        if old.per_chat_per_sec != limits.per_chat_per_sec {
            self.pause_for(interval(old.per_chat_per_sec, Duration::from_secs(1)));
        }
        if old.group_per_min != limits.group_per_min {
            let until = Instant::now() + interval(old.group_per_min, Duration::from_secs(60));
            *self.groups_settle_until.lock().expect("the settle lock is never poisoned") = Some(until);
        }
        tracing::info!(?limits, "limits changed");
    }

    /// Holds every send for `duration` (a flood wait from the platform).
    pub fn pause_for(&self, duration: Duration) {
        let until = Instant::now() + duration;
        let mut paused = self.paused_until.lock().expect("the pause lock is never poisoned");
        *paused = Some(paused.map_or(until, |current| current.max(until)));
    }

    /// Waits for a global slot, then takes the chat's (and for groups, the group's) turn if it is
    /// ready. The delivery workers requeue a chat that is not ready.
    pub async fn try_admit(&self, chat_id: i64, is_group: bool, priority: Priority) -> Admission {
        self.wait_while_paused().await;
        let limiters = self.current();
        self.take_global_slot(&limiters, priority).await;
        self.take_chat_turn(&limiters, chat_id, is_group)
    }

    /// Waits until a reply may go to `chat_id`, ahead of every other send.
    pub async fn admit(&self, chat_id: i64, is_group: bool) {
        while let Admission::NotBefore(when) = self.try_admit(chat_id, is_group, Priority::Reply).await {
            tokio::time::sleep_until(when.into()).await;
        }
    }

    /// Waits for a global slot, stepping aside while a more urgent send waits for one. The slot
    /// is taken with a non-blocking check right after that look, so a less urgent send never
    /// sleeps inside the limiter where it would race the urgent one.
    async fn take_global_slot(&self, limiters: &Limiters, priority: Priority) {
        let lane = priority as usize;
        let _waiting = LaneGuard::enter(&self.waiting[lane]);
        loop {
            let wait = if self.waiting[..lane].iter().any(|more_urgent| more_urgent.load(Ordering::Acquire) > 0) {
                interval(limiters.limits.global_per_sec, Duration::from_secs(1))
            } else {
                match limiters.global.try_take() {
                    Ok(()) => return,
                    Err(wait) => wait,
                }
            };
            tokio::time::sleep(wait).await;
        }
    }

    /// Takes the group's turn (the longer wait) before the chat's, so that a refusal wastes at
    /// most the shorter of the two.
    fn take_chat_turn(&self, limiters: &Limiters, chat_id: i64, is_group: bool) -> Admission {
        let settling = *self.groups_settle_until.lock().expect("the settle lock is never poisoned");
        if is_group && let Some(until) = settling.filter(|&until| until > Instant::now()) {
            return Admission::NotBefore(until);
        }
        if is_group && let Err(not_until) = limiters.groups.check_key(&chat_id) {
            return Admission::NotBefore(instant_of(not_until.wait_time_from(limiters.groups.clock().now())));
        }
        if let Err(not_until) = limiters.chats.check_key(&chat_id) {
            return Admission::NotBefore(instant_of(not_until.wait_time_from(limiters.chats.clock().now())));
        }
        Admission::Go
    }

    /// Forgets chats that have not sent recently, so the keyed state stays small.
    pub fn forget_idle_chats(&self) {
        let limiters = self.current();
        limiters.chats.retain_recent();
        limiters.groups.retain_recent();
        limiters.chats.shrink_to_fit();
        limiters.groups.shrink_to_fit();
    }

    fn current(&self) -> Arc<Limiters> {
        self.limiters.read().expect("the pacer lock is never poisoned").clone()
    }

    async fn wait_while_paused(&self) {
        loop {
            let until = *self.paused_until.lock().expect("the pause lock is never poisoned");
            match until {
                Some(until) if until > Instant::now() => tokio::time::sleep_until(until.into()).await,
                _ => return,
            }
        }
    }
}

/// Counts a waiting send for as long as it waits, even when its future is dropped midway.
struct LaneGuard<'a>(&'a AtomicUsize);

impl<'a> LaneGuard<'a> {
    fn enter(lane: &'a AtomicUsize) -> LaneGuard<'a> {
        lane.fetch_add(1, Ordering::AcqRel);
        LaneGuard(lane)
    }
}

impl Drop for LaneGuard<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

fn instant_of(wait: Duration) -> Instant {
    Instant::now() + wait
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits(global: u32, per_chat: u32, group: u32) -> Limits {
        Limits { global_per_sec: global, per_chat_per_sec: per_chat, group_per_min: group }
    }

    #[tokio::test]
    async fn a_second_send_to_one_chat_must_wait() {
        let pacer = Pacer::new(limits(1000, 1, 20));
        assert_eq!(pacer.try_admit(7, false, Priority::Article).await, Admission::Go);
        assert!(matches!(pacer.try_admit(7, false, Priority::Article).await, Admission::NotBefore(_)));
        assert_eq!(pacer.try_admit(8, false, Priority::Article).await, Admission::Go, "another chat is not held back");
    }

    #[tokio::test]
    async fn a_group_is_held_to_its_per_minute_limit() {
        let pacer = Pacer::new(limits(1000, 1000, 1));
        assert_eq!(pacer.try_admit(-5, true, Priority::Article).await, Admission::Go);
        match pacer.try_admit(-5, true, Priority::Article).await {
            Admission::NotBefore(when) => assert!(when > Instant::now() + Duration::from_secs(30)),
            Admission::Go => panic!("a second message into the group went within the minute"),
        }
    }

    #[tokio::test]
    async fn a_waiting_reply_goes_before_bulk_sends() {
        let pacer = Arc::new(Pacer::new(limits(2, 1000, 1000)));
        for chat in [1, 4] {
            assert_eq!(pacer.try_admit(chat, false, Priority::Article).await, Admission::Go, "the burst is used up");
        }
        let reply = tokio::spawn({
            let pacer = pacer.clone();
            async move {
                pacer.admit(3, false).await;
                Instant::now()
            }
        });
        while pacer.waiting[Priority::Reply as usize].load(Ordering::Acquire) == 0 {
            tokio::task::yield_now().await;
        }
        pacer.try_admit(2, false, Priority::Article).await;
        let bulk_sent = Instant::now();
        assert!(reply.await.unwrap() < bulk_sent, "the reply went first");
    }

    #[tokio::test]
    async fn a_dropped_wait_does_not_hold_back_other_lanes() {
        let pacer = Pacer::new(limits(1, 1000, 1000));
        assert_eq!(pacer.try_admit(1, false, Priority::Article).await, Admission::Go);
        let reply = pacer.try_admit(2, false, Priority::Reply);
        assert!(tokio::time::timeout(Duration::from_millis(10), reply).await.is_err(), "the slot is taken");
        assert!(pacer.waiting.iter().all(|lane| lane.load(Ordering::Acquire) == 0));
    }

    #[tokio::test]
    async fn no_second_ever_holds_more_sends_than_the_global_limit() {
        let pacer = Pacer::new(limits(5, 1000, 1000));
        let mut admitted = Vec::new();
        for chat in 0..13 {
            assert_eq!(pacer.try_admit(chat, false, Priority::Article).await, Admission::Go);
            admitted.push(Instant::now());
        }
        for (i, &start) in admitted.iter().enumerate() {
            let in_window =
                admitted[i..].iter().take_while(|&&t| t.duration_since(start) < Duration::from_secs(1)).count();
            assert!(in_window <= 5, "{in_window} sends within a second of send {i}");
        }
    }

    #[tokio::test]
    async fn a_lowered_global_limit_binds_at_once() {
        let pacer = Pacer::new(limits(1000, 1000, 1000));
        for chat in 0..3 {
            assert_eq!(pacer.try_admit(chat, false, Priority::Article).await, Admission::Go);
        }
        pacer.set_limits(limits(3, 1000, 1000));
        let fourth = pacer.try_admit(9, false, Priority::Article);
        assert!(
            tokio::time::timeout(Duration::from_millis(200), fourth).await.is_err(),
            "three sends in the last second already fill the new limit"
        );
    }

    #[tokio::test]
    async fn new_limits_are_reported_at_once() {
        let pacer = Pacer::new(Limits::default());
        pacer.set_limits(limits(10, 1, 20));
        assert_eq!(pacer.limits().global_per_sec, 10);
    }
}
