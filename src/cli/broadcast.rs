//! `kabar broadcast`: an announcement or breaking news from the shell. It is queued in the
//! database, where a running `kabar run` picks it up, and followed with a progress bar (drawn
//! only on a terminal) until the outbox has sent it.

use std::time::{Duration, Instant};

use anyhow::Context;
use clap::Args;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use tokio::signal::unix::{Signal, SignalKind, signal};

use super::ConfigArg;
use crate::{domain::BroadcastProgress, services::Services};

/// How often the progress is read while waiting.
const PROGRESS_POLL: Duration = Duration::from_millis(500);
/// After this long without a single send, the watcher says what may be wrong.
const STALL_HINT_AFTER: Duration = Duration::from_secs(5);

#[derive(Debug, Args)]
pub struct BroadcastArgs {
    #[command(flatten)]
    config: ConfigArg,
    /// The message, as plain text (it is escaped for each platform).
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

impl BroadcastArgs {
    pub async fn execute(self) -> anyhow::Result<()> {
        let settings = self.config.load()?;
        let services = crate::app::tool_services(&settings).await?;
        let newsroom = services.newsroom();
        let announcement = newsroom.check(&self.text, self.url.as_deref(), self.breaking)?;
        // Listening before anything is said: a Ctrl-C right after "queued" must stop only the watching.
        let interrupts = signal(SignalKind::interrupt()).context("listening for Ctrl-C")?;
        let queued = newsroom.announce(&announcement, "cli").await.context("queueing the broadcast")?;
        println!("broadcast {} queued for {} recipient(s)", queued.id, queued.recipients);
        if self.no_wait || queued.recipients == 0 {
            return Ok(());
        }
        follow(&services, queued.id, interrupts).await
    }
}

/// Follows the push until nothing is pending, then prints the summary. Ctrl-C stops only the
/// watching: the broadcast is in the database and keeps going.
async fn follow(services: &Services, id: i64, mut interrupts: Signal) -> anyhow::Result<()> {
    let first = read_progress(services, id).await?;
    let mut watch = Watch::new(&first);
    let bar = progress_bar(&first);
    loop {
        let progress = read_progress(services, id).await?;
        watch.observe(&progress);
        bar.set_position(outside_the_outbox(&progress));
        bar.set_message(watch.line(&progress));
        if watch.stalled() {
            watch.hint_once(&bar);
        }
        if progress.pending == 0 {
            bar.finish_and_clear();
            println!("{}", watch.summary(&progress));
            return Ok(());
        }
        tokio::select! {
            () = tokio::time::sleep(PROGRESS_POLL) => {}
            _ = interrupts.recv() => {
                bar.abandon();
                eprintln!("stopped watching; broadcast {id} keeps sending (GET /api/broadcasts/{id} follows it)");
                return Ok(());
            }
        }
    }
}

/// A bar over the push's recipients, drawn on stderr only when it is a terminal.
fn progress_bar(progress: &BroadcastProgress) -> ProgressBar {
    let bar = ProgressBar::with_draw_target(Some(progress.total.max(0) as u64), ProgressDrawTarget::stderr());
    let style = ProgressStyle::with_template("[{bar:20}] {msg}").expect("a valid template").progress_chars("#>-");
    bar.set_style(style);
    bar
}

async fn read_progress(services: &Services, id: i64) -> anyhow::Result<BroadcastProgress> {
    services.newsroom().progress(id).await?.with_context(|| format!("broadcast {id} is gone from the database"))
}

/// The recipients no longer waiting in the outbox.
fn outside_the_outbox(progress: &BroadcastProgress) -> u64 {
    (progress.total - progress.pending).max(0) as u64
}

/// What the watcher remembers between reads: the start, and the last change.
struct Watch {
    started: Instant,
    settled_at_start: i64,
    last_settled: i64,
    last_change: Instant,
    hinted: bool,
}

/// Deliveries with an outcome: sent, failed, cancelled, or gone out in a digest.
fn settled(progress: &BroadcastProgress) -> i64 {
    progress.sent + progress.failed + progress.cancelled + progress.digested
}

impl Watch {
    fn new(first: &BroadcastProgress) -> Watch {
        let now = Instant::now();
        let settled = settled(first);
        Watch { started: now, settled_at_start: settled, last_settled: settled, last_change: now, hinted: false }
    }

    fn observe(&mut self, progress: &BroadcastProgress) {
        if settled(progress) != self.last_settled {
            self.last_settled = settled(progress);
            self.last_change = Instant::now();
        }
    }

    fn stalled(&self) -> bool {
        self.last_change.elapsed() >= STALL_HINT_AFTER
    }

    /// Says once, above the bar or on its own line off a terminal, what a stall may mean.
    fn hint_once(&mut self, bar: &ProgressBar) {
        if self.hinted {
            return;
        }
        self.hinted = true;
        let hint = "nothing was sent for a while: is `kabar run` running?";
        if bar.is_hidden() { eprintln!("{hint}") } else { bar.println(hint) }
    }

    /// Sends per second since the watching started.
    fn rate(&self, progress: &BroadcastProgress) -> f64 {
        let elapsed = self.started.elapsed().as_secs_f64();
        if elapsed < 0.1 { 0.0 } else { (settled(progress) - self.settled_at_start) as f64 / elapsed }
    }

    fn line(&self, progress: &BroadcastProgress) -> String {
        let rate = self.rate(progress);
        let eta = if rate > 0.0 {
            crate::locale::duration(Duration::from_secs_f64(progress.pending as f64 / rate))
        } else {
            "?".into()
        };
        format!("{}/{} sent, {} failed, {rate:.1}/s, ETA {eta}", progress.sent, progress.total, progress.failed)
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::BroadcastStatus;

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
    fn the_bar_counts_what_left_the_outbox() {
        assert_eq!(outside_the_outbox(&progress(10, 0, 10)), 0);
        assert_eq!(outside_the_outbox(&progress(10, 5, 5)), 5);
        assert_eq!(outside_the_outbox(&progress(0, 0, 0)), 0);
    }

    #[test]
    fn the_progress_line_counts_sends_and_failures() {
        let watch = Watch::new(&progress(10, 0, 10));
        assert!(watch.line(&progress(10, 4, 6)).starts_with("4/10 sent, 0 failed, "));
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
