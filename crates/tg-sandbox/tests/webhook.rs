//! Webhook delivery: after `setWebhook` the sandbox posts each update to the bot's server, in
//! order, with the secret header, retries what was not acknowledged with 2xx, and stops on
//! `deleteWebhook`. The "bot's server" here is a small axum app on loopback.

mod common;

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use common::{ANN, PATIENCE, bot, call, sandbox};
use teloxide::prelude::*;
use teloxide::types::UpdateKind;
use tg_sandbox::Sandbox;

const SECRET: &str = "s3cret_Token-1";

/// One POST the webhook received.
#[derive(Clone, Debug)]
struct Received {
    secret: Option<String>,
    content_type: Option<String>,
    body: String,
    update: serde_json::Value,
}

/// The bot's webhook endpoint: records every POST and answers with the scripted statuses
/// (then 200).
#[derive(Clone, Default)]
struct Hook {
    received: Arc<Mutex<Vec<Received>>>,
    script: Arc<Mutex<VecDeque<u16>>>,
}

impl Hook {
    /// Serves on `127.0.0.1`; returns the URL to give `setWebhook`.
    async fn serve(&self) -> String {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/telegram/webhook", listener.local_addr().unwrap());
        let app = Router::new().route("/telegram/webhook", post(receive)).with_state(self.clone());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        url
    }

    fn answer_next_with(&self, statuses: &[u16]) {
        self.script.lock().unwrap().extend(statuses);
    }

    fn received(&self) -> Vec<Received> {
        self.received.lock().unwrap().clone()
    }

    fn update_ids(&self) -> Vec<i64> {
        self.received().iter().map(|r| r.update["update_id"].as_i64().unwrap()).collect()
    }

    /// Waits until `count` POSTs arrived; returns them all (fewer at the deadline).
    async fn wait_for(&self, count: usize) -> Vec<Received> {
        eventually(|| self.received.lock().unwrap().len() >= count).await;
        self.received()
    }
}

async fn receive(State(hook): State<Hook>, headers: HeaderMap, body: Bytes) -> StatusCode {
    let header = |name: &str| headers.get(name).map(|v| v.to_str().unwrap().to_owned());
    hook.received.lock().unwrap().push(Received {
        secret: header("x-telegram-bot-api-secret-token"),
        content_type: header("content-type"),
        body: String::from_utf8(body.to_vec()).unwrap(),
        update: serde_json::from_slice(&body).unwrap(),
    });
    let status = hook.script.lock().unwrap().pop_front().unwrap_or(200);
    StatusCode::from_u16(status).unwrap()
}

