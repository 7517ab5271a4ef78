//! Careless and hostile feeds: items with no identity, sudden floods of items, and URLs that
//! point inside the machine. A story is pushed once at most, a flood is capped, and no URL that
//! fails the check reaches the chat platform.

use std::sync::{Arc, Mutex};

use axum::{Router, extract::State, http::header, routing::get};
use kabar::{
    config::{Settings, SourceSettings},
    domain::SourceKind,
};
use reqwest::Method;
use serde_json::json;
use tg_sandbox::SentMessage;

use crate::helpers::{TestApp, spawn_app_with};

const SOURCE: &str = "careless";
const READER: i64 = 7_100_001;

/// A site whose feed and page say what the test sets.
#[derive(Clone)]
struct Site {
    base: String,
    feed: Arc<Mutex<String>>,
    page: Arc<Mutex<String>>,
}

impl Site {
    async fn start() -> Site {
        let (feed, page) = (Arc::new(Mutex::new(rss(""))), Arc::new(Mutex::new(String::new())));
        let app = Router::new()
            .route(
                "/feed",
                get(|State(site): State<Site>| async move {
                    let feed = site.feed.lock().unwrap().clone();
                    ([(header::CONTENT_TYPE, "application/rss+xml")], feed)
                }),
            )
            .route(
                "/page",
                get(|State(site): State<Site>| async move {
                    let head = site.page.lock().unwrap().clone();
                    let page = format!("<html><head><title>Situs</title>{head}</head><body><p>Halo</p></body></html>");
                    ([(header::CONTENT_TYPE, "text/html")], page)
                }),
            );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let site = Site { base: format!("http://{}", listener.local_addr().unwrap()), feed, page };
        let app = app.with_state(site.clone());
        tokio::spawn(async move { axum::serve(listener, app).await });
        site
    }

    fn feed_url(&self) -> String {
        format!("{}/feed", self.base)
    }

    fn page_url(&self) -> String {
        format!("{}/page", self.base)
    }

    fn set_items(&self, items: &str) {
        *self.feed.lock().unwrap() = rss(items);
    }

    /// The page links to its feed at `href`.
    fn link_feed_at(&self, href: &str) {
        *self.page.lock().unwrap() = format!(r#"<link rel="alternate" type="application/rss+xml" href="{href}">"#);
    }
}

fn rss(items: &str) -> String {
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><rss version=\"2.0\" xmlns:media=\"http://search.yahoo.com/mrss/\">\
         <channel><title>Situs</title>{items}</channel></rss>"
    )
}

/// An item with a title and an excerpt, and `more` (a guid, a link, media) as given.
fn item(title: &str, more: &str) -> String {
    format!(
        "<item><title>{title}</title>{more}<description>JAKARTA – {title}, kata pejabat setempat kepada \
         wartawan pada Senin siang.</description></item>"
    )
}

fn source_at(url: &str) -> SourceSettings {
    SourceSettings {
        name: SOURCE.into(),
        url: url.parse().unwrap(),
        poll_interval_secs: 3600,
        kind: SourceKind::Feed,
        corrections: false,
    }
}

/// kabar watching `site`'s feed, primed, with one reader subscribed.
async fn app_watching(site: &Site, customize: impl FnOnce(&mut Settings)) -> TestApp {
    let feed = site.feed_url();
    let app = spawn_app_with(|settings| {
        settings.sources = vec![source_at(&feed)];
        customize(settings);
    })
    .await;
    app.wait_until_source_primed(SOURCE).await;
    app.subscribe_quietly([READER]).await;
    app
}

fn first_line(message: &SentMessage) -> String {
    message.plain_text.as_deref().unwrap_or_default().lines().next().unwrap_or_default().to_owned()
}

#[tokio::test]
async fn an_item_without_guid_or_link_is_pushed_once_however_often_it_is_polled() {
    let site = Site::start().await;
    let mut app = app_watching(&site, |_| {}).await;
    site.set_items(&item("Gempa mengguncang Cianjur siang ini", ""));
    for _ in 0..3 {
        app.poll_source(SOURCE).await;
    }
    app.restart().await;
    app.poll_source(SOURCE).await;
    let messages = app.messages_in(READER);
    assert_eq!(messages.len(), 1, "{messages:#?}");
    assert_eq!(first_line(&messages[0]), "Gempa mengguncang Cianjur siang ini");
}

