//! Delivery outcomes: blocked readers, migrated groups, limits, and nothing lost across a restart.

use std::time::Duration;

use kabar::domain::Recipient;
use reqwest::Method;
use serde_json::json;
use tg_sandbox::NewGroup;

use crate::helpers::{spawn_app, spawn_app_with};

#[tokio::test]
async fn a_reader_who_blocked_the_bot_is_marked_inactive_and_not_tried_again() {
    let app = spawn_app().await;
    app.reader_starts(501, "Budi", "id").await;
    app.reader_starts(502, "Sari", "id").await;
    app.sandbox.block_bot(502).unwrap();
    // The sandbox tells the bot at once; once it has listened, make it forget, as when the
    // update is lost, so that only the 403 can tell.
    app.wait_until(|| async { !app.store.is_active_subscriber(&Recipient::telegram(502)).await.unwrap() }).await;
    app.store.subscribe(&kabar::domain::NewSubscriber::private(Recipient::telegram(502))).await.unwrap();
    let (_, first) = app.api(Method::POST, "/api/broadcasts", Some(json!({"text": "Satu"}))).await;
    app.settle().await;
    let progress = app.progress(first["id"].as_i64().unwrap()).await;
    assert_eq!((progress.sent, progress.failed), (1, 1));
    assert!(!app.store.is_active_subscriber(&Recipient::telegram(502)).await.unwrap());
    let metrics = app.http.get(format!("{}/metrics", app.api)).send().await.unwrap().text().await.unwrap();
    assert!(metrics.contains("kabar_delivery_failures_total{reason=\"blocked\"} 1"), "{metrics}");
    assert!(metrics.contains("kabar_send_rate "), "the send rate is exported");
    let (_, second) = app.api(Method::POST, "/api/broadcasts", Some(json!({"text": "Dua"}))).await;
    assert_eq!(second["recipients"], 1, "the blocked reader is not queued again");
}

#[tokio::test]
async fn a_group_that_became_a_supergroup_is_moved_and_receives_the_message_there() {
    let app = spawn_app().await;
    app.sandbox.add_user(tg_sandbox::NewUser::new(511, "Admin"));
    app.sandbox.add_group(NewGroup::group(-511, "Warga").owner(511)).unwrap();
    // The bot greeted the group when it was added; the answer to /start comes second.
    app.sandbox.user_sends_text(-511, 511, "/start").unwrap();
    app.message_number(-511, 2).await;
    app.sandbox.migrate_group(-511, -100_511).unwrap();
    let (_, answer) = app.api(Method::POST, "/api/broadcasts", Some(json!({"text": "Untuk grup"}))).await;
    assert_eq!(answer["recipients"], 1);
    let message = app.message_number(-100_511, 1).await;
    assert!(message.plain_text.unwrap().contains("Untuk grup"));
    assert!(app.store.is_active_subscriber(&Recipient::telegram(-100_511)).await.unwrap());
}

#[tokio::test]
async fn a_push_never_exceeds_the_configured_global_limit() {
    let app = spawn_app_with(|settings| settings.limits.global_per_sec = 5).await;
    app.subscribe_quietly(520..535).await;
    let (_, answer) = app.api(Method::POST, "/api/broadcasts", Some(json!({"text": "Pelan-pelan"}))).await;
    assert_eq!(answer["recipients"], 15);
    app.settle().await;
    assert_eq!(app.sandbox.sent().len(), 15);
    assert!(app.sandbox.max_sends_in_any_window(Duration::from_secs(1), None) <= 5);
    assert_eq!(app.sandbox.count_429(), 0);
}

#[tokio::test]
async fn queued_deliveries_survive_a_stop_and_are_sent_after_the_restart() {
    let mut app = spawn_app_with(|settings| settings.limits.global_per_sec = 1).await;
    app.subscribe_quietly(530..536).await;
    let (_, answer) = app.api(Method::POST, "/api/broadcasts", Some(json!({"text": "Tahan banting"}))).await;
    let id = answer["id"].as_i64().unwrap();
    app.wait_until(|| async { !app.sandbox.sent().is_empty() }).await;
    app.stop().await;
    assert!(app.progress(id).await.pending > 0, "the stop came in the middle of the push");
    app.restart().await;
    app.settle().await;
    let progress = app.progress(id).await;
    assert_eq!((progress.sent, progress.pending), (6, 0));
    for reader in 530..536 {
        assert_eq!(app.sandbox.sent_to(reader).len(), 1, "reader {reader} got the message exactly once");
    }
}

#[tokio::test]
async fn cancelling_a_broadcast_stops_what_is_not_sent_yet() {
    let app = spawn_app_with(|settings| settings.limits.global_per_sec = 1).await;
    app.subscribe_quietly(540..546).await;
    let (_, answer) = app.api(Method::POST, "/api/broadcasts", Some(json!({"text": "Salah"}))).await;
    let id = answer["id"].as_i64().unwrap();
    app.wait_until(|| async { !app.sandbox.sent().is_empty() }).await;
    let (status, progress) = app.api(Method::DELETE, &format!("/api/broadcasts/{id}"), None).await;
    assert_eq!(status, 200);
    assert_eq!(progress["status"], "cancelled");
    assert!(progress["cancelled"].as_i64().unwrap() > 0, "{progress}");
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert!(app.sandbox.sent().len() < 6);
}
