//! Webhook mode, the alternative to long polling: Telegram posts each update to
//! `POST /telegram/webhook` (see [`crate::http`]), which stores it before answering (and answers
//! 503 when it cannot, so that Telegram posts it again); [`super::inbox`] handles the stored
//! updates as it does polled ones.

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
use crate::domain::Language;

/// How long the bot waits before trying the Bot API again.
const RETRY: Duration = Duration::from_secs(5);

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
                handle_stored_updates(&bot, &context, &me, &inbox.arrived, &stop).await;
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
    bot.set_webhook(url.clone()).secret_token(inbox.secret.clone()).allowed_updates(WANTED_UPDATES).await?;
    tracing::info!(username = me.username(), %url, "webhook set; Telegram posts updates to kabar");
    Ok(me)
}
