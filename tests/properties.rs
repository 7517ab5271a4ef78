//! Property tests: the feed parser, the page summariser and the renderer, fed arbitrary and
//! adversarial input (deep nesting, huge attributes, broken entities, mixed encodings,
//! right-to-left text, emoji where a summary is cut), never panic, and what they produce stays
//! within Telegram's limits with balanced markup. A bounded number of cases, for CI.

use kabar::article::Summarizer;
use kabar::config::SummarySettings;
use kabar::domain::{Language, Platform};
use kabar::render::telegram_html::{CAPTION_LIMIT, TEXT_LIMIT};
use kabar::render::{ArticleView, Renderer, Room, telegram_html::visible_len};
use kabar::sources::parse::{parse_feed_document, resolve_links};
use proptest::prelude::*;

/// Cases per property: enough to find the usual suspects, few enough for a debug build in CI.
const CASES: u32 = 48;
/// Cases for whole pages, each up to thousands of levels deep and hundreds of kilobytes long.
const PAGE_CASES: u32 = 12;

/// Text a hostile or broken page may hold: right-to-left scripts, emoji (with joiners and
/// flags), combining marks, broken and unknown entities, markup characters, odd whitespace.
fn nasty_text() -> impl Strategy<Value = String> {
    let pieces = prop_oneof![
        Just("مرحبا بالعالم. ".to_owned()),
        Just("שלום עולם! ".to_owned()),
        Just("\u{202e}reversed\u{202c} ".to_owned()),
        Just("👨‍👩‍👧‍👦🇮🇩🔥 ".to_owned()),
        Just("e\u{301}\u{302}\u{303} ".to_owned()),
        Just("&amp &#xZZ; &#99999999; &unknown; &lt;b&gt; & ".to_owned()),
        Just("<b>bold <i>both</b> i</i> ".to_owned()),
        Just("Ã©Ã¨ â€™mojibakeâ€ ".to_owned()),
        Just("\u{0}\u{feff}\u{a0}\t\r\n ".to_owned()),
        Just("Pemerintah mengumumkan kebijakan baru pada Senin pagi di Jakarta. ".to_owned()),
        "[a-zA-Z ,.!?]{1,80}",
        any::<String>(),
    ];
    prop::collection::vec(pieces, 0..40).prop_map(|pieces| pieces.concat())
}

/// An HTML page with an article built from `nasty_text`, nested `depth` deep, with a huge
/// attribute and an image link that may be anything.
fn nasty_page() -> impl Strategy<Value = String> {
    (nasty_text(), nasty_text(), 0..3_000usize, 0..200_000usize, nasty_image()).prop_map(
        |(title, body, depth, attribute_len, image)| {
            let open = "<div><span>".repeat(depth);
            let close = "</span></div>".repeat(depth);
            format!(
                "<html><head><title>{title}</title><meta property=\"og:image\" content=\"{image}\"></head>\
                 <body data-x=\"{}\">{open}<article><h1>{title}</h1><p>{body}</p><p>{body}</p></article>{close}</body></html>",
                "x".repeat(attribute_len)
            )
        },
    )
}

fn nasty_image() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(String::new()),
        Just("/relative/a.jpg".to_owned()),
        Just("//cdn.example/a.jpg".to_owned()),
        Just("javascript:alert(1)".to_owned()),
        Just("data:image/png;base64,AAAA".to_owned()),
        Just("file:///etc/passwd".to_owned()),
        Just("http://".to_owned()),
        "[ -~]{0,40}",
    ]
}

/// Bytes that claim one encoding and hold another: Latin-1 in a UTF-8 feed, broken UTF-8.
fn mixed_encoding_bytes() -> impl Strategy<Value = Vec<u8>> {
    (nasty_text(), prop::collection::vec(any::<u8>(), 0..64), any::<bool>()).prop_map(|(text, raw, latin1)| {
        let declared = if latin1 { "ISO-8859-1" } else { "UTF-8" };
        let mut bytes = format!(
            "<?xml version=\"1.0\" encoding=\"{declared}\"?><rss version=\"2.0\"><channel><title>T</title>\
             <item><title>{text}</title><link>/a?x={text}</link><description>"
        )
        .into_bytes();
        bytes.extend(raw);
        bytes.extend(b"</description><enclosure url=\"/img.jpg\" type=\"image/jpeg\"/></item></channel></rss>");
        bytes
    })
}

