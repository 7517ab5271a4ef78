//! The `subscribers` table: the chats that follow the channel, with each one's preferences.

use sqlx::FromRow;

use super::{Store, StoreResult, channels::follow_defaults, now_ms};
use crate::audience::{
    keywords::{KeywordFilter, MAX_KEYWORDS},
    schedule::{DeliveryMode, QuietHours, Schedule, parse_zone},
};

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

/// A subscriber with its preferences.
#[derive(Debug, Clone, FromRow)]
pub struct Subscriber {
    pub id: i64,
    pub chat_id: i64,
    /// The stored [`ChatKind`]; see [`Subscriber::chat_kind`].
    pub kind: String,
    pub display_name: Option<String>,
    pub active: bool,
    pub inactive_reason: Option<String>,
    /// 'en' or 'id'; None for chats imported without one.
    pub language: Option<String>,
    /// Follows every channel, including ones added later.
    pub all_channels: bool,
    /// The stored [`DeliveryMode`].
    pub delivery_mode: String,
    /// The stored [`QuietHours`].
    pub quiet_hours: Option<String>,
    /// An IANA zone name; None for the operator's default.
    pub timezone: Option<String>,
    pub breaking_instant: bool,
    /// For a group or channel: the Telegram user who added the bot.
    pub added_by: Option<i64>,
}

impl Subscriber {
    pub fn chat_kind(&self) -> ChatKind {
        ChatKind::parse(&self.kind)
    }

    /// When this subscriber gets its news; `default_zone` when it chose no zone.
    pub fn schedule(&self, default_zone: chrono_tz::Tz) -> Schedule {
        Schedule {
            mode: DeliveryMode::from_stored(&self.delivery_mode).unwrap_or(DeliveryMode::Instant),
            quiet: self.quiet_hours.as_deref().and_then(QuietHours::from_stored),
            zone: self.timezone.as_deref().and_then(|zone| parse_zone(zone).ok()).unwrap_or(default_zone),
            breaking_instant: self.breaking_instant,
        }
    }
}

/// One preference a subscriber can change.
#[derive(Debug, Clone)]
pub enum Preference {
    /// Chosen with /lang: kept even when the Telegram app's language changes.
    Language(&'static str),
    Mode(DeliveryMode),
    QuietHours(Option<QuietHours>),
    Zone(chrono_tz::Tz),
    BreakingInstant(bool),
}

/// Include or exclude.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeywordKind {
    Include,
    Exclude,
}

impl KeywordKind {
    fn as_str(self) -> &'static str {
        match self {
            KeywordKind::Include => "include",
            KeywordKind::Exclude => "exclude",
        }
    }
}

/// What adding a keyword did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeywordAdded {
    Added,
    AlreadyThere,
    /// The reader has [`MAX_KEYWORDS`] already.
    TooMany,
}

