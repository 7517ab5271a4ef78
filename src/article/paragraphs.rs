//! Turning HTML or plain text into clean paragraphs.

use dom_query::Document;

use crate::text::normalize_whitespace;

/// The text of each `<p>` in `html` (entities decoded, tags gone); the whole text split into lines
/// when there are no paragraphs.
pub fn paragraphs_from_html(html: &str) -> Vec<String> {
    let document = Document::from(html);
    let paragraphs: Vec<String> =
        document.select("p").iter().map(|p| normalize_whitespace(&p.text())).filter(|p| !p.is_empty()).collect();
    if !paragraphs.is_empty() {
        return paragraphs;
    }
    paragraphs_from_text(&document.select("body").text())
}

/// Paragraphs of plain text: one per non-empty line.
pub fn paragraphs_from_text(text: &str) -> Vec<String> {
    text.lines().map(normalize_whitespace).filter(|line| !line.is_empty()).collect()
}
