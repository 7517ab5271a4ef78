//! The `kabar` binary: parse the command line, start telemetry, hand over to the library.

use clap::Parser;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let cli = kabar::cli::Cli::parse();
    kabar::telemetry::init();
    match cli.command.execute().await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("kabar: {error:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
