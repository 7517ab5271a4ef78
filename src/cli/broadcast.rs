//! `kabar broadcast`: an announcement or breaking news from the shell. It is queued in the
//! database, where a running `kabar run` picks it up, and followed with a progress line until
//! the outbox has sent it.

use std::{
    io::Write,
    time::{Duration, Instant},
};

use anyhow::Context;
use clap::Args;

use super::{ConfigArg, open_store};
use crate::{
    render::{TEXT_LIMIT, compose, html},
    store::{BroadcastProgress, Store},
};

/// How often the progress is read while waiting.
const PROGRESS_POLL: Duration = Duration::from_millis(500);
/// A message's text leaves this much of Telegram's limit to the template around it.
const TEXT_MAX: usize = TEXT_LIMIT - 64;
/// After this long without a single send, the progress line says what may be wrong.
const STALL_HINT_AFTER: Duration = Duration::from_secs(5);

#[derive(Debug, Args)]
pub struct BroadcastArgs {
    #[command(flatten)]
    config: ConfigArg,
    /// The message, as plain text (it is escaped for Telegram).
    #[arg(long)]
    text: String,
    /// A link to put under the message.
    #[arg(long)]
    url: Option<String>,
    /// Sends it as breaking news: ahead of articles, and through readers' quiet hours.
    #[arg(long)]
    breaking: bool,
    /// Returns once the message is queued instead of following its sends.
    #[arg(long)]
    no_wait: bool,
}

/// What is wrong with an announcement's text or link, in the words the API uses; None when it
/// can be sent.
pub(crate) fn announcement_problem(text: &str, url: Option<&str>) -> Option<String> {
    if text.trim().is_empty() {
        return Some("the text is empty".into());
    }
    if text.trim().encode_utf16().count() > TEXT_MAX {
        return Some(format!("the text is longer than {TEXT_MAX} characters"));
    }
    url.filter(|url| !html::is_linkable(url)).map(|url| format!("the url is not an absolute http(s) URL: {url}"))
}

impl BroadcastArgs {
    pub async fn execute(self) -> anyhow::Result<()> {
        if let Some(problem) = announcement_problem(&self.text, self.url.as_deref()) {
            anyhow::bail!("{problem}");
        }
        let settings = self.config.load()?;
        let (_, renderer) = crate::app::load_operator_content(&settings)?;
        let broadcast = compose::announcement(&renderer, self.text.trim(), self.url.as_deref(), self.breaking, "cli")
            .context("rendering the message")?;
        let store = open_store(&settings).await?;
        let (id, recipients) = store.create_broadcast(&broadcast).await.context("queueing the broadcast")?;
        println!("broadcast {id} queued for {recipients} recipient(s)");
        if self.no_wait || recipients == 0 {
            return Ok(());
        }
        follow(&store, id).await
    }
}

/// Redraws the progress line until nothing is pending, then prints the summary. Ctrl-C stops
/// only the watching: the broadcast is in the database and keeps going.
async fn follow(store: &Store, id: i64) -> anyhow::Result<()> {
    let interrupted = tokio::signal::ctrl_c();
    tokio::pin!(interrupted);
    let mut watch = Watch::new(&read_progress(store, id).await?);
    loop {
        let progress = read_progress(store, id).await?;
        watch.observe(&progress);
        draw(&watch.line(&progress));
        if progress.pending == 0 {
            eprintln!();
            println!("{}", watch.summary(&progress));
            return Ok(());
        }
        tokio::select! {
            () = tokio::time::sleep(PROGRESS_POLL) => {}
            _ = &mut interrupted => {
                eprintln!("\nstopped watching; broadcast {id} keeps sending (GET /api/broadcasts/{id} follows it)");
                return Ok(());
            }
        }
    }
}

async fn read_progress(store: &Store, id: i64) -> anyhow::Result<BroadcastProgress> {
    store.broadcast_progress(id).await?.with_context(|| format!("broadcast {id} is gone from the database"))
}

fn draw(line: &str) {
    let mut stderr = std::io::stderr().lock();
    // The trailing blanks wipe what a longer previous line left behind.
    let _ = write!(stderr, "\r{line:<78}");
    let _ = stderr.flush();
}

/// What the progress line needs to remember between reads: the start, and the last change.
struct Watch {
    started: Instant,
    settled_at_start: i64,
    last_settled: i64,
    last_change: Instant,
}

/// Deliveries with an outcome: sent, failed, cancelled, or gone out in a digest.
fn settled(progress: &BroadcastProgress) -> i64 {
    progress.sent + progress.failed + progress.cancelled + progress.digested
}

