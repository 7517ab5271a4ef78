//! A new article on a watched site reaches every subscriber once, summarised; the backlog never.

use kabar::demo::news_site::seed_article;

use crate::helpers::{TestApp, spawn_app};

async fn app_with_backlog_and_readers(readers: &[i64]) -> TestApp {
    let app = spawn_app().await;
    app.site.publish(
        "Berita lama yang sudah ada sebelumnya",
        "JAKARTA – Berita lama ini sudah ada di situs sebelum kabar mulai mengawasi, jadi tidak boleh dikirim.",
    );
    app.poll_now().await;
    app.wait_until_primed().await;
    for &id in readers {
        app.reader_starts(id, "Pembaca", "id").await;
    }
    app
}

#[tokio::test]
async fn each_reader_receives_exactly_one_message_with_title_summary_and_link() {
    let app = app_with_backlog_and_readers(&[201, 202, 203]).await;
    let (title, body) = seed_article();
    let url = app.site.publish(&title, &body);
    app.poll_now().await;
    app.poll_now().await;
    for reader in [201, 202, 203] {
        let messages = app.sandbox.sent_to(reader);
        assert_eq!(messages.len(), 2, "the /start answer and one story: {messages:#?}");
        let story = messages[1].plain_text.clone().unwrap();
        assert!(story.starts_with(&title), "{story}");
        assert!(story.contains("Pentagon telah mengonfirmasi bahwa Amerika Serikat"), "{story}");
        assert!(story.contains(&url), "{story}");
        for boilerplate in ["Baca Juga", "WhatsApp", "LEAVE A RESPONSE", "Bagikan"] {
            assert!(!story.contains(boilerplate), "{boilerplate} in {story}");
        }
    }
}

#[tokio::test]
async fn the_backlog_found_at_the_first_poll_is_not_pushed() {
    let app = app_with_backlog_and_readers(&[211]).await;
    app.poll_now().await;
    let messages = app.sandbox.sent_to(211);
    assert_eq!(messages.len(), 1, "only the /start answer: {messages:#?}");
    assert_eq!(app.store.count_articles().await.unwrap(), 1, "the backlog is recorded");
}

#[tokio::test]
async fn a_reader_who_stopped_receives_no_more_stories() {
    let app = app_with_backlog_and_readers(&[221, 222]).await;
    app.reader_sends(222, "/stop").await;
    app.site.publish(
        "Gempa di Jakarta",
        "JAKARTA – Gempa berkekuatan 5,1 mengguncang Jakarta pada Selasa pagi, tanpa laporan kerusakan.",
    );
    app.poll_now().await;
    assert_eq!(app.sandbox.sent_to(221).len(), 2);
    assert_eq!(app.sandbox.sent_to(222).len(), 2, "only the /start and /stop answers");
}

#[tokio::test]
async fn a_title_full_of_markup_characters_arrives_intact() {
    let app = app_with_backlog_and_readers(&[231]).await;
    let title = r#"Harga <BBM> naik & "turun" > 5% <script>alert(1)</script>"#;
    app.site.publish(title, "JAKARTA – Pemerintah mengumumkan harga baru bahan bakar minyak yang berlaku mulai Senin depan di seluruh Indonesia.");
    app.poll_now().await;
    let story = app.message_number(231, 2).await;
    assert!(story.plain_text.unwrap().starts_with(title));
    assert!(app.sandbox.rejections().is_empty(), "Telegram accepted the HTML: {:?}", app.sandbox.rejections());
}

#[tokio::test]
async fn a_story_is_pushed_once_across_restarts() {
    let mut app = app_with_backlog_and_readers(&[241]).await;
    app.site.publish(
        "Cerita pertama",
        "JAKARTA – Cerita pertama ini hanya boleh sampai ke pembaca satu kali saja, bahkan setelah restart.",
    );
    app.poll_now().await;
    app.restart().await;
    app.poll_now().await;
    assert_eq!(app.sandbox.sent_to(241).len(), 2);
}

