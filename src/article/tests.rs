use super::*;
use crate::config::SummarySettings;

const SEED: &str = include_str!("../demo/seed-article.txt");
const SEED_TITLE: &str = "AS Tak Akan Berlakukan Batasan Senjata pada Ukraina meski Korut Bantu Rusia";

fn summarizer() -> Summarizer {
    Summarizer::new(&SummarySettings::default())
}

/// The demo site's page for the seed article, as its WordPress theme writes it, with `image_url`
/// as its `og:image`.
fn seed_page(image_url: &str) -> String {
    let page = include_str!("../../tests/fixtures/pages/seed-article.html");
    page.replace("https://example.org/img.jpg", &html_escape::encode_double_quoted_attribute(image_url))
}

#[test]
fn the_seed_article_is_summarised_by_its_lead_facts() {
    let summary = summarizer().summarize_text(SEED_TITLE, SEED).unwrap();
    assert!(summary.starts_with("Pentagon telah mengonfirmasi bahwa Amerika Serikat"), "{summary}");
    assert!(summary.ends_with('.'), "{summary}");
    assert!(summary.chars().count() <= 300, "{summary}");
}

#[test]
fn the_seed_summary_has_none_of_the_boilerplate() {
    let summary = summarizer().summarize_text(SEED_TITLE, SEED).unwrap();
    for boilerplate in ["Baca Juga", "WhatsApp", "sp-globalindo.co.id", "LEAVE A RESPONSE", "SP NEWS", "email"] {
        assert!(!summary.contains(boilerplate), "{boilerplate:?} in {summary}");
    }
}

#[test]
fn the_dateline_is_kept_when_the_setting_asks_for_it() {
    let settings = SummarySettings { keep_dateline: true, ..SummarySettings::default() };
    let summary = Summarizer::new(&settings).summarize_text(SEED_TITLE, SEED).unwrap();
    assert!(summary.starts_with("WASHINGTON, DC"), "{summary}");
}

#[test]
fn a_longer_budget_takes_more_whole_sentences() {
    let settings = SummarySettings { max_chars: 600, ..SummarySettings::default() };
    let summary = Summarizer::new(&settings).summarize_text(SEED_TITLE, SEED).unwrap();
    assert!(summary.contains("wilayah Kursk di Rusia."), "{summary}");
    assert!(summary.chars().count() <= 600);
}

#[test]
fn a_wordpress_page_is_read_by_every_extractor() {
    let page = seed_page("https://example.org/img.jpg");
    for extractor in [Extractor::Readability, Extractor::Trafilatura, Extractor::Combined] {
        let article =
            summarizer().with_extractor(extractor).read_page(&page, "https://news.example/2024/11/as-tak-akan");
        assert_eq!(article.title.as_deref(), Some(SEED_TITLE), "{extractor:?}");
        assert_eq!(article.image_url.as_deref(), Some("https://example.org/img.jpg"), "{extractor:?}");
        let summary = article.summary.unwrap();
        assert!(summary.starts_with("Pentagon telah mengonfirmasi"), "{extractor:?}: {summary}");
        assert!(!summary.contains("Baca Juga"), "{extractor:?}: {summary}");
    }
}

#[test]
fn a_relative_page_image_is_made_absolute() {
    let article =
        summarizer().read_page(&seed_page("/wp-content/foto.jpg"), "https://news.example/2024/11/as-tak-akan/");
    assert_eq!(article.image_url.as_deref(), Some("https://news.example/wp-content/foto.jpg"));
    assert!(article.summary.is_some(), "the story still has its summary");
}

#[test]
fn a_page_image_that_is_no_web_link_is_dropped_and_the_story_stays() {
    for refused in ["javascript:alert(1)", "data:image/png;base64,AAAA", "http://", ""] {
        let article = summarizer().read_page(&seed_page(refused), "https://news.example/a/");
        assert_eq!(article.image_url, None, "{refused:?}");
        assert!(article.summary.is_some(), "{refused:?}: the story goes out as text");
    }
}

#[test]
fn a_preview_shows_what_the_page_gave_and_which_rules_fired() {
    let page = seed_page("https://example.org/img.jpg")
        .replace("<head>", "<head><link rel=\"canonical\" href=\"/2024/11/as-tak-akan/\">");
    let preview = summarizer().read_page(&page, "https://news.example/amp/as-tak-akan");
    assert_eq!(preview.canonical_url.as_deref(), Some("https://news.example/2024/11/as-tak-akan/"));
    assert_eq!(preview.extractor, Some("rs-trafilatura"));
    assert!(preview.body.contains("Pentagon telah mengonfirmasi"), "{}", preview.body);
    assert!(preview.rules_fired.iter().any(|name| name == "dateline"), "{:?}", preview.rules_fired);
}

#[test]
fn a_page_readability_cannot_read_still_gives_its_title() {
    let page = "<html><head><title>Judul Halaman</title></head><body><div>Teks tanpa paragraf.</div></body></html>";
    assert_eq!(summarizer().read_page(page, "https://x.example/a").title.as_deref(), Some("Judul Halaman"));
}

#[test]
fn a_feed_content_fragment_is_summarised() {
    let html = "<p>JAKARTA – Banjir melanda <b>tiga</b> kecamatan &amp; ribuan warga mengungsi sejak Senin pagi waktu setempat.</p>\
                <p><strong>Baca Juga:</strong> <a href=\"/x\">Lainnya</a></p><p>Kalimat berikutnya.</p>";
    let summary = summarizer().summarize_html("Banjir", html).unwrap();
    assert_eq!(
        summary,
        "Banjir melanda tiga kecamatan & ribuan warga mengungsi sejak Senin pagi waktu setempat. Kalimat berikutnya."
    );
}

#[test]
fn an_article_without_prose_has_no_summary() {
    assert_eq!(summarizer().summarize_html("T", "<p>Short.</p>"), None);
}

#[test]
fn an_operators_lead_rules_from_the_rules_file_are_used_with_the_built_in_ones() {
    let file = tempfile::NamedTempFile::new().unwrap();
    let operator = "drop_paragraph = ['^Mitra Kami']\n\
                    skip_before_lead = [{ name = \"kicker\", pattern = '^EKSKLUSIF\\b' }]\n";
    std::fs::write(file.path(), operator).unwrap();
    let settings = SummarySettings { rules_file: Some(file.path().to_owned()), ..SummarySettings::default() };
    let summarizer = Summarizer::from_settings(&settings).unwrap();
    let paragraphs = [
        "EKSKLUSIF: wawancara dengan menteri keuangan tentang rencana anggaran tahun depan.",
        "Mitra Kami: promo",
        "Menteri Keuangan menyampaikan rencana anggaran tahun depan di Jakarta pada Senin pagi.",
    ];
    let mut fired = Fired::default();
    let summary = summarizer.summarize_noting("Anggaran", paragraphs.map(str::to_owned).to_vec(), &mut fired);
    assert_eq!(summary.as_deref(), Some(paragraphs[2]));
    assert_eq!(fired.into_names(), ["^Mitra Kami", "kicker"]);
}