fn is_http(url: &str) -> bool {
    url.starts_with("http://") || url.starts_with("https://")
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(CASES))]

    #[test]
    fn the_feed_parser_never_panics_on_arbitrary_bytes(bytes in prop::collection::vec(any::<u8>(), 0..4_096)) {
        let _ = parse_feed_document(&bytes);
    }

    #[test]
    fn feed_items_have_keys_tidy_titles_and_only_web_images(bytes in mixed_encoding_bytes()) {
        if let Ok(mut document) = parse_feed_document(&bytes) {
            resolve_links(&mut document.items, "https://feed.example/rss");
            for item in &document.items {
                prop_assert!(!item.key.is_empty());
                prop_assert_eq!(item.title.trim(), item.title.as_str());
                if let Some(image) = &item.image_url {
                    prop_assert!(is_http(image), "{image:?}");
                }
            }
        }
    }

    #[test]
    fn every_article_message_fits_telegram_with_balanced_markup(
        title in nasty_text(),
        summary in prop::option::of(nasty_text()),
        url in prop::option::of(prop_oneof![Just("https://n.example/a?b=1&c=<2>".to_owned()), "[ -~]{0,60}"]),
        caption in any::<bool>(),
    ) {
        let (room, limit) = if caption { (Room::Caption, CAPTION_LIMIT) } else { (Room::Text, TEXT_LIMIT) };
        let view = ArticleView { title: &title, summary: summary.as_deref(), url: url.as_deref() };
        for &language in Language::ALL {
            let message = Renderer::default()
                .article(Platform::Telegram, language, &view, room)
                .expect("the built-in templates render");
            prop_assert!(visible_len(&message) <= limit, "{} > {limit}", visible_len(&message));
            prop_assert_eq!(markup_problem(&message), None, "{}", message);
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(PAGE_CASES))]

    #[test]
    fn reading_any_page_gives_a_summary_within_budget_and_web_links_only(page in nasty_page()) {
        let settings = SummarySettings::default();
        let preview = Summarizer::new(&settings).read_page(&page, "https://news.example/a/b");
        if let Some(summary) = &preview.summary {
            prop_assert!(summary.chars().count() <= settings.max_chars, "{summary:?}");
            prop_assert!(!summary.trim().is_empty());
        }
        for link in preview.image_url.iter().chain(&preview.canonical_url) {
            prop_assert!(is_http(link), "{link:?}");
        }
    }
}

/// Why `html` is not the balanced Telegram markup kabar writes: only `<b>`, `<i>` and
/// `<a href="…">`, each closed in order, and no stray `<` or `>`.
fn markup_problem(html: &str) -> Option<String> {
    let mut open: Vec<&str> = Vec::new();
    for (index, piece) in html.split('<').enumerate() {
        let (tag, text) = match index {
            0 => ("", piece),
            _ => match piece.split_once('>') {
                Some(split) => split,
                None => return Some(format!("an unclosed tag <{piece}")),
            },
        };
        if text.contains('>') {
            return Some(format!("a stray '>' in {text:?}"));
        }
        match tag {
            "" if index == 0 => {}
            "b" | "i" => open.push(tag),
            _ if tag.starts_with("a href=\"") && tag.ends_with('"') => open.push("a"),
            _ => match tag.strip_prefix('/') {
                Some(closing) if open.pop() == Some(closing) => {}
                _ => return Some(format!("an unexpected tag <{tag}>")),
            },
        }
    }
    (!open.is_empty()).then(|| format!("left open: {open:?}"))
}

#[test]
fn the_markup_check_catches_unbalanced_and_foreign_tags() {
    assert_eq!(markup_problem("<b>A</b> <a href=\"https://x\">x</a> &amp;"), None);
    for broken in ["<b>open", "<b>x</i>", "</b>", "<p>x</p>", "a > b", "<b"] {
        assert!(markup_problem(broken).is_some(), "{broken:?} passed");
    }
}
