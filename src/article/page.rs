//! Everything kabar reads from an article's page, for publishing it and for `kabar preview`.

use super::Summarizer;
use super::extract::{Body, Engine};
use super::meta::PageMeta;
use super::paragraphs::paragraphs_from_html;
use super::rules::Fired;

/// What kabar reads from an article's page, and how.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ArticlePage {
    /// The extractor's title of the article, else the page's `og:title` or `<title>`.
    pub title: Option<String>,
    pub summary: Option<String>,
    /// `<link rel="canonical">`, else `og:url`: absolute, http(s).
    pub canonical_url: Option<String>,
    /// `og:image` or its kin: absolute, http(s), else none (the story then goes out as text).
    pub image_url: Option<String>,
    /// The article's text as the extractor gave it, one block a line, before any rule ran.
    pub body: String,
    /// The page's sections (`article:section`).
    pub categories: Vec<String>,
    /// The crate that read the body ("rs-trafilatura", "dom_smoothie"), or none when neither
    /// found an article and every paragraph of the page was used.
    pub extractor: Option<&'static str>,
    /// The names of the boilerplate and lead rules that fired while summarising.
    pub rules_fired: Vec<String>,
}

impl Summarizer {
    /// Reads a whole article page found at `url`: its body by the summarizer's extractor (the
    /// next engine is tried when one finds no running text to lead with, and every paragraph of
    /// the page when none finds any), its summary, and what its head says.
    pub fn read_page(&self, html: &str, url: &str) -> ArticlePage {
        let meta = PageMeta::read(html, url);
        let mut best: Option<ArticlePage> = None;
        for &engine in self.extractor.engines() {
            let Some(body) = engine.read(html, url) else { continue };
            let (preview, from_running_text) = self.preview_body(&meta, body, Some(engine));
            if from_running_text {
                return preview;
            }
            if best.as_ref().is_none_or(|best| best.summary.is_none() && preview.summary.is_some()) {
                best = Some(preview);
            }
        }
        match best {
            Some(best) if best.summary.is_some() => best,
            best => {
                let last_resort = self.preview_of_every_paragraph(&meta, html);
                match best {
                    Some(best) if last_resort.summary.is_none() => best,
                    _ => last_resort,
                }
            }
        }
    }

    /// The preview of every paragraph of the page, for pages no extractor can read.
    fn preview_of_every_paragraph(&self, meta: &PageMeta, html: &str) -> ArticlePage {
        let paragraphs = paragraphs_from_html(html);
        let body = Body { title: None, text: paragraphs.join("\n"), paragraphs };
        self.preview_body(meta, body, None).0
    }

    /// The preview of `body`, and whether its summary starts with running text.
    fn preview_body(&self, meta: &PageMeta, body: Body, engine: Option<Engine>) -> (ArticlePage, bool) {
        let title = body.title.or_else(|| meta.title.clone());
        let mut fired = Fired::default();
        let (summary, from_running_text) =
            self.summarize_lead(title.as_deref().unwrap_or(""), body.paragraphs, &mut fired);
        let preview = ArticlePage {
            title,
            summary,
            canonical_url: meta.canonical_url.clone(),
            image_url: meta.image_url.clone(),
            body: body.text,
            categories: meta.sections.clone(),
            extractor: engine.map(Engine::name),
            rules_fired: fired.into_names(),
        };
        (preview, from_running_text)
    }
}
