//! Webhook mode: Telegram posts updates to kabar, which checks their secret, stores them before
//! answering and handles them like polled ones.

use kabar::domain::Recipient;
use reqwest::Method;
use serde_json::json;

use crate::helpers::spawn_app_with;

const SECRET: &str = "webhook-secret_0123456789";

#[tokio::test]
async fn updates_posted_by_telegram_are_handled_and_forged_ones_refused() {
    // The webhook's address must be known before kabar starts: a port picked now.
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let app = spawn_app_with(|settings| {
        settings.http.listen = format!("127.0.0.1:{port}");
        settings.telegram.webhook_url = Some(format!("http://127.0.0.1:{port}/telegram/webhook").parse().unwrap());
        settings.telegram.webhook_secret = Some(SECRET.into());
    })
    .await;
    let welcome = app.reader_starts(1101, "Pembaca", "id").await;
    assert!(welcome.plain_text.unwrap().contains("Anda sudah berlangganan"), "a /start through the webhook");
    assert!(app.store.is_active_subscriber(&Recipient::telegram(1101)).await.unwrap());
    assert!(app.sandbox.webhook_deliveries() >= 1, "the update came by webhook, not by polling");

    let forged = json!({"update_id": 999_999, "message": {"message_id": 1, "date": 0,
        "chat": {"id": 1102, "type": "private", "first_name": "X"}, "from": {"id": 1102, "is_bot": false, "first_name": "X"},
        "text": "/start"}});
    let wrong_secret = app
        .http
        .request(Method::POST, format!("{}/telegram/webhook", app.api))
        .header("X-Telegram-Bot-Api-Secret-Token", "not-the-secret")
        .json(&forged)
        .send()
        .await
        .unwrap();
    assert_eq!(wrong_secret.status(), 401);
    let no_secret = app.http.post(format!("{}/telegram/webhook", app.api)).json(&forged).send().await.unwrap();
    assert_eq!(no_secret.status(), 401);
    assert!(
        !app.store.is_active_subscriber(&Recipient::telegram(1102)).await.unwrap(),
        "a forged update changes nothing"
    );
}

#[tokio::test]
async fn an_update_stored_before_a_crash_is_handled_after_the_restart() {
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let mut app = spawn_app_with(|settings| {
        settings.http.listen = format!("127.0.0.1:{port}");
        settings.telegram.webhook_url = Some(format!("http://127.0.0.1:{port}/telegram/webhook").parse().unwrap());
        settings.telegram.webhook_secret = Some(SECRET.into());
    })
    .await;
    app.sandbox.add_user(tg_sandbox::NewUser::new(1111, "Sari").language_code("id"));
    app.stop().await;
    // Acknowledged to Telegram and stored, but kabar went down before handling it.
    let update = json!({"update_id": 5_000, "message": {"message_id": 1, "date": 0,
        "chat": {"id": 1111, "type": "private", "first_name": "Sari"},
        "from": {"id": 1111, "is_bot": false, "first_name": "Sari", "language_code": "id"}, "text": "/start"}});
    app.store.store_updates(&[(5_000, update.to_string())]).await.unwrap();
    app.restart().await;
    let welcome = app.message_number(1111, 1).await;
    assert!(welcome.plain_text.unwrap().contains("berlangganan"));
    app.wait_until(|| async { app.store.waiting_updates(10).await.unwrap().is_empty() }).await;
}
