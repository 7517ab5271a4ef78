//! A confirmed push, followed live in the editor's chat: the status message is edited every few
//! seconds with how many readers have it, the rate and the time left, until it is done or
//! stopped; its Stop button goes away then.

use std::{
    sync::Arc,
    time::{Duration, Instant},
};

use teloxide::{
    prelude::*,
    types::{InlineKeyboardButton, InlineKeyboardMarkup},
};

use super::STOP;
use crate::{
    domain::{BroadcastProgress, BroadcastStatus, Language},
    locale,
    telegram::{BotContext, edit},
};

/// How often the status message is edited: often enough to feel live, rarely enough to stay far
/// below the chat's own limit.
const EVERY: Duration = Duration::from_secs(3);
/// A push followed longer than this is left alone; its progress stays in the API.
const AT_MOST: Duration = Duration::from_secs(6 * 3600);

/// Follows broadcast `id` in `status` (the editor's message) in the background.
pub fn follow(bot: Bot, context: Arc<BotContext>, status: Message, id: i64, language: Language) {
    let services = context.services.clone();
    services.spawn(async move {
        let stopping = context.services.stopping().clone();
        tokio::select! {
            followed = follow_until_done(&bot, &context, &status, id, language) => {
                if let Err(error) = followed {
                    tracing::warn!(broadcast = id, %error, "stopped following a push in the editor's chat");
                }
            }
            // The push goes on after a restart; its progress stays in the API.
            () = stopping.cancelled() => {}
        }
    });
}

async fn follow_until_done(
    bot: &Bot,
    context: &BotContext,
    status: &Message,
    id: i64,
    language: Language,
) -> anyhow::Result<()> {
    let started = Instant::now();
    let stop_button = InlineKeyboardMarkup::new([[InlineKeyboardButton::callback(
        locale::text(language, "button_stop", &[]),
        format!("{STOP}{id}"),
    )]]);
    while started.elapsed() < AT_MOST {
        tokio::time::sleep(EVERY).await;
        let Some(progress) = context.services.newsroom().progress(id).await? else { return Ok(()) };
        let finished = progress.status != BroadcastStatus::Sending;
        let text = describe(&progress, started.elapsed(), language);
        edit(bot, context, status, text, (!finished).then(|| stop_button.clone())).await?;
        if finished {
            return Ok(());
        }
    }
    Ok(())
}

/// The status line for `progress` after `elapsed`.
fn describe(progress: &BroadcastProgress, elapsed: Duration, language: Language) -> String {
    let id = progress.id;
    let sent = progress.sent;
    match progress.status {
        BroadcastStatus::Cancelled => locale::text(
            language,
            "breaking_stopped",
            &[("id", &id), ("sent", &sent), ("cancelled", &progress.cancelled)],
        ),
        BroadcastStatus::Sending => {
            let rate = sent as f64 / elapsed.as_secs_f64().max(1.0);
            let left = if rate > 0.0 { (progress.pending as f64 / rate).ceil() as u64 } else { 0 };
            let args: [(&str, &(dyn std::fmt::Display + Sync)); 5] = [
                ("id", &id),
                ("sent", &sent),
                ("total", &progress.total),
                ("rate", &format!("{rate:.0}")),
                ("left", &locale::duration(Duration::from_secs(left))),
            ];
            locale::text(language, "breaking_progress", &args)
        }
        _ => {
            let args: [(&str, &(dyn std::fmt::Display + Sync)); 5] = [
                ("id", &id),
                ("sent", &sent),
                ("total", &progress.total),
                ("failed", &progress.failed),
                ("elapsed", &locale::duration(elapsed)),
            ];
            locale::text(language, "breaking_done", &args)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn progress(status: BroadcastStatus, sent: i64, pending: i64) -> BroadcastProgress {
        BroadcastProgress {
            id: 7,
            status,
            total: 1000,
            sent,
            failed: 2,
            pending,
            cancelled: 1000 - sent - pending - 2,
            held: 0,
            digested: 0,
        }
    }

    #[test]
    fn a_running_push_shows_its_rate_and_time_left() {
        let line = describe(&progress(BroadcastStatus::Sending, 300, 698), Duration::from_secs(10), Language::English);
        assert!(line.contains("300 of 1000") && line.contains("30/s") && line.contains("24s"), "{line}");
    }

    #[test]
    fn a_finished_or_stopped_push_says_so() {
        let done = describe(&progress(BroadcastStatus::Done, 998, 0), Duration::from_secs(65), Language::Indonesian);
        assert!(done.contains("998") && done.contains("1m05s"), "{done}");
        let stopped =
            describe(&progress(BroadcastStatus::Cancelled, 300, 0), Duration::from_secs(9), Language::English);
        assert!(stopped.contains("698"), "{stopped}");
    }
}
