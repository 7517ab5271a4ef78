//! The renderer's promises: every value escaped, every message within its platform's limits, in
//! every language, whatever the input or the operator's templates.

use super::{
    telegram_html::{CAPTION_LIMIT, TEXT_LIMIT, visible_len},
    *,
};
use Language::{English, Indonesian};

const TELEGRAM: Platform = Platform::Telegram;

fn article(title: &str, summary: &str, url: &str) -> String {
    article_in(English, title, summary, url)
}

fn article_in(language: Language, title: &str, summary: &str, url: &str) -> String {
    let view = ArticleView { title, summary: Some(summary), url: Some(url) };
    Renderer::default().article(TELEGRAM, language, &view, Room::Text).unwrap()
}

fn entry(title: &str) -> DigestEntry<'_> {
    DigestEntry { title, url: None, breaking: false }
}

/// A renderer with the operator's `files`, each a path under the templates folder and its text.
fn with_operator_files(files: &[(&str, &str)]) -> Renderer {
    let dir = tempfile::tempdir().unwrap();
    for (path, text) in files {
        let path = dir.path().join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
    Renderer::with_overrides(Some(dir.path())).unwrap()
}

#[test]
fn an_article_shows_title_summary_and_link() {
    let message = article("Judul", "Ringkasan.", "https://example.org/a");
    let link = "<a href=\"https://example.org/a\">https://example.org/a</a>";
    assert_eq!(message, format!("<b>Judul</b>\n\nRingkasan.\n\nRead more: {link}"));
}

#[test]
fn every_feed_supplied_string_is_escaped() {
    let message = article("<script>&</script>", "a < b > c & d", "https://example.org/?a=1&b=\"2\"");
    assert!(message.contains("<b>&lt;script&gt;&amp;&lt;/script&gt;</b>"), "{message}");
    assert!(message.contains("a &lt; b &gt; c &amp; d"));
    assert!(message.contains("href=\"https://example.org/?a=1&amp;b=&quot;2&quot;\""), "{message}");
}

#[test]
fn a_javascript_link_is_not_rendered() {
    assert!(!article("T", "S.", "javascript:alert(1)").contains("href"));
}

#[test]
fn a_huge_summary_is_cut_to_the_text_limit() {
    let message = article("T", &"kata ".repeat(5000), "https://example.org/");
    assert!(visible_len(&message) <= TEXT_LIMIT);
    assert!(message.ends_with("</a>"), "the link survives");
}

#[test]
fn a_caption_fits_the_caption_limit() {
    let view = ArticleView { title: "T", summary: Some(&"😀 ".repeat(2000)), url: None };
    let caption = Renderer::default().article(TELEGRAM, English, &view, Room::Caption).unwrap();
    assert!(visible_len(&caption) <= CAPTION_LIMIT);
}

#[test]
fn a_huge_title_is_cut() {
    let message = article(&"<&>".repeat(3000), "S.", "https://example.org/");
    assert!(visible_len(&message) <= TEXT_LIMIT);
}

#[test]
fn a_hostile_title_stays_escaped_and_within_both_limits_in_both_languages() {
    let title = format!("<script>&\"' {}", "\u{202e}kabar 😀\u{200b}".repeat(1000));
    let summary = "Ringkasan ".repeat(500);
    for &language in Language::ALL {
        for (room, limit) in [(Room::Text, TEXT_LIMIT), (Room::Caption, CAPTION_LIMIT)] {
            let view = ArticleView { title: &title, summary: Some(&summary), url: Some("https://example.org/a") };
            let message = Renderer::default().article(TELEGRAM, language, &view, room).unwrap();
            assert!(message.starts_with("<b>&lt;script&gt;&amp;&quot;' \u{202e}kabar"), "{message}");
            assert!(visible_len(&message) <= limit, "{language} {limit}");
            assert!(message.ends_with("</a>"), "the link survives in {language} within {limit}");
        }
    }
}

#[test]
fn each_language_labels_links_in_its_own_words() {
    let renderer = Renderer::default();
    let url = "https://example.org/a";
    let linked = format!("<a href=\"{url}\">{url}</a>");
    for (language, label) in [(English, "Read more: "), (Indonesian, "Baca selengkapnya: ")] {
        let link = format!("{label}{linked}");
        let link = link.as_str();
        assert!(article_in(language, "T", "S.", url).ends_with(link), "{language}");
        assert!(renderer.announcement(TELEGRAM, language, "T", Some(url), true).unwrap().ends_with(link), "{language}");
        assert!(
            renderer.announcement(TELEGRAM, language, "T", Some(url), false).unwrap().ends_with(link),
            "{language}"
        );
    }
}

#[test]
fn breaking_news_is_labelled_and_escaped() {
    let message = Renderer::default().announcement(TELEGRAM, English, "Gempa <M7>", None, true).unwrap();
    assert_eq!(message, "🔴 <b>BREAKING NEWS</b>\n\nGempa &lt;M7&gt;");
}

#[test]
fn breaking_news_is_labelled_in_indonesian() {
    let message = Renderer::default().announcement(TELEGRAM, Indonesian, "Gempa <M7>", None, true).unwrap();
    assert_eq!(message, "🔴 <b>BERITA TERKINI</b>\n\nGempa &lt;M7&gt;");
}

#[test]
fn every_platform_has_every_template_in_every_language() {
    let renderer = Renderer::default();
    let view = ArticleView { title: "T", summary: Some("S."), url: None };
    for platform in renderer.platforms() {
        for &language in Language::ALL {
            assert!(renderer.article(platform, language, &view, Room::Text).is_ok());
            assert!(renderer.announcement(platform, language, "x", None, true).is_ok());
            assert!(renderer.announcement(platform, language, "x", None, false).is_ok());
            assert!(renderer.digest(platform, language, &[entry("x")]).is_ok());
        }
    }
}

#[test]
fn an_editors_text_leaves_room_for_the_template() {
    let renderer = Renderer::default();
    let text = "x".repeat(renderer.announcement_budget());
    let message = renderer.announcement(TELEGRAM, Indonesian, &text, Some("https://example.org/a"), true).unwrap();
    assert!(message.contains(&text), "the whole text fits");
}

#[test]
fn a_digest_links_each_story_and_marks_breaking_ones() {
    let entries = [
        DigestEntry { title: "Gempa <M7>", url: Some("https://example.org/a"), breaking: true },
        DigestEntry { title: "Banjir &  surut", url: Some("javascript:alert(1)"), breaking: false },
    ];
    let message = Renderer::default().digest(TELEGRAM, English, &entries).unwrap();
    assert_eq!(
        message,
        "📰 <b>News digest: 2 stories</b>\n\n\
         • 🔴 <a href=\"https://example.org/a\">Gempa &lt;M7&gt;</a>\n\
         • Banjir &amp; surut"
    );
}

#[test]
fn the_digest_counts_its_stories_in_the_readers_language() {
    let renderer = Renderer::default();
    let header = |language, count| {
        let message = renderer.digest(TELEGRAM, language, &vec![entry("x"); count]).unwrap();
        message.lines().next().unwrap().to_owned()
    };
    assert_eq!(header(English, 1), "📰 <b>News digest: 1 story</b>");
    assert_eq!(header(English, 2), "📰 <b>News digest: 2 stories</b>");
    assert_eq!(header(Indonesian, 1), "📰 <b>Rangkuman: 1 berita</b>");
    assert_eq!(header(Indonesian, 2), "📰 <b>Rangkuman: 2 berita</b>");
}

#[test]
fn a_digest_of_500_long_titles_fits_and_says_how_many_more() {
    let title = format!("<b>&{}", " Korut–Rusia 😀".repeat(100));
    let entries = vec![DigestEntry { title: &title, url: Some("https://example.org/a"), breaking: true }; 500];
    for (language, more) in [(English, ("…and ", " more")), (Indonesian, ("…dan ", " berita lainnya"))] {
        let message = Renderer::default().digest(TELEGRAM, language, &entries).unwrap();
        let room_left = TEXT_LIMIT - visible_len(&message);
        let stories: Vec<&str> = message.lines().filter(|line| line.starts_with("• 🔴 <a href=")).collect();
        assert!(!stories.is_empty() && stories[0].contains("&lt;b&gt;&amp;"), "{message}");
        assert!(room_left <= visible_len(stories[0]), "as many stories as fit: {room_left} left");
        let last_line = message.lines().last().unwrap();
        assert_eq!(last_line, format!("{}{}{}", more.0, 500 - stories.len(), more.1));
    }
}

#[test]
fn a_digest_that_fits_whole_has_no_count_of_stories_left_out() {
    let message = Renderer::default().digest(TELEGRAM, English, &vec![entry("x"); 50]).unwrap();
    assert_eq!(message.lines().filter(|line| line.starts_with("• ")).count(), 50);
    assert!(!message.contains("more"), "{message}");
}

#[test]
fn an_operators_digest_cannot_overflow() {
    let renderer = with_operator_files(&[("digest.html.j2", &"x ".repeat(5000))]);
    assert!(visible_len(&renderer.digest(TELEGRAM, English, &[entry("x")]).unwrap()) <= TEXT_LIMIT);
}

#[test]
fn an_operators_template_replaces_the_built_in_one_and_is_still_escaped() {
    let renderer = with_operator_files(&[("breaking.html.j2", "⚡ <i>{{ text }}</i>")]);
    assert_eq!(renderer.announcement(TELEGRAM, English, "a < b", None, true).unwrap(), "⚡ <i>a &lt; b</i>");
    assert!(
        renderer.announcement(TELEGRAM, English, "x", None, false).unwrap().starts_with('x'),
        "the others stay built in"
    );
}

#[test]
fn an_operators_template_for_every_language_serves_both() {
    let renderer = with_operator_files(&[("article.html.j2", "📰 {{ title }}")]);
    let view = ArticleView { title: "T", summary: None, url: None };
    for &language in Language::ALL {
        assert_eq!(renderer.article(TELEGRAM, language, &view, Room::Text).unwrap(), "📰 T", "{language}");
    }
}

#[test]
fn an_operators_template_in_a_language_folder_serves_only_that_language() {
    let renderer =
        with_operator_files(&[("article.html.j2", "all: {{ title }}"), ("id/article.html.j2", "id: {{ title }}")]);
    let view = ArticleView { title: "T", summary: None, url: None };
    assert_eq!(renderer.article(TELEGRAM, Indonesian, &view, Room::Text).unwrap(), "id: T");
    assert_eq!(renderer.article(TELEGRAM, English, &view, Room::Text).unwrap(), "all: T");
    let only_indonesian = with_operator_files(&[("id/article.html.j2", "id: {{ title }}")]);
    assert_eq!(
        only_indonesian.article(TELEGRAM, English, &view, Room::Text).unwrap(),
        "<b>T</b>",
        "English stays built in"
    );
}

#[test]
fn a_broken_operator_template_is_named() {
    for path in ["article.html.j2", "id/digest.html.j2"] {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join(path);
        std::fs::create_dir_all(file.parent().unwrap()).unwrap();
        std::fs::write(&file, "{{ title").unwrap();
        let error = Renderer::with_overrides(Some(dir.path())).unwrap_err().to_string();
        assert!(error.contains(&file.display().to_string()), "{error}");
    }
}
