//! `kabar preview URL`: the message readers would receive for the article at URL, read exactly as
//! a push reads it. Nothing is sent and nothing is stored; no database is needed.

use clap::Args;

use super::ConfigArg;
use crate::domain::{Language, Platform};

#[derive(Debug, Args)]
pub struct PreviewArgs {
    #[command(flatten)]
    config: ConfigArg,
    /// The article's address.
    url: String,
    /// The readers' language, `en` or `id`; else `readers.default_language`.
    #[arg(long, value_parser = parse_language)]
    lang: Option<Language>,
    /// Prints one JSON object: title, summary, url, image, body, categories, the extractor and
    /// the rules that fired, and the message.
    #[arg(long)]
    json: bool,
}

impl PreviewArgs {
    pub async fn execute(self) -> anyhow::Result<()> {
        let settings = self.config.load()?;
        let language = self.lang.unwrap_or(settings.readers.default_language);
        let previewer = crate::app::previewer(&settings)?;
        let preview = previewer.preview(&self.url, Platform::Telegram, language).await?;
        if self.json {
            println!("{}", serde_json::to_string_pretty(&preview)?);
            return Ok(());
        }
        if let Some(image) = &preview.image {
            println!("📷 {image}");
        }
        println!("{}", preview.message_text);
        let extractor = preview.extractor.unwrap_or("every paragraph of the page");
        let rules = if preview.rules.is_empty() { "none".to_owned() } else { preview.rules.join(", ") };
        eprintln!("read by {extractor}; rules that fired: {rules}");
        Ok(())
    }
}

fn parse_language(code: &str) -> Result<Language, String> {
    Language::parse(code).ok_or_else(|| {
        let known: Vec<&str> = Language::ALL.iter().map(|language| language.as_str()).collect();
        format!("`{code}` is not one of {}", known.join(", "))
    })
}
