//! One instance at a time does the work that must happen once: sending (instances sharing a
//! database share one rate budget, since the platform's limits are per bot, not per process),
//! answering the chat (only one may call getUpdates), polling the sources and sending digests.
//! The others stand by: they serve the API, the dashboard and webhooks, and one of them takes
//! over when the leader stops renewing its lease.
//!
//! The lease lives in the database (see `Store::hold_lease`): renewed every 5 seconds, it
//! expires 15 seconds after the last renewal. The leader stops its work 5 seconds before that
//! (the margin covers a renewal that hangs), so two instances never work at once; a standby
//! tries every 5 seconds, so it takes over within 20 seconds of the leader's death, and at once
//! when the leader stops cleanly and gives the lease up, or when the holder was a process on
//! this machine that is gone (a lone kabar restarted after a crash resumes at once).

use std::{future::Future, time::Duration};

use tokio::{sync::watch, time::Instant};
use tokio_util::sync::CancellationToken;

use crate::{domain::now_ms, store::Store};

/// How long a lease runs after its last renewal.
const LEASE: Duration = Duration::from_secs(15);
/// How often the lease is renewed, or tried for by a standby.
const RENEW_EVERY: Duration = Duration::from_secs(5);
/// How long before its lease expires a leader stops working.
const MARGIN: Duration = Duration::from_secs(5);

/// This instance's term as the leader.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Term {
    pub epoch: i64,
    /// When this instance stops working unless the lease is renewed first.
    until: Instant,
}

/// Whether this instance leads, and the loop that keeps it so.
#[derive(Debug)]
pub struct Leadership {
    /// Who this instance is, in the lease.
    instance: String,
    term: watch::Sender<Option<Term>>,
    timing: Timing,
}

/// The lease's durations: [`LEASE`], [`RENEW_EVERY`] and [`MARGIN`], shorter in tests.
#[derive(Debug, Clone, Copy)]
struct Timing {
    lease: Duration,
    renew_every: Duration,
    margin: Duration,
}

impl Default for Leadership {
    fn default() -> Self {
        Leadership::with_timing(Timing { lease: LEASE, renew_every: RENEW_EVERY, margin: MARGIN })
    }
}

impl Leadership {
    fn with_timing(timing: Timing) -> Leadership {
        Leadership::as_holder(Holder::this_process(), timing)
    }

    fn as_holder(holder: Holder, timing: Timing) -> Leadership {
        Leadership { instance: holder.to_string(), term: watch::Sender::new(None), timing }
    }

    /// The current term, when this instance leads now.
    pub fn term(&self) -> Option<Term> {
        self.term.borrow().filter(|term| Instant::now() < term.until)
    }

    pub fn is_leading(&self) -> bool {
        self.term().is_some()
    }

    /// Takes or renews the lease once.
    pub async fn try_to_lead(&self, store: &Store) {
        let Timing { lease, renew_every, margin } = self.timing;
        let asked = Instant::now();
        let held =
            tokio::time::timeout(renew_every, store.hold_lease(&self.instance, now_ms(), lease.as_millis() as i64));
        let term = match held.await {
            Ok(Ok(Some(epoch))) => Some(Term { epoch, until: asked + lease - margin }),
            Ok(Ok(None)) => {
                if self.take_over_from_a_dead_process(store).await {
                    return Box::pin(self.try_to_lead(store)).await;
                }
                None
            }
            // The term runs out by itself unless a later renewal succeeds.
            Ok(Err(error)) => {
                tracing::warn!(%error, "cannot renew the leader lease");
                self.term()
            }
            Err(_) => {
                tracing::warn!("renewing the leader lease takes too long");
                self.term()
            }
        };
        self.term.send_if_modified(|current| {
            let changed = current.map(|t| t.epoch) != term.map(|t| t.epoch);
            if changed {
                match term {
                    Some(term) => {
                        tracing::info!(epoch = term.epoch, "this instance leads: it sends, polls and answers")
                    }
                    None => tracing::info!("another instance leads; this one stands by"),
                }
            }
            *current = term;
            changed
        });
    }

    /// Ends the lease of a holder that was a process of this machine and is gone (crashed, or an
    /// earlier life of this very process id, as in a restarted container); true when it did.
    async fn take_over_from_a_dead_process(&self, store: &Store) -> bool {
        let Ok(Some(holder)) = store.lease_holder().await else { return false };
        let here = Holder::this_process();
        let gone = holder.parse::<Holder>().is_ok_and(|holder| holder.is_gone_from(&here));
        if !gone {
            return false;
        }
        tracing::warn!(holder, "the leader was a process of this machine that is gone; taking over");
        store.give_up_lease(&holder).await.is_ok()
    }

