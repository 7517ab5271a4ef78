//! `kabar preview URL`: an article page read as a push reads it, shown as readers would get it,
//! with nothing sent and no database made.

use std::process::{Command, Output};

use kabar::demo::news_site::{NewsSite, seed_article};
use serde_json::Value;

fn preview(args: &[&str], dir: &tempfile::TempDir) -> Output {
    Command::new(env!("CARGO_BIN_EXE_kabar"))
        .arg("preview")
        .args(args)
        .current_dir(dir.path())
        .env_remove("TELOXIDE_TOKEN")
        .output()
        .expect("kabar runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// The sample site with the seed article on it, its photo at `image`: the site (which stops
/// when dropped), the article's title and its URL.
async fn site_with_the_seed_article(image: &str) -> (NewsSite, String, String) {
    let site = NewsSite::start().await.unwrap();
    let (title, body) = seed_article();
    let url = site.publish_with(&title, &body, None, Some(image));
    (site, title, url)
}

#[tokio::test]
async fn json_shows_the_title_summary_canonical_link_image_body_and_rules() {
    let (_site, title, url) = site_with_the_seed_article("/wp-content/uploads/pentagon.jpg").await;
    let dir = tempfile::tempdir().unwrap();
    let tracked = format!("{url}?utm_source=whatsapp");
    let output = tokio::task::spawn_blocking(move || preview(&[&tracked, "--json"], &dir)).await.unwrap();
    assert!(output.status.success(), "{}", text(&output.stderr));
    let preview: Value = serde_json::from_slice(&output.stdout).expect("one JSON object");
    assert_eq!(preview["title"], title.as_str());
    assert!(preview["summary"].as_str().unwrap().starts_with("Pentagon telah mengonfirmasi"), "{preview}");
    assert_eq!(preview["url"], url.as_str(), "the link without its tracking parameter");
    let image = preview["image"].as_str().unwrap();
    assert!(image.starts_with("http://127.0.0.1:") && image.ends_with("/wp-content/uploads/pentagon.jpg"), "{image}");
    assert!(preview["body"].as_str().unwrap().contains("Pentagon telah mengonfirmasi"));
    assert!(preview["categories"].is_array());
    assert!(preview["rules"].as_array().unwrap().iter().any(|rule| rule == "dateline"), "{preview}");
    assert!(preview["message"].as_str().unwrap().starts_with("<b>AS Tak Akan"), "{preview}");
}

#[tokio::test]
async fn the_message_is_shown_in_the_language_asked_for_and_nothing_is_stored() {
    let site = NewsSite::start().await.unwrap();
    let (title, body) = seed_article();
    let url = site.publish_with(&title, &body, None, None);
    let dir = tempfile::tempdir().unwrap();
    let (english, indonesian, dir) = tokio::task::spawn_blocking(move || {
        (preview(&[&url, "--lang", "en"], &dir), preview(&[&url, "--lang", "id"], &dir), dir)
    })
    .await
    .unwrap();
    let english = text(&english.stdout);
    assert!(english.starts_with(&title) && english.contains("Read more: http://"), "{english}");
    assert!(!english.contains("<b>"), "readers see no markup: {english}");
    assert!(text(&indonesian.stdout).contains("Baca selengkapnya: http://"));
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0, "no database was made");
}

#[tokio::test]
async fn a_page_that_cannot_be_read_fails_with_the_reason() {
    let dir = tempfile::tempdir().unwrap();
    let missing = tokio::task::spawn_blocking(move || {
        (preview(&["http://127.0.0.1:9/nothing-here", "--json"], &dir), preview(&["not a url"], &dir))
    })
    .await
    .unwrap();
    for output in [missing.0, missing.1] {
        assert!(!output.status.success());
        assert!(output.stdout.is_empty(), "nothing on stdout: {}", text(&output.stdout));
        assert!(!text(&output.stderr).trim().is_empty());
    }
}

#[tokio::test]
async fn a_page_image_or_address_that_points_inside_is_never_used() {
    let (_site, title, url) = site_with_the_seed_article("http://169.254.169.254/latest/meta-data/iam.jpg").await;
    let dir = tempfile::tempdir().unwrap();
    let (page, inside) = tokio::task::spawn_blocking(move || {
        let inside = [("http://169.254.169.254/latest/meta-data/", "refused"), ("file:///etc/passwd", "http(s)")]
            .map(|(url, why)| (preview(&[url], &dir), why));
        (preview(&[&url, "--json"], &dir), inside)
    })
    .await
    .unwrap();
    assert!(page.status.success(), "{}", text(&page.stderr));
    let preview: Value = serde_json::from_slice(&page.stdout).expect("one JSON object");
    assert_eq!(preview["title"], title.as_str());
    assert!(preview["image"].is_null(), "the photo at the metadata address is left out: {preview}");
    assert!(!preview["message"].as_str().unwrap().contains("169.254"), "{preview}");
    for (refused, why) in inside {
        assert!(!refused.status.success() && refused.stdout.is_empty());
        assert!(text(&refused.stderr).contains(why), "{}", text(&refused.stderr));
    }
}
