//! Readers' own settings, in both languages: /lang, a digest instead of instant news, quiet
//! hours, keyword filters, /status, and the command menu in each language.

use chrono::{Timelike, Utc};
use reqwest::Method;
use serde_json::json;

use crate::helpers::{TestApp, spawn_app};

async fn app() -> TestApp {
    let app = spawn_app().await;
    app.wait_until_primed().await;
    app
}

/// Makes every held story look `hours` older, so that a digest is due now.
async fn age_held_stories(app: &TestApp, hours: i64) {
    for table in ["held_stories SET held_at = held_at", "subscribers SET held_since = held_since"] {
        kabar::store::sql::query(&format!("UPDATE {table} - $1"))
            .bind(hours * 3_600_000)
            .execute(app.store.pool())
            .await
            .unwrap();
    }
}

#[tokio::test]
async fn lang_switches_every_reply_and_every_story_to_the_chosen_language() {
    let app = app().await;
    let welcome = app.reader_starts(801, "Budi", "id").await;
    assert!(welcome.plain_text.unwrap().contains("Anda sudah berlangganan"));
    let picker = app.reader_sends(801, "/lang").await;
    app.tap(801, 801, picker.message_id, "English").await;
    app.message_when(801, picker.message_id, |m| m["text"].as_str().unwrap_or_default().contains("English")).await;
    let help = app.reader_sends(801, "/help").await;
    assert!(help.plain_text.unwrap().contains("sends you the news"), "help is in English now");
    let url = app.site.publish("Gempa magnitudo 5 guncang Cianjur pagi ini", "Gempa terasa hingga Bandung.");
    app.poll_now().await;
    let story = app.messages_in(801).last().unwrap().plain_text.clone().unwrap();
    assert!(story.contains(&format!("Read more: {url}")), "the story's own words are in English: {story}");

    app.reader_sends(801, "/start").await;
    let status = app.reader_sends(801, "/status").await;
    assert!(status.plain_text.unwrap().contains("Language: English"), "a chosen language outlives /start");
}

#[tokio::test]
async fn an_hourly_digest_holds_stories_and_sends_them_as_one_message() {
    let app = app().await;
    app.reader_starts(811, "Sari", "id").await;
    app.reader_starts(812, "Joko", "id").await;
    let changed = app.reader_sends(811, "/digest hourly").await;
    assert!(changed.plain_text.unwrap().contains("rangkuman per jam"));
    app.site.publish("Harga beras naik di pasar induk Cipinang", "Isi.");
    app.site.publish("Kereta cepat tambah jadwal perjalanan akhir pekan", "Isi.");
    app.poll_now().await;
    assert_eq!(app.messages_in(812).len(), 3, "an instant reader gets both at once");
    assert_eq!(app.messages_in(811).len(), 2, "the digest reader gets nothing yet");

    age_held_stories(&app, 2).await;
    let digest = app.message_number(811, 3).await.plain_text.unwrap();
    assert!(digest.contains("Rangkuman: 2 berita"), "{digest}");
    assert!(digest.contains("Harga beras naik") && digest.contains("Kereta cepat"), "{digest}");
    app.settle().await;
    assert_eq!(app.messages_in(811).len(), 3, "one digest, once");
}

#[tokio::test]
async fn quiet_hours_hold_stories_and_let_breaking_news_through_silently() {
    let app = app().await;
    app.reader_starts(821, "Reader", "en").await;
    // Quiet from an hour ago to an hour from now, Jakarta time.
    let jakarta_hour = (Utc::now().hour() + 7) % 24;
    let quiet = format!("/quiet {:02}:00-{:02}:00", (jakarta_hour + 23) % 24, (jakarta_hour + 2) % 24);
    let set = app.reader_sends(821, &quiet).await;
    assert!(set.plain_text.unwrap().contains("Quiet hours"), "{quiet}");

    app.site.publish("Festival budaya digelar di Yogyakarta malam ini", "Isi.");
    app.poll_now().await;
    assert_eq!(app.messages_in(821).len(), 2, "the story waits for the end of quiet hours");
    app.api(Method::POST, "/api/broadcasts", Some(json!({"text": "Tsunami warning lifted", "breaking": true}))).await;
    let breaking = app.message_number(821, 3).await;
    assert!(breaking.plain_text.unwrap().contains("Tsunami warning lifted"));
    assert!(breaking.disable_notification, "breaking news in quiet hours makes no sound");

    app.reader_sends(821, "/quiet off").await;
    let digest = app.message_number(821, 5).await;
    assert!(digest.plain_text.unwrap().contains("Festival budaya"), "held stories come when quiet hours end");
    assert!(!digest.disable_notification);
}

