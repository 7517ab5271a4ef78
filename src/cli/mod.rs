//! The command line: one subcommand per job of the `kabar` binary.

mod broadcast;
mod editors;
mod preview;
mod sources;
mod stats;
mod subscribers;

use std::path::PathBuf;

use anyhow::Context;
use clap::{Args, Parser, Subcommand};

use crate::{
    app::{Application, Opening, load_operator_content, open_store},
    config::Settings,
};

/// kabar: watches news sites and pushes each new article to the chat subscribers of the channel.
#[derive(Debug, Parser)]
#[command(name = "kabar", version, about)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

/// Where the configuration comes from.
#[derive(Debug, Args)]
pub struct ConfigArg {
    /// The TOML config file; else $KABAR_CONFIG, else ./kabar.toml.
    // Global, so it may follow a nested command too: `kabar editors add 42 --config FILE`.
    #[arg(long, short, value_name = "FILE", global = true)]
    pub config: Option<PathBuf>,
}

impl ConfigArg {
    /// The settings, checked by the config's own rules and by each platform's.
    pub(crate) fn load(&self) -> anyhow::Result<Settings> {
        let settings = Settings::load(self.config.as_deref())?;
        crate::telegram::ids::check_editors(&settings)?;
        Ok(settings)
    }
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Runs everything: the bot, the source watcher, the delivery workers and the HTTP server.
    Run(ConfigArg),
    /// Runs the whole pipeline against a built-in Telegram sandbox and sample news site, offline.
    Demo,
    /// Creates or upgrades the database, then exits.
    Migrate(MigrateArgs),
    /// Writes a consistent copy of the database to FILE, while kabar runs or not.
    Backup(BackupArgs),
    /// Validates the config; names the bad key when there is one.
    CheckConfig(ConfigArg),
    /// Adds, lists, removes, imports or exports watched sources, while kabar runs or not.
    Sources(sources::SourcesArgs),
    /// Pushes a message to every active subscriber, then follows its sends.
    Broadcast(broadcast::BroadcastArgs),
    /// Counts subscribers, channels, sources, articles, broadcasts and the outbox.
    Stats(stats::StatsArgs),
    /// Exports the subscribers as CSV or JSON Lines.
    Subscribers(subscribers::SubscribersArgs),
    /// Adds, removes or lists who may push breaking news from the chat.
    Editors(editors::EditorsArgs),
    /// Prints the message readers would receive for an article page, sending nothing.
    Preview(preview::PreviewArgs),
}

impl Command {
    pub async fn execute(self) -> anyhow::Result<()> {
        match self {
            Command::Run(config) => run(config).await,
            Command::Demo => crate::demo::run(&mut std::io::stdout()).await,
            Command::Migrate(args) => args.execute().await,
            Command::Backup(args) => args.execute().await,
            Command::CheckConfig(config) => check_config(config.load()?),
            Command::Sources(args) => args.execute().await,
            Command::Broadcast(args) => args.execute().await,
            Command::Stats(args) => args.execute().await,
            Command::Subscribers(args) => args.execute().await,
            Command::Editors(args) => args.execute().await,
            Command::Preview(args) => args.execute().await,
        }
    }
}

async fn run(config: ConfigArg) -> anyhow::Result<()> {
    let settings = config.load()?;
    settings.require_token()?;
    raise_open_file_limit();
    use tokio::signal::unix::{SignalKind, signal};
    // Listening before anything runs: an unhandled SIGHUP would end the process.
    let hangups = signal(SignalKind::hangup()).context("listening for SIGHUP")?;
    // Past a file-size limit (`ulimit -f`) a write would kill kabar with SIGXFSZ; handled (for
    // good, even once this listener is dropped), the write fails instead, as on a full disk, and
    // kabar waits for room.
    let _handled = signal(SignalKind::from_raw(libc::SIGXFSZ)).context("handling SIGXFSZ")?;
    let app = Application::build(settings).await?;
    tracing::info!(http = %app.http_addr(), "kabar is running");
    let reloads = tokio::spawn(reload_on_hangup(hangups, config, app.reloader()));
    let stopped = app.run_until_stopped(shutdown_signal()).await;
    reloads.abort();
    stopped
}

/// Lets the process hold as many files as the system allows it: each HTTP client, feed fetch and
/// database connection is one, and the common default of 1,024 is soon reached by idle clients.
fn raise_open_file_limit() {
    match rlimit::increase_nofile_limit(u64::MAX) {
        Ok(limit) => tracing::debug!(limit, "open files allowed"),
        Err(error) => tracing::warn!(%error, "cannot raise the limit of open files"),
    }
}

/// Reads the config again on every SIGHUP and applies what can change while running. A config
/// that does not validate is refused, with the key named, and the running settings stay.
async fn reload_on_hangup(mut hangups: tokio::signal::unix::Signal, config: ConfigArg, reloader: crate::app::Reloader) {
    while hangups.recv().await.is_some() {
        match config.load() {
            Ok(settings) => reloader.apply(&settings),
            Err(error) => tracing::error!(%error, "SIGHUP: the config is refused; the running settings stay"),
        }
    }
}

#[derive(Debug, Args)]
pub struct MigrateArgs {
    #[command(flatten)]
    config: ConfigArg,
    /// Take an existing empty (0-byte) database file for a new database. Without it, such a file
    /// is refused: it is more often a database lost by accident than a fresh start.
    #[arg(long)]
    allow_empty: bool,
}

impl MigrateArgs {
    async fn execute(self) -> anyhow::Result<()> {
        let settings = self.config.load()?;
        let opening = if self.allow_empty { Opening::StartAfresh } else { Opening::Checked };
        open_store(&settings, opening).await?.close().await;
        println!("database {} is up to date", settings.database.shown_url());
        Ok(())
    }
}

#[derive(Debug, Args)]
pub struct BackupArgs {
    #[command(flatten)]
    config: ConfigArg,
    /// Where the copy goes; it must not exist yet.
    #[arg(value_name = "FILE")]
    file: PathBuf,
}

impl BackupArgs {
    /// Copies with `VACUUM INTO`: one read transaction, so the copy is the database as it was at
    /// one instant, even while kabar writes.
    async fn execute(self) -> anyhow::Result<()> {
        let settings = self.config.load()?;
        anyhow::ensure!(!self.file.exists(), "{} exists already; name a new file", self.file.display());
        let services = crate::app::tool_services(&settings).await?;
        services
            .health()
            .back_up(&self.file)
            .await
            .with_context(|| format!("backing up to {}", self.file.display()))?;
        println!("backed up {} to {}", settings.database.shown_url(), self.file.display());
        Ok(())
    }
}

fn check_config(settings: Settings) -> anyhow::Result<()> {
    settings.require_token()?;
    load_operator_content(&settings)?;
    println!(
        "config is valid: {} source(s), {} editor(s), limits {}/s global, {}/s per chat, {}/min per group",
        settings.sources.len(),
        settings.editors.user_ids.len(),
        settings.limits.global_per_sec,
        settings.limits.per_chat_per_sec,
        settings.limits.group_per_min
    );
    Ok(())
}

/// Resolves on SIGINT or SIGTERM.
async fn shutdown_signal() {
    let interrupt = async {
        tokio::signal::ctrl_c().await.context("listening for SIGINT").ok();
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = interrupt => tracing::info!("SIGINT received, stopping"),
        () = terminate => tracing::info!("SIGTERM received, stopping"),
    }
}
