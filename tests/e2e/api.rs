//! The HTTP contract: health, metrics, broadcasts, limits and the CMS hook.

use reqwest::Method;
use serde_json::json;

use crate::helpers::{ADMIN_TOKEN, spawn_app};

#[tokio::test]
async fn health_is_ok_once_the_database_and_the_bot_run() {
    let app = spawn_app().await;
    let response = app.http.get(format!("{}/healthz", app.api)).send().await.unwrap();
    assert_eq!(response.status(), 200);
}

#[tokio::test]
async fn metrics_are_in_prometheus_text_format_with_real_counts() {
    let app = spawn_app().await;
    app.reader_starts(301, "Budi", "id").await;
    let text = app.http.get(format!("{}/metrics", app.api)).send().await.unwrap().text().await.unwrap();
    assert!(text.contains("kabar_active_subscribers 1"), "{text}");
    assert!(text.contains("# TYPE kabar_deliveries counter"), "{text}");
}

#[tokio::test]
async fn the_api_refuses_a_missing_or_wrong_token() {
    let app = spawn_app().await;
    let url = format!("{}/api/limits", app.api);
    assert_eq!(app.http.get(&url).send().await.unwrap().status(), 401);
    let wrong = app.http.get(&url).bearer_auth("wrong-token-wrong-token").send().await.unwrap();
    assert_eq!(wrong.status(), 401);
    let body: serde_json::Value = wrong.json().await.unwrap();
    assert!(body["error"].is_string());
}

#[tokio::test]
async fn a_broadcast_reaches_every_active_subscriber_and_reports_progress() {
    let app = spawn_app().await;
    for id in [311, 312] {
        app.reader_starts(id, "Pembaca", "id").await;
    }
    let (status, body) =
        app.api(Method::POST, "/api/broadcasts", Some(json!({"text": "Banjir <1m> & hujan", "breaking": true}))).await;
    assert_eq!(status, 202, "{body}");
    assert_eq!(body["recipients"], 2);
    let id = body["id"].as_i64().unwrap();
    for reader in [311, 312] {
        let message = app.message_number(reader, 2).await;
        assert!(message.plain_text.unwrap().contains("Banjir <1m> & hujan"));
    }
    app.settle().await;
    let (status, progress) = app.api(Method::GET, &format!("/api/broadcasts/{id}"), None).await;
    assert_eq!(status, 200);
    assert_eq!(
        progress,
        json!({"id": id, "status": "done", "total": 2, "sent": 2, "failed": 0, "pending": 0, "cancelled": 0,
               "held": 0, "digested": 0})
    );
}

#[tokio::test]
async fn malformed_broadcast_bodies_are_refused_with_a_reason() {
    let app = spawn_app().await;
    let url = format!("{}/api/broadcasts", app.api);
    let not_json = app
        .http
        .post(&url)
        .bearer_auth(ADMIN_TOKEN)
        .header("content-type", "application/json")
        .body("{nope")
        .send()
        .await
        .unwrap();
    assert_eq!(not_json.status(), 400);
    for body in [
        json!({"breaking": true}),
        json!({"text": ""}),
        json!({"text": "x", "url": "javascript:alert(1)"}),
        json!({"text": "x", "colour": "red"}),
    ] {
        let (status, answer) = app.api(Method::POST, "/api/broadcasts", Some(body.clone())).await;
        assert!(status == 400 || status == 422, "{body} answered {status}");
        assert!(answer["error"].as_str().is_some_and(|e| !e.is_empty()), "{answer}");
    }
}

#[tokio::test]
async fn a_broadcast_id_that_is_not_a_number_is_refused_in_json() {
    let app = spawn_app().await;
    let (status, answer) = app.api(Method::GET, "/api/broadcasts/abc", None).await;
    assert_eq!(status, 400);
    assert!(answer["error"].is_string(), "{answer}");
}