/// The columns of [`Subscriber`], for every query that reads one.
pub(super) const SUBSCRIBER_COLUMNS: &str = "s.id, s.chat_id, s.kind, s.display_name, s.active, s.inactive_reason,
     s.language, s.all_channels, s.delivery_mode, s.quiet_hours, s.timezone, s.breaking_instant, s.added_by";

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
        let previous: Option<(bool, Option<String>)> =
            sqlx::query_as("SELECT active, inactive_reason FROM subscribers WHERE chat_id = ?1")
                .bind(chat.chat_id)
                .fetch_optional(&mut *tx)
                .await?;
        let id = upsert_chat(&mut tx, chat, &self.defaults, true).await?;
        if previous.is_none() {
            follow_defaults(&mut tx, id).await?;
        }
        tx.commit().await?;
        Ok(match previous {
            None => SubscribeOutcome::Subscribed,
            Some((false, reason)) if reason.as_deref() == Some(PENDING) => SubscribeOutcome::Subscribed,
            Some((false, _)) => SubscribeOutcome::Resubscribed,
            Some((true, _)) => SubscribeOutcome::AlreadySubscribed,
        })
    }

    /// Remembers a group or channel the bot was added to by `added_by`, not subscribed until one
    /// of its admins says so. A chat that is subscribed already stays as it is.
    pub async fn note_chat_joined(&self, chat: &NewSubscriber, added_by: i64) -> StoreResult<Subscriber> {
        let mut tx = self.begin_write().await?;
        let known: Option<i64> = sqlx::query_scalar("SELECT id FROM subscribers WHERE chat_id = ?1")
            .bind(chat.chat_id)
            .fetch_optional(&mut *tx)
            .await?;
        let id = match known {
            Some(id) => id,
            None => {
                let id = upsert_chat(&mut tx, chat, &self.defaults, false).await?;
                follow_defaults(&mut tx, id).await?;
                id
            }
        };
        sqlx::query(
            "UPDATE subscribers SET added_by = ?2, inactive_reason = CASE WHEN active = 0 THEN ?3 END WHERE id = ?1",
        )
        .bind(id)
        .bind(added_by)
        .bind(PENDING)
        .execute(&mut *tx)
        .await?;
        let subscriber = sqlx::query_as(&format!("SELECT {SUBSCRIBER_COLUMNS} FROM subscribers s WHERE id = ?1"))
            .bind(id)
            .fetch_one(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(subscriber)
    }

    /// A chat's subscriber row with its preferences, active or not.
    pub async fn subscriber(&self, chat_id: i64) -> StoreResult<Option<Subscriber>> {
        sqlx::query_as(&format!("SELECT {SUBSCRIBER_COLUMNS} FROM subscribers s WHERE chat_id = ?1"))
            .bind(chat_id)
            .fetch_optional(&self.pool)
            .await
    }

    /// Changes one preference.
    pub async fn set_preference(&self, subscriber_id: i64, preference: &Preference) -> StoreResult<()> {
        let (sql, value): (&str, Option<String>) = match preference {
            Preference::Language(language) => ("language = ?2, language_chosen = 1", Some((*language).to_owned())),
            Preference::Mode(mode) => ("delivery_mode = ?2", Some(mode.as_stored())),
            Preference::QuietHours(quiet) => ("quiet_hours = ?2", quiet.as_ref().map(QuietHours::as_stored)),
            Preference::Zone(zone) => ("timezone = ?2", Some(zone.name().to_owned())),
            Preference::BreakingInstant(instant) => ("breaking_instant = ?2", Some(u8::from(*instant).to_string())),
        };
        sqlx::query(&format!("UPDATE subscribers SET {sql}, updated_at = ?3 WHERE id = ?1"))
            .bind(subscriber_id)
            .bind(value)
            .bind(now_ms())
            .execute(&self.pool)
            .await
            .map(|_| ())
    }

    /// A subscriber's include and exclude words, each list in the order added.
    pub async fn keywords(&self, subscriber_id: i64) -> StoreResult<KeywordFilter> {
        let rows: Vec<(String, String)> =
            sqlx::query_as("SELECT kind, keyword FROM keyword_filters WHERE subscriber_id = ?1 ORDER BY kind, keyword")
                .bind(subscriber_id)
                .fetch_all(&self.pool)
                .await?;
        Ok(filter_of_rows(rows))
    }

    /// Adds a folded keyword, within [`MAX_KEYWORDS`] per subscriber.
    pub async fn add_keyword(&self, subscriber_id: i64, kind: KeywordKind, keyword: &str) -> StoreResult<KeywordAdded> {
        let mut tx = self.begin_write().await?;
        let count: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM keyword_filters WHERE subscriber_id = ?1")
            .bind(subscriber_id)
            .fetch_one(&mut *tx)
            .await?;
        if count as usize >= MAX_KEYWORDS {
            return Ok(KeywordAdded::TooMany);
        }
        let inserted =
            sqlx::query("INSERT OR IGNORE INTO keyword_filters (subscriber_id, kind, keyword) VALUES (?1, ?2, ?3)")
                .bind(subscriber_id)
                .bind(kind.as_str())
                .bind(keyword)
                .execute(&mut *tx)
                .await?;
        mark_filters(&mut tx, subscriber_id).await?;
        tx.commit().await?;
        Ok(if inserted.rows_affected() > 0 { KeywordAdded::Added } else { KeywordAdded::AlreadyThere })
    }

    /// Removes one keyword (`Some`) or all of them (`None`); returns how many went.
    pub async fn remove_keywords(&self, subscriber_id: i64, keyword: Option<&str>) -> StoreResult<u64> {
        let mut tx = self.begin_write().await?;
        let removed =
            sqlx::query("DELETE FROM keyword_filters WHERE subscriber_id = ?1 AND (?2 IS NULL OR keyword = ?2)")
                .bind(subscriber_id)
                .bind(keyword)
                .execute(&mut *tx)
                .await?;
        mark_filters(&mut tx, subscriber_id).await?;
        tx.commit().await?;
        Ok(removed.rows_affected())
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

/// The `inactive_reason` of a group or channel the bot was added to but nobody subscribed yet.
pub const PENDING: &str = "pending";

/// Inserts or refreshes a chat's row and returns its id. `activate` subscribes it; otherwise a
/// new row waits inactive ([`PENDING`]). A language chosen with /lang is never overwritten.
async fn upsert_chat(
    tx: &mut sqlx::Transaction<'_, sqlx::Sqlite>,
    chat: &NewSubscriber,
    defaults: &super::ReaderDefaults,
    activate: bool,
) -> StoreResult<i64> {
    let language = crate::locale::language_for(chat.language_code.as_deref(), defaults.language);
    sqlx::query_scalar(
        "INSERT INTO subscribers (chat_id, kind, username, display_name, language_code, language, active,
                                  inactive_reason, subscribed_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, CASE WHEN ?7 THEN NULL ELSE ?9 END, ?8, ?8)
         ON CONFLICT (chat_id) DO UPDATE SET
             kind = excluded.kind, username = COALESCE(excluded.username, subscribers.username),
             display_name = COALESCE(excluded.display_name, subscribers.display_name),
             language_code = COALESCE(excluded.language_code, subscribers.language_code),
             language = CASE WHEN subscribers.language_chosen = 1 OR excluded.language_code IS NULL
                             THEN COALESCE(subscribers.language, excluded.language) ELSE excluded.language END,
             active = CASE WHEN ?7 THEN 1 ELSE subscribers.active END,
             inactive_reason = CASE WHEN ?7 THEN NULL ELSE subscribers.inactive_reason END,
             updated_at = excluded.updated_at
         RETURNING id",
    )
    .bind(chat.chat_id)
    .bind(chat.kind.as_str())
    .bind(&chat.username)
    .bind(&chat.display_name)
    .bind(&chat.language_code)
    .bind(language)
    .bind(activate)
    .bind(now_ms())
    .bind(PENDING)
    .fetch_one(&mut **tx)
    .await
}

/// Keeps `has_filters` true exactly when the subscriber has keywords, so that fan-out sends the
/// many subscribers without any straight to the outbox.
async fn mark_filters(tx: &mut sqlx::Transaction<'_, sqlx::Sqlite>, subscriber_id: i64) -> StoreResult<()> {
    sqlx::query(
        "UPDATE subscribers SET has_filters = EXISTS (SELECT 1 FROM keyword_filters WHERE subscriber_id = ?1)
         WHERE id = ?1",
    )
    .bind(subscriber_id)
    .execute(&mut **tx)
    .await
    .map(|_| ())
}

/// (kind, keyword) rows as a filter.
pub(super) fn filter_of_rows(rows: Vec<(String, String)>) -> KeywordFilter {
    let (include, exclude): (Vec<_>, Vec<_>) = rows.into_iter().partition(|(kind, _)| kind == "include");
    KeywordFilter::new(include.into_iter().map(|(_, k)| k).collect(), exclude.into_iter().map(|(_, k)| k).collect())
}
