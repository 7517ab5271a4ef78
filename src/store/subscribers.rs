//! The `subscribers` table: the chats that follow the channel.

use super::{Store, StoreResult, now_ms};

/// What kind of chat a subscriber is; groups have a limit of their own.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChatKind {
    Private,
    Group,
    Supergroup,
    Channel,
}

impl ChatKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ChatKind::Private => "private",
            ChatKind::Group => "group",
            ChatKind::Supergroup => "supergroup",
            ChatKind::Channel => "channel",
        }
    }

    /// Reads the stored name; anything unknown is treated as a private chat.
    pub fn parse(kind: &str) -> ChatKind {
        match kind {
            "group" => ChatKind::Group,
            "supergroup" => ChatKind::Supergroup,
            "channel" => ChatKind::Channel,
            _ => ChatKind::Private,
        }
    }

    /// Groups and supergroups are held to the per-minute group limit.
    pub fn is_group(self) -> bool {
        matches!(self, ChatKind::Group | ChatKind::Supergroup)
    }
}

/// A chat asking to subscribe.
#[derive(Debug, Clone)]
pub struct NewSubscriber {
    pub chat_id: i64,
    pub kind: ChatKind,
    pub username: Option<String>,
    pub display_name: Option<String>,
    pub language_code: Option<String>,
}

impl NewSubscriber {
    /// A private chat known only by its id, as in an import from another system.
    pub fn private(chat_id: i64) -> NewSubscriber {
        NewSubscriber { chat_id, kind: ChatKind::Private, username: None, display_name: None, language_code: None }
    }
}

/// What `/start` did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SubscribeOutcome {
    Subscribed,
    Resubscribed,
    AlreadySubscribed,
}

impl Store {
    /// Subscribes a chat, or brings an inactive one back with its old settings.
    pub async fn subscribe(&self, chat: &NewSubscriber) -> StoreResult<SubscribeOutcome> {
        let mut tx = self.begin_write().await?;
        let previous: Option<bool> = sqlx::query_scalar("SELECT active FROM subscribers WHERE chat_id = ?1")
            .bind(chat.chat_id)
            .fetch_optional(&mut *tx)
            .await?;
        let now = now_ms();
        sqlx::query(
            "INSERT INTO subscribers (chat_id, kind, username, display_name, language_code, active,
                                      subscribed_at, updated_at)
             VALUES (?1, ?2, ?3, ?4, ?5, 1, ?6, ?6)
             ON CONFLICT (chat_id) DO UPDATE SET
                 kind = excluded.kind, username = excluded.username,
                 display_name = excluded.display_name,
                 language_code = COALESCE(excluded.language_code, subscribers.language_code),
                 active = 1, inactive_reason = NULL, updated_at = excluded.updated_at",
        )
        .bind(chat.chat_id)
        .bind(chat.kind.as_str())
        .bind(&chat.username)
        .bind(&chat.display_name)
        .bind(&chat.language_code)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(match previous {
            None => SubscribeOutcome::Subscribed,
            Some(false) => SubscribeOutcome::Resubscribed,
            Some(true) => SubscribeOutcome::AlreadySubscribed,
        })
    }

    /// Adds many subscribers at once (an import from another system), skipping chats already
    /// known. Returns how many were added.
    pub async fn import_subscribers(&self, chats: &[NewSubscriber]) -> StoreResult<u64> {
        const ROWS_PER_STATEMENT: usize = 1_000;
        let now = now_ms();
        let mut tx = self.begin_write().await?;
        let mut added = 0;
        for rows in chats.chunks(ROWS_PER_STATEMENT) {
            let mut insert = sqlx::QueryBuilder::new(
                "INSERT INTO subscribers (chat_id, kind, username, display_name, language_code, active, subscribed_at, updated_at) ",
            );
            insert.push_values(rows, |mut row, chat| {
                row.push_bind(chat.chat_id)
                    .push_bind(chat.kind.as_str())
                    .push_bind(&chat.username)
                    .push_bind(&chat.display_name)
                    .push_bind(&chat.language_code)
                    .push_bind(true)
                    .push_bind(now)
                    .push_bind(now);
            });
            insert.push(" ON CONFLICT (chat_id) DO NOTHING");
            added += insert.build().execute(&mut *tx).await?.rows_affected();
        }
        tx.commit().await?;
        Ok(added)
    }

    /// Marks a chat inactive for `reason` ('stopped', 'blocked', ...); true when it was active.
    pub async fn deactivate_chat(&self, chat_id: i64, reason: &str) -> StoreResult<bool> {
        let changed = sqlx::query(
            "UPDATE subscribers SET active = 0, inactive_reason = ?2, updated_at = ?3
             WHERE chat_id = ?1 AND active = 1",
        )
        .bind(chat_id)
        .bind(reason)
        .bind(now_ms())
        .execute(&self.pool)
        .await?;
        Ok(changed.rows_affected() > 0)
    }

    /// Whether a chat is an active subscriber.
    pub async fn is_active_subscriber(&self, chat_id: i64) -> StoreResult<bool> {
        let active: Option<bool> = sqlx::query_scalar("SELECT active FROM subscribers WHERE chat_id = ?1")
            .bind(chat_id)
            .fetch_optional(&self.pool)
            .await?;
        Ok(active == Some(true))
    }

    /// How many chats currently receive pushes.
    pub async fn count_active_subscribers(&self) -> StoreResult<i64> {
        sqlx::query_scalar("SELECT COUNT(*) FROM subscribers WHERE active = 1").fetch_one(&self.pool).await
    }
}
