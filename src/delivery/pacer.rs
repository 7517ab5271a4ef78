//! Pacing: one platform's limits, enforced smoothly with governor (GCRA with a burst of one, so
//! no one-second window ever holds more than the limit), shared by broadcasts and replies alike.
//!
//! The rules are the platform's ([`PaceRules`]): a rate for the whole account, one for each chat,
//! and stricter ones for classes of chats the platform names (Telegram's groups). The pacer knows
//! no platform; each platform module says what its rules and classes are.

use std::{
    collections::{HashMap, VecDeque},
    hash::{Hash, Hasher},
    num::NonZeroU32,
    sync::{
        Arc, Mutex, RwLock,
        atomic::{AtomicUsize, Ordering},
    },
    time::{Duration, Instant},
};

use governor::{DefaultDirectRateLimiter, DefaultKeyedRateLimiter, Quota, RateLimiter, clock::Clock};

use super::transport::PaceClass;
use crate::domain::Priority;

/// One waiting count per [`Priority`], most urgent first.
const LANES: usize = Priority::ALL.len();

/// The limits are enforced over windows this much longer than the platform's, so that the
/// jitter between a send being admitted and it reaching the platform never pushes one over.
const JITTER_MARGIN: f64 = 0.02;

/// `count` sends per `window`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rate {
    pub count: u32,
    pub window: Duration,
}

impl Rate {
    pub fn per_second(count: u32) -> Rate {
        Rate { count, window: Duration::from_secs(1) }
    }

    pub fn per_minute(count: u32) -> Rate {
        Rate { count, window: Duration::from_secs(60) }
    }

    /// The time between two sends at this rate.
    fn interval(self) -> Duration {
        self.window.div_f64(f64::from(self.count.max(1)))
    }
}

/// How fast one platform may be sent to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaceRules {
    /// Sends per second for the whole account (the bot, the business number).
    pub per_sec: u32,
    /// Sends into one chat.
    pub per_chat: Rate,
    /// Sends into one chat of a class the platform paces more strictly, by class.
    pub per_class: Vec<(PaceClass, Rate)>,
}

impl PaceRules {
    fn class_rate(&self, class: PaceClass) -> Option<Rate> {
        self.per_class.iter().find(|(name, _)| *name == class).map(|(_, rate)| *rate)
    }
}

/// Whether a send may go now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Admission {
    Go,
    /// This chat (or its class) is not ready before then; try again later.
    NotBefore(Instant),
}

/// The shared limiter of everything kabar sends on one platform.
#[derive(Debug)]
pub struct Pacer {
    limiters: RwLock<Arc<Limiters>>,
    /// A flood wait from the platform, or the settling time after a limit change.
    paused_until: Mutex<Option<Instant>>,
    /// Sends waiting for a global slot, by priority: a send steps aside while a more urgent one
    /// waits, so replies go before breaking news, and breaking news before regular stories.
    waiting: [AtomicUsize; LANES],
    /// Until then the chats of a class wait: their limiter was replaced and forgot their last sends.
    classes_settle_until: Mutex<HashMap<PaceClass, Instant>>,
}

/// Chats are keyed by a hash of their address: two chats that collide share a turn, which is
/// slower for them and never over a limit.
type ChatKey = u64;

#[derive(Debug)]
struct Limiters {
    rules: PaceRules,
    global: GlobalLimiter,
    chats: Arc<DefaultKeyedRateLimiter<ChatKey>>,
    classes: HashMap<PaceClass, Arc<DefaultKeyedRateLimiter<ChatKey>>>,
}

impl Limiters {
    fn new(rules: PaceRules) -> Limiters {
        let keyed = |rate: Rate| Arc::new(RateLimiter::keyed(smooth_quota(rate)));
        Limiters {
            global: GlobalLimiter::new(rules.per_sec),
            chats: keyed(rules.per_chat),
            classes: rules.per_class.iter().map(|&(class, rate)| (class, keyed(rate))).collect(),
            rules,
        }
    }

    /// New rules that keep what the old ones remember: the log of recent sends, so a lowered
    /// limit binds at once, and every chat's and class's turn where its rate did not change.
    fn changed_to(&self, rules: PaceRules) -> Limiters {
        let mut fresh = Limiters::new(rules);
        *fresh.global.recent.lock().expect("the send log lock is never poisoned") =
            self.global.recent.lock().expect("the send log lock is never poisoned").clone();
        if fresh.rules.per_chat == self.rules.per_chat {
            fresh.chats = self.chats.clone();
        }
        for (class, limiter) in fresh.classes.iter_mut() {
            if fresh.rules.class_rate(class) == self.rules.class_rate(class)
                && let Some(kept) = self.classes.get(class)
            {
                *limiter = kept.clone();
            }
        }
        fresh
    }
}