/// Polls `condition` until it holds or [`PATIENCE`] runs out; the caller asserts afterwards.
async fn eventually(condition: impl Fn() -> bool) {
    let deadline = tokio::time::Instant::now() + PATIENCE;
    while !condition() && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// A sandbox whose setup updates are dropped, so each test starts with an empty queue.
async fn sandbox_with_webhook(url: &str) -> Sandbox {
    let sandbox = sandbox();
    bot(&sandbox).set_webhook(url.parse().unwrap()).secret_token(SECRET).drop_pending_updates(true).await.unwrap();
    sandbox
}

#[tokio::test]
async fn updates_reach_the_webhook_in_order_with_the_secret_header() {
    let hook = Hook::default();
    let url = hook.serve().await;
    let sandbox = sandbox();
    bot(&sandbox).set_webhook(url.parse().unwrap()).secret_token(SECRET).await.unwrap();

    let setup = hook.wait_for(3).await;
    assert_eq!(setup.len(), 3, "the three pending setup updates are delivered");
    sandbox.user_sends_text(ANN, ANN, "hi").unwrap();
    let received = hook.wait_for(4).await;

    assert_eq!(received.len(), 4);
    for post in &received {
        assert_eq!(post.secret.as_deref(), Some(SECRET));
        assert_eq!(post.content_type.as_deref(), Some("application/json"));
        // From the text, as teloxide's webhook listener parses it.
        let update: Update = serde_json::from_str(&post.body).unwrap();
        assert!(!matches!(update.kind, UpdateKind::Error(_)), "{update:?}");
    }
    let ids = hook.update_ids();
    assert!(ids.windows(2).all(|w| w[0] < w[1]), "in order: {ids:?}");
    assert_eq!(received[3].update["message"]["text"], "hi");
    eventually(|| sandbox.webhook_deliveries() == 4).await;
    assert_eq!((sandbox.webhook_deliveries(), sandbox.pending_updates()), (4, 0));
}

#[tokio::test]
async fn get_webhook_info_reports_the_webhook_but_never_the_secret() {
    let hook = Hook::default();
    let url = hook.serve().await;
    let sandbox = sandbox_with_webhook(&url).await;
    let (status, body) = call(&sandbox, "getWebhookInfo", serde_json::json!({})).await;
    assert_eq!(status, 200);
    assert_eq!(body["result"]["url"], url.as_str());
    assert_eq!(body["result"]["max_connections"], 40);
    assert!(!body.to_string().contains(SECRET), "{body}");
}

#[tokio::test]
async fn a_failed_delivery_is_retried_until_acknowledged_and_reported() {
    let hook = Hook::default();
    let url = hook.serve().await;
    hook.answer_next_with(&[500]);
    let sandbox = sandbox_with_webhook(&url).await;

    sandbox.user_sends_text(ANN, ANN, "again?").unwrap();
    let received = hook.wait_for(2).await;
    assert_eq!(received.len(), 2);
    assert_eq!(received[0].update, received[1].update, "the same update, sent again");
    eventually(|| sandbox.pending_updates() == 0).await;
    assert_eq!((sandbox.webhook_failures(), sandbox.webhook_deliveries()), (1, 1));

    let info = bot(&sandbox).get_webhook_info().await.unwrap();
    assert_eq!(info.pending_update_count, 0);
    assert!(info.last_error_date.is_some());
    assert_eq!(info.last_error_message.as_deref(), Some("Wrong response from the webhook: 500 Internal Server Error"));
}

#[tokio::test]
async fn an_unreachable_webhook_keeps_updates_pending_and_says_why() {
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap();
    let sandbox = sandbox_with_webhook(&format!("http://{closed}/hook")).await;
    sandbox.user_sends_text(ANN, ANN, "anyone?").unwrap();
    eventually(|| sandbox.webhook_failures() >= 2).await;
    let info = bot(&sandbox).get_webhook_info().await.unwrap();
    assert_eq!(info.pending_update_count, 1);
    assert_eq!(info.last_error_message.as_deref(), Some("Connection refused"));
    assert_eq!(sandbox.webhook_deliveries(), 0);
}

#[tokio::test]
async fn delete_webhook_stops_delivery_and_polling_works_again() {
    let hook = Hook::default();
    let url = hook.serve().await;
    let sandbox = sandbox_with_webhook(&url).await;
    sandbox.user_sends_text(ANN, ANN, "first").unwrap();
    assert_eq!(hook.wait_for(1).await.len(), 1);
    eventually(|| sandbox.webhook_deliveries() == 1).await;

    let bot = bot(&sandbox);
    bot.delete_webhook().await.unwrap();
    sandbox.user_sends_text(ANN, ANN, "second").unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(hook.received().len(), 1, "nothing is posted after deleteWebhook");

    let updates = bot.get_updates().await.unwrap();
    let texts: Vec<_> = updates
        .iter()
        .filter_map(|u| match &u.kind {
            UpdateKind::Message(m) => m.text(),
            _ => None,
        })
        .collect();
    assert_eq!(texts, ["second"], "the acknowledged update is gone, the new one waits for polling");
}

#[tokio::test]
async fn a_secret_token_with_unallowed_characters_is_refused() {
    let sandbox = sandbox();
    for secret in ["has space".to_owned(), "semi;colon".to_owned(), "x".repeat(257)] {
        let params = serde_json::json!({"url": "https://example.com/hook", "secret_token": secret});
        let (status, body) = call(&sandbox, "setWebhook", params).await;
        assert_eq!(status, 400, "{secret}");
        assert_eq!(body["description"], "Bad Request: secret token contains unallowed characters");
    }
    let (_, info) = call(&sandbox, "getWebhookInfo", serde_json::json!({})).await;
    assert_eq!(info["result"]["url"], "", "no webhook was set");
}
