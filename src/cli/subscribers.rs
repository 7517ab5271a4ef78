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

use super::{ConfigArg, open_store};
use crate::store::{ExportedSubscriber, Store};

/// Subscribers read from the database at a time.
const BATCH: i64 = 1_000;

/// The export's columns, in order; the JSON keys are the same.
const COLUMNS: [&str; 11] = [
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
        let store = open_store(&settings).await?;
        let SubscribersAction::Export { format, output } = self.action;
        let out: Box<dyn Write> = match &output {
            Some(path) => Box::new(File::create(path).with_context(|| format!("creating {}", path.display()))?),
            None => Box::new(std::io::stdout().lock()),
        };
        let mut out = BufWriter::new(out);
        let written = export(&store, format, &mut out).await?;
        out.flush().context("writing the export")?;
        if let Some(path) = output {
            eprintln!("{written} subscriber(s) written to {}", path.display());
        }
        Ok(())
    }
}

/// Writes every subscriber in `format`; returns how many.
async fn export(store: &Store, format: Format, out: &mut impl Write) -> anyhow::Result<u64> {
    if let Format::Csv = format {
        writeln!(out, "{}", COLUMNS.join(","))?;
    }
    let (mut after, mut written) = (0, 0);
    loop {
        let batch = store.subscribers_after(after, BATCH).await?;
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
    chat_id: i64,
    kind: &'a str,
    username: Option<&'a str>,
    display_name: Option<&'a str>,
    language: Option<&'a str>,
    active: bool,
    inactive_reason: Option<&'a str>,
    delivery_mode: &'a str,
    quiet_hours: Option<&'a str>,
    timezone: Option<&'a str>,
    /// RFC 3339, UTC.
    subscribed_at: String,
}

impl<'a> From<&'a ExportedSubscriber> for Row<'a> {
    fn from(s: &'a ExportedSubscriber) -> Row<'a> {
        Row {
            chat_id: s.chat_id,
            kind: &s.kind,
            username: s.username.as_deref(),
            display_name: s.display_name.as_deref(),
            language: s.language.as_deref(),
            active: s.active,
            inactive_reason: s.inactive_reason.as_deref(),
            delivery_mode: &s.delivery_mode,
            quiet_hours: s.quiet_hours.as_deref(),
            timezone: s.timezone.as_deref(),
            subscribed_at: chrono::DateTime::from_timestamp_millis(s.subscribed_at)
                .map_or_else(String::new, |at| at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)),
        }
    }
}

impl Row<'_> {
    fn csv_line(&self) -> String {
        let text = |value: Option<&str>| csv_field(value.unwrap_or_default());
        [
            self.chat_id.to_string(),
            csv_field(self.kind),
            text(self.username),
            text(self.display_name),
            text(self.language),
            self.active.to_string(),
            text(self.inactive_reason),
            csv_field(self.delivery_mode),
            text(self.quiet_hours),
            text(self.timezone),
            self.subscribed_at.clone(),
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
