//! Careless and hostile feeds: items with no identity. A story is pushed once at most.

use std::sync::{Arc, Mutex};

use axum::{Router, extract::State, http::header, routing::get};
use kabar::{
    config::{Settings, SourceSettings},
    domain::SourceKind,
};
use tg_sandbox::SentMessage;

use crate::helpers::{TestApp, spawn_app_with};

const SOURCE: &str = "careless";
const READER: i64 = 7_100_001;

/// A site whose feed says what the test sets.
#[derive(Clone)]
struct Site {
    base: String,
    feed: Arc<Mutex<String>>,
}

impl Site {
    async fn start() -> Site {
        let feed = Arc::new(Mutex::new(rss("")));
        let app = Router::new().route(
            "/feed",
            get(|State(site): State<Site>| async move {
                let feed = site.feed.lock().unwrap().clone();
                ([(header::CONTENT_TYPE, "application/rss+xml")], feed)
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let site = Site { base: format!("http://{}", listener.local_addr().unwrap()), feed };
        let app = app.with_state(site.clone());
        tokio::spawn(async move { axum::serve(listener, app).await });
        site
    }

    fn feed_url(&self) -> String {
        format!("{}/feed", self.base)
    }

    fn set_items(&self, items: &str) {
        *self.feed.lock().unwrap() = rss(items);
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
