//! The command line: one subcommand per job of the `kabar` binary.

mod sources;

use std::path::PathBuf;

use anyhow::Context;
use clap::{Args, Parser, Subcommand};

use crate::{app::Application, config::Settings, store::Store};

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
    #[arg(long, short, value_name = "FILE")]
    pub config: Option<PathBuf>,
}

impl ConfigArg {
    pub(crate) fn load(&self) -> anyhow::Result<Settings> {
        Ok(Settings::load(self.config.as_deref())?)
    }
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Runs everything: the bot, the source watcher, the delivery workers and the HTTP server.
    Run(ConfigArg),
    /// Runs the whole pipeline against a built-in Telegram sandbox and sample news site, offline.
    Demo,
    /// Creates or upgrades the database, then exits.
    Migrate(ConfigArg),
    /// Validates the config; names the bad key when there is one.
    CheckConfig(ConfigArg),
    /// Adds, lists, removes, imports or exports watched sources, while kabar runs or not.
    Sources(sources::SourcesArgs),
}

impl Command {
    pub async fn execute(self) -> anyhow::Result<()> {
        match self {
            Command::Run(config) => run(config.load()?).await,
            Command::Demo => crate::demo::run(&mut std::io::stdout()).await,
            Command::Migrate(config) => migrate(config.load()?).await,
            Command::CheckConfig(config) => check_config(config.load()?),
            Command::Sources(args) => args.execute().await,
        }
    }
}

async fn run(settings: Settings) -> anyhow::Result<()> {
    settings.require_token()?;
    let app = Application::build(settings).await?;
    tracing::info!(http = %app.http_addr(), "kabar is running");
    app.run_until_stopped(shutdown_signal()).await
}

async fn migrate(settings: Settings) -> anyhow::Result<()> {
    open_store(&settings).await?;
    println!("database {} is up to date", settings.database.url);
    Ok(())
}

/// The database of `settings`, created or upgraded as needed.
pub(crate) async fn open_store(settings: &Settings) -> anyhow::Result<Store> {
    let store = Store::connect(&settings.database.url)
        .await
        .with_context(|| format!("opening the database {}", settings.database.url))?
        .with_defaults(crate::store::ReaderDefaults::from_settings(&settings.readers));
    store.migrate().await.context("migrating the database")?;
    Ok(store)
}

fn check_config(settings: Settings) -> anyhow::Result<()> {
    settings.require_token()?;
    crate::app::load_operator_content(&settings)?;
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
