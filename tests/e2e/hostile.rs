//! Hostile and broken sources: each gives a clear error on that source alone, and the rest of
//! kabar keeps running.

use std::time::Duration;

use axum::{
    Router,
    body::Body,
    http::{StatusCode, header},
    response::{IntoResponse, Redirect, Response},
    routing::get,
};
use kabar::{config::SourceSettings, domain::SourceKind};

use crate::helpers::{TestApp, spawn_app};

const BOMB: &str = r#"<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
<!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
<!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">]>
<rss version="2.0"><channel><title>&lol5;</title><item><title>&lol5;</title><guid>b1</guid></item></channel></rss>"#;

fn latin1_feed() -> Vec<u8> {
    let text = "<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><rss version=\"2.0\"><channel><title>Caf\u{e9}</title>\
                <item><title>Kafe di Jakarta: caf\u{e9} au lait \u{e0} la carte</title><link>https://latin.example/1</link><guid>l1</guid></item>\
                </channel></rss>";
    text.chars().map(|c| c as u32 as u8).collect()
}

/// Windows-1252 with only the Content-Type header to say so: no XML declaration.
fn cp1252_feed() -> Vec<u8> {
    let mut feed =
        b"<rss version=\"2.0\"><channel><title>T</title><item><title>Harga naik \x96 kata \x93pejabat\x94</title>\
        <link>https://cp.example/1</link><guid>c1</guid></item></channel></rss>"
            .to_vec();
    feed.shrink_to_fit();
    feed
}

/// A body that never ends: a byte every half second.
fn endless_trickle() -> Body {
    let stream = futures_util::stream::unfold((), |()| async {
        tokio::time::sleep(Duration::from_millis(500)).await;
        Some((Ok::<_, std::io::Error>(bytes_of(b"<")), ()))
    });
    Body::from_stream(stream)
}

/// Six MiB in chunks, with no Content-Length to warn the reader.
fn oversized_without_length() -> Body {
    let stream = futures_util::stream::iter((0..96).map(|_| Ok::<_, std::io::Error>(bytes_of(&[b'a'; 65_536]))));
    Body::from_stream(stream)
}

fn bytes_of(data: &[u8]) -> axum::body::Bytes {
    axum::body::Bytes::copy_from_slice(data)
}

