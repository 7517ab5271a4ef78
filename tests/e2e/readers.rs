//! Readers subscribe, unsubscribe and ask for help in their own language.

use kabar::domain::Recipient;

use crate::helpers::spawn_app;

#[tokio::test]
async fn start_subscribes_the_reader_and_says_so() {
    let app = spawn_app().await;
    let reply = app.reader_starts(101, "Budi", "id").await;
    assert!(reply.plain_text.unwrap().contains("berlangganan"));
    assert!(app.store.is_active_subscriber(&Recipient::telegram(101)).await.unwrap());
}

#[tokio::test]
async fn english_readers_are_answered_in_english() {
    let app = spawn_app().await;
    let reply = app.reader_starts(102, "Alex", "en").await;
    assert!(reply.plain_text.unwrap().contains("You are subscribed"));
}

#[tokio::test]
async fn stop_unsubscribes_and_says_so_and_start_brings_the_reader_back() {
    let app = spawn_app().await;
    app.reader_starts(103, "Alex", "en").await;
    let reply = app.reader_sends(103, "/stop").await;
    assert!(reply.plain_text.unwrap().contains("unsubscribed"));
    assert!(!app.store.is_active_subscriber(&Recipient::telegram(103)).await.unwrap());
    let again = app.reader_sends(103, "/start").await;
    assert!(again.plain_text.unwrap().contains("Welcome back"));
    assert!(app.store.is_active_subscriber(&Recipient::telegram(103)).await.unwrap());
}

#[tokio::test]
async fn help_lists_the_commands() {
    let app = spawn_app().await;
    app.sandbox.add_user(tg_sandbox::NewUser::new(104, "Alex").language_code("en"));
    let reply = app.reader_sends(104, "/help").await.plain_text.unwrap();
    for command in ["/start", "/stop", "/help"] {
        assert!(reply.contains(command), "{reply}");
    }
    assert!(!reply.contains("/breaking"), "readers are not shown editor commands");
}

#[tokio::test]
async fn a_reader_who_blocks_the_bot_is_marked_inactive_at_once() {
    let app = spawn_app().await;
    app.reader_starts(105, "Sari", "id").await;
    app.sandbox.block_bot(105).unwrap();
    app.wait_until(|| async { !app.store.is_active_subscriber(&Recipient::telegram(105)).await.unwrap() }).await;
}

#[tokio::test]
async fn the_command_menu_is_registered_in_both_languages() {
    let app = spawn_app().await;
    app.wait_until(|| async { !app.sandbox.my_commands("default", "id").is_empty() }).await;
    let english = app.sandbox.my_commands("default", "");
    assert!(english.iter().any(|c| c.command == "start"), "{english:?}");
}

#[tokio::test]
async fn the_bot_comes_up_after_the_bot_api_failed_at_start() {
    let app = crate::helpers::spawn_app_after(
        |sandbox| sandbox.inject_fault_on("getMe", tg_sandbox::Fault::BadGateway, 1),
        |_| {},
    )
    .await;
    let reply = app.reader_starts(106, "Budi", "id").await;
    assert!(reply.plain_text.unwrap().contains("berlangganan"));
}