impl Watch {
    fn new(first: &BroadcastProgress) -> Watch {
        let now = Instant::now();
        Watch { started: now, settled_at_start: settled(first), last_settled: settled(first), last_change: now }
    }

    fn observe(&mut self, progress: &BroadcastProgress) {
        if settled(progress) != self.last_settled {
            self.last_settled = settled(progress);
            self.last_change = Instant::now();
        }
    }

    /// Sends per second since the watching started.
    fn rate(&self, progress: &BroadcastProgress) -> f64 {
        let elapsed = self.started.elapsed().as_secs_f64();
        if elapsed < 0.1 { 0.0 } else { (settled(progress) - self.settled_at_start) as f64 / elapsed }
    }

    fn line(&self, progress: &BroadcastProgress) -> String {
        let rate = self.rate(progress);
        let eta = if rate > 0.0 {
            crate::locale::duration(std::time::Duration::from_secs_f64(progress.pending as f64 / rate))
        } else {
            "?".into()
        };
        let mut line = format!(
            "{} {}/{} sent, {} failed, {rate:.1}/s, ETA {eta}",
            bar(progress),
            progress.sent,
            progress.total,
            progress.failed
        );
        if self.last_change.elapsed() >= STALL_HINT_AFTER {
            line.push_str(" (nothing sent lately: is `kabar run` running?)");
        }
        line
    }

    fn summary(&self, progress: &BroadcastProgress) -> String {
        let elapsed = self.started.elapsed();
        let mut summary = format!(
            "broadcast {} done: {} sent, {} failed in {} ({:.1}/s)",
            progress.id,
            progress.sent,
            progress.failed,
            crate::locale::duration(elapsed),
            self.rate(progress)
        );
        if progress.cancelled > 0 {
            summary.push_str(&format!(", {} cancelled", progress.cancelled));
        }
        if progress.held > 0 {
            summary.push_str(&format!(", {} held for readers' digests", progress.held));
        }
        summary
    }
}

/// `[#####-----]`: the share of the recipients no longer waiting in the outbox.
fn bar(progress: &BroadcastProgress) -> String {
    const WIDTH: i64 = 20;
    let filled = if progress.total > 0 { (progress.total - progress.pending) * WIDTH / progress.total } else { WIDTH };
    let filled = filled.clamp(0, WIDTH) as usize;
    format!("[{}{}]", "#".repeat(filled), "-".repeat(WIDTH as usize - filled))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::BroadcastStatus;

    fn progress(total: i64, sent: i64, pending: i64) -> BroadcastProgress {
        BroadcastProgress {
            id: 7,
            status: BroadcastStatus::Sending,
            total,
            sent,
            failed: 0,
            pending,
            cancelled: 0,
            held: 0,
            digested: 0,
        }
    }

    #[test]
    fn an_announcement_is_refused_when_empty_too_long_or_badly_linked() {
        assert!(announcement_problem("  \n", None).is_some_and(|p| p.contains("empty")));
        assert!(announcement_problem(&"x".repeat(TEXT_MAX + 1), None).is_some_and(|p| p.contains("longer")));
        assert!(announcement_problem("x", Some("javascript:alert(1)")).is_some_and(|p| p.contains("url")));
        assert_eq!(announcement_problem("Banjir di Jakarta", Some("https://example.org/a")), None);
    }

    #[test]
    fn the_bar_fills_with_what_left_the_outbox() {
        assert_eq!(bar(&progress(10, 0, 10)), format!("[{}]", "-".repeat(20)));
        assert_eq!(bar(&progress(10, 5, 5)), format!("[{}{}]", "#".repeat(10), "-".repeat(10)));
        assert_eq!(bar(&progress(0, 0, 0)), format!("[{}]", "#".repeat(20)));
    }

    #[test]
    fn durations_read_as_a_person_would_say_them() {
        let duration = |seconds: f64| crate::locale::duration(std::time::Duration::from_secs_f64(seconds));
        assert_eq!(duration(42.4), "42s");
        assert_eq!(duration(185.0), "3m05s");
        assert_eq!(duration(3720.0), "1h02m");
    }

    #[test]
    fn the_summary_mentions_cancelled_and_held_copies_only_when_there_are_some() {
        let watch = Watch::new(&progress(3, 0, 3));
        assert!(watch.summary(&progress(3, 3, 0)).starts_with("broadcast 7 done: 3 sent, 0 failed in "));
        let cut_short = BroadcastProgress { cancelled: 2, held: 1, ..progress(4, 1, 0) };
        let summary = watch.summary(&cut_short);
        assert!(summary.contains("2 cancelled") && summary.contains("1 held for readers' digests"), "{summary}");
    }
}
