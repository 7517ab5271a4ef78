//! Groups and Telegram channels are managed by their admins only, checked on every command and
//! every tap; a reader who blocks the bot is let go at once and welcomed back with their
//! settings; readers are answered while a large push is going out.

use kabar::domain::Recipient;
use reqwest::Method;
use serde_json::json;
use tg_sandbox::{NewGroup, NewUser};

use crate::helpers::{button_labels, plain_channel, spawn_app_with, spawn_app_with_two_channels};

#[tokio::test]
async fn only_a_groups_admins_can_subscribe_it_and_change_its_channels() {
    let app = spawn_app_with_two_channels().await;
    app.sandbox.add_user(NewUser::new(901, "Admin").language_code("id"));
    app.sandbox.add_user(NewUser::new(902, "Member").language_code("en"));
    app.sandbox.add_group(NewGroup::supergroup(-1_000_901, "Warga RT 5").owner(901).member(902)).unwrap();
    let welcome = app.message_number(-1_000_901, 1).await.plain_text.unwrap();
    assert!(welcome.contains("/start"), "the bot says how to subscribe the group: {welcome}");

    app.sandbox.user_sends_text(-1_000_901, 902, "/start").unwrap();
    let refused = app.message_number(-1_000_901, 2).await.plain_text.unwrap();
    assert!(refused.contains("Hanya admin"), "the group speaks its adder's language: {refused}");
    assert!(!app.store.is_active_subscriber(&Recipient::telegram(-1_000_901)).await.unwrap());

    app.sandbox.user_sends_text(-1_000_901, 901, "/start").unwrap();
    let menu = app.message_number(-1_000_901, 3).await;
    assert!(app.store.is_active_subscriber(&Recipient::telegram(-1_000_901)).await.unwrap());
    let answer = app.tap(-1_000_901, 902, menu.message_id, "Politik").await;
    assert!(answer.unwrap().contains("Only this chat's admins"), "a member's tap is refused, in their language");
    let unchanged = app.sandbox.message(-1_000_901, menu.message_id).unwrap();
    assert!(button_labels(&unchanged["reply_markup"]).contains(&"✅ Politik".to_owned()));

    app.tap(-1_000_901, 901, menu.message_id, "Politik").await;
    app.message_when(-1_000_901, menu.message_id, |m| {
        button_labels(&m["reply_markup"]).contains(&"⬜ Politik".to_owned())
    })
    .await;
    app.sandbox.user_sends_text(-1_000_901, 902, "/stop").unwrap();
    app.message_number(-1_000_901, 4).await;
    assert!(
        app.store.is_active_subscriber(&Recipient::telegram(-1_000_901)).await.unwrap(),
        "a member cannot unsubscribe the group"
    );
}

#[tokio::test]
async fn a_telegram_channel_is_set_up_by_the_admin_who_made_the_bot_its_admin() {
    let app = spawn_app_with_two_channels().await;
    app.sandbox.add_user(NewUser::new(911, "Redaksi").language_code("id"));
    app.sandbox.add_group(NewGroup::channel(-1_000_911, "Kabar <Kota>").owner(911).bot_admin()).unwrap();
    let asked = app.message_number(911, 1).await;
    assert!(asked.plain_text.clone().unwrap().contains("Kabar <Kota>"), "the admin is asked in private");
    assert!(!app.store.is_active_subscriber(&Recipient::telegram(-1_000_911)).await.unwrap());

    app.tap(911, 911, asked.message_id, "Kirim berita").await;
    let set_up = app
        .message_when(911, asked.message_id, |m| m["text"].as_str().unwrap_or_default().contains("sudah berlangganan"))
        .await;
    assert!(button_labels(&set_up["reply_markup"]).contains(&"✅ Politik".to_owned()), "then its channels");
    assert!(app.store.is_active_subscriber(&Recipient::telegram(-1_000_911)).await.unwrap());
    app.api(Method::POST, "/api/broadcasts", Some(json!({"text": "Siaran untuk kanal"}))).await;
    let posted = app.message_number(-1_000_911, 1).await;
    assert!(posted.plain_text.unwrap().contains("Siaran untuk kanal"));
}

#[tokio::test]
async fn a_reader_who_blocks_the_bot_is_let_go_at_once_and_comes_back_with_their_settings() {
    let app = spawn_app_with_two_channels().await;
    app.reader_starts(921, "Budi", "id").await;
    app.reader_sends(921, "/digest daily 6").await;
    app.sandbox.block_bot(921).unwrap();
    app.wait_until(|| async { !app.store.is_active_subscriber(&Recipient::telegram(921)).await.unwrap() }).await;
    let (_, push) = app.api(Method::POST, "/api/broadcasts", Some(json!({"text": "Tanpa Budi"}))).await;
    assert_eq!(push["recipients"], 0, "an inactive reader is not queued");

    app.sandbox.unblock_bot(921).unwrap();
    let back = app.reader_sends(921, "/start").await.plain_text.unwrap();
    assert!(back.contains("Selamat datang kembali"), "{back}");
    let status = app.reader_sends(921, "/status").await.plain_text.unwrap();
    assert!(status.contains("rangkuman harian pukul 06:00"), "the old settings are kept: {status}");
}

#[tokio::test]
async fn readers_are_answered_ahead_of_a_large_push() {
    // Below Telegram's 30/s: the pacer's precision at the limit is the delivery tests' business,
    // and on a machine busy with other tests, arrival jitter must not turn into a 429 here.
    let app = spawn_app_with(|settings| {
        settings.channels = vec![plain_channel("Politik"), plain_channel("Ekonomi")];
        settings.limits.global_per_sec = 24;
    })
    .await;
    app.reader_starts(931, "Reader", "en").await;
    let menu = app.reader_sends(931, "/channels").await;
    app.subscribe_quietly(10_000..10_300).await;
    let (_, push) = app.api(Method::POST, "/api/broadcasts", Some(json!({"text": "Big push"}))).await;
    assert_eq!(push["recipients"], 301);
    app.wait_until(|| async { app.sandbox.sent().len() > 40 }).await;

    let asked = std::time::Instant::now();
    let status = app.reader_sends(931, "/status").await;
    let reply_latency = status.at.saturating_duration_since(asked);
    let tap_asked = std::time::Instant::now();
    app.tap(931, 931, menu.message_id, "Politik").await;
    let tap_latency = tap_asked.elapsed();
    let pending = app.store.count_pending_deliveries().await.unwrap();
    println!("during a push of 301: /status answered in {reply_latency:?}, a tap in {tap_latency:?}");
    assert!(pending > 100, "the reply and the tap went ahead of the push ({pending} sends still queued)");
    app.settle().await;
    assert_eq!(app.sandbox.count_429(), 0, "{:#?}", app.sandbox.rejections());
}
