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
//! when the leader stops cleanly and gives the lease up.
//!
//! A SQLite database is one file, so instances sharing it share a machine, and the machine can
//! tell who is alive: to lead, an instance must also hold an exclusive lock on a file beside the
//! database (`kabar.db-leader`). The system drops a process's locks when it dies, however it
//! dies, so a standby that gets the lock knows the lease's holder is gone and takes over at
//! once: a lone kabar restarted after kill -9 resumes without waiting for the lease.

use std::{
    fs::{File, OpenOptions},
    future::Future,
    path::Path,
    sync::Mutex,
    time::Duration,
};

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
    /// The machine's leader lock, once this instance holds it (file databases only).
    machine_lock: Mutex<Option<File>>,
    /// Whether a database file's lock decides too; off only in tests of the lease alone.
    lock_beside_file: bool,
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
        let instance = format!("{}-{}", std::process::id(), hex::encode(rand::random::<[u8; 4]>()));
        Leadership {
            instance,
            term: watch::Sender::new(None),
            timing,
            machine_lock: Mutex::new(None),
            lock_beside_file: true,
        }
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
        if !self.holds_machine_lock(store) {
            // Another live instance of this machine leads.
            self.set_term(None);
            return;
        }
        let Timing { lease, renew_every, margin } = self.timing;
        let asked = Instant::now();
        let held =
            tokio::time::timeout(renew_every, store.hold_lease(&self.instance, now_ms(), lease.as_millis() as i64));
        let term = match held.await {
            Ok(Ok(Some(epoch))) => Some(Term { epoch, until: asked + lease - margin }),
            Ok(Ok(None)) => {
                if self.take_over_from_the_dead(store).await {
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
        self.set_term(term);
    }

    fn set_term(&self, term: Option<Term>) {
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

    /// With a database file, this instance holds the machine's leader lock, so the lease's
    /// holder is a process that is gone: its lease is ended, to be taken now. True when it was.
    async fn take_over_from_the_dead(&self, store: &Store) -> bool {
        if self.lock_file_of(store).is_none() {
            return false;
        }
        let Ok(Some(holder)) = store.lease_holder().await else { return false };
        tracing::warn!(holder, "the leader's process is gone; taking over");
        store.give_up_lease(&holder).await.is_ok()
    }

    /// The database file whose lock decides beside the lease, if any.
    fn lock_file_of<'s>(&self, store: &'s Store) -> Option<&'s Path> {
        store.file().filter(|_| self.lock_beside_file)
    }

    /// Whether this instance holds the machine's leader lock, taking it when it is free. True
    /// without a database file (in memory: one process), where only the lease decides.
    fn holds_machine_lock(&self, store: &Store) -> bool {
        let Some(database) = self.lock_file_of(store) else { return true };
        let mut held = self.machine_lock.lock().expect("the lock's slot is never poisoned");
        if held.is_none() {
            *held = lock_beside(database);
        }
        held.is_some()
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
        self.machine_lock.lock().expect("the lock's slot is never poisoned").take();
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

/// An exclusive lock on the file beside `database` (`kabar.db-leader`), when no other process
/// holds it. The system drops it when this process ends.
fn lock_beside(database: &Path) -> Option<File> {
    let mut name = database.as_os_str().to_owned();
    name.push("-leader");
    let file = OpenOptions::new().create(true).truncate(false).write(true).open(&name);
    let file = file.inspect_err(|error| tracing::warn!(%error, "cannot open the leader lock file")).ok()?;
    rustix::fs::flock(&file, rustix::fs::FlockOperation::NonBlockingLockExclusive).ok()?;
    Some(file)
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use super::*;
    use crate::store::{sqlite_test_store, test_store};

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

    /// An instance deciding by the lease alone, as it will on PostgreSQL.
    fn by_lease_alone() -> Leadership {
        Leadership { lock_beside_file: false, ..Leadership::with_timing(FAST) }
    }

    #[tokio::test]
    async fn a_standby_takes_over_from_a_dead_leader_and_never_works_beside_it() {
        let (store, _dir) = test_store().await;
        let (a, b) = (Arc::new(by_lease_alone()), Arc::new(by_lease_alone()));
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

    #[tokio::test]
    async fn beside_a_database_file_the_leader_is_whoever_holds_the_lock_and_its_death_frees_it_at_once() {
        let (store, _dir) = sqlite_test_store().await;
        let (a, b) = (Leadership::with_timing(FAST), Leadership::with_timing(FAST));
        a.try_to_lead(&store).await;
        b.try_to_lead(&store).await;
        assert!(a.is_leading() && !b.is_leading());
        // Even with its lease run out, a live leader keeps the lock: nobody else leads.
        crate::store::sql::query("UPDATE leader_lease SET expires_at = 0").execute(store.pool()).await.unwrap();
        b.try_to_lead(&store).await;
        assert!(!b.is_leading());

        // The process dies: the system drops its lock, and its lease is still running.
        a.try_to_lead(&store).await;
        drop(a);
        b.try_to_lead(&store).await;
        assert_eq!(b.term().map(|term| term.epoch), Some(3), "taken over at once, in a new term");
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