/// `rate` (stretched by the jitter margin), one send at a time.
fn smooth_quota(rate: Rate) -> Quota {
    let period = rate.window.mul_f64(1.0 + JITTER_MARGIN).div_f64(f64::from(rate.count.max(1)));
    Quota::with_period(period).expect("a positive period").allow_burst(NonZeroU32::MIN)
}

/// The whole account's limit. Governor spaces sends evenly, with a small burst so that a timer that
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
            spacing: RateLimiter::direct(smooth_quota(Rate::per_second(per_sec)).allow_burst(burst)),
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

impl Pacer {
    pub fn new(rules: PaceRules) -> Pacer {
        Pacer {
            limiters: RwLock::new(Arc::new(Limiters::new(rules))),
            paused_until: Mutex::new(None),
            waiting: Default::default(),
            classes_settle_until: Mutex::default(),
        }
    }

    /// Sends admitted during the last second, replies included: the send rate right now.
    pub fn current_rate(&self) -> usize {
        self.current().global.sends_in_last_second()
    }

    /// The rules in force.
    pub fn rules(&self) -> PaceRules {
        self.current().rules.clone()
    }

    /// Applies new rules at once. A per-chat or per-class limiter whose rate changed starts
    /// fresh and has forgotten who received what last, so the chats it governs wait one old
    /// interval first: nobody gets a second message too soon.
    pub fn set_rules(&self, rules: PaceRules) {
        let mut current = self.limiters.write().expect("the pacer lock is never poisoned");
        let old = current.rules.clone();
        if old == rules {
            return;
        }
        *current = Arc::new(current.changed_to(rules.clone()));
        drop(current);
        if old.per_chat != rules.per_chat {
            self.pause_for(old.per_chat.interval());
        }
        let mut settling = self.classes_settle_until.lock().expect("the settle lock is never poisoned");
        for &(class, old_rate) in &old.per_class {
            if rules.class_rate(class) != Some(old_rate) {
                settling.insert(class, Instant::now() + old_rate.interval());
            }
        }
        drop(settling);
        tracing::info!(?rules, "pacing rules changed");
    }

    /// Holds every send for `duration` (a flood wait from the platform).
    pub fn pause_for(&self, duration: Duration) {
        let until = Instant::now() + duration;
        let mut paused = self.paused_until.lock().expect("the pause lock is never poisoned");
        *paused = Some(paused.map_or(until, |current| current.max(until)));
    }

    /// Waits for a global slot, then takes the chat's turn (and its class's) if it is ready.
    /// The delivery workers requeue a chat that is not ready.
    pub async fn try_admit(&self, address: &str, class: Option<PaceClass>, priority: Priority) -> Admission {
        self.wait_while_paused().await;
        let limiters = self.current();
        self.take_global_slot(&limiters, priority).await;
        self.take_chat_turn(&limiters, chat_key(address), class)
    }

