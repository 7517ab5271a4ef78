//! Webhook mode, the alternative to long polling: Telegram posts each update to
//! `POST /telegram/webhook` (see [`crate::http`]), which stores it before answering; this loop
//! handles the stored updates in order with the same handler tree as polling, and forgets each
//! one only once it is handled. A crash at any point loses no update.

use std::{
    ops::ControlFlow,
    sync::{
        Arc,
        atomic::{AtomicBool, Ordering},
    },
    time::Duration,
};

use teloxide::{dptree, prelude::*, types::Me};
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

use super::{BotContext, register_commands, schema};
use crate::domain::Language;

/// How long the bot waits before trying the Bot API again.
const RETRY: Duration = Duration::from_secs(5);
/// Updates handled per read of the table.
const BATCH: i64 = 100;

/// Where the HTTP receiver and this loop meet.
#[derive(Debug)]
pub struct WebhookInbox {
    /// The secret Telegram sends with every update.
    pub secret: String,
    /// Rung by the receiver when an update was stored.
    pub arrived: Notify,
}

/// Registers the webhook with Telegram, then handles stored updates until `stop` is cancelled.
pub async fn run(
    bot: Bot,
    context: Arc<BotContext>,
    url: url::Url,
    inbox: Arc<WebhookInbox>,
    running: Arc<AtomicBool>,
    stop: CancellationToken,
) {
    while !stop.is_cancelled() {
        match register(&bot, &url, &inbox, context.services.defaults().language).await {
            Ok(me) => {
                running.store(true, Ordering::Relaxed);
                handle_until_stopped(&bot, &context, &me, &inbox, &stop).await;
                running.store(false, Ordering::Relaxed);
                return;
            }
            Err(error) => tracing::warn!(%error, retry_in = ?RETRY, "cannot set the webhook"),
        }
        tokio::select! {
            () = tokio::time::sleep(RETRY) => {}
            () = stop.cancelled() => return,
        }
    }
}

/// Reaches the Bot API, registers the command menu and the webhook with its secret.
async fn register(bot: &Bot, url: &url::Url, inbox: &WebhookInbox, language: Language) -> anyhow::Result<Me> {
    let me = bot.get_me().await?;
    if let Err(error) = register_commands(bot, language).await {
        tracing::warn!(%error, "cannot register the command menu");
    }
    bot.set_webhook(url.clone()).secret_token(inbox.secret.clone()).await?;
    tracing::info!(username = me.username(), %url, "webhook set; Telegram posts updates to kabar");
    Ok(me)
}

async fn handle_until_stopped(
    bot: &Bot,
    context: &Arc<BotContext>,
    me: &Me,
    inbox: &WebhookInbox,
    stop: &CancellationToken,
) {
    let handler = schema();
    while !stop.is_cancelled() {
        let waiting = match context.services.inbox().waiting(BATCH).await {
            Ok(waiting) => waiting,
            Err(error) => {
                tracing::error!(%error, "cannot read stored updates; trying again");
                Vec::new()
            }
        };
        for (update_id, body) in &waiting {
            handle(&handler, bot, context, me, *update_id, body).await;
            if let Err(error) = context.services.inbox().handled(*update_id).await {
                tracing::error!(update_id, %error, "cannot forget a handled update; it may be handled again");
            }
        }
        if waiting.is_empty() {
            tokio::select! {
                () = inbox.arrived.notified() => {}
                () = tokio::time::sleep(Duration::from_secs(1)) => {}
                () = stop.cancelled() => {}
            }
        }
    }
}

/// Runs one stored update through the handler tree, as the dispatcher does for polled ones.
async fn handle(
    handler: &teloxide::dispatching::UpdateHandler<anyhow::Error>,
    bot: &Bot,
    context: &Arc<BotContext>,
    me: &Me,
    update_id: i64,
    body: &str,
) {
    let update: Update = match serde_json::from_str(body) {
        Ok(update) => update,
        Err(error) => {
            tracing::warn!(update_id, %error, "a stored update cannot be read; it is dropped");
            return;
        }
    };
    let deps = dptree::deps![update, bot.clone(), context.clone(), me.clone()];
    match handler.dispatch(deps).await {
        ControlFlow::Break(Ok(())) | ControlFlow::Continue(_) => {}
        ControlFlow::Break(Err(error)) => tracing::error!(update_id, %error, "a chat update failed"),
    }
}