#[tokio::test]
async fn one_story_syndicated_by_two_sites_is_pushed_once() {
    let app = app_with_backlog_and_readers(&[251]).await;
    let second_site = kabar::demo::news_site::NewsSite::start().await.unwrap();
    let second = kabar::config::SourceSettings {
        name: "kedua".into(),
        url: second_site.feed_url().parse().unwrap(),
        poll_interval_secs: 3600,
        kind: kabar::domain::SourceKind::Feed,
        corrections: false,
    };
    app.store.add_source(&second).await.unwrap();
    app.wait_until_source_primed("kedua").await;
    let title = "Banjir Besar Melanda Tiga Kecamatan di Jakarta";
    let lead = "JAKARTA – Banjir besar melanda tiga kecamatan di Jakarta sejak Senin pagi, ribuan warga mengungsi ke tempat aman.";
    app.site.publish(title, lead);
    second_site.publish(&format!("{title}!"), lead);
    app.poll_now().await;
    app.poll_source("kedua").await;
    let messages = app.sandbox.sent_to(251);
    assert_eq!(messages.len(), 2, "the /start answer and the story once: {messages:#?}");
}

#[tokio::test]
async fn a_story_with_a_photo_arrives_as_that_photo_with_the_story_as_its_caption() {
    let app = app_with_backlog_and_readers(&[241]).await;
    let (title, body) = seed_article();
    let photo = "https://cdn.example.org/2024/11/pentagon.jpg";
    let url = app.site.publish_with(&title, &body, Some("Global"), Some(photo));
    app.poll_now().await;
    let story = app.message_number(241, 2).await;
    assert_eq!(story.method, "sendPhoto");
    assert_eq!(story.photo, Some(tg_sandbox::PhotoInput::Url(photo.into())));
    let caption = story.plain_text.unwrap();
    assert!(caption.starts_with(&title) && caption.contains("Pentagon telah mengonfirmasi"), "{caption}");
    assert!(caption.contains(&url), "{caption}");
    assert!(caption.encode_utf16().count() <= 1024, "within a caption's limit");
}

#[tokio::test]
async fn a_photo_the_platform_refuses_does_not_cost_the_story() {
    let app = app_with_backlog_and_readers(&[251, 252]).await;
    app.sandbox.inject_fault_on("sendPhoto", tg_sandbox::Fault::InternalError, 1);
    let url = app.site.publish_with(
        "Jembatan baru di Kalimantan dibuka untuk umum",
        "SAMARINDA – Jembatan sepanjang dua kilometer itu dibuka pagi ini oleh gubernur bersama warga setempat.",
        None,
        Some("https://cdn.example.org/broken.jpg"),
    );
    app.poll_now().await;
    let stories: Vec<_> = [251, 252].map(|reader| app.messages_in(reader).pop().unwrap()).into();
    assert_eq!(stories.iter().filter(|m| m.method == "sendMessage").count(), 1, "one went as text: {stories:#?}");
    for story in stories {
        assert!(story.plain_text.unwrap().contains(&url), "each reader got the story once");
    }
    app.settle().await;
    assert_eq!(app.messages_in(251).len() + app.messages_in(252).len(), 4, "and only once");
}

#[tokio::test]
async fn a_retitled_story_is_corrected_in_readers_chats_when_its_source_asks_for_it() {
    let app = crate::helpers::spawn_app_with(|settings| settings.sources[0].corrections = true).await;
    app.wait_until_primed().await;
    app.reader_starts(261, "Pembaca", "id").await;
    let wrong = "Gubernur resmikan jembatan di Samarinda";
    app.site.publish(wrong, "SAMARINDA – Jembatan baru itu diresmikan pada Rabu pagi oleh wakil gubernur.");
    app.poll_now().await;
    let story = app.message_number(261, 2).await;
    app.site.retitle(wrong, "Wakil gubernur resmikan jembatan di Samarinda");
    app.poll_now().await;
    let corrected = app
        .message_when(261, story.message_id, |m| m["text"].as_str().unwrap_or_default().starts_with("Wakil gubernur"))
        .await;
    assert!(corrected["text"].as_str().unwrap().contains("diresmikan pada Rabu"), "the rest stays: {corrected}");
    assert_eq!(app.messages_in(261).len(), 2, "corrected in place, never pushed again");
}
