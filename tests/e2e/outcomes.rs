//! Each delivery outcome, and pacing checked on the sandbox's record of sends, never by timing.

use std::time::Duration;

use kabar::domain::{BroadcastKind, NewBroadcast};
use reqwest::Method;
use serde_json::json;
use tg_sandbox::{Fault, NewGroup, NewUser};

use crate::helpers::{spawn_app, spawn_app_with};

fn push(text: &str) -> serde_json::Value {
    json!({ "text": text })
}

#[tokio::test]
async fn a_flood_wait_is_obeyed_and_everything_still_arrives() {
    // kabar is told a looser per-chat limit than the platform enforces, so it meets real 429s.
    let app = spawn_app_with(|settings| settings.limits.per_chat_per_sec = 20).await;
    app.subscribe_quietly([601]).await;
    for n in 0..6 {
        app.api(Method::POST, "/api/broadcasts", Some(push(&format!("Kabar {n}")))).await;
    }
    app.settle().await;
    assert_eq!(app.sandbox.sent_to(601).len(), 6, "every message arrived");
    let floods: Vec<_> = app.sandbox.rejections().into_iter().filter(|r| r.status == 429).collect();
    assert!(!floods.is_empty(), "the platform's limit was met");
    for flood in &floods {
        let wait = Duration::from_secs(u64::from(flood.retry_after.unwrap()));
        let too_soon = app.sandbox.sent().iter().filter(|m| m.at > flood.at && m.at < flood.at + wait).count();
        assert_eq!(too_soon, 0, "nothing was sent during a retry_after of {wait:?}");
    }
}

#[tokio::test]
async fn a_bad_gateway_page_is_retried_until_the_message_goes_through() {
    let app = spawn_app().await;
    app.subscribe_quietly([611]).await;
    app.sandbox.inject_fault_on("sendMessage", Fault::BadGateway, 1);
    let (_, answer) = app.api(Method::POST, "/api/broadcasts", Some(push("Tetap dikirim"))).await;
    app.settle().await;
    assert_eq!(app.sandbox.sent_to(611).len(), 1);
    let progress = app.progress(answer["id"].as_i64().unwrap()).await;
    assert_eq!((progress.sent, progress.failed), (1, 0));
}

#[tokio::test]
async fn a_message_the_platform_refuses_fails_at_once_with_its_reason_and_blocks_nothing() {
    let app = spawn_app().await;
    app.subscribe_quietly([621]).await;
    let broken = NewBroadcast::plain(BroadcastKind::Article, "<b>never closed", "test");
    let (broken_id, _) = app.store.create_broadcast(&broken).await.unwrap();
    app.api(Method::POST, "/api/broadcasts", Some(push("Yang ini sampai"))).await;
    app.settle().await;
    let messages = app.sandbox.sent_to(621);
    assert_eq!(messages.len(), 1);
    assert!(messages[0].plain_text.as_deref().unwrap().contains("Yang ini sampai"));
    let (status, failures) = app.api(Method::GET, &format!("/api/broadcasts/{broken_id}/failures"), None).await;
    assert_eq!(status, 200);
    assert_eq!(failures[0]["attempts"], 1, "{failures}");
    assert!(failures[0]["last_error"].as_str().unwrap().contains("parse entities"), "{failures}");
}

#[tokio::test]
async fn one_chat_never_gets_more_than_one_message_a_second() {
    let app = spawn_app().await;
    app.subscribe_quietly([631]).await;
    for n in 0..4 {
        app.api(Method::POST, "/api/broadcasts", Some(push(&format!("Pesan {n}")))).await;
    }
    app.settle().await;
    assert_eq!(app.sandbox.sent_to(631).len(), 4);
    assert_eq!(app.sandbox.max_sends_in_any_window(Duration::from_secs(1), Some(631)), 1);
    assert_eq!(app.sandbox.count_429(), 0);
}

#[tokio::test]
async fn a_group_is_held_to_its_per_minute_limit() {
    let app = spawn_app_with(|settings| settings.limits.group_per_min = 20).await;
    app.sandbox.add_user(NewUser::new(641, "Admin"));
    app.sandbox.add_group(NewGroup::supergroup(-1_000_641, "Warga").owner(641)).unwrap();
    // The bot greeted the group when it was added; the answer to /start comes second.
    app.sandbox.user_sends_text(-1_000_641, 641, "/start").unwrap();
    app.message_number(-1_000_641, 2).await;
    for n in 0..2 {
        app.api(Method::POST, "/api/broadcasts", Some(push(&format!("Grup {n}")))).await;
    }
    app.settle().await;
    assert_eq!(app.sandbox.sent_to(-1_000_641).len(), 4);
    let per_group_interval = Duration::from_secs(3);
    assert_eq!(app.sandbox.max_sends_in_any_window(per_group_interval, Some(-1_000_641)), 1);
}

#[tokio::test]
async fn breaking_news_overtakes_a_regular_push_already_queued() {
    let app = spawn_app_with(|settings| settings.limits.global_per_sec = 2).await;
    app.subscribe_quietly(650..660).await;
    app.api(Method::POST, "/api/broadcasts", Some(push("Biasa"))).await;
    app.wait_until(|| async { !app.sandbox.sent().is_empty() }).await;
    let (_, breaking) =
        app.api(Method::POST, "/api/broadcasts", Some(json!({"text": "Mendesak", "breaking": true}))).await;
    let breaking_id = breaking["id"].as_i64().unwrap();
    app.wait_until(|| async { app.progress(breaking_id).await.pending == 0 }).await;
    let regular_left = app.sandbox.sent().iter().filter(|m| m.plain_text.as_deref() == Some("Biasa")).count();
    assert!(regular_left < 10, "the breaking push finished before the regular one: {regular_left} regular sent");
}

#[tokio::test]
async fn new_limits_apply_to_a_push_already_running() {
    let app = spawn_app_with(|settings| settings.limits.global_per_sec = 2).await;
    app.subscribe_quietly(670..690).await;
    app.api(Method::POST, "/api/broadcasts", Some(push("Lebih cepat"))).await;
    app.wait_until(|| async { app.sandbox.sent().len() >= 2 }).await;
    assert!(app.sandbox.max_sends_in_any_window(Duration::from_secs(1), None) <= 2);
    let (status, _) = app.api(Method::PUT, "/api/limits", Some(json!({"global_per_sec": 20}))).await;
    assert_eq!(status, 200);
    app.settle().await;
    assert_eq!(app.sandbox.sent().len(), 20);
    let busiest = app.sandbox.max_sends_in_any_window(Duration::from_secs(1), None);
    assert!((5..=20).contains(&busiest), "the faster limit was used at once and not exceeded: {busiest} in a second");
}
