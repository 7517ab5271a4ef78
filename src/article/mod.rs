//! From an article's raw material (a feed's content, a web page, plain text) to its summary.
//!
//! The steps are always the same: read the body ([`extract`], for a whole page), split it into
//! paragraphs, drop boilerplate ([`clean`]), find where the lead starts past captions, bylines and
//! promotions ([`lead`]), and take its first sentences ([`summary`]).

pub mod clean;
pub mod extract;
pub mod lead;
pub mod meta;
mod page;
mod paragraphs;
pub mod rules;
pub mod summary;

pub use clean::BoilerplateRules;
pub use extract::Extractor;
pub use meta::{PageMeta, absolute_http_url};
pub use page::ArticlePage;
pub use paragraphs::{paragraphs_from_html, paragraphs_from_text};
pub use rules::Fired;

use crate::config::SummarySettings;

/// Writes summaries with one set of rules and settings.
#[derive(Debug, Clone)]
pub struct Summarizer {
    rules: BoilerplateRules,
    max_chars: usize,
    keep_dateline: bool,
    extractor: Extractor,
}

impl Summarizer {
    /// A summarizer with the built-in boilerplate and lead rules.
    pub fn new(settings: &SummarySettings) -> Summarizer {
        Summarizer::with_rules(settings, BoilerplateRules::default())
    }

    /// A summarizer with the built-in rules and the operator's `summary.rules_file`, if any.
    pub fn from_settings(settings: &SummarySettings) -> Result<Summarizer, clean::RuleError> {
        let rules = match &settings.rules_file {
            Some(file) => BoilerplateRules::with_file(file)?,
            None => BoilerplateRules::default(),
        };
        Ok(Summarizer::with_rules(settings, rules))
    }

    pub fn with_rules(settings: &SummarySettings, rules: BoilerplateRules) -> Summarizer {
        Summarizer {
            rules,
            max_chars: settings.max_chars,
            keep_dateline: settings.keep_dateline,
            extractor: settings.extractor,
        }
    }

    /// This summarizer, reading pages with `extractor` instead of the default.
    pub fn with_extractor(self, extractor: Extractor) -> Summarizer {
        Summarizer { extractor, ..self }
    }

    /// Summarises an HTML fragment, such as a feed item's full content.
    pub fn summarize_html(&self, title: &str, html: &str) -> Option<String> {
        self.summarize_paragraphs(title, paragraphs_from_html(html))
    }

    /// Summarises plain text whose paragraphs are separated by line breaks.
    pub fn summarize_text(&self, title: &str, text: &str) -> Option<String> {
        self.summarize_paragraphs(title, paragraphs_from_text(text))
    }

    /// The core: clean the paragraphs, skip what comes before the lead, take the lead.
    pub fn summarize_paragraphs(&self, title: &str, paragraphs: Vec<String>) -> Option<String> {
        self.summarize_noting(title, paragraphs, &mut Fired::default())
    }

    /// [`summarize_paragraphs`](Self::summarize_paragraphs), noting the rules that fired.
    pub fn summarize_noting(&self, title: &str, paragraphs: Vec<String>, fired: &mut Fired) -> Option<String> {
        self.summarize_lead(title, paragraphs, fired).0
    }

    /// The summary, and whether it starts with running text.
    fn summarize_lead(&self, title: &str, paragraphs: Vec<String>, fired: &mut Fired) -> (Option<String>, bool) {
        let cleaned = self.rules.clean_noting(paragraphs, fired);
        let lead = self.rules.lead.from_lead(cleaned, title, self.keep_dateline, fired);
        (summary::lead(&lead.paragraphs, self.max_chars), lead.is_running_text)
    }
}

#[cfg(test)]
mod tests;
