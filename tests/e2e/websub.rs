//! WebSub: kabar subscribes at the hub a feed announces, answers its verification of intent,
//! and pushes what the hub sends at once, without waiting for a poll; unsigned pushes are ignored.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
};

use axum::{Form, Router, http::StatusCode, routing::post};
use kabar::sources::websub::sign;
use reqwest::Method;

use crate::helpers::{SOURCE, TestApp, spawn_app_with};

/// A hub as the W3C describes it: takes a subscription, verifies the subscriber's intent with a
/// challenge, and on publish fetches the topic and sends it, signed with the subscriber's secret.
#[derive(Clone, Default)]
struct Hub {
    subscription: Arc<Mutex<Option<HashMap<String, String>>>>,
    verified: Arc<Mutex<bool>>,
}

impl Hub {
    async fn start(&self) -> String {
        let hub = self.clone();
        let app = Router::new().route(
            "/hub",
            post(move |Form(form): Form<HashMap<String, String>>| {
                let hub = hub.clone();
                async move {
                    *hub.subscription.lock().unwrap() = Some(form.clone());
                    tokio::spawn(async move { hub.verify(&form).await });
                    StatusCode::ACCEPTED
                }
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/hub", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await });
        url
    }

    async fn verify(&self, form: &HashMap<String, String>) {
        let response = reqwest::Client::new()
            .get(&form["hub.callback"])
            .query(&[
                ("hub.mode", "subscribe"),
                ("hub.topic", &form["hub.topic"]),
                ("hub.challenge", "tantangan-42"),
                ("hub.lease_seconds", "3600"),
            ])
            .send()
            .await
            .unwrap();
        *self.verified.lock().unwrap() = response.status() == 200 && response.text().await.unwrap() == "tantangan-42";
    }

    fn field(&self, name: &str) -> String {
        self.subscription.lock().unwrap().as_ref().expect("a subscription")[name].clone()
    }

    /// Fetches the topic and pushes it to the subscriber, signed with `secret`.
    async fn publish_signed_with(&self, secret: &str) -> u16 {
        let http = reqwest::Client::new();
        let body = http.get(self.field("hub.topic")).send().await.unwrap().bytes().await.unwrap();
        let response = http
            .post(self.field("hub.callback"))
            .header("content-type", "application/rss+xml")
            .header("x-hub-signature", sign(secret, &body))
            .body(body)
            .send()
            .await
            .unwrap();
        response.status().as_u16()
    }
}

async fn app_subscribed_at(hub: &Hub) -> TestApp {
    let hub_url = hub.start().await;
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let app = spawn_app_with(|settings| {
        settings.http.listen = format!("127.0.0.1:{port}");
        settings.http.public_url = Some(format!("http://127.0.0.1:{port}").parse().unwrap());
    })
    .await;
    app.site.announce_hub(&hub_url);
    app.poll_now().await;
    app.wait_until(|| async { *hub.verified.lock().unwrap() }).await;
    app
}

#[tokio::test]
async fn a_story_pushed_by_the_hub_reaches_readers_without_a_poll() {
    let hub = Hub::default();
    let app = app_subscribed_at(&hub).await;
    app.reader_starts(951, "Budi", "id").await;
    let polled_at = app.store.source(SOURCE).await.unwrap().unwrap().last_polled_at;
    app.site.publish(
        "Kabar kilat lewat WebSub",
        "JAKARTA – Berita ini sampai ke pembaca begitu terbit, tanpa menunggu jadwal pengecekan berikutnya.",
    );
    assert_eq!(hub.publish_signed_with(&hub.field("hub.secret")).await, 202);
    let story = app.message_number(951, 2).await;
    assert!(story.plain_text.unwrap().starts_with("Kabar kilat lewat WebSub"));
    assert_eq!(app.store.source(SOURCE).await.unwrap().unwrap().last_polled_at, polled_at, "no poll was needed");
}

#[tokio::test]
async fn a_push_not_signed_with_the_secret_is_acknowledged_and_ignored() {
    let hub = Hub::default();
    let app = app_subscribed_at(&hub).await;
    app.reader_starts(961, "Budi", "id").await;
    let before = app.store.count_articles().await.unwrap();
    app.site.publish(
        "Berita palsu dari penyusup",
        "JAKARTA – Kiriman yang tidak ditandatangani dengan rahasia langganan tidak boleh diteruskan.",
    );
    assert_eq!(hub.publish_signed_with("bukan-rahasianya").await, 202);
    assert_eq!(app.store.count_articles().await.unwrap(), before, "the forged push recorded nothing");
    assert_eq!(app.sandbox.sent_to(961).len(), 1);
}

#[tokio::test]
async fn a_verification_for_another_topic_is_refused() {
    let hub = Hub::default();
    let app = app_subscribed_at(&hub).await;
    let callback = hub.field("hub.callback");
    let path = callback.split_once("/websub/").map(|(_, id)| format!("/websub/{id}")).unwrap();
    let url = format!("{}{path}?hub.mode=subscribe&hub.topic=https://evil.example/&hub.challenge=x", app.api);
    assert_eq!(app.http.request(Method::GET, url).send().await.unwrap().status(), 404);
}

/// The subscription of the test's one source, as stored.
async fn subscription(app: &TestApp) -> kabar::domain::WebSubSubscription {
    let source = app.store.source(SOURCE).await.unwrap().unwrap();
    app.store.websub_subscription(source.id).await.unwrap().expect("a subscription")
}

#[tokio::test]
async fn only_the_hub_knows_the_callback_so_nobody_else_can_deny_the_subscription() {
    let hub = Hub::default();
    let app = app_subscribed_at(&hub).await;
    let callback = hub.field("hub.callback");
    let (without_token, _) = callback.rsplit_once('/').unwrap();
    let topic = hub.field("hub.topic");
    let deny = |url: String| {
        app.http.get(url).query(&[("hub.mode", "denied"), ("hub.topic", topic.as_str()), ("hub.challenge", "x")]).send()
    };
    for forged in [without_token.to_owned(), format!("{without_token}/0123456789abcdef0123456789abcdef")] {
        let status = deny(forged.clone()).await.unwrap().status();
        assert!(status.is_client_error(), "{forged} answered {status}");
    }
    assert_eq!(subscription(&app).await.state, kabar::domain::WebSubState::Verified, "still verified");

    assert_eq!(deny(callback).await.unwrap().status(), 200, "the hub itself may deny it");
    assert_eq!(subscription(&app).await.state, kabar::domain::WebSubState::Denied);
}

#[tokio::test]
async fn a_huge_lease_is_held_for_thirty_days_at_most() {
    let hub = Hub::default();
    let app = app_subscribed_at(&hub).await;
    let answer = app
        .http
        .get(hub.field("hub.callback"))
        .query(&[
            ("hub.mode", "subscribe"),
            ("hub.topic", hub.field("hub.topic").as_str()),
            ("hub.challenge", "c"),
            ("hub.lease_seconds", "9223372036854775807"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 200);
    let lease_until = subscription(&app).await.lease_until.unwrap();
    let thirty_days_on = kabar::domain::now_ms() + 30 * 24 * 3_600_000;
    assert!(lease_until <= thirty_days_on, "{lease_until} is more than thirty days on");
}
