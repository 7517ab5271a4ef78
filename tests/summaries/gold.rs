//! The gold: what each corpus page's article says, and the sentence it starts with.
//!
//! **The article text** is the suite's expected text, whole: every word a summary takes from it
//! counts as right, every other word as leaked boilerplate.
//!
//! **The gold lead** is the first paragraph of *running text* of the expected text, and the gold
//! first sentence its first sentence (as `kabar::article::summary::sentences` splits it, the
//! same splitter for gold and summary). A paragraph is running text when it has at least [`MIN_WORDS`] words and
//! ends like a sentence (`.`, `!`, `?` or `…`, possibly followed by closing quotes or brackets).
//! In an expected HTML text, paragraphs inside figures, captions, lists, tables and asides do
//! not count either. This definition knows nothing of kabar's lead rules: it only reads the
//! suite's expectation, so a rule cannot make the metric agree with itself.

use dom_query::Document;
use kabar::article::summary::sentences;
use kabar::text::normalize_whitespace;

/// Fewer words than this and a paragraph is a label, a kicker or a credit, not running text.
pub const MIN_WORDS: usize = 8;

/// Where a paragraph of an expected HTML text cannot be running text.
const NOT_RUNNING_TEXT: &str = "figure, figcaption, li, table, aside, [class*=caption], [class*=credit]";

/// A page's expected article.
#[derive(Debug, Clone)]
pub struct Gold {
    /// The whole expected text.
    pub text: String,
    /// The article's first paragraph of running text, if it has any.
    pub lead: Option<String>,
}

impl Gold {
    /// The gold of an expected plain text whose paragraphs are lines.
    pub fn from_text(text: &str) -> Gold {
        let paragraphs = text.lines().map(normalize_whitespace);
        Gold { text: text.to_owned(), lead: lead(paragraphs) }
    }

    /// The gold of an expected HTML text, such as Readability.js's `expected.html`.
    pub fn from_html(html: &str) -> Gold {
        let document = Document::from(html);
        let text = normalize_whitespace(&document.select("body").text());
        let paragraphs = document
            .select("p")
            .nodes()
            .iter()
            .filter(|p| !p.ancestors_it(None).any(|ancestor| ancestor.is(NOT_RUNNING_TEXT)))
            .map(|p| normalize_whitespace(&p.text()))
            .collect::<Vec<_>>();
        Gold { text, lead: lead(paragraphs) }
    }
}

fn lead(paragraphs: impl IntoIterator<Item = String>) -> Option<String> {
    paragraphs.into_iter().find(|paragraph| is_running_text(paragraph))
}

impl Gold {
    /// The article's first sentence of running text, if it has any.
    pub fn first_sentence(&self) -> Option<&str> {
        sentences(self.lead.as_deref()?).first().copied()
    }
}

/// Whether `paragraph` reads as running text: long enough, and ending like a sentence.
pub fn is_running_text(paragraph: &str) -> bool {
    let words = paragraph.split_whitespace().count();
    let end = paragraph.trim_end_matches(['"', '”', '’', '\'', ')', ']', '»']);
    words >= MIN_WORDS && end.ends_with(['.', '!', '?', '…'])
}
