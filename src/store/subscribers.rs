//! The `subscribers` table: every chat that follows kabar, on any platform, with its settings,
//! and its keyword filters.

use super::{
    ReaderDefaults, Store, StoreResult,
    outcomes::deactivate_in,
    sql::{self, Transaction},
};
use crate::domain::{
    InactiveReason, KeywordAdded, KeywordFilter, KeywordKind, Language, NewSubscriber, Preference, Recipient,
    SubscribeOutcome, Subscriber, keywords::MAX_KEYWORDS, now_ms,
};

/// The columns of [`Subscriber`], for every query that reads one.
pub(super) const SUBSCRIBER_COLUMNS: &str = "s.id, s.platform, s.address, s.kind, s.display_name, s.active,
     s.inactive_reason, s.language, s.all_channels, s.delivery_mode, s.quiet_hours, s.timezone, s.breaking_instant,
     s.added_by";

impl Store {
    /// Subscribes a chat, or brings an inactive one back with its old settings.
    pub async fn subscribe(&self, chat: &NewSubscriber) -> StoreResult<SubscribeOutcome> {
        let mut tx = self.begin_write().await?;
        let previous: Option<(bool, Option<InactiveReason>)> =
            sql::query_as("SELECT active, inactive_reason FROM subscribers WHERE platform = $1 AND address = $2")
                .bind(chat.recipient.platform)
                .bind(&chat.recipient.address)
                .fetch_optional(&mut tx)
                .await?;
        let id = upsert_chat(&mut tx, chat, &self.defaults, true).await?;
        if previous.is_none() {
            super::channels::follow_defaults(&mut tx, id).await?;
        }
        tx.commit().await?;
        Ok(match previous {
            None | Some((false, Some(InactiveReason::Pending))) => SubscribeOutcome::Subscribed,
            Some((false, _)) => SubscribeOutcome::Resubscribed,
            Some((true, _)) => SubscribeOutcome::AlreadySubscribed,
        })
    }

    /// Remembers a group or channel the bot was added to by `added_by`, not subscribed until one
    /// of its admins says so. A chat that is subscribed already stays as it is.
    pub async fn note_chat_joined(&self, chat: &NewSubscriber, added_by: i64) -> StoreResult<Subscriber> {
        let mut tx = self.begin_write().await?;
        let known: Option<i64> = sql::query_scalar("SELECT id FROM subscribers WHERE platform = $1 AND address = $2")
            .bind(chat.recipient.platform)
            .bind(&chat.recipient.address)
            .fetch_optional(&mut tx)
            .await?;
        let id = match known {
            Some(id) => id,
            None => {
                let id = upsert_chat(&mut tx, chat, &self.defaults, false).await?;
                super::channels::follow_defaults(&mut tx, id).await?;
                id
            }
        };
        sql::query(
            "UPDATE subscribers SET added_by = $2, inactive_reason = CASE WHEN active = FALSE THEN $3 END WHERE id = $1",
        )
        .bind(id)
        .bind(added_by)
        .bind(InactiveReason::Pending)
        .execute(&mut tx)
        .await?;
        let subscriber = sql::query_as(&format!("SELECT {SUBSCRIBER_COLUMNS} FROM subscribers s WHERE id = $1"))
            .bind(id)
            .fetch_one(&mut tx)
            .await?;
        tx.commit().await?;
        Ok(subscriber)
    }

    /// A chat's subscriber row with its preferences, active or not.
    pub async fn subscriber(&self, recipient: &Recipient) -> StoreResult<Option<Subscriber>> {
        sql::query_as(&format!("SELECT {SUBSCRIBER_COLUMNS} FROM subscribers s WHERE platform = $1 AND address = $2"))
            .bind(recipient.platform)
            .bind(&recipient.address)
            .fetch_optional(&self.pool)
            .await
    }