    /// Keeps trying for (or renewing) the lease until `stop`; then gives it up, so that a
    /// standby takes over at once.
    pub async fn keep(&self, store: &Store, stop: CancellationToken) {
        loop {
            self.try_to_lead(store).await;
            tokio::select! {
                () = tokio::time::sleep(self.timing.renew_every) => {}
                () = stop.cancelled() => break,
            }
        }
        if self.term.borrow().is_some()
            && let Err(error) = store.give_up_lease(&self.instance).await
        {
            tracing::warn!(%error, "cannot give the leader lease up; a standby waits for it to expire");
        }
    }

    /// Runs `work` during each of this instance's terms, until `stop`: `work` gets a token that
    /// is cancelled when the term ends (or `stop` is), and must return soon after.
    pub async fn while_leading<F, Fut>(&self, stop: CancellationToken, work: F)
    where
        F: Fn(CancellationToken) -> Fut,
        Fut: Future<Output = ()>,
    {
        let mut changes = self.term.subscribe();
        while !stop.is_cancelled() {
            let Some(term) = self.term() else {
                tokio::select! {
                    _ = changes.changed() => {}
                    () = tokio::time::sleep(self.timing.renew_every) => {}
                    () = stop.cancelled() => {}
                }
                continue;
            };
            let in_term = stop.child_token();
            tokio::join!(work(in_term.clone()), self.end_with_term(term.epoch, &in_term));
        }
    }

    /// Cancels `in_term` once the term of `epoch` ends: the lease went to another instance, or
    /// was not renewed in time. Returns when `in_term` is cancelled, by this or by a stop.
    async fn end_with_term(&self, epoch: i64, in_term: &CancellationToken) {
        let mut changes = self.term.subscribe();
        loop {
            let current = self.term().filter(|term| term.epoch == epoch);
            let Some(term) = current else {
                tracing::warn!(epoch, "this instance's term ended; its work stops");
                in_term.cancel();
                return;
            };
            tokio::select! {
                _ = changes.changed() => {}
                () = tokio::time::sleep_until(term.until) => {}
                () = in_term.cancelled() => return,
            }
        }
    }
}

/// Who holds the lease: `host/pid/nonce`, so that an instance can tell a holder on its own
/// machine that has died from one elsewhere, which only its lease's expiry can tell.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Holder {
    host: String,
    pid: u32,
    nonce: String,
}

impl Holder {
    fn this_process() -> Holder {
        let host = rustix::system::uname().nodename().to_string_lossy().into_owned();
        Holder { host, pid: std::process::id(), nonce: hex::encode(rand::random::<[u8; 4]>()) }
    }

    /// Whether this holder, seen from `here`, was a process of the same machine that is gone:
    /// its process id is free, or is `here`'s own (an earlier life of this process id).
    fn is_gone_from(&self, here: &Holder) -> bool {
        if self.host != here.host || self.nonce == here.nonce {
            return false;
        }
        self.pid == here.pid || !process_exists(self.pid)
    }
}

fn process_exists(pid: u32) -> bool {
    let Some(pid) = i32::try_from(pid).ok().and_then(rustix::process::Pid::from_raw) else { return false };
    // Signal 0 only asks whether the process exists; EPERM means it does, as another user's.
    !matches!(rustix::process::test_kill_process(pid), Err(rustix::io::Errno::SRCH))
}

impl std::fmt::Display for Holder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}/{}", self.host, self.pid, self.nonce)
    }
}

impl std::str::FromStr for Holder {
    type Err = ();

    fn from_str(text: &str) -> Result<Holder, ()> {
        let mut parts = text.rsplitn(3, '/');
        let nonce = parts.next().ok_or(())?.to_owned();
        let pid = parts.next().ok_or(())?.parse().map_err(|_| ())?;
        let host = parts.next().ok_or(())?.to_owned();
        Ok(Holder { host, pid, nonce })
    }
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use super::*;
    use crate::store::test_store;

    const FAST: Timing = Timing {
        lease: Duration::from_millis(1500),
        renew_every: Duration::from_millis(300),
        margin: Duration::from_millis(500),
    };

