//! What a page says about itself in its `<head>`: title, canonical link, image and sections, with
//! every link made absolute and only http(s) links kept.

use dom_query::Document;
use url::Url;

use crate::text::{is_web_link, normalize_whitespace};

/// A page's sections beyond the first few are tags, not sections.
const MAX_SECTIONS: usize = 3;

/// Where a page names its main image, best first.
const IMAGE_TAGS: &[(&str, &str)] = &[
    (r#"meta[property="og:image"]"#, "content"),
    (r#"meta[property="og:image:url"]"#, "content"),
    (r#"meta[property="og:image:secure_url"]"#, "content"),
    (r#"meta[name="twitter:image"]"#, "content"),
    (r#"meta[name="twitter:image:src"]"#, "content"),
    (r#"link[rel="image_src"]"#, "href"),
];

/// Where a page names its canonical address, best first.
const CANONICAL_TAGS: &[(&str, &str)] =
    &[(r#"link[rel="canonical"]"#, "href"), (r#"meta[property="og:url"]"#, "content")];

/// What a page's `<head>` says about it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PageMeta {
    /// `og:title`, else `<title>`.
    pub title: Option<String>,
    /// `<link rel="canonical">`, else `og:url`: absolute, http(s).
    pub canonical_url: Option<String>,
    /// `og:image` or its kin: absolute, http(s).
    pub image_url: Option<String>,
    /// `article:section`, at most three.
    pub sections: Vec<String>,
}

impl PageMeta {
    /// Reads the head of `html`, a page found at `url`, against which its links are resolved.
    /// Only the head is parsed: a page's body is the extractors' to read.
    pub fn read(html: &str, url: &str) -> PageMeta {
        let document = Document::from(head_of(html));
        let base = Url::parse(url).ok();
        let linked = |tags: &[(&str, &str)]| {
            tags.iter().find_map(|(selector, attribute)| {
                document.select(selector).iter().find_map(|tag| absolute_http_url(&tag.attr(attribute)?, base.as_ref()))
            })
        };
        PageMeta {
            title: title(&document),
            canonical_url: linked(CANONICAL_TAGS),
            image_url: linked(IMAGE_TAGS),
            sections: sections(&document),
        }
    }
}

/// `html` up to the end of its head, or whole when it has no closing `</head>`.
fn head_of(html: &str) -> &str {
    let end = html.as_bytes().windows(7).position(|window| window.eq_ignore_ascii_case(b"</head>"));
    end.map_or(html, |end| &html[..end])
}

fn title(document: &Document) -> Option<String> {
    let og_title = document.select(r#"meta[property="og:title"]"#).attr("content").map(|t| t.to_string());
    [og_title, Some(document.select("title").text().to_string())]
        .into_iter()
        .flatten()
        .map(|title| normalize_whitespace(&title))
        .find(|title| !title.is_empty())
}

fn sections(document: &Document) -> Vec<String> {
    let tags = document.select(r#"meta[property="article:section"]"#);
    let sections = tags.iter().filter_map(|tag| tag.attr("content")).map(|section| normalize_whitespace(&section));
    sections.filter(|section| !section.is_empty()).take(MAX_SECTIONS).collect()
}

/// `raw` as an absolute http(s) URL, resolved against `base` when relative (`/img.jpg`,
/// `img.jpg`, `//cdn.example/img.jpg`). `None` when it is empty, malformed, or no web link
/// ([`is_web_link`]: too long, or of another scheme such as `javascript:`, `data:`, `file:`):
/// such a link is no image to send. Where it points is checked later, when it is about to be
/// sent or fetched (`sources::guard::AddressGuard::check_url`).
pub fn absolute_http_url(raw: &str, base: Option<&Url>) -> Option<String> {
    let raw = raw.trim();
    if raw.is_empty() {
        return None;
    }
    let url = match (Url::parse(raw), base) {
        (Ok(url), _) => url,
        (Err(url::ParseError::RelativeUrlWithoutBase), Some(base)) => base.join(raw).ok()?,
        (Err(url::ParseError::RelativeUrlWithoutBase), None) if raw.starts_with("//") => {
            Url::parse(&format!("https:{raw}")).ok()?
        }
        (Err(_), _) => return None,
    };
    let url = url.to_string();
    is_web_link(&url).then_some(url)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resolved(raw: &str) -> Option<String> {
        absolute_http_url(raw, Url::parse("https://news.example/2024/11/story/").ok().as_ref())
    }

    #[test]
    fn an_absolute_image_url_is_kept() {
        assert_eq!(resolved("https://cdn.example/a.jpg").as_deref(), Some("https://cdn.example/a.jpg"));
        assert_eq!(resolved(" http://cdn.example/a.jpg ").as_deref(), Some("http://cdn.example/a.jpg"));
    }

    #[test]
    fn relative_image_urls_are_resolved_against_the_page() {
        assert_eq!(resolved("/img/a.jpg").as_deref(), Some("https://news.example/img/a.jpg"));
        assert_eq!(resolved("a.jpg").as_deref(), Some("https://news.example/2024/11/story/a.jpg"));
        assert_eq!(resolved("../a.jpg").as_deref(), Some("https://news.example/2024/11/a.jpg"));
    }

    #[test]
    fn a_protocol_relative_image_url_takes_the_pages_scheme() {
        assert_eq!(resolved("//cdn.example/a.jpg").as_deref(), Some("https://cdn.example/a.jpg"));
        assert_eq!(absolute_http_url("//cdn.example/a.jpg", None).as_deref(), Some("https://cdn.example/a.jpg"));
    }

    #[test]
    fn a_missing_or_malformed_image_url_gives_no_image() {
        for raw in ["", "   ", "http://", "https://[::1", "http:// spaces .example/a.jpg"] {
            assert_eq!(resolved(raw), None, "{raw:?}");
        }
        assert_eq!(absolute_http_url("/a.jpg", None), None, "relative without a base");
        assert_eq!(resolved(&format!("https://cdn.example/{}", "a".repeat(3_000))), None, "too long to send");
    }

    #[test]
    fn other_schemes_are_refused() {
        for raw in ["javascript:alert(1)", "data:image/png;base64,AAAA", "file:///etc/passwd", "ftp://x.example/a.jpg"]
        {
            assert_eq!(resolved(raw), None, "{raw:?}");
        }
    }

    #[test]
    fn the_head_gives_title_canonical_link_image_and_sections() {
        let html = r#"<html><head><title>Fallback</title><meta property="og:title" content="Judul &amp; Berita">
            <link rel="canonical" href="/2024/11/story/"><meta property="og:image" content="/foto.jpg">
            <meta property="article:section" content="Ekonomi &amp; Bisnis"><meta property="article:section" content="Nasional">
            </head><body><meta property="og:image" content="https://late.example/no.jpg"></body></html>"#;
        let meta = PageMeta::read(html, "https://news.example/amp/story");
        assert_eq!(meta.title.as_deref(), Some("Judul & Berita"));
        assert_eq!(meta.canonical_url.as_deref(), Some("https://news.example/2024/11/story/"));
        assert_eq!(meta.image_url.as_deref(), Some("https://news.example/foto.jpg"));
        assert_eq!(meta.sections, ["Ekonomi & Bisnis", "Nasional"]);
    }

    #[test]
    fn a_refused_image_falls_back_to_the_next_tag_and_none_is_none() {
        let html = r#"<head><meta property="og:image" content="javascript:x()">
            <meta name="twitter:image" content="//cdn.example/t.jpg"></head>"#;
        assert_eq!(PageMeta::read(html, "http://n.example/").image_url.as_deref(), Some("http://cdn.example/t.jpg"));
        assert_eq!(PageMeta::read("<head><title>T</title></head>", "http://n.example/").image_url, None);
    }
}