    /// Changes one preference.
    pub async fn set_preference(&self, subscriber_id: i64, preference: &Preference) -> StoreResult<()> {
        let set = match preference {
            Preference::Language(_) => "language = $2, language_chosen = TRUE",
            Preference::Mode(_) => "delivery_mode = $2",
            Preference::QuietHours(_) => "quiet_hours = $2",
            Preference::Zone(_) => "timezone = $2",
            Preference::BreakingInstant(_) => "breaking_instant = $2",
        };
        let statement = format!("UPDATE subscribers SET {set}, updated_at = $3 WHERE id = $1");
        let update = sql::query(&statement).bind(subscriber_id);
        let update = match preference {
            Preference::Language(language) => update.bind(*language),
            Preference::Mode(mode) => update.bind(mode.as_stored()),
            Preference::QuietHours(quiet) => update.bind(quiet.as_ref().map(|quiet| quiet.as_stored())),
            Preference::Zone(zone) => update.bind(zone.name().to_owned()),
            Preference::BreakingInstant(instant) => update.bind(*instant),
        };
        update.bind(now_ms()).execute(&self.pool).await.map(|_| ())
    }

    /// A subscriber's include and exclude words, each list in the order added.
    pub async fn keywords(&self, subscriber_id: i64) -> StoreResult<KeywordFilter> {
        let rows: Vec<(KeywordKind, String)> =
            sql::query_as("SELECT kind, keyword FROM keyword_filters WHERE subscriber_id = $1 ORDER BY kind, keyword")
                .bind(subscriber_id)
                .fetch_all(&self.pool)
                .await?;
        Ok(KeywordFilter::from_rows(rows))
    }

    /// Adds a folded keyword, within [`MAX_KEYWORDS`] per subscriber.
    pub async fn add_keyword(&self, subscriber_id: i64, kind: KeywordKind, keyword: &str) -> StoreResult<KeywordAdded> {
        let mut tx = self.begin_write().await?;
        let count: i64 = sql::query_scalar("SELECT COUNT(*) FROM keyword_filters WHERE subscriber_id = $1")
            .bind(subscriber_id)
            .fetch_one(&mut tx)
            .await?;
        if count as usize >= MAX_KEYWORDS {
            return Ok(KeywordAdded::TooMany);
        }
        let inserted = sql::query(
            "INSERT INTO keyword_filters (subscriber_id, kind, keyword) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
        )
        .bind(subscriber_id)
        .bind(kind)
        .bind(keyword)
        .execute(&mut tx)
        .await?;
        mark_filters(&mut tx, subscriber_id).await?;
        tx.commit().await?;
        Ok(if inserted > 0 { KeywordAdded::Added } else { KeywordAdded::AlreadyThere })
    }

    /// Removes one keyword (`Some`) or all of them (`None`); returns how many went.
    pub async fn remove_keywords(&self, subscriber_id: i64, keyword: Option<&str>) -> StoreResult<u64> {
        let mut tx = self.begin_write().await?;
        let removed =
            sql::query("DELETE FROM keyword_filters WHERE subscriber_id = $1 AND ($2 IS NULL OR keyword = $2)")
                .bind(subscriber_id)
                .bind(keyword)
                .execute(&mut tx)
                .await?;
        mark_filters(&mut tx, subscriber_id).await?;
        tx.commit().await?;
        Ok(removed)
    }

