//! Telegram's HTML parsing: what passes, what fails with which words, and how long the result is.

use tg_sandbox::html::{FormattedText, parse_html, trim, utf16_len};

fn parse(source: &str) -> Result<FormattedText, String> {
    parse_html(source, true)
}

fn kinds(text: &FormattedText) -> Vec<(&str, usize, usize)> {
    text.entities.iter().map(|e| (&*e.kind, e.offset, e.length)).collect()
}

#[test]
fn nested_tags_become_entities_with_outer_ones_first() {
    let text = parse("<b>bold <i>both</i></b> <u>u</u> <s>s</s> <tg-spoiler>x</tg-spoiler>").unwrap();
    assert_eq!(text.text, "bold both u s x");
    assert_eq!(
        kinds(&text),
        [("bold", 0, 9), ("italic", 5, 4), ("underline", 10, 1), ("strikethrough", 12, 1), ("spoiler", 14, 1)]
    );
}

#[test]
fn synonyms_and_attributes_are_understood() {
    let source = concat!(
        "<strong>a</strong><em>b</em><ins>c</ins><del>d</del><strike>e</strike>",
        "<span class=\"tg-spoiler\">f</span><blockquote expandable>g</blockquote>",
        "<pre><code class=\"language-rust\">h</code></pre><code>i</code>",
        "<tg-emoji emoji-id=\"5368324170671202286\">👍</tg-emoji>"
    );
    let text = parse(source).unwrap();
    assert_eq!(text.text, "abcdefghi👍");
    let names: Vec<&str> = text.entities.iter().map(|e| &*e.kind).collect();
    assert_eq!(
        names,
        [
            "bold",
            "italic",
            "underline",
            "strikethrough",
            "strikethrough",
            "spoiler",
            "expandable_blockquote",
            "pre",
            "code",
            "custom_emoji"
        ]
    );
    assert_eq!(text.entities[7].language.as_deref(), Some("rust"));
}

#[test]
fn links_keep_their_url_and_get_a_scheme_when_missing() {
    let text = parse("<a href=\"https://example.com/a?b=1&amp;c=2\">x</a> <a href='example.org'>y</a>").unwrap();
    assert_eq!(text.entities[0].url.as_deref(), Some("https://example.com/a?b=1&c=2"));
    assert_eq!(text.entities[1].url.as_deref(), Some("http://example.org/"));
}

#[test]
fn html_entities_are_decoded() {
    let text = parse("&lt;tag&gt; &amp; &quot;q&quot; &#65;&#x42; caf&#233;").unwrap();
    assert_eq!(text.text, "<tag> & \"q\" AB café");
}

#[test]
fn a_bare_greater_than_is_fine_as_on_telegram() {
    assert_eq!(parse("a > b").unwrap().text, "a > b");
}

#[test]
fn an_unescaped_less_than_is_an_unsupported_tag() {
    assert_eq!(parse("a < b").unwrap_err(), "Unsupported start tag \"\" at byte offset 2");
    assert_eq!(parse("1<2").unwrap_err(), "Unclosed start tag at byte offset 1");
}

#[test]
fn a_bare_ampersand_is_refused_in_strict_mode_and_kept_otherwise() {
    assert!(parse("Tom & Jerry").unwrap_err().contains("byte offset 4"));
    assert!(parse("AT&T").is_err());
    assert_eq!(parse_html("Tom & Jerry", false).unwrap().text, "Tom & Jerry");
}

#[test]
fn an_unknown_tag_is_refused() {
    assert_eq!(parse("<p>hi</p>").unwrap_err(), "Unsupported start tag \"p\" at byte offset 0");
    assert_eq!(parse("<br/>").unwrap_err(), "Unsupported start tag \"br/\" at byte offset 0");
}

#[test]
fn an_unclosed_tag_is_refused() {
    assert_eq!(parse("<b>hi").unwrap_err(), "Can't find end tag corresponding to start tag \"b\"");
}

#[test]
fn a_mismatched_end_tag_is_refused() {
    assert_eq!(
        parse("<b><i>x</b></i>").unwrap_err(),
        "Unmatched end tag at byte offset 7, expected \"</i>\", found \"</b>\""
    );
    assert_eq!(parse("x</b>").unwrap_err(), "Unexpected end tag at byte offset 1");
}

#[test]
fn a_span_needs_the_spoiler_class() {
    assert!(parse("<span>x</span>").unwrap_err().starts_with("Tag \"span\" must have class \"tg-spoiler\""));
}

#[test]
fn length_is_counted_in_utf16_after_parsing() {
    let text = parse("<b>héllo</b> &lt;3").unwrap();
    assert_eq!(text.text, "héllo <3");
    assert_eq!(utf16_len(&text.text), 8);
}

#[test]
fn emoji_outside_the_basic_plane_count_as_two_units() {
    assert_eq!(utf16_len("😀"), 2);
    assert_eq!(utf16_len("👍🏽"), 4);
    let text = parse("😀<b>x</b>").unwrap();
    assert_eq!(kinds(&text), [("bold", 2, 1)]);
}

#[test]
fn trimming_removes_outer_whitespace_and_moves_entities() {
    let mut text = parse("\n  <b> bold </b>\n").unwrap();
    trim(&mut text);
    assert_eq!(text.text, "bold");
    assert_eq!(kinds(&text), [("bold", 0, 4)]);
}

#[test]
fn empty_tags_make_no_entities() {
    assert!(parse("<b></b>x").unwrap().entities.is_empty());
}
