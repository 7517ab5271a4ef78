//! Sources managed while kabar runs: through the API, and through `kabar sources` in the shell.

use std::process::Command;

use reqwest::Method;
use serde_json::json;

use crate::helpers::{TestApp, spawn_app_with};

const LEAD: &str =
    "JAKARTA – Pemerintah mengumumkan kebijakan baru yang mulai berlaku pada awal bulan depan di seluruh provinsi.";

async fn app_without_sources() -> TestApp {
    spawn_app_with(|settings| settings.sources.clear()).await
}

#[tokio::test]
async fn a_source_added_by_its_page_address_is_watched_without_a_restart() {
    let app = app_without_sources().await;
    app.reader_starts(801, "Budi", "id").await;
    let page = app.site.publish("Berita yang sudah ada", LEAD);
    let (status, source) = app
        .api(Method::POST, "/api/sources", Some(json!({"name": "situs", "url": page, "poll_interval_secs": 3600})))
        .await;
    assert_eq!(status, 201, "{source}");
    assert_eq!(source["url"], app.site.feed_url(), "the page's feed link was followed");
    app.wait_until_source_primed("situs").await;
    app.site.publish("Berita baru setelah ditambahkan", LEAD);
    app.poll_source("situs").await;
    let messages = app.sandbox.sent_to(801);
    assert_eq!(messages.len(), 2, "the /start answer and only the new story: {messages:#?}");
    assert!(messages[1].plain_text.as_deref().unwrap().starts_with("Berita baru setelah ditambahkan"));
}

#[tokio::test]
async fn sources_are_listed_with_their_health_and_can_be_removed() {
    let app = app_without_sources().await;
    let feed = app.site.feed_url();
    let (status, _) = app.api(Method::POST, "/api/sources", Some(json!({"name": "situs", "url": feed}))).await;
    assert_eq!(status, 201);
    let (status, again) = app.api(Method::POST, "/api/sources", Some(json!({"name": "situs", "url": feed}))).await;
    assert_eq!(status, 409, "{again}");
    app.wait_until_source_primed("situs").await;
    let (_, list) = app.api(Method::GET, "/api/sources", None).await;
    assert_eq!(list[0]["name"], "situs");
    assert!(list[0]["last_error"].is_null(), "{list}");
    assert!(list[0]["next_poll_at"].as_i64().unwrap() > 0);
    assert_eq!(app.api(Method::DELETE, "/api/sources/situs", None).await.0, 200);
    assert_eq!(app.api(Method::GET, "/api/sources", None).await.1, json!([]));
    assert_eq!(app.api(Method::DELETE, "/api/sources/situs", None).await.0, 404);
}

#[tokio::test]
async fn an_address_that_is_no_feed_is_refused_with_a_reason() {
    let app = app_without_sources().await;
    let not_a_feed = format!("{}/healthz", app.api);
    let (status, answer) = app.api(Method::POST, "/api/sources", Some(json!({"name": "x", "url": not_a_feed}))).await;
    assert_eq!(status, 422, "{answer}");
    assert!(answer["error"].as_str().unwrap().contains("neither a feed"), "{answer}");
    let (status, _) =
        app.api(Method::POST, "/api/sources", Some(json!({"name": "", "url": "https://x.example/feed"}))).await;
    assert_eq!(status, 422);
}

#[tokio::test]
async fn a_failing_source_shows_its_error_and_the_rest_keep_running() {
    let app = app_without_sources().await;
    let feed = app.site.feed_url();
    app.api(Method::POST, "/api/sources", Some(json!({"name": "baik", "url": feed}))).await;
    app.store
        .add_source(&kabar::config::SourceSettings {
            name: "rusak".into(),
            url: format!("{}/metrics", app.api).parse().unwrap(),
            poll_interval_secs: 3600,
            kind: kabar::domain::SourceKind::Feed,
            corrections: false,
        })
        .await
        .unwrap();
    app.wait_until(|| async { app.store.source("rusak").await.unwrap().is_some_and(|s| s.last_error.is_some()) }).await;
    app.wait_until_source_primed("baik").await;
    let (_, list) = app.api(Method::GET, "/api/sources", None).await;
    let broken = list.as_array().unwrap().iter().find(|s| s["name"] == "rusak").unwrap();
    assert!(broken["last_error"].as_str().unwrap().contains("not a feed"), "{broken}");
    assert_eq!(broken["consecutive_failures"], 1);
}

fn kabar_sources(config: &str, args: &[&str]) -> (bool, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_kabar"))
        .args(["sources", "--config", config])
        .args(args)
        .env("RUST_LOG", "warn")
        .output()
        .expect("kabar runs");
    let text = format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
    (output.status.success(), text)
}

#[tokio::test]
async fn operators_manage_sources_from_the_shell_and_round_trip_opml() {
    let app = app_without_sources().await;
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("kabar.toml");
    std::fs::write(&config, format!("[database]\nurl = \"{}\"\n", app.settings.database.url)).unwrap();
    let config = config.display().to_string();
    let feed = app.site.feed_url();

    let (ok, out) = tokio::task::spawn_blocking({
        let (config, feed) = (config.clone(), feed.clone());
        move || kabar_sources(&config, &["add", "situs", &feed, "--interval", "600"])
    })
    .await
    .unwrap();
    assert!(ok, "{out}");
    let (ok, listing) = kabar_sources(&config, &["list"]);
    assert!(ok && listing.contains("situs") && listing.contains("600s"), "{listing}");
    let (ok, opml) = kabar_sources(&config, &["export"]);
    assert!(ok && opml.contains(&format!("xmlUrl=\"{feed}\"")), "{opml}");
    assert!(kabar_sources(&config, &["remove", "situs"]).0);
    assert!(!kabar_sources(&config, &["remove", "situs"]).0, "removing twice fails");

    let file = dir.path().join("feeds.opml");
    std::fs::write(&file, opml.replace("title=\"situs\"", "title=\"Situs Berita\"")).unwrap();
    let file = file.display().to_string();
    let (ok, out) = tokio::task::spawn_blocking(move || kabar_sources(&config, &["import", &file])).await.unwrap();
    assert!(ok, "{out}");
    let watched = app.store.enabled_sources().await.unwrap();
    assert!(watched.iter().any(|s| s.name == "situs-berita" && s.url == feed), "{out}: {watched:?}");
}

#[tokio::test]
async fn a_configured_page_address_is_followed_to_its_feed() {
    let page_site = kabar::demo::news_site::NewsSite::start().await.unwrap();
    let page = page_site.publish("Berita yang sudah ada di situs", LEAD);
    let app = spawn_app_with(|settings| settings.sources[0].url = page.parse().unwrap()).await;
    app.wait_until_primed().await;
    let source = app.store.source(crate::helpers::SOURCE).await.unwrap().unwrap();
    assert_eq!(source.url, page_site.feed_url());
    assert!(source.last_error.is_none(), "{:?}", source.last_error);
}
