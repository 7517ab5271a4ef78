//! The `editors` table: Telegram users allowed to push breaking news, added at run time beside
//! the config's `editors.user_ids`. Which ids may never be editors is Telegram's rule, checked by
//! the Telegram side before a user id reaches this table and again when one is read.

use super::{Store, StoreResult, sql};
use crate::domain::{EditorRecord, now_ms};

impl Store {
    /// Makes `user_id` an editor, or renames one; true when they were not an editor before.
    pub async fn add_editor(&self, user_id: i64, name: Option<&str>) -> StoreResult<bool> {
        let mut tx = self.begin_write().await?;
        let known = sql::query_scalar::<i64>("SELECT user_id FROM editors WHERE user_id = $1")
            .bind(user_id)
            .fetch_optional(&mut tx)
            .await?
            .is_some();
        sql::query(
            "INSERT INTO editors (user_id, name, added_at) VALUES ($1, $2, $3)
             ON CONFLICT (user_id) DO UPDATE SET name = COALESCE(excluded.name, editors.name)",
        )
        .bind(user_id)
        .bind(name)
        .bind(now_ms())
        .execute(&mut tx)
        .await?;
        tx.commit().await?;
        Ok(!known)
    }

    /// Takes editing away from `user_id`; false when they were not in the table.
    pub async fn remove_editor(&self, user_id: i64) -> StoreResult<bool> {
        let removed = sql::query("DELETE FROM editors WHERE user_id = $1").bind(user_id).execute(&self.pool).await?;
        Ok(removed > 0)
    }

    /// The editors added at run time, oldest first (the config's are not in the table).
    pub async fn editors(&self) -> StoreResult<Vec<EditorRecord>> {
        sql::query_as("SELECT user_id, name, added_at FROM editors ORDER BY added_at, user_id")
            .fetch_all(&self.pool)
            .await
    }

    /// Whether `user_id` was added as an editor at run time. The config's `editors.user_ids` are
    /// not consulted here; callers check both.
    pub async fn is_editor(&self, user_id: i64) -> StoreResult<bool> {
        let found: Option<i64> = sql::query_scalar("SELECT user_id FROM editors WHERE user_id = $1")
            .bind(user_id)
            .fetch_optional(&self.pool)
            .await?;
        Ok(found.is_some())
    }
}

#[cfg(test)]
mod tests {
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
}
