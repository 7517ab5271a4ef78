//! Updates a platform sent kabar (polled or posted to its webhook), kept until they are handled,
//! so that an update acknowledged is never lost, whatever happens next.
//!
//! After a storage fault, readers come first: updates that could not be stored or handled
//! during it are a backlog, and news waits for it (see [`super::health::Health::news_waits`]),
//! so that a `/stop` sent while the disk was full is honoured before the stories found meanwhile
//! go out.

use std::sync::Mutex;

use super::Services;
use crate::store::StoreResult;

/// Stored webhook updates.
pub struct Inbox<'a>(pub(super) &'a Services);

impl Inbox<'_> {
    /// Keeps an update; an update received twice is kept once.
    pub async fn keep(&self, update_id: i64, body: &str) -> StoreResult<()> {
        self.keep_all(&[(update_id, body.to_owned())]).await
    }

    /// Keeps a batch of updates, all or none.
    pub async fn keep_all(&self, updates: &[(i64, String)]) -> StoreResult<()> {
        let kept = self.0.inner.store.store_updates(updates).await;
        self.0.backlog.record_keep(kept.is_ok());
        kept
    }

    /// The oldest updates waiting, in the platform's order, at most `limit`.
    pub async fn waiting(&self, limit: i64) -> StoreResult<Vec<(i64, String)>> {
        let keeps_before = self.0.backlog.keeps();
        let waiting = self.0.inner.store.waiting_updates(limit).await?;
        if waiting.is_empty() {
            self.0.backlog.drained(keeps_before);
        }
        Ok(waiting)
    }

    /// Forgets an update once it is handled.
    pub async fn handled(&self, update_id: i64) -> StoreResult<()> {
        self.0.inner.store.forget_update(update_id).await
    }

    /// Says that a storage fault stopped the handling of stored updates: they stay, and are a
    /// backlog until handled.
    pub fn held_back(&self) {
        self.0.backlog.state().unhandled = true;
    }

    /// Whether updates a storage fault held back still wait to be stored or handled.
    pub fn backlog(&self) -> bool {
        self.0.backlog.state().pending()
    }
}

/// What a storage fault left of readers' updates.
#[derive(Debug, Default)]
pub struct Backlog(Mutex<BacklogState>);

#[derive(Debug, Default)]
struct BacklogState {
    /// A keep failed, and none has succeeded since: updates wait at the platform.
    unstored: bool,
    /// Updates were stored after a failed keep, or held back, and the inbox has not been seen
    /// empty since.
    unhandled: bool,
    /// How many keeps succeeded, so that an empty inbox read while a batch was being stored
    /// does not count as drained.
    keeps: u64,
}

impl BacklogState {
    fn pending(&self) -> bool {
        self.unstored || self.unhandled
    }
}

impl Backlog {
    fn state(&self) -> std::sync::MutexGuard<'_, BacklogState> {
        self.0.lock().expect("the backlog is never poisoned")
    }

    fn record_keep(&self, kept: bool) {
        let mut state = self.state();
        if !kept {
            state.unstored = true;
            return;
        }
        state.keeps += 1;
        if state.unstored {
            state.unstored = false;
            state.unhandled = true;
        }
    }

    fn keeps(&self) -> u64 {
        self.state().keeps
    }

    /// The inbox was read empty, and no keep succeeded while it was read.
    fn drained(&self, keeps_before: u64) {
        let mut state = self.state();
        if state.keeps == keeps_before {
            state.unhandled = false;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pending(backlog: &Backlog) -> bool {
        backlog.state().pending()
    }

    #[test]
    fn a_failed_keep_is_a_backlog_until_the_stored_updates_are_handled() {
        let backlog = Backlog::default();
        assert!(!pending(&backlog));
        backlog.record_keep(false);
        let read_before_the_keep = backlog.keeps();
        backlog.drained(read_before_the_keep);
        assert!(pending(&backlog), "an empty inbox says nothing of updates that wait at the platform");
        backlog.record_keep(true);
        backlog.drained(read_before_the_keep);
        assert!(pending(&backlog), "the inbox was read before the batch was stored");
        backlog.drained(backlog.keeps());
        assert!(!pending(&backlog));
    }

    #[test]
    fn keeps_that_never_failed_make_no_backlog() {
        let backlog = Backlog::default();
        backlog.record_keep(true);
        assert!(!pending(&backlog));
    }
}
