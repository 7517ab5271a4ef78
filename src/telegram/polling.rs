//! Running the bot by long polling: reach the Bot API, register the command menu, then ask
//! getUpdates for updates and store each batch before asking for the next (the next request's
//! offset is what tells Telegram the batch arrived), while [`super::inbox`] handles what is
//! stored. When the storage fails, the offset stays: Telegram keeps the updates (for a day) and
//! sends them again once they can be stored, so nothing a reader sends during a fault is lost.

use std::{
    sync::{
        Arc,
        atomic::{AtomicBool, Ordering},
    },
    time::Duration,
};

use teloxide::{prelude::*, types::Me};
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

use super::{BotContext, WANTED_UPDATES, inbox::handle_stored_updates, register_commands};

/// How long the bot waits before trying the Bot API again.
const RETRY: Duration = Duration::from_secs(5);
/// How long updates that could not be stored wait before they are asked for again.
const RETRY_STORING: Duration = Duration::from_secs(2);

/// Runs the bot until `stop` is cancelled; `running` says whether it is listening right now.
/// A Bot API that is down at start is tried again every few seconds, and so is a getUpdates that
/// fails later (a proxy's 502 page, say): the bot never stays down.
pub async fn run(
    bot: Bot,
    context: Arc<BotContext>,
    poll_timeout_secs: u32,
    running: Arc<AtomicBool>,
    stop: CancellationToken,
) {
    let me = loop {
        if let Some(me) = reach_bot_api(&bot, &stop).await {
            break me;
        }
        tokio::select! {
            () = tokio::time::sleep(RETRY) => {}
            () = stop.cancelled() => return,
        }
    };
    if let Err(error) = register_commands(&bot, context.services.defaults().language).await {
        tracing::warn!(%error, "cannot register the command menu");
    }
    // A webhook left set would make every getUpdates fail.
    if let Err(error) = bot.delete_webhook().await {
        tracing::warn!(%error, "cannot remove a webhook; getUpdates fails while one is set");
    }
    let arrived = Notify::new();
    running.store(true, Ordering::Relaxed);
    tokio::join!(
        receive_updates(&bot, &context, poll_timeout_secs, &arrived, &stop),
        handle_stored_updates(&bot, &context, &me, &arrived, &stop),
    );
    running.store(false, Ordering::Relaxed);
}

/// Who the bot is, once getMe answers; None when kabar is stopping first.
async fn reach_bot_api(bot: &Bot, stop: &CancellationToken) -> Option<Me> {
    tokio::select! {
        me = bot.get_me() => match me {
            Ok(me) => {
                tracing::info!(username = me.username(), "connected to the Bot API");
                Some(me)
            }
            Err(error) => {
                tracing::warn!(%error, retry_in = ?RETRY, "cannot reach the Bot API");
                None
            }
        },
        () = stop.cancelled() => None,
    }
}

/// Long-polls getUpdates and stores each batch, ringing `arrived`, until `stop` is cancelled.
async fn receive_updates(
    bot: &Bot,
    context: &BotContext,
    poll_timeout_secs: u32,
    arrived: &Notify,
    stop: &CancellationToken,
) {
    let mut offset = None;
    loop {
        let mut request = bot.get_updates().timeout(poll_timeout_secs).allowed_updates(WANTED_UPDATES);
        if let Some(offset) = offset {
            request = request.offset(offset);
        }
        let polled = tokio::select! {
            polled = request.send() => polled,
            () = stop.cancelled() => return,
        };
        let pause = match polled {
            Ok(updates) => match store(context, &updates).await {
                Ok(next) => {
                    offset = next.or(offset);
                    arrived.notify_one();
                    continue;
                }
                Err(error) => {
                    context.services.health().notice(&error);
                    tracing::warn!(
                        error = format!("{error:#}"),
                        "cannot store the updates received; Telegram keeps them until they are"
                    );
                    RETRY_STORING
                }
            },
            Err(error) => {
                tracing::warn!(%error, retry_in = ?RETRY, "getUpdates failed");
                RETRY
            }
        };
        tokio::select! {
            () = tokio::time::sleep(pause) => {}
            () = stop.cancelled() => return,
        }
    }
}

/// Stores `updates` as one; the offset that acknowledges them, or None when there were none.
async fn store(context: &BotContext, updates: &[Update]) -> anyhow::Result<Option<i32>> {
    let Some(last) = updates.last() else { return Ok(None) };
    let bodies = updates
        .iter()
        .map(|update| Ok((i64::from(update.id.0), serde_json::to_string(update)?)))
        .collect::<serde_json::Result<Vec<_>>>()?;
    context.services.inbox().keep_all(&bodies).await?;
    Ok(Some((last.id.0 as i32).saturating_add(1)))
}