    /// Adds many subscribers at once (an import from another system), skipping chats already
    /// known. Returns how many were added.
    pub async fn import_subscribers(&self, chats: &[NewSubscriber]) -> StoreResult<u64> {
        const ROWS_PER_STATEMENT: usize = 1_000;
        let now = now_ms();
        let mut tx = self.begin_write().await?;
        let mut added = 0;
        for rows in chats.chunks(ROWS_PER_STATEMENT) {
            let statement = format!(
                "INSERT INTO subscribers (platform, address, kind, username, display_name, app_language, active,
                                          subscribed_at, updated_at)
                 VALUES {} ON CONFLICT (platform, address) DO NOTHING",
                sql::values(9, rows.len())
            );
            let mut insert = sql::query(&statement);
            for chat in rows {
                insert = insert
                    .bind(chat.recipient.platform)
                    .bind(&chat.recipient.address)
                    .bind(chat.kind)
                    .bind(&chat.username)
                    .bind(&chat.display_name)
                    .bind(&chat.app_language)
                    .bind(true)
                    .bind(now)
                    .bind(now);
            }
            added += insert.execute(&mut tx).await?;
        }
        tx.commit().await?;
        Ok(added)
    }

    /// Marks a chat inactive for `reason`; true when it was active.
    pub async fn deactivate(&self, recipient: &Recipient, reason: InactiveReason) -> StoreResult<bool> {
        let mut tx = self.begin_write().await?;
        let changed = deactivate_in(&mut tx, recipient, reason).await?;
        tx.commit().await?;
        Ok(changed)
    }

    /// Whether a chat is an active subscriber.
    pub async fn is_active_subscriber(&self, recipient: &Recipient) -> StoreResult<bool> {
        let active: Option<bool> =
            sql::query_scalar("SELECT active FROM subscribers WHERE platform = $1 AND address = $2")
                .bind(recipient.platform)
                .bind(&recipient.address)
                .fetch_optional(&self.pool)
                .await?;
        Ok(active == Some(true))
    }

    /// How many chats currently receive pushes.
    pub async fn count_active_subscribers(&self) -> StoreResult<i64> {
        sql::query_scalar("SELECT COUNT(*) FROM subscribers WHERE active = TRUE").fetch_one(&self.pool).await
    }
}

/// Inserts or refreshes a chat's row and returns its id. `activate` subscribes it; otherwise a
/// new row waits inactive ([`InactiveReason::Pending`]). A language the reader chose is never
/// overwritten by their app's.
async fn upsert_chat(
    tx: &mut Transaction,
    chat: &NewSubscriber,
    defaults: &ReaderDefaults,
    activate: bool,
) -> StoreResult<i64> {
    let language = Language::for_app_language(chat.app_language.as_deref(), defaults.language);
    sql::query_scalar(
        "INSERT INTO subscribers (platform, address, kind, username, display_name, app_language, language, active,
                                  inactive_reason, subscribed_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, CASE WHEN $8 THEN NULL ELSE $10 END, $9, $9)
         ON CONFLICT (platform, address) DO UPDATE SET
             kind = excluded.kind, username = COALESCE(excluded.username, subscribers.username),
             display_name = COALESCE(excluded.display_name, subscribers.display_name),
             app_language = COALESCE(excluded.app_language, subscribers.app_language),
             language = CASE WHEN subscribers.language_chosen = TRUE OR excluded.app_language IS NULL
                             THEN COALESCE(subscribers.language, excluded.language) ELSE excluded.language END,
             active = CASE WHEN $8 THEN TRUE ELSE subscribers.active END,
             inactive_reason = CASE WHEN $8 THEN NULL ELSE subscribers.inactive_reason END,
             updated_at = excluded.updated_at
         RETURNING id",
    )
    .bind(chat.recipient.platform)
    .bind(&chat.recipient.address)
    .bind(chat.kind)
    .bind(&chat.username)
    .bind(&chat.display_name)
    .bind(&chat.app_language)
    .bind(language)
    .bind(activate)
    .bind(now_ms())
    .bind(InactiveReason::Pending)
    .fetch_one(&mut *tx)
    .await
}

/// Keeps `has_filters` true exactly when the subscriber has keywords, so that fan-out sends the
/// many subscribers without any straight to the outbox.
async fn mark_filters(tx: &mut Transaction, subscriber_id: i64) -> StoreResult<()> {
    sql::query(
        "UPDATE subscribers SET has_filters = EXISTS (SELECT 1 FROM keyword_filters WHERE subscriber_id = $1)
         WHERE id = $1",
    )
    .bind(subscriber_id)
    .execute(&mut *tx)
    .await
    .map(|_| ())
}
