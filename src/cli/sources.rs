//! `kabar sources`: managing watched sites from the shell. It works on the database directly,
//! so a running kabar picks changes up at its next watcher tick, without a restart.

use std::path::PathBuf;

use anyhow::Context;
use clap::{Args, Subcommand};

use super::ConfigArg;
use crate::{
    domain::{SourceKind, SourceRecord},
    services::sources::SourceRequest,
};

#[derive(Debug, Args)]
pub struct SourcesArgs {
    #[command(flatten)]
    config: ConfigArg,
    #[command(subcommand)]
    action: SourcesAction,
}

#[derive(Debug, Subcommand)]
enum SourcesAction {
    /// Starts watching a feed, a page that links to its feed, or a WordPress site.
    Add {
        name: String,
        url: String,
        #[arg(long, value_enum, default_value = "feed")]
        kind: KindArg,
        /// Seconds between polls (5 to 86400).
        #[arg(long)]
        interval: Option<u64>,
        /// Edit the messages already sent when the site changes a pushed story's title.
        #[arg(long)]
        corrections: bool,
    },
    /// Lists the watched sources with their health.
    List,
    /// Stops watching a source; its articles are kept, so they still dedupe.
    Remove { name: String },
    /// Adds every feed of an OPML file.
    Import { file: PathBuf },
    /// Writes the watched feeds as OPML to a file, or to standard output.
    Export { file: Option<PathBuf> },
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
enum KindArg {
    Feed,
    Wordpress,
}

impl From<KindArg> for SourceKind {
    fn from(kind: KindArg) -> Self {
        match kind {
            KindArg::Feed => SourceKind::Feed,
            KindArg::Wordpress => SourceKind::Wordpress,
        }
    }
}

impl SourcesArgs {
    pub async fn execute(self) -> anyhow::Result<()> {
        let settings = self.config.load()?;
        let services = crate::app::tool_services(&settings).await?;
        let sources = services.sources();
        match self.action {
            SourcesAction::Add { name, url, kind, interval, corrections } => {
                let request = SourceRequest { name, url, kind: kind.into(), poll_interval_secs: interval, corrections };
                let source = sources.add(request).await?;
                println!("watching {} at {} every {} s", source.name, source.url, source.poll_interval_secs);
            }
            SourcesAction::List => print_sources(&sources.list().await?),
            SourcesAction::Remove { name } => {
                anyhow::ensure!(sources.remove(&name).await?, "no source named {name}");
                println!("stopped watching {name}");
            }
            SourcesAction::Import { file } => {
                let text = std::fs::read_to_string(&file).with_context(|| format!("reading {}", file.display()))?;
                for imported in sources.import_opml(&text).await? {
                    match imported {
                        Ok(source) => println!("watching {} at {}", source.name, source.url),
                        Err((url, error)) => eprintln!("skipped {url}: {error}"),
                    }
                }
            }
            SourcesAction::Export { file } => {
                let opml = sources.export_opml().await?;
                match file {
                    Some(file) => std::fs::write(&file, opml).with_context(|| format!("writing {}", file.display()))?,
                    None => print!("{opml}"),
                }
            }
        }
        Ok(())
    }
}

fn print_sources(sources: &[SourceRecord]) {
    println!("{:<24} {:<9} {:>6}  {:<8} URL", "NAME", "KIND", "EVERY", "HEALTH");
    for source in sources {
        let health = match (&source.last_error, source.last_polled_at) {
            (Some(_), _) => format!("failing ×{}", source.consecutive_failures),
            (None, Some(_)) => "ok".to_owned(),
            (None, None) => "new".to_owned(),
        };
        println!(
            "{:<24} {:<9} {:>5}s  {:<8} {}",
            source.name, source.kind, source.poll_interval_secs, health, source.url
        );
        if let Some(error) = &source.last_error {
            println!("{:<24} last error: {error}", "");
        }
    }
}
