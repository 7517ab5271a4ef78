//! Turning HTML or plain text into clean paragraphs, and reading a page's title and sections.

use std::sync::LazyLock;

use dom_query::Document;
use regex::Regex;

use crate::text::{decode_entities, normalize_whitespace};

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

/// A page's sections from its `article:section` meta tags (Open Graph), at most three. Read with
/// a pattern rather than a second parse of the whole page.
pub fn page_sections(html: &str) -> Vec<String> {
    static SECTION_TAG: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r#"(?i)<meta\s[^>]*property\s*=\s*["']article:section["'][^>]*>"#).expect("a valid pattern")
    });
    static CONTENT: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r#"(?i)\scontent\s*=\s*(?:"([^"]*)"|'([^']*)')"#).expect("a valid pattern"));
    SECTION_TAG
        .find_iter(html)
        .filter_map(|tag| CONTENT.captures(tag.as_str()))
        .filter_map(|content| content.get(1).or(content.get(2)))
        .map(|value| normalize_whitespace(&decode_entities(value.as_str())))
        .filter(|section| !section.is_empty())
        .take(3)
        .collect()
}

#[cfg(test)]
mod section_tests {
    use super::*;

    #[test]
    fn a_pages_section_is_read_from_its_meta_tag() {
        let html = r#"<head><meta content="Ekonomi &amp; Bisnis" property="article:section" />
            <meta property='article:section' content='Nasional'><meta property="og:title" content="x"></head>"#;
        assert_eq!(page_sections(html), vec!["Ekonomi & Bisnis".to_owned(), "Nasional".to_owned()]);
        assert!(page_sections("<p>no meta</p>").is_empty());
    }
}
