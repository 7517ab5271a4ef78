//! The `editors` table: Telegram users allowed to push breaking news, added at run time beside
//! the config's `editors.user_ids`.

use serde::Serialize;

use super::{Store, StoreResult, now_ms};

/// Telegram sends a group's anonymous admins' messages as this user ("GroupAnonymousBot"): any
/// admin of any group would look like it, so it must never be trusted as one person.
pub const ANONYMOUS_ADMIN_ID: i64 = 1_087_968_824;
/// Telegram's service notifications, and messages forwarded from a channel to its linked group.
pub const TELEGRAM_SERVICE_ID: i64 = 777_000;

/// An editor added with `kabar editors add`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct EditorRecord {
    pub user_id: i64,
    /// A note for operators: who this is.
    pub name: Option<String>,
    /// Unix milliseconds.
    pub added_at: i64,
}

/// Why an editor could not be added.
#[derive(Debug, thiserror::Error)]
pub enum EditorError {
    #[error("{user_id} cannot be an editor: {reason}")]
    Refused { user_id: i64, reason: &'static str },
    #[error(transparent)]
    Store(#[from] sqlx::Error),
}

/// Why `user_id` can never stand for one trusted person, or None when it can.
pub fn editor_refusal_reason(user_id: i64) -> Option<&'static str> {
    match user_id {
        ANONYMOUS_ADMIN_ID => Some("it is Telegram's anonymous group admin, which every anonymous admin shares"),
        TELEGRAM_SERVICE_ID => Some("it is Telegram's service account, which also posts channel forwards"),
        id if id <= 0 => Some("Telegram user ids are positive (negative ids are groups and channels)"),
        _ => None,
    }
}

impl Store {
    /// Makes `user_id` an editor, or renames one; true when they were not an editor before.
    pub async fn add_editor(&self, user_id: i64, name: Option<&str>) -> Result<bool, EditorError> {
        if let Some(reason) = editor_refusal_reason(user_id) {
            return Err(EditorError::Refused { user_id, reason });
        }
        let mut tx = self.begin_write().await?;
        let known = sqlx::query_scalar::<_, i64>("SELECT user_id FROM editors WHERE user_id = ?1")
            .bind(user_id)
            .fetch_optional(&mut *tx)
            .await?
            .is_some();
        sqlx::query(
            "INSERT INTO editors (user_id, name, added_at) VALUES (?1, ?2, ?3)
             ON CONFLICT (user_id) DO UPDATE SET name = COALESCE(excluded.name, editors.name)",
        )
        .bind(user_id)
        .bind(name)
        .bind(now_ms())
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(!known)
    }

    /// Takes editing away from `user_id`; false when they were not in the table.
    pub async fn remove_editor(&self, user_id: i64) -> StoreResult<bool> {
        let removed = sqlx::query("DELETE FROM editors WHERE user_id = ?1").bind(user_id).execute(&self.pool).await?;
        Ok(removed.rows_affected() > 0)
    }

    /// The editors added at run time, oldest first (the config's are not in the table).
    pub async fn editors(&self) -> StoreResult<Vec<EditorRecord>> {
        sqlx::query_as("SELECT user_id, name, added_at FROM editors ORDER BY added_at, user_id")
            .fetch_all(&self.pool)
            .await
    }

    /// Whether `user_id` was added as an editor at run time. The config's `editors.user_ids` are
    /// not consulted here; callers check both.
    pub async fn is_editor(&self, user_id: i64) -> StoreResult<bool> {
        // A shared id must not pass even if a row for it was written by hand.
        if editor_refusal_reason(user_id).is_some() {
            return Ok(false);
        }
        let found: Option<i64> = sqlx::query_scalar("SELECT user_id FROM editors WHERE user_id = ?1")
            .bind(user_id)
            .fetch_optional(&self.pool)
            .await?;
        Ok(found.is_some())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::test_store;

    #[tokio::test]
    async fn an_added_editor_is_an_editor_until_removed() {
        let (store, _dir) = test_store().await;
        assert!(!store.is_editor(42).await.unwrap());
        assert!(store.add_editor(42, Some("Sari")).await.unwrap(), "new the first time");
        assert!(store.is_editor(42).await.unwrap());
        assert!(!store.is_editor(43).await.unwrap(), "only the one added");
        assert!(store.remove_editor(42).await.unwrap());
        assert!(!store.is_editor(42).await.unwrap());
        assert!(!store.remove_editor(42).await.unwrap(), "nothing left to remove");
    }

    #[tokio::test]
    async fn adding_an_editor_again_renames_them_and_keeps_one_row() {
        let (store, _dir) = test_store().await;
        store.add_editor(42, Some("Sari")).await.unwrap();
        assert!(!store.add_editor(42, Some("Sari W.")).await.unwrap(), "not new the second time");
        store.add_editor(42, None).await.unwrap();
        let editors = store.editors().await.unwrap();
        assert_eq!(editors.len(), 1);
        assert_eq!(editors[0].name.as_deref(), Some("Sari W."), "adding without a name keeps the old one");
    }

    #[tokio::test]
    async fn shared_telegram_ids_and_non_users_are_refused() {
        let (store, _dir) = test_store().await;
        for id in [ANONYMOUS_ADMIN_ID, TELEGRAM_SERVICE_ID, 0, -1_001_234_567_890] {
            let refused = store.add_editor(id, None).await;
            assert!(matches!(refused, Err(EditorError::Refused { .. })), "{id} was accepted");
        }
        assert!(store.editors().await.unwrap().is_empty());
    }

    #[tokio::test]
    async fn a_shared_id_written_by_hand_is_still_no_editor() {
        let (store, _dir) = test_store().await;
        sqlx::query("INSERT INTO editors (user_id, added_at) VALUES (?1, 0)")
            .bind(ANONYMOUS_ADMIN_ID)
            .execute(store.pool())
            .await
            .unwrap();
        assert!(!store.is_editor(ANONYMOUS_ADMIN_ID).await.unwrap());
    }
}
