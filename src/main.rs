//! The `kabar` binary: parse the command line, start telemetry, hand over to the library.

use clap::Parser;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let cli = kabar::cli::Cli::parse();
    // The demo prints its own report; only problems should interrupt it.
    let level = if matches!(cli.command, kabar::cli::Command::Demo) { "warn" } else { "info" };
    kabar::telemetry::init(level);
    match cli.command.execute().await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("kabar: {error:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
