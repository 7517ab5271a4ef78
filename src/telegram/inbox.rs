//! Handling the updates Telegram sent: polling and the webhook both store each update before
//! Telegram is told it arrived, and this loop handles the stored ones, then forgets each. An
//! update whose handling failed because the storage did (a full disk, a read-only file) is kept
//! and tried again a little later, so a reader's `/start` sent during the fault is answered once
//! the disk has room. A crash at any point loses no update either.
//!
//! Chats are handled side by side, each chat's updates in the order Telegram sent them, as
//! teloxide's dispatcher does.

use std::{collections::HashMap, ops::ControlFlow, sync::Arc, time::Duration};

use futures_util::future::join_all;
use teloxide::{dispatching::UpdateHandler, dptree, prelude::*, types::Me};
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

use super::{BotContext, schema};

/// Updates handled per read of the table.
const BATCH: i64 = 100;
/// How long updates held back by a storage fault wait before they are tried again.
const RETRY_AFTER_FAULT: Duration = Duration::from_secs(2);
/// How long the loop sleeps when nothing rang `arrived`.
const IDLE_CHECK: Duration = Duration::from_secs(1);

/// Handles stored updates until `stop` is cancelled; `arrived` is rung when one was stored.
pub async fn handle_stored_updates(
    bot: &Bot,
    context: &Arc<BotContext>,
    me: &Me,
    arrived: &Notify,
    stop: &CancellationToken,
) {
    let handler = schema();
    while !stop.is_cancelled() {
        let waiting = match context.services.inbox().waiting(BATCH).await {
            Ok(waiting) => waiting,
            Err(error) => {
                tracing::error!(%error, "cannot read stored updates; trying again");
                context.services.health().notice(&error.into());
                Vec::new()
            }
        };
        let pause = if waiting.is_empty() {
            IDLE_CHECK
        } else {
            let chats = by_chat(waiting);
            let handled = join_all(chats.iter().map(|updates| handle_chat(&handler, bot, context, me, updates))).await;
            if handled.contains(&Handled::HeldBack) { RETRY_AFTER_FAULT } else { continue }
        };
        tokio::select! {
            () = arrived.notified() => {}
            () = tokio::time::sleep(pause) => {}
            () = stop.cancelled() => {}
        }
    }
}

/// One stored update, read back.
struct Stored {
    update_id: i64,
    /// None when the stored body is not an update kabar can read.
    update: Option<Update>,
}

/// The stored updates grouped by chat, each group in Telegram's order; an update of no chat is a
/// group of its own.
fn by_chat(waiting: Vec<(i64, String)>) -> Vec<Vec<Stored>> {
    let mut groups: Vec<Vec<Stored>> = Vec::new();
    let mut group_of_chat: HashMap<ChatId, usize> = HashMap::new();
    for (update_id, body) in waiting {
        let update = serde_json::from_str::<Update>(&body)
            .inspect_err(|error| tracing::warn!(update_id, %error, "a stored update cannot be read; it is dropped"))
            .ok();
        let stored = Stored { update_id, update };
        match stored.update.as_ref().and_then(Update::chat).map(|chat| chat.id) {
            Some(chat) => {
                let index = *group_of_chat.entry(chat).or_insert_with(|| {
                    groups.push(Vec::new());
                    groups.len() - 1
                });
                groups[index].push(stored);
            }
            None => groups.push(vec![stored]),
        }
    }
    groups
}

#[derive(Debug, PartialEq, Eq)]
enum Handled {
    All,
    /// A storage fault stopped the chat's updates: the rest stay stored, to be tried again.
    HeldBack,
}

/// Handles one chat's updates in order, forgetting each once handled.
async fn handle_chat(
    handler: &UpdateHandler<anyhow::Error>,
    bot: &Bot,
    context: &Arc<BotContext>,
    me: &Me,
    updates: &[Stored],
) -> Handled {
    for stored in updates {
        if let Some(update) = &stored.update
            && let Err(error) = handle(handler, bot, context, me, update.clone()).await
        {
            if context.services.health().notice(&error) {
                tracing::warn!(
                    update_id = stored.update_id,
                    error = format!("{error:#}"),
                    "a chat update waits for the storage"
                );
                context.services.inbox().held_back();
                return Handled::HeldBack;
            }
            tracing::error!(update_id = stored.update_id, error = format!("{error:#}"), "a chat update failed");
        }
        if let Err(error) = context.services.inbox().handled(stored.update_id).await {
            tracing::error!(update_id = stored.update_id, %error, "cannot forget a handled update; it may be handled again");
            return Handled::HeldBack;
        }
    }
    Handled::All
}

/// Runs one update through the handler tree, as teloxide's dispatcher would.
async fn handle(
    handler: &UpdateHandler<anyhow::Error>,
    bot: &Bot,
    context: &Arc<BotContext>,
    me: &Me,
    update: Update,
) -> anyhow::Result<()> {
    let deps = dptree::deps![update, bot.clone(), context.clone(), me.clone()];
    match handler.dispatch(deps).await {
        ControlFlow::Break(result) => result,
        ControlFlow::Continue(_) => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Polling stores the updates teloxide parsed, as JSON again: they must read back the same.
    #[test]
    fn updates_read_back_as_they_were_stored() {
        let bodies = [
            r#"{"update_id":7,"message":{"message_id":3,"date":1700000000,"chat":{"id":42,"type":"private","first_name":"Ani"},"from":{"id":42,"is_bot":false,"first_name":"Ani","language_code":"id"},"text":"/start","entities":[{"type":"bot_command","offset":0,"length":6}]}}"#,
            r#"{"update_id":8,"callback_query":{"id":"9","from":{"id":42,"is_bot":false,"first_name":"Ani"},"chat_instance":"1","data":"ch:2","message":{"message_id":4,"date":1700000000,"chat":{"id":42,"type":"private","first_name":"Ani"},"text":"Channels"}}}"#,
            r#"{"update_id":9,"my_chat_member":{"chat":{"id":42,"type":"private","first_name":"Ani"},"from":{"id":42,"is_bot":false,"first_name":"Ani"},"date":1700000000,"old_chat_member":{"user":{"id":1,"is_bot":true,"first_name":"kabar"},"status":"member"},"new_chat_member":{"user":{"id":1,"is_bot":true,"first_name":"kabar"},"status":"kicked","until_date":0}}}"#,
        ];
        for body in bodies {
            let update: Update = serde_json::from_str(body).expect(body);
            let stored = serde_json::to_string(&update).unwrap();
            assert_eq!(serde_json::from_str::<Update>(&stored).unwrap(), update, "{stored}");
        }
    }

    #[test]
    fn a_chats_updates_stay_in_order_and_chats_are_apart() {
        let message = |update_id: i64, chat: i64| {
            (
                update_id,
                format!(
                    r#"{{"update_id":{update_id},"message":{{"message_id":{update_id},"date":1700000000,"chat":{{"id":{chat},"type":"private","first_name":"A"}},"text":"hi"}}}}"#
                ),
            )
        };
        let waiting = vec![message(1, 10), message(2, 20), message(3, 10), (4, "not json".to_owned())];
        let groups = by_chat(waiting);
        let ids: Vec<Vec<i64>> = groups.iter().map(|group| group.iter().map(|s| s.update_id).collect()).collect();
        assert_eq!(ids, [vec![1, 3], vec![2], vec![4]]);
        assert!(groups[2][0].update.is_none());
    }
}
