//! Editors: people allowed to push news from the chat.

use serde::Serialize;

/// An editor added at run time (`kabar editors add`), beside the config's `editors.user_ids`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct EditorRecord {
    /// The Telegram user id.
    pub user_id: i64,
    /// A note for operators: who this is.
    pub name: Option<String>,
    /// Unix milliseconds.
    pub added_at: i64,
}
