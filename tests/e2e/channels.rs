//! Channels: readers follow the topics they want; an article reaches the followers of its
//! channels; the menu is one message edited on every tap.

use kabar::config::ChannelSettings;

use crate::helpers::{TestApp, button_labels, spawn_app_with};

fn channel(slug: &str, name: &str, english: &str, categories: &[&str], default: bool) -> ChannelSettings {
    ChannelSettings {
        slug: slug.into(),
        name: name.into(),
        names: [("en".to_owned(), english.to_owned())].into(),
        categories: categories.iter().map(|c| c.to_string()).collect(),
        sources: Vec::new(),
        default,
    }
}

async fn app_with_channels(channels: Vec<ChannelSettings>) -> TestApp {
    let app = spawn_app_with(|settings| settings.channels = channels).await;
    app.wait_until_primed().await;
    app
}

fn politics_and_economy() -> Vec<ChannelSettings> {
    vec![
        channel("politik", "Politik", "Politics", &["Pemerintahan"], false),
        channel("ekonomi", "Ekonomi", "Economy", &["Bisnis"], false),
    ]
}

#[tokio::test]
async fn a_story_reaches_only_the_followers_of_its_channel() {
    let app = app_with_channels(politics_and_economy()).await;
    app.reader_starts(701, "Semua", "id").await;
    let welcome = app.reader_starts(702, "Pilih", "id").await;
    assert!(welcome.plain_text.unwrap().contains("Kanal"), "/start offers the channels");
    app.tap(702, 702, welcome.message_id, "Semua berita").await;
    app.tap(702, 702, welcome.message_id, "Ekonomi").await;
    app.message_when(702, welcome.message_id, |m| button_labels(&m["reply_markup"]).contains(&"✅ Ekonomi".to_owned()))
        .await;

    app.site.publish_with(
        "Presiden melantik menteri baru di Istana Negara",
        "Isi berita politik.",
        Some("Pemerintahan"),
        None,
    );
    app.poll_now().await;
    app.site.publish_with(
        "Rupiah menguat terhadap dolar pada perdagangan pagi",
        "Isi berita ekonomi.",
        Some("Bisnis"),
        None,
    );
    app.poll_now().await;

    let everything = app.messages_in(701);
    assert_eq!(everything.len(), 3, "a reader who chose nothing gets every story: {everything:#?}");
    let chosen: Vec<String> = app.messages_in(702).iter().skip(1).filter_map(|m| m.plain_text.clone()).collect();
    assert_eq!(chosen.len(), 1, "{chosen:#?}");
    assert!(chosen[0].starts_with("Rupiah menguat"), "{chosen:#?}");
}

#[tokio::test]
async fn the_channel_menu_is_one_message_edited_in_place_and_answered_at_once() {
    let app = app_with_channels(politics_and_economy()).await;
    app.reader_starts(711, "Reader", "en").await;
    let menu = app.reader_sends(711, "/channels").await;
    let labels = button_labels(menu.reply_markup.as_ref().unwrap());
    assert_eq!(labels, ["✅ All news", "✅ Politics", "✅ Economy", "Done"], "English names for an English reader");
    app.tap(711, 711, menu.message_id, "Politics").await;
    let edited = app
        .message_when(711, menu.message_id, |m| button_labels(&m["reply_markup"]).contains(&"⬜ Politics".to_owned()))
        .await;
    assert_eq!(button_labels(&edited["reply_markup"]), ["⬜ All news", "⬜ Politics", "✅ Economy", "Done"]);
    assert_eq!(app.messages_in(711).len(), 2, "taps edit the menu, they send nothing new");
    app.tap(711, 711, menu.message_id, "Done").await;
    let done = app.message_when(711, menu.message_id, |m| m["reply_markup"].is_null()).await;
    let status = done["text"].as_str().unwrap();
    assert!(status.contains("Channels: Economy"), "{status}");
}

#[tokio::test]
async fn a_category_no_channel_claims_becomes_a_channel_readers_can_follow() {
    let app = app_with_channels(Vec::new()).await;
    app.reader_starts(721, "Pembaca", "id").await;
    let none_yet = app.reader_sends(721, "/channels").await;
    assert!(none_yet.plain_text.unwrap().contains("Belum ada kanal"));
    app.site.publish_with(
        "Timnas menang dua gol tanpa balas di Bangkok",
        "Isi berita olahraga.",
        Some("Sepak Bola"),
        None,
    );
    app.poll_now().await;
    assert_eq!(app.messages_in(721).len(), 3, "the story arrives: the reader follows everything");
    let menu = app.reader_sends(721, "/channels").await;
    assert!(button_labels(menu.reply_markup.as_ref().unwrap()).contains(&"✅ Sepak Bola".to_owned()));
}

#[tokio::test]
async fn new_readers_follow_the_default_channels_only() {
    let app = app_with_channels(vec![
        channel("utama", "Berita Utama", "Top stories", &[], true),
        channel("hiburan", "Hiburan", "Entertainment", &["Selebriti"], false),
    ])
    .await;
    let welcome = app.reader_starts(731, "Pembaca", "id").await;
    let labels = button_labels(welcome.reply_markup.as_ref().unwrap());
    assert_eq!(labels, ["⬜ Semua berita", "✅ Berita Utama", "⬜ Hiburan", "Selesai"]);
    app.site.publish_with("Artis ternama menikah di Bali akhir pekan ini", "Isi.", Some("Selebriti"), None);
    app.poll_now().await;
    assert_eq!(app.messages_in(731).len(), 1, "no story outside the default channels");
}