async fn hostile_site() -> String {
    let app = Router::new()
        .route("/garbage", get(|| async { vec![0xff_u8, 0x00, 0xfe, 0x13, 0x37, 0x80, 0x81] }))
        .route(
            "/html",
            get(|| async { ([(header::CONTENT_TYPE, "text/html")], "<html><body><p>Just a page</p></body></html>") }),
        )
        .route("/bomb", get(|| async { ([(header::CONTENT_TYPE, "application/rss+xml")], BOMB) }))
        .route("/huge", get(|| async { Response::new(oversized_without_length()) }))
        .route("/slow", get(|| async { Response::new(endless_trickle()) }))
        .route("/loop", get(|| async { Redirect::temporary("/loop") }))
        .route("/to-metadata", get(|| async { Redirect::temporary("http://169.254.169.254/latest/meta-data/") }))
        .route("/missing", get(|| async { StatusCode::NOT_FOUND }))
        .route("/broken", get(|| async { StatusCode::INTERNAL_SERVER_ERROR.into_response() }))
        .route("/latin1", get(|| async { ([(header::CONTENT_TYPE, "application/rss+xml")], latin1_feed()) }))
        .route(
            "/cp1252",
            get(|| async { ([(header::CONTENT_TYPE, "application/rss+xml; charset=windows-1252")], cp1252_feed()) }),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    base
}

async fn watch(app: &TestApp, name: &str, url: String) {
    let source = SourceSettings {
        name: name.into(),
        url: url.parse().unwrap(),
        poll_interval_secs: 3600,
        kind: SourceKind::Feed,
        corrections: false,
    };
    assert!(app.store.add_source(&source).await.unwrap());
}

async fn last_error(app: &TestApp, name: &str) -> String {
    app.wait_until(|| async { app.store.source(name).await.unwrap().is_some_and(|s| s.last_polled_at.is_some()) })
        .await;
    app.store.source(name).await.unwrap().unwrap().last_error.unwrap_or_default()
}

/// The titles recorded from source `name`, newest first.
async fn titles_of(app: &TestApp, name: &str) -> Vec<String> {
    let source = app.store.source(name).await.unwrap().expect("the source exists");
    app.store.articles_of_source(source.id, 5).await.unwrap().into_iter().map(|a| a.title).collect()
}

#[tokio::test]
async fn each_broken_source_fails_alone_with_a_clear_error() {
    let app = spawn_app().await;
    let site = hostile_site().await;
    let expected = [
        ("garbage", "not a feed"),
        ("html", "not a feed"),
        ("huge", "larger than 5 MiB"),
        ("loop", "redirect"),
        ("missing", "HTTP 404"),
        ("broken", "HTTP 500"),
    ];
    for (name, _) in expected {
        watch(&app, name, format!("{site}/{name}")).await;
    }
    for (name, reason) in expected {
        let error = last_error(&app, name).await;
        assert!(error.contains(reason), "{name}: {error:?} should say {reason:?}");
    }
    app.wait_until_primed().await;
    app.reader_starts(901, "Budi", "id").await;
    app.site.publish(
        "Tetap jalan",
        "JAKARTA – Sumber yang rusak tidak menghentikan sumber lain, yang tetap diawasi seperti biasa.",
    );
    app.poll_now().await;
    assert_eq!(app.sandbox.sent_to(901).len(), 2, "the healthy source still delivers");
}

#[tokio::test]
async fn an_entity_bomb_neither_hangs_nor_explodes() {
    let app = spawn_app().await;
    let site = hostile_site().await;
    watch(&app, "bomb", format!("{site}/bomb")).await;
    last_error(&app, "bomb").await;
    let titles = titles_of(&app, "bomb").await;
    assert!(titles.iter().all(|t| t.len() < 10_000), "no entity was expanded a billion times");
}

#[tokio::test]
async fn an_endless_slow_body_times_out() {
    let app = spawn_app().await;
    let site = hostile_site().await;
    watch(&app, "slow", format!("{site}/slow")).await;
    let error = last_error(&app, "slow").await;
    assert!(error.contains("timed out") || error.contains("request failed"), "{error:?}");
}

#[tokio::test]
async fn a_feed_in_iso_8859_1_is_decoded() {
    let app = spawn_app().await;
    let site = hostile_site().await;
    watch(&app, "latin", format!("{site}/latin1")).await;
    assert_eq!(last_error(&app, "latin").await, "");
    assert_eq!(titles_of(&app, "latin").await[0], "Kafe di Jakarta: café au lait à la carte");
}

#[tokio::test]
async fn a_feed_whose_charset_only_the_server_names_is_decoded() {
    let app = spawn_app().await;
    let site = hostile_site().await;
    watch(&app, "cp", format!("{site}/cp1252")).await;
    assert_eq!(last_error(&app, "cp").await, "");
    assert_eq!(titles_of(&app, "cp").await[0], "Harga naik – kata “pejabat”");
}

#[tokio::test]
async fn the_cloud_metadata_address_is_refused_directly_and_through_a_redirect() {
    let app = spawn_app().await;
    let site = hostile_site().await;
    watch(&app, "metadata", "http://169.254.169.254/latest/meta-data/".into()).await;
    watch(&app, "detour", format!("{site}/to-metadata")).await;
    for name in ["metadata", "detour"] {
        let error = last_error(&app, name).await;
        assert!(error.contains("refused") && error.contains("link-local"), "{name}: {error:?}");
    }
}

#[tokio::test]
async fn this_machines_addresses_are_refused_when_the_operator_says_so() {
    let app = crate::helpers::spawn_app_with(|settings| settings.fetch.allow_loopback = false).await;
    let error = last_error(&app, crate::helpers::SOURCE).await;
    assert!(error.contains("refused") && error.contains("loopback"), "{error:?}");
    let page = app.site.publish(
        "Dari jaringan dalam",
        "JAKARTA – Alamat di jaringan dalam tidak boleh diambil bila operator melarangnya.",
    );
    let (status, answer) =
        app.api(reqwest::Method::POST, "/api/articles", Some(serde_json::json!({"url": page}))).await;
    assert_eq!(status, 502, "{answer}");
    assert!(answer["error"].as_str().unwrap().contains("refused"), "{answer}");
}