    /// When each instance's work ran: (instance, started, stopped).
    type Log = Arc<Mutex<Vec<(&'static str, Instant, Option<Instant>)>>>;

    type Work = std::pin::Pin<Box<dyn Future<Output = ()> + Send>>;

    fn log_work(log: &Log, name: &'static str) -> impl Fn(CancellationToken) -> Work + Send + use<> {
        let log = log.clone();
        move |term: CancellationToken| {
            let log = log.clone();
            Box::pin(async move {
                let index = {
                    let mut log = log.lock().unwrap();
                    log.push((name, Instant::now(), None));
                    log.len() - 1
                };
                term.cancelled().await;
                log.lock().unwrap()[index].2 = Some(Instant::now());
            })
        }
    }

    #[tokio::test]
    async fn a_standby_takes_over_from_a_dead_leader_and_never_works_beside_it() {
        let (store, _dir) = test_store().await;
        // Two processes of one machine: `a` stands for process 1, which is always alive.
        let a_process = Holder { pid: 1, ..Holder::this_process() };
        let (a, b) = (Arc::new(Leadership::as_holder(a_process, FAST)), Arc::new(Leadership::with_timing(FAST)));
        a.try_to_lead(&store).await;
        b.try_to_lead(&store).await;
        assert!(a.is_leading() && !b.is_leading());

        let log: Log = Arc::default();
        let (stop_a, stop_b) = (CancellationToken::new(), CancellationToken::new());
        // a's lease loop dies as a killed process's would: no renewal, no giving up.
        let a_keeps = tokio::spawn({
            let (a, store, stop) = (a.clone(), store.clone(), stop_a.clone());
            async move { a.keep(&store, stop).await }
        });
        let a_works = tokio::spawn({
            let (a, stop, work) = (a.clone(), stop_a.clone(), log_work(&log, "a"));
            async move { a.while_leading(stop, work).await }
        });
        tokio::spawn({
            let (b, store, stop) = (b.clone(), store.clone(), stop_b.clone());
            async move { b.keep(&store, stop).await }
        });
        let b_works = tokio::spawn({
            let (b, stop, work) = (b.clone(), stop_b.clone(), log_work(&log, "b"));
            async move { b.while_leading(stop, work).await }
        });
        tokio::time::sleep(Duration::from_millis(1000)).await;
        assert!(a.is_leading() && !b.is_leading(), "the leader keeps renewing");
        let died = Instant::now();
        a_keeps.abort();

        tokio::time::sleep(FAST.lease + FAST.renew_every * 4).await;
        assert!(b.is_leading() && !a.is_leading());
        let entries = log.lock().unwrap().clone();
        let (_, _, a_stopped) = entries.iter().find(|(name, ..)| *name == "a").copied().unwrap();
        let (_, b_started, _) = entries.iter().find(|(name, ..)| *name == "b").copied().unwrap();
        let a_stopped = a_stopped.expect("the old leader's work stopped when its term ran out");
        assert!(a_stopped < b_started, "the two never worked at once");
        // The lease runs out at most `lease` after death; the standby tries every `renew_every`
        // (and a shared machine may be slow to run it).
        assert!(b_started - died <= FAST.lease + FAST.renew_every * 3, "took over in {:?}", b_started - died);

        stop_a.cancel();
        stop_b.cancel();
        a_works.await.unwrap();
        b_works.await.unwrap();
    }

    #[test]
    fn a_holder_is_gone_only_when_it_was_a_process_of_this_machine_that_ended() {
        let here = Holder { host: "news-1".into(), pid: 4242, nonce: "aaaa".into() };
        let holder = |host: &str, pid: u32, nonce: &str| Holder { host: host.into(), pid, nonce: nonce.into() };
        assert!(holder("news-1", 4242, "bbbb").is_gone_from(&here), "an earlier life of this process id");
        assert!(!holder("news-1", 4242, "aaaa").is_gone_from(&here), "this very process");
        assert!(!holder("news-2", 4242, "bbbb").is_gone_from(&here), "another machine: only expiry tells");
        assert!(!holder("news-1", std::process::id(), "bbbb").is_gone_from(&here), "a live process");
        assert!(holder("news-1", 999_999_999, "bbbb").is_gone_from(&here), "no such process");
        let text = holder("host/with/slashes", 7, "cafe").to_string();
        assert_eq!(text.parse::<Holder>(), Ok(holder("host/with/slashes", 7, "cafe")));
        assert!("garbage".parse::<Holder>().is_err());
    }

    #[tokio::test]
    async fn a_leader_that_stops_cleanly_hands_over_at_once() {
        let (store, _dir) = test_store().await;
        let (a, b) = (Leadership::with_timing(FAST), Leadership::with_timing(FAST));
        a.try_to_lead(&store).await;
        let stop = CancellationToken::new();
        stop.cancel();
        a.keep(&store, stop).await;
        b.try_to_lead(&store).await;
        assert!(b.is_leading(), "no wait for the lease to expire");
        assert_eq!(b.term().unwrap().epoch, 2);
    }
}
