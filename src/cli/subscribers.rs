//! `kabar subscribers export`: every subscriber as CSV or JSON Lines, read from the database in
//! id batches so memory stays flat however many there are.

use std::{
    fs::File,
    io::{BufWriter, Write},
    path::PathBuf,
};

use anyhow::Context;
use clap::{Args, Subcommand, ValueEnum};
use serde::Serialize;

use super::ConfigArg;
use crate::{domain::stats::ExportedSubscriber, services::Services};

/// Subscribers read from the database at a time.
const BATCH: i64 = 1_000;

/// The export's columns, in order; the JSON keys are the same. `chat_id` is the chat's address on
/// its platform (a Telegram chat id).
const COLUMNS: [&str; 12] = [
    "chat_id",
    "kind",
    "username",
    "display_name",
    "language",
    "active",
    "inactive_reason",
    "delivery_mode",
    "quiet_hours",
    "timezone",
    "subscribed_at",
    "platform",
];

#[derive(Debug, Args)]
pub struct SubscribersArgs {
    #[command(flatten)]
    config: ConfigArg,
    #[command(subcommand)]
    action: SubscribersAction,
}

#[derive(Debug, Subcommand)]
enum SubscribersAction {
    /// Writes every subscriber, active or not, to a file or to standard output.
    Export {
        #[arg(long, value_enum, default_value = "csv")]
        format: Format,
        /// The file to write; standard output when left out.
        #[arg(long, short, value_name = "FILE")]
        output: Option<PathBuf>,
    },
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum Format {
    /// RFC 4180: a header line, fields quoted when they need it.
    Csv,
    /// One JSON object per line.
    Jsonl,
}

impl SubscribersArgs {
    pub async fn execute(self) -> anyhow::Result<()> {
        let settings = self.config.load()?;
        let services = crate::app::tool_services(&settings).await?;
        let SubscribersAction::Export { format, output } = self.action;
        let out: Box<dyn Write> = match &output {
            Some(path) => Box::new(File::create(path).with_context(|| format!("creating {}", path.display()))?),
            None => Box::new(std::io::stdout().lock()),
        };
        let mut out = BufWriter::new(out);
        let written = export(&services, format, &mut out).await?;
        out.flush().context("writing the export")?;
        if let Some(path) = output {
            eprintln!("{written} subscriber(s) written to {}", path.display());
        }
        Ok(())
    }
}

/// Writes every subscriber in `format`; returns how many.
async fn export(services: &Services, format: Format, out: &mut impl Write) -> anyhow::Result<u64> {
    if let Format::Csv = format {
        writeln!(out, "{}", COLUMNS.join(","))?;
    }
    let (mut after, mut written) = (0, 0);
    loop {
        let batch = services.readers().export_batch(after, BATCH).await?;
        let Some(last) = batch.last() else { return Ok(written) };
        after = last.id;
        for subscriber in &batch {
            let row = Row::from(subscriber);
            match format {
                Format::Csv => writeln!(out, "{}", row.csv_line())?,
                Format::Jsonl => writeln!(out, "{}", serde_json::to_string(&row)?)?,
            }
            written += 1;
        }
    }
}

/// One exported subscriber, fields in [`COLUMNS`] order.
#[derive(Serialize)]
struct Row<'a> {
    chat_id: &'a str,
    kind: &'static str,
    username: Option<&'a str>,
    display_name: Option<&'a str>,
    language: Option<&'static str>,
    active: bool,
    inactive_reason: Option<&'static str>,
    delivery_mode: String,
    quiet_hours: Option<String>,
    timezone: Option<&'static str>,
    /// RFC 3339, UTC.
    subscribed_at: String,
    platform: &'static str,
}

impl<'a> From<&'a ExportedSubscriber> for Row<'a> {
    fn from(s: &'a ExportedSubscriber) -> Row<'a> {
        Row {
            chat_id: &s.recipient.address,
            kind: s.kind.as_str(),
            username: s.username.as_deref(),
            display_name: s.display_name.as_deref(),
            language: s.language.map(|language| language.as_str()),
            active: s.active,
            inactive_reason: s.inactive_reason.map(|reason| reason.as_str()),
            delivery_mode: s.delivery_mode.as_stored(),
            quiet_hours: s.quiet_hours.map(|quiet| quiet.as_stored()),
            timezone: s.timezone.map(|zone| zone.as_stored()),
            subscribed_at: chrono::DateTime::from_timestamp_millis(s.subscribed_at)
                .map_or_else(String::new, |at| at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)),
            platform: s.recipient.platform.as_str(),
        }
    }
}

impl Row<'_> {
    fn csv_line(&self) -> String {
        let text = |value: Option<&str>| csv_field(value.unwrap_or_default());
        [
            csv_field(self.chat_id),
            csv_field(self.kind),
            text(self.username),
            text(self.display_name),
            text(self.language),
            self.active.to_string(),
            text(self.inactive_reason),
            csv_field(&self.delivery_mode),
            text(self.quiet_hours.as_deref()),
            text(self.timezone),
            self.subscribed_at.clone(),
            csv_field(self.platform),
        ]
        .join(",")
    }
}

/// A field as RFC 4180 wants it: in double quotes, with quotes doubled, when it holds a comma, a
/// quote or a line break (display names hold anything).
fn csv_field(value: &str) -> String {
    if value.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", value.replace('"', "\"\""))
    } else {
        value.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_with_commas_quotes_or_line_breaks_are_quoted() {
        assert_eq!(csv_field("Budi"), "Budi");
        assert_eq!(csv_field("Budi, \"si\" 🦀\nJakarta"), "\"Budi, \"\"si\"\" 🦀\nJakarta\"");
        assert_eq!(csv_field("a\rb"), "\"a\rb\"");
    }
}