#[tokio::test]
async fn a_flood_of_new_items_pushes_the_newest_up_to_the_cap_and_the_rest_never() {
    let site = Site::start().await;
    let app = app_watching(&site, |settings| settings.watcher.max_pushes_per_poll = 3).await;
    let dated = |n: u32| {
        let more = format!("<guid>banjir-{n}</guid><pubDate>Tue, 05 Nov 2024 10:{n:02}:00 +0000</pubDate>");
        item(&format!("Berita banjir nomor {n} dari Jakarta"), &more)
    };
    let flood: String = (1..=12).rev().map(dated).collect();
    site.set_items(&flood);
    app.poll_source(SOURCE).await;
    app.poll_source(SOURCE).await;
    let titles: Vec<String> = app.messages_in(READER).iter().map(first_line).collect();
    let newest: Vec<String> = (10..=12).map(|n| format!("Berita banjir nomor {n} dari Jakarta")).collect();
    assert_eq!(titles, newest, "the three newest, oldest first, and nothing more on the next poll");

    site.set_items(&format!("{}{flood}", dated(13)));
    app.poll_source(SOURCE).await;
    let titles: Vec<String> = app.messages_in(READER).iter().map(first_line).collect();
    assert_eq!(titles.len(), 4, "only the item that is new since: {titles:?}");
    assert_eq!(titles[3], "Berita banjir nomor 13 dari Jakarta");
}

/// Everything the Telegram stand-in was asked to send, accepted or refused, as one text.
fn everything_the_platform_received(app: &TestApp) -> String {
    let sent = serde_json::to_string(&app.sandbox.sent()).unwrap();
    let refused = serde_json::to_string(&app.sandbox.rejections()).unwrap();
    format!("{sent}{refused}")
}

#[tokio::test]
async fn urls_that_point_inside_never_reach_the_platform_and_their_stories_go_as_text() {
    let site = Site::start().await;
    let app = app_watching(&site, |_| {}).await;
    let titles = [
        "Foto dari berkas di mesin sendiri",
        "Foto dari alamat metadata awan",
        "Tautan yang menjalankan skrip",
        "Tautan ke alamat metadata awan",
    ];
    let extras = [
        r#"<guid>u1</guid><media:content url="file:///etc/passwd" medium="image"/>"#,
        r#"<guid>u2</guid><enclosure url="http://169.254.169.254/latest/meta-data/iam.jpg" type="image/jpeg" length="1"/>"#,
        "<guid>u3</guid><link>javascript:alert(document.cookie)</link>",
        "<guid>u4</guid><link>http://169.254.169.254/latest/meta-data/</link>",
    ];
    site.set_items(&titles.iter().zip(extras).map(|(title, more)| item(title, more)).collect::<String>());
    app.poll_source(SOURCE).await;

    let messages = app.messages_in(READER);
    let received: Vec<String> = messages.iter().map(first_line).collect();
    assert_eq!(received.len(), titles.len(), "every story went out: {received:?}");
    for title in titles {
        assert!(received.contains(&title.to_owned()), "{title} is missing from {received:?}");
    }
    for message in &messages {
        assert_eq!((message.method, &message.photo), ("sendMessage", &None), "as text: {message:#?}");
    }
    let everything = everything_the_platform_received(&app);
    for inside in ["file://", "169.254.169.254", "javascript:"] {
        assert!(!everything.contains(inside), "{inside} reached the platform: {everything}");
    }
}

#[tokio::test]
async fn a_page_whose_feed_link_points_inside_is_refused_when_added() {
    let site = Site::start().await;
    let app = spawn_app_with(|settings| settings.sources.clear()).await;
    for (target, why) in
        [("file:///etc/passwd", "not an absolute http(s) link"), ("http://169.254.169.254/latest/feed", "link-local")]
    {
        site.link_feed_at(target);
        let request = json!({"name": "situs", "url": site.page_url()});
        let (status, answer) = app.api(Method::POST, "/api/sources", Some(request)).await;
        assert_eq!(status, 422, "{answer}");
        let error = answer["error"].as_str().unwrap_or_default();
        assert!(error.contains("may not fetch") && error.contains(why), "{target}: {error}");
    }
    assert_eq!(app.api(Method::GET, "/api/sources", None).await.1, json!([]), "nothing was stored");
}

#[tokio::test]
async fn a_watched_page_whose_feed_link_points_inside_is_not_followed() {
    let site = Site::start().await;
    site.link_feed_at("http://169.254.169.254/latest/feed");
    let page = site.page_url();
    let app = spawn_app_with(|settings| settings.sources = vec![source_at(&page)]).await;
    app.wait_until(|| async { app.store.source(SOURCE).await.unwrap().is_some_and(|s| s.last_error.is_some()) }).await;
    let source = app.store.source(SOURCE).await.unwrap().unwrap();
    let error = source.last_error.unwrap_or_default();
    assert!(error.contains("may not fetch") && error.contains("link-local"), "{error}");
    assert_eq!(source.url, page, "the source still points at the page it was given");
}
