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

#[tokio::test]
async fn a_confirmed_push_is_followed_live_and_can_be_stopped() {
    let app = crate::helpers::spawn_app_with(|settings| settings.limits.global_per_sec = 2).await;
    app.subscribe_quietly(440..460).await;
    app.sandbox.add_user(NewUser::new(EDITOR, "Editor").language_code("en"));
    let preview = app.reader_sends(EDITOR, "/breaking Jalan ditutup").await;
    app.tap(EDITOR, EDITOR, preview.message_id, "Send").await;
    let status = app.message_number(EDITOR, 2).await;
    assert!(status.plain_text.unwrap().contains("Sending to 20 readers"));
    let live = app
        .message_when(EDITOR, status.message_id, |m| m["text"].as_str().unwrap_or_default().contains(" of 20 sent"))
        .await;
    assert!(live["text"].as_str().unwrap().contains("/s"), "the rate is shown: {live}");
    let answer = app.tap(EDITOR, EDITOR, status.message_id, "Stop").await.unwrap();
    assert!(answer.contains("Stopping"), "{answer}");
    let stopped = app
        .message_when(EDITOR, status.message_id, |m| m["text"].as_str().unwrap_or_default().contains("stopped"))
        .await;
    assert!(stopped["reply_markup"].is_null(), "no Stop button once stopped");
    let reached = (440..460).filter(|&id| !app.messages_in(id).is_empty()).count();
    assert!(reached < 20, "what was not sent yet stayed unsent ({reached} of 20 reached)");
}

#[tokio::test]
async fn an_editor_pushes_an_article_by_link_once() {
    let app = spawn_app().await;
    app.wait_until_primed().await;
    app.reader_starts(461, "Pembaca", "id").await;
    app.sandbox.add_user(NewUser::new(EDITOR, "Editor").language_code("en"));
    let url = app.site.publish(
        "Banjir bandang landa tiga desa di Garut",
        "GARUT – Banjir bandang melanda tiga desa di Kabupaten Garut pada Senin dini hari setelah hujan deras.",
    );
    let pushed = app.reader_sends(EDITOR, &format!("/push {url}")).await.plain_text.unwrap();
    assert!(pushed.contains("Pushed to 1 readers"), "{pushed}");
    let story = app.message_number(461, 2).await.plain_text.unwrap();
    assert!(story.starts_with("Banjir bandang landa") && story.contains("melanda tiga desa"), "{story}");
    let again = app.reader_sends(EDITOR, &format!("/push {url}")).await.plain_text.unwrap();
    assert!(again.contains("already"), "{again}");
    let refused = app.reader_sends(461, &format!("/push {url}")).await.plain_text.unwrap();
    assert!(refused.contains("Hanya editor"), "a reader cannot push: {refused}");
    let preview = app.reader_sends(EDITOR, &format!("/breaking {url}")).await.plain_text.unwrap();
    assert!(
        preview.contains("BREAKING NEWS") && preview.contains("Banjir bandang landa"),
        "a link's article: {preview}"
    );
}

#[tokio::test]
async fn a_recalled_push_is_deleted_from_readers_chats() {
    let app = spawn_app().await;
    app.reader_starts(471, "Pembaca", "id").await;
    app.reader_starts(472, "Reader", "en").await;
    let (_, push) =
        app.api(reqwest::Method::POST, "/api/broadcasts", Some(serde_json::json!({"text": "Salah kirim"}))).await;
    let id = push["id"].as_i64().unwrap();
    app.settle().await;
    let mut messages = Vec::new();
    for reader in [471, 472] {
        messages.push(app.message_number(reader, 2).await);
    }
    app.sandbox.add_user(NewUser::new(EDITOR, "Editor").language_code("en"));
    app.reader_sends(EDITOR, &format!("/recall {id}")).await;
    let done = app.message_number(EDITOR, 2).await.plain_text.unwrap();
    assert!(done.contains("2 messages deleted"), "{done}");
    for message in messages {
        assert!(app.sandbox.message(message.chat_id, message.message_id).is_none(), "deleted from the chat");
    }
    let unknown = app.reader_sends(EDITOR, "/recall 999").await.plain_text.unwrap();
    assert!(unknown.contains("no broadcast #999"), "{unknown}");
}

#[tokio::test]
async fn an_editor_added_with_the_cli_may_push_and_telegrams_service_ids_never_may() {
    let app = spawn_app().await;
    app.reader_starts(481, "Pembaca", "id").await;
    app.sandbox.add_user(NewUser::new(482, "New editor").language_code("en"));
    let before = app.reader_sends(482, "/breaking Belum boleh").await.plain_text.unwrap();
    assert!(before.contains("Only editors"));
    app.store.add_editor(482, Some("New editor")).await.unwrap();
    let preview = app.reader_sends(482, "/breaking Sekarang boleh").await;
    assert!(preview.reply_markup.is_some(), "the preview's buttons");
}

#[tokio::test]
async fn only_the_editor_who_wrote_a_draft_can_send_or_cancel_it() {
    const OTHER_EDITOR: i64 = 5_000_002;
    const NEWSROOM: i64 = -4_100;
    let app = crate::helpers::spawn_app_after(
        |sandbox| {
            sandbox.add_user(NewUser::new(EDITOR, "Editor").language_code("en"));
            sandbox.add_user(NewUser::new(OTHER_EDITOR, "Other").language_code("en"));
            let newsroom = tg_sandbox::NewGroup::group(NEWSROOM, "Redaksi").owner(EDITOR).member(OTHER_EDITOR);
            sandbox.add_group(newsroom).unwrap();
        },
        |settings| settings.editors.user_ids.push(OTHER_EDITOR),
    )
    .await;
    app.subscribe_quietly([441]).await;
    app.sandbox.user_sends_text(NEWSROOM, EDITOR, "/breaking Draf milik editor pertama").unwrap();
    // The first message is the bot's greeting to the group it was added to.
    let preview = app.message_number(NEWSROOM, 2).await;

    for button in [0, 1] {
        let answers = app.sandbox.callback_answers().len();
        app.sandbox
            .user_taps_button(NEWSROOM, OTHER_EDITOR, preview.message_id, &button_data(&preview, button))
            .unwrap();
        app.wait_until(|| async { app.sandbox.callback_answers().len() > answers }).await;
        let answer = app.sandbox.callback_answers()[answers].text.clone().unwrap_or_default();
        assert!(answer.contains("Only the editor who wrote this draft"), "{answer}");
    }
    app.settle().await;
    assert!(app.sandbox.sent_to(441).is_empty(), "another editor's tap sends nothing");

    app.sandbox.user_taps_button(NEWSROOM, EDITOR, preview.message_id, &button_data(&preview, 0)).unwrap();
    assert!(app.message_number(441, 1).await.plain_text.unwrap().contains("Draf milik editor pertama"));
}