#[tokio::test]
async fn keyword_filters_let_through_only_the_stories_a_reader_wants() {
    let app = app().await;
    app.reader_starts(831, "Pembaca", "id").await;
    let included = app.reader_sends(831, "/filter +Banjir").await;
    assert!(included.plain_text.unwrap().contains("“banjir”"), "keywords are folded");
    app.reader_sends(831, "/filter -tol").await;
    app.site.publish("Banjir rendam ratusan rumah di Bekasi", "Isi.");
    app.site.publish("Jalan tol Cipali banjir, lalu lintas dialihkan", "Isi.");
    app.site.publish("Harga cabai turun menjelang akhir tahun", "Isi.");
    app.site.publish("BANJIRNYA surut, warga kembali ke rumah", "Isi.");
    app.poll_now().await;
    let stories: Vec<String> = app.messages_in(831).iter().skip(3).filter_map(|m| m.plain_text.clone()).collect();
    assert_eq!(stories.len(), 2, "{stories:#?}");
    assert!(stories[0].starts_with("Banjir rendam") && stories[1].starts_with("BANJIRNYA surut"), "{stories:#?}");

    let status = app.reader_sends(831, "/status").await.plain_text.unwrap();
    assert!(status.contains("Hanya berita dengan: banjir") && status.contains("Tanpa berita dengan: tol"), "{status}");
    app.reader_sends(831, "/filter clear").await;
    let status = app.reader_sends(831, "/status").await.plain_text.unwrap();
    assert!(status.contains("Kata kunci: tidak ada"), "{status}");
}

#[tokio::test]
async fn keywords_are_bounded_in_number_and_length() {
    let app = app().await;
    app.reader_starts(841, "Reader", "en").await;
    let too_long = app.reader_sends(841, &format!("/filter +{}", "a".repeat(41))).await;
    assert!(too_long.plain_text.unwrap().contains("at most 40 characters"));
    for n in 0..20 {
        app.reader_sends(841, &format!("/filter +word{n}")).await;
    }
    let refused = app.reader_sends(841, "/filter +one-too-many").await;
    assert!(refused.plain_text.unwrap().contains("at most 20 keywords"));
}

#[tokio::test]
async fn settings_buttons_change_the_delivery_and_edit_their_own_message() {
    let app = app().await;
    app.reader_starts(851, "Reader", "en").await;
    let settings = app.reader_sends(851, "/settings").await;
    assert!(settings.plain_text.unwrap().contains("Delivery: each story at once"));
    app.tap(851, 851, settings.message_id, "Daily 07:00").await;
    let edited = app
        .message_when(851, settings.message_id, |m| {
            m["text"].as_str().unwrap_or_default().contains("Delivery: a daily digest at 07:00")
        })
        .await;
    assert!(edited["reply_markup"].to_string().contains("✅ 📰 Daily 07:00") || edited.to_string().contains("✅"));
    app.tap(851, 851, settings.message_id, "Breaking news at once").await;
    let status = app.reader_sends(851, "/status").await.plain_text.unwrap();
    assert!(status.contains("Breaking news: in your digest"), "{status}");
    let zone = app.reader_sends(851, "/timezone WITA").await.plain_text.unwrap();
    assert!(zone.contains("Asia/Makassar"), "{zone}");
}

#[tokio::test]
async fn the_command_menu_is_registered_in_both_languages() {
    let app = app().await;
    app.wait_until(|| async { !app.sandbox.my_commands("default", "id").is_empty() }).await;
    let indonesian = app.sandbox.my_commands("default", "id");
    let english = app.sandbox.my_commands("default", "en");
    let names: Vec<&str> = indonesian.iter().map(|c| c.command.as_str()).collect();
    assert_eq!(names, ["start", "channels", "status", "settings", "filter", "lang", "stop", "help"]);
    assert_eq!(indonesian[1].description, "Pilih kanal");
    assert_eq!(english[1].description, "Choose channels");
    assert_eq!(app.sandbox.my_commands("default", "")[1].description, "Choose channels", "the default language's menu");
}

#[tokio::test]
async fn a_reply_quoting_a_huge_input_stays_short_enough_for_telegram() {
    let app = app().await;
    app.reader_starts(861, "Alex", "en").await;
    let huge = "Zona".repeat(1_000);
    for command in [format!("/timezone {huge}"), format!("/filter remove {huge}")] {
        let reply = app.reader_sends(861, &command).await.plain_text.unwrap();
        assert!(reply.chars().count() < 300, "{} characters: {reply}", reply.chars().count());
        assert!(reply.contains("ZonaZona") && reply.contains('…'), "the input is quoted, cut short: {reply}");
    }
}
