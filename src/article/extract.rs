//! An article's body from its page, by one of two maintained extractors: rs-trafilatura (a port
//! of trafilatura) and dom_smoothie (a port of Readability.js). Measured on the article corpus
//! (`cargo bench --bench summaries`), trafilatura leaves far less boilerplate in; Readability
//! still reads a few pages trafilatura finds nothing on, hence [`Extractor::Combined`].

use super::paragraphs::{paragraphs_from_html, paragraphs_from_text};
use crate::text::normalize_whitespace;

pub use crate::config::Extractor;

/// One of the extraction engines.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Engine {
    Readability,
    Trafilatura,
}

impl Extractor {
    /// The engines to try, in order, until one yields a summary.
    pub fn engines(self) -> &'static [Engine] {
        match self {
            Extractor::Readability => &[Engine::Readability],
            Extractor::Trafilatura => &[Engine::Trafilatura],
            Extractor::Combined => &[Engine::Trafilatura, Engine::Readability],
        }
    }
}

/// Readability gives up past this many elements rather than spend seconds on a huge page.
const MAX_READABILITY_ELEMENTS: usize = 20_000;

/// An article's body and title as one engine read them.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Body {
    pub title: Option<String>,
    /// The whole text, headings and lists too, one block a line.
    pub text: String,
    /// The paragraphs (`<p>`) the lead is looked for in.
    pub paragraphs: Vec<String>,
}

impl Engine {
    /// The crate's name, for a preview to say which one read the page.
    pub fn name(self) -> &'static str {
        match self {
            Engine::Readability => "dom_smoothie",
            Engine::Trafilatura => "rs-trafilatura",
        }
    }

    /// The body this engine reads from `html`, found at `url`; `None` when it finds no article.
    pub fn read(self, html: &str, url: &str) -> Option<Body> {
        let body = match self {
            Engine::Readability => read_with_readability(html, url),
            Engine::Trafilatura => read_with_trafilatura(html, url),
        }?;
        (!body.paragraphs.is_empty()).then_some(body)
    }
}

fn read_with_readability(html: &str, url: &str) -> Option<Body> {
    let config = dom_smoothie::Config { max_elements_to_parse: MAX_READABILITY_ELEMENTS, ..Default::default() };
    let parsed = dom_smoothie::Readability::new(html, Some(url), Some(config)).and_then(|mut r| r.parse());
    match parsed {
        Ok(article) => Some(Body {
            title: title(&article.title),
            text: article.text_content.to_string(),
            paragraphs: paragraphs_from_html(&article.content),
        }),
        Err(error) => {
            tracing::debug!(%url, %error, "readability found no article");
            None
        }
    }
}

fn read_with_trafilatura(html: &str, url: &str) -> Option<Body> {
    let options = rs_trafilatura::Options {
        url: Some(url.to_owned()),
        page_type: Some(rs_trafilatura::page_type::PageType::Article),
        ..rs_trafilatura::Options::default()
    };
    match rs_trafilatura::extract_with_options(html, &options) {
        Ok(result) => Some(Body {
            title: result.metadata.title.as_deref().and_then(title),
            // The text breaks lines at inline links and bold type: paragraphs come from the HTML.
            paragraphs: match &result.content_html {
                Some(html) => paragraphs_from_html(html),
                None => paragraphs_from_text(&result.content_text),
            },
            text: result.content_text,
        }),
        Err(error) => {
            tracing::debug!(%url, %error, "trafilatura found no article");
            None
        }
    }
}

fn title(text: &str) -> Option<String> {
    Some(normalize_whitespace(text)).filter(|title| !title.is_empty())
}
