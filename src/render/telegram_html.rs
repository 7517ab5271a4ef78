//! Telegram's HTML parse mode: escaping, and measuring text the way Telegram counts it.

use super::Markup;
use crate::{domain::Platform, text::decode_entities};

/// Telegram's limit for a message's text, after entity parsing.
pub const TEXT_LIMIT: usize = 4096;
/// Telegram's limit for a photo's caption, after entity parsing.
pub const CAPTION_LIMIT: usize = 1024;

/// Telegram HTML, as kabar writes it.
#[derive(Debug, Clone, Copy)]
pub struct TelegramHtml;

impl Markup for TelegramHtml {
    fn platform(&self) -> Platform {
        Platform::Telegram
    }

    fn template_extension(&self) -> &'static str {
        "html.j2"
    }

    fn escape(&self, text: &str) -> String {
        escape(text)
    }

    fn visible_len(&self, rendered: &str) -> usize {
        visible_len(rendered)
    }

    fn plain_text(&self, rendered: &str) -> String {
        decode_entities(&strip_tags(rendered))
    }

    fn text_limit(&self) -> usize {
        TEXT_LIMIT
    }

    fn caption_limit(&self) -> usize {
        CAPTION_LIMIT
    }
}

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

/// HTML that kabar rendered, without its tags (entities still encoded).
fn strip_tags(html_text: &str) -> String {
    let mut text = String::with_capacity(html_text.len());
    let mut in_tag = false;
    for c in html_text.chars() {
        match c {
            '<' => in_tag = true,
            '>' if in_tag => in_tag = false,
            c if !in_tag => text.push(c),
            _ => {}
        }
    }
    text
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
    fn the_plain_text_is_what_a_reader_sees() {
        assert_eq!(TelegramHtml.plain_text("<b>a &lt;b&gt; &amp; c</b>"), "a <b> & c");
    }
}