#[tokio::test]
async fn an_unknown_broadcast_is_not_found() {
    let app = spawn_app().await;
    let (status, _) = app.api(Method::GET, "/api/broadcasts/999", None).await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn limits_can_be_read_and_changed_at_run_time() {
    let app = spawn_app().await;
    let (status, limits) = app.api(Method::GET, "/api/limits", None).await;
    assert_eq!(status, 200);
    assert_eq!(limits, json!({"global_per_sec": 30, "per_chat_per_sec": 1, "group_per_min": 20}));
    let (status, limits) = app.api(Method::PUT, "/api/limits", Some(json!({"global_per_sec": 12}))).await;
    assert_eq!(status, 200);
    assert_eq!(limits["global_per_sec"], 12);
    assert_eq!(app.api(Method::GET, "/api/limits", None).await.1["global_per_sec"], 12);
    let (status, _) = app.api(Method::PUT, "/api/limits", Some(json!({"global_per_sec": 0}))).await;
    assert_eq!(status, 422);
}

#[tokio::test]
async fn the_cms_hook_pushes_an_article_once_however_often_it_is_posted() {
    let app = spawn_app().await;
    app.reader_starts(321, "Budi", "id").await;
    let (title, body) = kabar::demo::news_site::seed_article();
    let url = app.site.publish(&title, &body);
    let (status, answer) = app.api(Method::POST, "/api/articles", Some(json!({"url": url}))).await;
    assert_eq!(status, 202, "{answer}");
    assert_eq!(answer["recipients"], 1);
    let story = app.message_number(321, 2).await.plain_text.unwrap();
    assert!(story.contains("Pentagon telah mengonfirmasi"), "{story}");
    let (status, again) =
        app.api(Method::POST, "/api/articles", Some(json!({"url": format!("{url}?utm_source=cms")}))).await;
    assert_eq!(status, 200, "{again}");
    assert_eq!(again["duplicate"], true);
    app.poll_now().await;
    assert_eq!(app.sandbox.sent_to(321).len(), 2, "the poller knows the story too");
}

#[tokio::test]
async fn the_cms_hook_refuses_what_is_not_a_url() {
    let app = spawn_app().await;
    let (status, answer) = app.api(Method::POST, "/api/articles", Some(json!({"url": "ftp://x"}))).await;
    assert_eq!(status, 422, "{answer}");
}

#[tokio::test]
async fn ready_once_the_database_the_bot_the_schema_and_the_outbox_are() {
    let app = spawn_app().await;
    let response = app.http.get(format!("{}/readyz", app.api)).send().await.unwrap();
    assert_eq!(response.status(), 200);
    let lone_instance_leads = json!({"status": "ready", "sender": true});
    assert_eq!(response.json::<serde_json::Value>().await.unwrap(), lone_instance_leads);
}

#[tokio::test]
async fn not_ready_with_a_reason_when_a_migration_is_missing() {
    let app = spawn_app().await;
    kabar::store::sql::query(
        "DELETE FROM _sqlx_migrations WHERE version = (SELECT MAX(version) FROM _sqlx_migrations)",
    )
    .execute(app.store.pool())
    .await
    .unwrap();
    let response = app.http.get(format!("{}/readyz", app.api)).send().await.unwrap();
    assert_eq!(response.status(), 503);
    let body: serde_json::Value = response.json().await.unwrap();
    assert!(body["reason"].as_str().is_some_and(|reason| reason.contains("migrat")), "{body}");
    let health = app.http.get(format!("{}/healthz", app.api)).send().await.unwrap();
    assert_eq!(health.status(), 200, "/healthz asks only for the database and the bot");
}

#[tokio::test]
async fn metrics_show_the_queue_by_priority_subscribers_by_state_and_delivery_latency() {
    let app = spawn_app().await;
    app.reader_starts(331, "Budi", "id").await;
    app.reader_starts(332, "Sari", "id").await;
    app.reader_sends(332, "/stop").await;
    let text = app.http.get(format!("{}/metrics", app.api)).send().await.unwrap().text().await.unwrap();
    for line in [
        "kabar_subscribers{state=\"active\"} 1",
        "kabar_subscribers{state=\"inactive\"} 1",
        "kabar_deliveries_pending{priority=\"breaking\"} 0",
        "kabar_deliveries_pending{priority=\"digest\"} 0",
        "# TYPE kabar_delivery_latency_seconds histogram",
        "kabar_active_subscribers 1",
    ] {
        assert!(text.contains(line), "{line} missing from {text}");
    }
}

#[tokio::test]
async fn cancelling_a_broadcast_that_has_gone_out_changes_nothing() {
    let app = spawn_app().await;
    app.subscribe_quietly([321, 322]).await;
    let (_, body) = app.api(Method::POST, "/api/broadcasts", Some(json!({"text": "Sudah terkirim"}))).await;
    let id = body["id"].as_i64().unwrap();
    app.settle().await;
    let (status, progress) = app.api(Method::DELETE, &format!("/api/broadcasts/{id}"), None).await;
    assert_eq!(status, 200);
    assert_eq!((progress["status"].as_str(), progress["sent"].as_i64()), (Some("done"), Some(2)), "{progress}");
    let (_, progress) = app.api(Method::GET, &format!("/api/broadcasts/{id}"), None).await;
    assert_eq!(progress["status"], "done", "a broadcast with nothing left to send stays done");
}

#[tokio::test]
async fn the_bearer_scheme_may_be_written_in_any_case() {
    let app = spawn_app().await;
    for scheme in ["bearer", "BEARER", "Bearer"] {
        let response = app
            .http
            .get(format!("{}/api/limits", app.api))
            .header("authorization", format!("{scheme} {ADMIN_TOKEN}"))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "{scheme}");
    }
}

#[tokio::test]
async fn a_body_too_large_is_answered_413_and_nothing_is_queued() {
    let app = spawn_app().await;
    app.subscribe_quietly([331]).await;
    let huge = json!({ "text": "x".repeat(10 * 1024 * 1024) });
    let response =
        app.http.post(format!("{}/api/broadcasts", app.api)).bearer_auth(ADMIN_TOKEN).json(&huge).send().await.unwrap();
    assert_eq!(response.status(), 413);
    let body: serde_json::Value = response.json().await.unwrap();
    assert!(body["error"].is_string(), "{body}");
    assert_eq!(app.store.count_pending_deliveries().await.unwrap(), 0);
}