    /// Waits until a reply may go to the chat at `address`, ahead of every other send.
    pub async fn admit(&self, address: &str, class: Option<PaceClass>) {
        while let Admission::NotBefore(when) = self.try_admit(address, class, Priority::Reply).await {
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
                Rate::per_second(limiters.rules.per_sec).interval()
            } else {
                match limiters.global.try_take() {
                    Ok(()) => return,
                    Err(wait) => wait,
                }
            };
            tokio::time::sleep(wait).await;
        }
    }

    /// Takes the class's turn (the longer wait) before the chat's, so that a refusal wastes at
    /// most the shorter of the two.
    fn take_chat_turn(&self, limiters: &Limiters, key: ChatKey, class: Option<PaceClass>) -> Admission {
        if let Some(class) = class {
            let settling =
                self.classes_settle_until.lock().expect("the settle lock is never poisoned").get(class).copied();
            if let Some(until) = settling.filter(|&until| until > Instant::now()) {
                return Admission::NotBefore(until);
            }
            if let Some(limiter) = limiters.classes.get(class)
                && let Err(not_until) = limiter.check_key(&key)
            {
                return Admission::NotBefore(instant_of(not_until.wait_time_from(limiter.clock().now())));
            }
        }
        if let Err(not_until) = limiters.chats.check_key(&key) {
            return Admission::NotBefore(instant_of(not_until.wait_time_from(limiters.chats.clock().now())));
        }
        Admission::Go
    }

    /// Forgets chats that have not had a send recently, so the keyed state stays small.
    pub fn forget_idle_chats(&self) {
        let limiters = self.current();
        for limiter in std::iter::once(&limiters.chats).chain(limiters.classes.values()) {
            limiter.retain_recent();
            limiter.shrink_to_fit();
        }
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

/// The key of the chat at `address`.
fn chat_key(address: &str) -> ChatKey {
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    address.hash(&mut hasher);
    hasher.finish()
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

    const GROUP: PaceClass = "group";

    fn rules(per_sec: u32, per_chat: u32, group_per_min: u32) -> PaceRules {
        PaceRules {
            per_sec,
            per_chat: Rate::per_second(per_chat),
            per_class: vec![(GROUP, Rate::per_minute(group_per_min))],
        }
    }

    #[tokio::test]
    async fn a_second_send_to_one_chat_must_wait() {
        let pacer = Pacer::new(rules(1000, 1, 20));
        assert_eq!(pacer.try_admit("7", None, Priority::Article).await, Admission::Go);
        assert!(matches!(pacer.try_admit("7", None, Priority::Article).await, Admission::NotBefore(_)));
        assert_eq!(pacer.try_admit("8", None, Priority::Article).await, Admission::Go, "another chat is not held back");
    }

    #[tokio::test]
    async fn a_group_is_held_to_its_per_minute_limit() {
        let pacer = Pacer::new(rules(1000, 1000, 1));
        assert_eq!(pacer.try_admit("-5", Some(GROUP), Priority::Article).await, Admission::Go);
        match pacer.try_admit("-5", Some(GROUP), Priority::Article).await {
            Admission::NotBefore(when) => assert!(when > Instant::now() + Duration::from_secs(30)),
            Admission::Go => panic!("a second message into the group went within the minute"),
        }
    }

    #[tokio::test]
    async fn a_waiting_reply_goes_before_bulk_sends() {
        let pacer = Arc::new(Pacer::new(rules(2, 1000, 1000)));
        for chat in [1, 4] {
            assert_eq!(
                pacer.try_admit(&chat.to_string(), None, Priority::Article).await,
                Admission::Go,
                "the burst is used up"
            );
        }
        let reply = tokio::spawn({
            let pacer = pacer.clone();
            async move {
                pacer.admit("3", None).await;
                Instant::now()
            }
        });
        while pacer.waiting[Priority::Reply as usize].load(Ordering::Acquire) == 0 {
            tokio::task::yield_now().await;
        }
        pacer.try_admit("2", None, Priority::Article).await;
        let bulk_sent = Instant::now();
        assert!(reply.await.unwrap() < bulk_sent, "the reply went first");
    }

    #[tokio::test]
    async fn a_dropped_wait_does_not_hold_back_other_lanes() {
        let pacer = Pacer::new(rules(1, 1000, 1000));
        assert_eq!(pacer.try_admit("1", None, Priority::Article).await, Admission::Go);
        let reply = pacer.try_admit("2", None, Priority::Reply);
        assert!(tokio::time::timeout(Duration::from_millis(10), reply).await.is_err(), "the slot is taken");
        assert!(pacer.waiting.iter().all(|lane| lane.load(Ordering::Acquire) == 0));
    }

    #[tokio::test]
    async fn no_second_ever_holds_more_sends_than_the_global_limit() {
        let pacer = Pacer::new(rules(5, 1000, 1000));
        let mut admitted = Vec::new();
        for chat in 0..13 {
            assert_eq!(pacer.try_admit(&chat.to_string(), None, Priority::Article).await, Admission::Go);
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
        let pacer = Pacer::new(rules(1000, 1000, 1000));
        for chat in 0..3 {
            assert_eq!(pacer.try_admit(&chat.to_string(), None, Priority::Article).await, Admission::Go);
        }
        pacer.set_rules(rules(3, 1000, 1000));
        let fourth = pacer.try_admit("9", None, Priority::Article);
        assert!(
            tokio::time::timeout(Duration::from_millis(200), fourth).await.is_err(),
            "three sends in the last second already fill the new limit"
        );
    }

    #[tokio::test]
    async fn a_changed_class_rate_holds_that_class_for_one_old_interval() {
        let pacer = Pacer::new(rules(1000, 1000, 60_000));
        pacer.set_rules(rules(1000, 1000, 20));
        assert!(matches!(pacer.try_admit("-5", Some(GROUP), Priority::Article).await, Admission::NotBefore(_)));
        assert_eq!(pacer.try_admit("6", None, Priority::Article).await, Admission::Go, "other chats go on");
    }

    #[tokio::test]
    async fn new_limits_are_reported_at_once() {
        let pacer = Pacer::new(rules(30, 1, 20));
        pacer.set_rules(rules(10, 1, 20));
        assert_eq!(pacer.rules().per_sec, 10);
    }
}
