//! Telegram HTML: escaping, and measuring text the way Telegram counts it.

/// Escapes text for Telegram's HTML parse mode (and for attribute values).
pub fn escape(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len() + text.len() / 8);
    for c in text.chars() {
        match c {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '"' => escaped.push_str("&quot;"),
            c => escaped.push(c),
        }
    }
    escaped
}

/// The length Telegram checks against its limits: UTF-16 code units of the text a reader sees,
/// after tags are removed and entities decoded. Only for HTML kabar rendered itself.
pub fn visible_len(html: &str) -> usize {
    let mut length = 0;
    let mut rest = html;
    while let Some(c) = rest.chars().next() {
        if c == '<' {
            rest = rest.find('>').map_or("", |end| &rest[end + 1..]);
        } else if c == '&' {
            let entity_end = rest.find(';').filter(|&end| end <= 10).unwrap_or(0);
            length += 1;
            rest = &rest[entity_end + 1..];
        } else {
            length += c.len_utf16();
            rest = &rest[c.len_utf8()..];
        }
    }
    length
}

/// Whether a link may be rendered: only absolute http(s) URLs of sane length.
pub fn is_linkable(url: &str) -> bool {
    url.len() <= 2048 && url::Url::parse(url).is_ok_and(|u| matches!(u.scheme(), "http" | "https"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_three_special_characters_and_quotes_are_escaped() {
        assert_eq!(escape(r#"<b> & "x""#), "&lt;b&gt; &amp; &quot;x&quot;");
    }

    #[test]
    fn escaping_leaves_other_text_alone() {
        assert_eq!(escape("Korut–Rusia ✓ 'ok'"), "Korut–Rusia ✓ 'ok'");
    }

    #[test]
    fn visible_length_ignores_tags_and_counts_entities_once() {
        assert_eq!(visible_len("<b>a&amp;b</b>"), 3);
        assert_eq!(visible_len(r#"<a href="https://x.org/?a=1&amp;b=2">link</a>"#), 4);
    }

    #[test]
    fn visible_length_counts_utf16_units_like_telegram() {
        assert_eq!(visible_len("😀"), 2);
        assert_eq!(visible_len("é"), 1);
    }

    #[test]
    fn only_http_links_are_linkable() {
        assert!(is_linkable("https://example.org/a"));
        assert!(!is_linkable("javascript:alert(1)"));
        assert!(!is_linkable("not a url"));
    }
}
