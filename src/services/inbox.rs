//! Updates a platform sent kabar (polled or posted to its webhook), kept until they are handled,
//! so that an update acknowledged is never lost, whatever happens next.

use super::Services;
use crate::store::StoreResult;

/// Stored webhook updates.
pub struct Inbox<'a>(pub(super) &'a Services);

impl Inbox<'_> {
    /// Keeps an update; an update received twice is kept once.
    pub async fn keep(&self, update_id: i64, body: &str) -> StoreResult<()> {
        self.0.inner.store.store_updates(&[(update_id, body.to_owned())]).await
    }

    /// Keeps a batch of updates, all or none.
    pub async fn keep_all(&self, updates: &[(i64, String)]) -> StoreResult<()> {
        self.0.inner.store.store_updates(updates).await
    }

    /// The oldest updates waiting, in the platform's order, at most `limit`.
    pub async fn waiting(&self, limit: i64) -> StoreResult<Vec<(i64, String)>> {
        self.0.inner.store.waiting_updates(limit).await
    }

    /// Forgets an update once it is handled.
    pub async fn handled(&self, update_id: i64) -> StoreResult<()> {
        self.0.inner.store.forget_update(update_id).await
    }
}
