//! Editors added at run time, beside the config's. Which user ids may never be editors is the
//! platform's rule: its edge checks an id before adding it (see `crate::telegram::ids`).

use super::Services;
use crate::{domain::EditorRecord, store::StoreResult};

/// Editors.
pub struct Editors<'a>(pub(super) &'a Services);

impl Editors<'_> {
    /// Makes `user_id` an editor, or renames one; true when they were not an editor before.
    pub async fn add(&self, user_id: i64, name: Option<&str>) -> StoreResult<bool> {
        let added = self.0.inner.store.add_editor(user_id, name).await?;
        tracing::info!(user_id, added, "editor added");
        Ok(added)
    }

    /// Takes editing away from `user_id`; false when they were not an editor added at run time.
    pub async fn remove(&self, user_id: i64) -> StoreResult<bool> {
        let removed = self.0.inner.store.remove_editor(user_id).await?;
        tracing::info!(user_id, removed, "editor removed");
        Ok(removed)
    }

    /// The editors added at run time, oldest first.
    pub async fn list(&self) -> StoreResult<Vec<EditorRecord>> {
        self.0.inner.store.editors().await
    }

    /// Whether `user_id` was added as an editor at run time.
    pub async fn is_added(&self, user_id: i64) -> StoreResult<bool> {
        self.0.inner.store.is_editor(user_id).await
    }
}
