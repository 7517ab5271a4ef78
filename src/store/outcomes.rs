//! Recording what happened to claimed deliveries, in batches, and what follows from it for their
//! subscribers: a chat that is gone becomes inactive, a chat that moved is followed to its new
//! address.

use super::{
    Store, StoreResult,
    sql::{self, Transaction},
};
use crate::domain::{
    ChatKind, DeliveryOutcome, DeliveryStatus, FailureReason, InactiveReason, OutcomeKind, Recipient, now_ms,
};

impl Store {
    /// Records a batch of outcomes in one transaction.
    pub async fn record_outcomes(&self, outcomes: &[DeliveryOutcome]) -> StoreResult<()> {
        if outcomes.is_empty() {
            return Ok(());
        }
        let mut tx = self.begin_write().await?;
        for outcome in outcomes {
            record_outcome(&mut tx, outcome).await?;
        }
        tx.commit().await
    }

    /// Makes every claimed delivery due at once. Only for start-up, when no other worker can
    /// hold a claim: what a crashed process had in flight is sent again without waiting out its
    /// lease. Returns how many were released.
    pub async fn release_claims(&self) -> StoreResult<u64> {
        let released = sql::query(
            "UPDATE deliveries SET due_at = $1, claimed_at = NULL WHERE status = $2 AND claimed_at IS NOT NULL",
        )
        .bind(now_ms())
        .bind(DeliveryStatus::Pending)
        .execute(&self.pool)
        .await?;
        Ok(released)
    }

    /// Moves a chat's subscription to its new address on the same platform (see
    /// `move_recipient`).
    pub async fn move_recipient(&self, recipient: &Recipient, new_address: &str, kind: ChatKind) -> StoreResult<()> {
        let mut tx = self.begin_write().await?;
        move_recipient(&mut tx, recipient, new_address, kind).await?;
        tx.commit().await
    }
}

async fn record_outcome(tx: &mut Transaction, outcome: &DeliveryOutcome) -> StoreResult<()> {
    let id = outcome.delivery_id;
    let now = now_ms();
    match &outcome.kind {
        OutcomeKind::Sent { message_id } => {
            sql::query(
                "UPDATE deliveries SET claimed_at = NULL, status = $4, attempts = attempts + 1, message_id = $2,
                     sent_at = $3, last_error = NULL
                 WHERE id = $1",
            )
            .bind(id)
            .bind(message_id)
            .bind(now)
            .bind(DeliveryStatus::Sent)
            .execute(&mut *tx)
            .await?;
        }
        OutcomeKind::Deferred { due_at } => {
            sql::query("UPDATE deliveries SET claimed_at = NULL, due_at = $2 WHERE id = $1 AND status = $3")
                .bind(id)
                .bind(due_at)
                .bind(DeliveryStatus::Pending)
                .execute(&mut *tx)
                .await?;
        }
        OutcomeKind::Retry { due_at, error } => retry(tx, id, *due_at, error).await?,
        OutcomeKind::Failed { reason, error } => fail(tx, id, *reason, error).await?,
        OutcomeKind::ChatGone { recipient, reason } => {
            deactivate_in(tx, recipient, *reason).await?;
            let error = format!("the chat is gone: {reason}");
            fail(tx, id, FailureReason::ChatGone(*reason), &error).await?;
        }
        OutcomeKind::Readdressed { recipient, new_address, kind } => {
            move_recipient(tx, recipient, new_address, *kind).await?;
            let error = format!("the chat moved to {new_address}");
            retry(tx, id, now, &error).await?;
        }
    }
    Ok(())
}

async fn retry(tx: &mut Transaction, id: i64, due_at: i64, error: &str) -> StoreResult<()> {
    sql::query(
        "UPDATE deliveries SET claimed_at = NULL, attempts = attempts + 1, due_at = $2, last_error = $3
         WHERE id = $1 AND status = $4",
    )
    .bind(id)
    .bind(due_at)
    .bind(error)
    .bind(DeliveryStatus::Pending)
    .execute(&mut *tx)
    .await
    .map(|_| ())
}

async fn fail(tx: &mut Transaction, id: i64, reason: FailureReason, error: &str) -> StoreResult<()> {
    sql::query(
        "UPDATE deliveries SET claimed_at = NULL, status = $2, attempts = attempts + 1, failure_reason = $3,
             last_error = $4
         WHERE id = $1",
    )
    .bind(id)
    .bind(DeliveryStatus::Failed)
    .bind(reason)
    .bind(error)
    .execute(&mut *tx)
    .await
    .map(|_| ())
}

/// Marks a chat inactive for `reason`, in a transaction the caller commits; true when it was active.
pub(super) async fn deactivate_in(
    tx: &mut Transaction,
    recipient: &Recipient,
    reason: InactiveReason,
) -> StoreResult<bool> {
    let changed = sql::query(
        "UPDATE subscribers SET active = FALSE, inactive_reason = $3, updated_at = $4
         WHERE platform = $1 AND address = $2 AND active = TRUE",
    )
    .bind(recipient.platform)
    .bind(&recipient.address)
    .bind(reason)
    .bind(now_ms())
    .execute(&mut *tx)
    .await?;
    Ok(changed > 0)
}

/// Moves a subscriber to the address its chat moved to, settings and all. When the new address
/// is already subscribed on its own, the old row is retired instead, so the chat is never served
/// twice; an inactive row there (the bot's "joined" note for the new chat) gives way.
async fn move_recipient(
    tx: &mut Transaction,
    recipient: &Recipient,
    new_address: &str,
    kind: ChatKind,
) -> StoreResult<()> {
    sql::query("DELETE FROM subscribers WHERE platform = $1 AND address = $2 AND active = FALSE")
        .bind(recipient.platform)
        .bind(new_address)
        .execute(&mut *tx)
        .await?;
    let taken: Option<i64> = sql::query_scalar("SELECT id FROM subscribers WHERE platform = $1 AND address = $2")
        .bind(recipient.platform)
        .bind(new_address)
        .fetch_optional(&mut *tx)
        .await?;
    if taken.is_some() {
        sql::query(
            "UPDATE subscribers SET active = FALSE, inactive_reason = $3, updated_at = $4 WHERE platform = $1 AND address = $2",
        )
        .bind(recipient.platform)
        .bind(&recipient.address)
        .bind(InactiveReason::Migrated)
        .bind(now_ms())
        .execute(&mut *tx)
        .await?;
    } else {
        sql::query(
            "UPDATE subscribers SET address = $3, kind = $4, updated_at = $5 WHERE platform = $1 AND address = $2",
        )
        .bind(recipient.platform)
        .bind(&recipient.address)
        .bind(new_address)
        .bind(kind)
        .bind(now_ms())
        .execute(&mut *tx)
        .await?;
    }
    Ok(())
}
