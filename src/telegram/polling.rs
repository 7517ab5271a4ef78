//! Running the bot: reach the Bot API, register the command menu, long-poll for updates through
//! the dispatcher, and start again after a failure, until told to stop.

use std::{
    sync::{
        Arc,
        atomic::{AtomicBool, Ordering},
    },
    time::Duration,
};

use teloxide::{dispatching::Dispatcher, error_handlers::LoggingErrorHandler, prelude::*, update_listeners::Polling};
use tokio_util::sync::CancellationToken;

use super::{BotContext, register_commands, schema};

/// How long the bot waits before trying the Bot API again.
const RETRY: Duration = Duration::from_secs(5);

/// Runs the bot until `stop` is cancelled; `running` says whether it is listening right now.
/// A Bot API that is down at start, or a dispatcher that fails later (its own getMe answered by
/// a proxy's 502 page, say), is tried again every few seconds: the bot never stays down.
pub async fn run(
    bot: Bot,
    context: Arc<BotContext>,
    poll_timeout_secs: u32,
    running: Arc<AtomicBool>,
    stop: CancellationToken,
) {
    while !stop.is_cancelled() {
        if reach_bot_api(&bot, &stop).await {
            if let Err(error) = register_commands(&bot, context.services.defaults().language).await {
                tracing::warn!(%error, "cannot register the command menu");
            }
            if dispatch_until_stopped(&bot, &context, poll_timeout_secs, &running, &stop).await {
                return;
            }
        }
        tokio::select! {
            () = tokio::time::sleep(RETRY) => {}
            () = stop.cancelled() => return,
        }
    }
}

/// Whether getMe answered; false when it failed or kabar is stopping.
async fn reach_bot_api(bot: &Bot, stop: &CancellationToken) -> bool {
    tokio::select! {
        me = bot.get_me() => match me {
            Ok(me) => {
                tracing::info!(username = me.username(), "connected to the Bot API");
                true
            }
            Err(error) => {
                tracing::warn!(%error, retry_in = ?RETRY, "cannot reach the Bot API");
                false
            }
        },
        () = stop.cancelled() => false,
    }
}

/// Dispatches updates until kabar stops (true) or the dispatcher fails (false).
async fn dispatch_until_stopped(
    bot: &Bot,
    context: &Arc<BotContext>,
    poll_timeout_secs: u32,
    running: &AtomicBool,
    stop: &CancellationToken,
) -> bool {
    let listener = Polling::builder(bot.clone())
        .timeout(Duration::from_secs(u64::from(poll_timeout_secs)))
        .delete_webhook()
        .await
        .build();
    let mut dispatcher = Dispatcher::builder(bot.clone(), schema())
        .dependencies(dptree::deps![context.clone()])
        .error_handler(LoggingErrorHandler::with_custom_text("a chat update failed"))
        .build();
    let token = dispatcher.shutdown_token();
    let listener_errors = LoggingErrorHandler::with_custom_text("getUpdates failed");
    let dispatching = dispatcher.try_dispatch_with_listener(listener, listener_errors);
    tokio::pin!(dispatching);
    running.store(true, Ordering::Relaxed);
    let finished = tokio::select! {
        result = &mut dispatching => Some(result),
        () = stop.cancelled() => None,
    };
    running.store(false, Ordering::Relaxed);
    match finished {
        Some(Ok(())) => stop.is_cancelled(),
        Some(Err(error)) => {
            tracing::error!(%error, retry_in = ?RETRY, "the bot stopped; starting it again");
            false
        }
        None => {
            // The dispatcher refuses to stop before it listens: ask until it agrees, and keep
            // driving it meanwhile so that it can finish.
            loop {
                match token.shutdown() {
                    Ok(done) => {
                        let _ = tokio::join!(done, &mut dispatching);
                        return true;
                    }
                    Err(_) => tokio::select! {
                        _ = &mut dispatching => return true,
                        () = tokio::time::sleep(Duration::from_millis(50)) => {}
                    },
                }
            }
        }
    }
}
