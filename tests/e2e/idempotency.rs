//! `Idempotency-Key`: a CMS retrying a POST gets the first answer again and nothing is pushed twice.

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{ADMIN_TOKEN, TestApp, spawn_app};

async fn post_with_key(app: &TestApp, path: &str, key: &str, body: Value) -> (u16, Option<String>, Value) {
    let response = app
        .http
        .request(Method::POST, format!("{}{path}", app.api))
        .bearer_auth(ADMIN_TOKEN)
        .header("Idempotency-Key", key)
        .json(&body)
        .send()
        .await
        .unwrap();
    let replayed = response.headers().get("idempotent-replayed").map(|v| v.to_str().unwrap().to_owned());
    (response.status().as_u16(), replayed, response.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn a_retried_broadcast_is_answered_again_and_pushed_once() {
    let app = spawn_app().await;
    app.subscribe_quietly([1001, 1002]).await;
    let body = json!({"text": "Sekali saja", "breaking": true});
    let (status, replayed, first) = post_with_key(&app, "/api/broadcasts", "cms-42", body.clone()).await;
    assert_eq!((status, replayed), (202, None));
    let (status, replayed, again) = post_with_key(&app, "/api/broadcasts", "cms-42", body).await;
    assert_eq!((status, replayed.as_deref()), (202, Some("true")));
    assert_eq!(again, first, "the same answer");
    app.settle().await;
    assert_eq!(app.messages_in(1001).len(), 1, "pushed once");

    let (status, _, error) = post_with_key(&app, "/api/broadcasts", "cms-42", json!({"text": "Lain"})).await;
    assert_eq!(status, 422, "a key reused for another request is refused: {error}");
    let (status, _, error) = post_with_key(&app, "/api/broadcasts", &"k".repeat(300), json!({"text": "x"})).await;
    assert_eq!(status, 400, "{error}");
}

#[tokio::test]
async fn a_retried_article_hook_is_answered_as_the_first_time() {
    let app = spawn_app().await;
    app.wait_until_primed().await;
    app.subscribe_quietly([1011]).await;
    let url = app.site.publish(
        "Pelabuhan baru diresmikan di Makassar",
        "MAKASSAR – Pelabuhan baru itu diresmikan pada Selasa dan akan melayani kapal kontainer besar.",
    );
    let (status, _, first) = post_with_key(&app, "/api/articles", "post-7", json!({"url": url})).await;
    assert_eq!(status, 202, "{first}");
    let (status, replayed, again) = post_with_key(&app, "/api/articles", "post-7", json!({"url": url})).await;
    assert_eq!((status, replayed.as_deref()), (202, Some("true")));
    assert_eq!(again, first);
    let (status, _, _) = post_with_key(&app, "/api/articles", "post-8", json!({"url": url})).await;
    assert_eq!(status, 200, "without the key's memory, the dedupe still says it was pushed");
    app.settle().await;
    assert_eq!(app.messages_in(1011).len(), 1);
}
