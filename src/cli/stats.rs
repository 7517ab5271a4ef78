//! `kabar stats`: the state of the whole service at a glance, or as JSON for scripts.

use std::collections::BTreeMap;

use clap::Args;

use super::ConfigArg;
use crate::domain::Stats;

#[derive(Debug, Args)]
pub struct StatsArgs {
    #[command(flatten)]
    config: ConfigArg,
    /// Prints one JSON object instead of the table.
    #[arg(long)]
    json: bool,
}

impl StatsArgs {
    pub async fn execute(self) -> anyhow::Result<()> {
        let settings = self.config.load()?;
        let stats = crate::app::tool_services(&settings).await?.stats().await?;
        if self.json {
            println!("{}", serde_json::to_string_pretty(&stats)?);
        } else {
            print!("{}", table(&stats));
        }
        Ok(())
    }
}

/// The human view: one labelled line per fact, channels one per line.
fn table(stats: &Stats) -> String {
    let (subscribers, deliveries) = (&stats.subscribers, &stats.deliveries);
    let pending: Vec<String> = deliveries.pending.by_label().iter().map(|(label, n)| format!("{label} {n}")).collect();
    let mut rows = vec![
        ("subscribers", format!("{} active, {} inactive", subscribers.active, subscribers.inactive)),
        ("  inactive by reason", listed(&subscribers.inactive_by_reason)),
        ("  by language", listed(&subscribers.by_language)),
        ("  by delivery mode", listed(&subscribers.by_delivery_mode)),
        ("  by platform", listed(&subscribers.by_platform)),
        ("sources", format!("{} watched, {} failing", stats.sources.total, stats.sources.failing)),
        (
            "articles",
            format!("{} recorded, {} pushed in the last 24 h", stats.articles.total, stats.articles.pushed_last_24h),
        ),
        (
            "broadcasts",
            format!("{} in the last 24 h ({})", stats.broadcasts.last_24h, listed(&stats.broadcasts.last_24h_by_kind)),
        ),
        ("deliveries pending", pending.join(", ")),
        ("deliveries (last 24 h)", format!("{} sent, {} failed", deliveries.sent_last_24h, deliveries.failed_last_24h)),
        ("channels", format!("{}", stats.channels.len())),
    ];
    rows.extend(
        stats.channels.iter().map(|c| ("", format!("{:<20} {:>8} followers  {}", c.slug, c.followers, c.name))),
    );
    rows.into_iter().map(|(label, value)| format!("{label:<24} {value}\n")).collect()
}

/// `a 1, b 2`, or `none`.
fn listed(counts: &BTreeMap<String, i64>) -> String {
    if counts.is_empty() {
        return "none".into();
    }
    counts.iter().map(|(key, count)| format!("{key} {count}")).collect::<Vec<_>>().join(", ")
}
