//! Turning HTML or plain text into clean paragraphs.

use dom_query::Document;

/// Collapses every run of whitespace (non-breaking spaces included) into one space, and trims.
pub fn normalize_whitespace(text: &str) -> String {
    text.split(|c: char| c.is_whitespace() || c == '\u{a0}').filter(|w| !w.is_empty()).collect::<Vec<_>>().join(" ")
}

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

/// A page's own title: `og:title`, else `<title>`.
pub fn page_title(html: &str) -> Option<String> {
    let document = Document::from(html);
    let og_title = document.select(r#"meta[property="og:title"]"#).attr("content").map(|t| t.to_string());
    og_title
        .or_else(|| Some(document.select("title").text().to_string()))
        .map(|t| normalize_whitespace(&t))
        .filter(|t| !t.is_empty())
}

/// Lower-case words of `text` joined by dashes, for names and URL slugs.
pub fn slugify(text: &str) -> String {
    let spaced: String = text.to_lowercase().chars().map(|c| if c.is_alphanumeric() { c } else { ' ' }).collect();
    spaced.split_whitespace().collect::<Vec<_>>().join("-")
}
