//! From an article's raw material (a feed's content, a web page, plain text) to its summary.
//!
//! The steps are always the same: split into paragraphs, drop boilerplate ([`clean`]), find where
//! the prose starts, strip the dateline unless it is wanted, and take the lead ([`summary`]).

pub mod clean;
mod paragraphs;
pub mod summary;

pub use clean::BoilerplateRules;
pub use paragraphs::{paragraphs_from_html, paragraphs_from_text};

use crate::{config::SummarySettings, text::normalize_whitespace};

/// What kabar learns from an article's own page.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PageArticle {
    pub title: Option<String>,
    pub summary: Option<String>,
    pub image_url: Option<String>,
    /// The page's section (`article:section`), which becomes a channel.
    pub categories: Vec<String>,
}

/// Writes summaries with one set of rules and settings.
#[derive(Debug, Clone)]
pub struct Summarizer {
    rules: BoilerplateRules,
    max_chars: usize,
    keep_dateline: bool,
}

/// Below this many characters a leading paragraph is a label, a kicker or a caption, not prose.
const MIN_PROSE_CHARS: usize = 60;

impl Summarizer {
    /// A summarizer with the built-in boilerplate rules.
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
        Summarizer { rules, max_chars: settings.max_chars, keep_dateline: settings.keep_dateline }
    }

    /// Summarises an HTML fragment, such as a feed item's full content.
    pub fn summarize_html(&self, title: &str, html: &str) -> Option<String> {
        self.summarize_paragraphs(title, paragraphs_from_html(html))
    }

    /// Summarises plain text whose paragraphs are separated by line breaks.
    pub fn summarize_text(&self, title: &str, text: &str) -> Option<String> {
        self.summarize_paragraphs(title, paragraphs_from_text(text))
    }

    /// Reads a whole article page: the readable part (readability), its title and its image.
    pub fn read_page(&self, html: &str, url: &str) -> PageArticle {
        let config = dom_smoothie::Config { max_elements_to_parse: 20_000, ..Default::default() };
        let parsed = dom_smoothie::Readability::new(html, Some(url), Some(config)).and_then(|mut r| r.parse());
        match parsed {
            Ok(article) => {
                let title = Some(normalize_whitespace(&article.title)).filter(|t| !t.is_empty());
                let summary = self.summarize_html(title.as_deref().unwrap_or(""), &article.content);
                PageArticle { title, summary, image_url: article.image, categories: paragraphs::page_sections(html) }
            }
            Err(error) => {
                tracing::debug!(%url, %error, "readability found no article; using every paragraph");
                let title = paragraphs::page_title(html);
                let summary = self.summarize_html(title.as_deref().unwrap_or(""), html);
                PageArticle { title, summary, image_url: None, categories: paragraphs::page_sections(html) }
            }
        }
    }

    /// The core: clean the paragraphs, skip what comes before the prose, take the lead.
    pub fn summarize_paragraphs(&self, title: &str, paragraphs: Vec<String>) -> Option<String> {
        let title = normalize_whitespace(title).to_lowercase();
        let mut prose: Vec<String> = self
            .rules
            .clean(paragraphs)
            .into_iter()
            .skip_while(|p| p.chars().count() < MIN_PROSE_CHARS || p.to_lowercase() == title)
            .collect();
        if !self.keep_dateline {
            let first = prose.first_mut()?;
            *first = summary::strip_dateline(first).to_owned();
        }
        summary::lead(&prose, self.max_chars)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SEED: &str = include_str!("../demo/seed-article.txt");
    const SEED_TITLE: &str = "AS Tak Akan Berlakukan Batasan Senjata pada Ukraina meski Korut Bantu Rusia";

    fn summarizer() -> Summarizer {
        Summarizer::new(&SummarySettings::default())
    }

    #[test]
    fn the_seed_article_is_summarised_by_its_lead_facts() {
        let summary = summarizer().summarize_text(SEED_TITLE, SEED).unwrap();
        assert!(summary.starts_with("Pentagon telah mengonfirmasi bahwa Amerika Serikat"), "{summary}");
        assert!(summary.ends_with('.'), "{summary}");
        assert!(summary.chars().count() <= 300, "{summary}");
    }

    #[test]
    fn the_seed_summary_has_none_of_the_boilerplate() {
        let summary = summarizer().summarize_text(SEED_TITLE, SEED).unwrap();
        for boilerplate in ["Baca Juga", "WhatsApp", "sp-globalindo.co.id", "LEAVE A RESPONSE", "SP NEWS", "email"] {
            assert!(!summary.contains(boilerplate), "{boilerplate:?} in {summary}");
        }
    }

    #[test]
    fn the_dateline_is_kept_when_the_setting_asks_for_it() {
        let settings = SummarySettings { keep_dateline: true, ..SummarySettings::default() };
        let summary = Summarizer::new(&settings).summarize_text(SEED_TITLE, SEED).unwrap();
        assert!(summary.starts_with("WASHINGTON, DC"), "{summary}");
    }

    #[test]
    fn a_longer_budget_takes_more_whole_sentences() {
        let settings = SummarySettings { max_chars: 600, ..SummarySettings::default() };
        let summary = Summarizer::new(&settings).summarize_text(SEED_TITLE, SEED).unwrap();
        assert!(summary.contains("wilayah Kursk di Rusia."), "{summary}");
        assert!(summary.chars().count() <= 600);
    }

    #[test]
    fn a_wordpress_page_is_read_through_readability() {
        // The demo site's page for the seed article, as its WordPress theme writes it.
        let page = include_str!("../../tests/fixtures/pages/seed-article.html");
        let article = summarizer().read_page(page, "https://news.example/2024/11/as-tak-akan");
        assert_eq!(article.title.as_deref(), Some(SEED_TITLE));
        assert_eq!(article.image_url.as_deref(), Some("https://example.org/img.jpg"));
        let summary = article.summary.unwrap();
        assert!(summary.starts_with("Pentagon telah mengonfirmasi"), "{summary}");
        assert!(!summary.contains("Baca Juga"));
    }

    #[test]
    fn a_feed_content_fragment_is_summarised() {
        let html = "<p>JAKARTA – Banjir melanda <b>tiga</b> kecamatan &amp; ribuan warga mengungsi sejak Senin pagi waktu setempat.</p>\
                    <p><strong>Baca Juga:</strong> <a href=\"/x\">Lainnya</a></p><p>Kalimat berikutnya.</p>";
        let summary = summarizer().summarize_html("Banjir", html).unwrap();
        assert_eq!(
            summary,
            "Banjir melanda tiga kecamatan & ribuan warga mengungsi sejak Senin pagi waktu setempat. Kalimat berikutnya."
        );
    }

    #[test]
    fn a_page_readability_cannot_read_still_gives_its_title() {
        let page = "<html><head><title>Judul Halaman</title></head><body><div>Teks tanpa paragraf.</div></body></html>";
        assert_eq!(summarizer().read_page(page, "https://x.example/a").title.as_deref(), Some("Judul Halaman"));
    }

    #[test]
    fn an_article_without_prose_has_no_summary() {
        assert_eq!(summarizer().summarize_html("T", "<p>Short.</p>"), None);
    }
}
