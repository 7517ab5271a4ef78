//! Editors push breaking news from the chat, after one confirmation tap; nobody else can.

use tg_sandbox::NewUser;

use crate::helpers::{EDITOR, spawn_app};

fn button_data(message: &tg_sandbox::SentMessage, index: usize) -> String {
    let markup = message.reply_markup.as_ref().expect("the preview has buttons");
    markup["inline_keyboard"][0][index]["callback_data"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn an_editor_previews_confirms_and_every_reader_receives_the_breaking_news() {
    let app = spawn_app().await;
    app.reader_starts(401, "Pembaca", "id").await;
    app.reader_starts(402, "Reader", "en").await;
    app.sandbox.add_user(NewUser::new(EDITOR, "Editor").language_code("en"));
    let preview = app.reader_sends(EDITOR, "/breaking Gempa <M6> di Jakarta").await;
    assert!(preview.plain_text.as_deref().unwrap().contains("Gempa <M6> di Jakarta"));
    assert_eq!(app.sandbox.sent_to(401).len(), 1, "nothing is sent before the tap");
    app.sandbox.user_taps_button(EDITOR, EDITOR, preview.message_id, &button_data(&preview, 0)).unwrap();
    let in_english = app.message_number(402, 2).await;
    assert_eq!(in_english.text, preview.text, "a reader of the editor's language sees exactly the preview");
    let in_indonesian = app.message_number(401, 2).await.plain_text.unwrap();
    assert!(in_indonesian.contains("BERITA TERKINI") && in_indonesian.contains("Gempa <M6> di Jakarta"));
    let status = app.message_number(EDITOR, 2).await;
    assert!(status.plain_text.unwrap().contains("Sending to 2 readers"));
}

#[tokio::test]
async fn a_second_tap_on_send_does_not_send_twice() {
    let app = spawn_app().await;
    app.reader_starts(411, "Pembaca", "id").await;
    app.sandbox.add_user(NewUser::new(EDITOR, "Editor"));
    let preview = app.reader_sends(EDITOR, "/breaking Sekali saja").await;
    let send = button_data(&preview, 0);
    app.sandbox.user_taps_button(EDITOR, EDITOR, preview.message_id, &send).unwrap();
    app.message_number(411, 2).await;
    let _ = app.sandbox.user_taps_button(EDITOR, EDITOR, preview.message_id, &send);
    app.settle().await;
    assert_eq!(app.sandbox.sent_to(411).len(), 2);
}

#[tokio::test]
async fn cancel_sends_nothing() {
    let app = spawn_app().await;
    app.reader_starts(421, "Pembaca", "id").await;
    app.sandbox.add_user(NewUser::new(EDITOR, "Editor").language_code("en"));
    let preview = app.reader_sends(EDITOR, "/breaking Salah ketik").await;
    app.sandbox.user_taps_button(EDITOR, EDITOR, preview.message_id, &button_data(&preview, 1)).unwrap();
    let status = app.message_number(EDITOR, 2).await;
    assert!(status.plain_text.unwrap().contains("Cancelled"));
    app.settle().await;
    assert_eq!(app.sandbox.sent_to(421).len(), 1);
}

#[tokio::test]
async fn a_reader_who_tries_breaking_is_told_no_and_nothing_is_sent() {
    let app = spawn_app().await;
    app.reader_starts(431, "Pembaca", "en").await;
    app.reader_starts(432, "Lain", "id").await;
    let refusal = app.reader_sends(431, "/breaking Fake news").await;
    assert!(refusal.plain_text.unwrap().contains("Only editors"));
    assert!(refusal.reply_markup.is_none(), "no button to tap");
    app.settle().await;
    assert_eq!(app.sandbox.sent_to(432).len(), 1);
}
