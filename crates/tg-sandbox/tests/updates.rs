//! Updates the control API injects reach the bot through `getUpdates` in shapes teloxide parses:
//! a teloxide `Dispatcher` on long polling receives a /start and a button tap and answers both.

mod common;

use std::time::Duration;

use common::{ANN, BOB, CHANNEL, GROUP, PATIENCE, bot, call, sandbox, sandbox_with};
use teloxide::dispatching::UpdateFilterExt;
use teloxide::prelude::*;
use teloxide::types::{InlineKeyboardButton, InlineKeyboardMarkup, MessageEntityKind, UpdateKind};
use teloxide::update_listeners::Polling;
use tg_sandbox::{MemberStatus, SandboxConfig};

async fn on_message(bot: Bot, message: Message) -> ResponseResult<()> {
    let keyboard = InlineKeyboardMarkup::new(vec![vec![InlineKeyboardButton::callback("Politics", "topic:politics")]]);
    let is_start =
        message.entities().is_some_and(|e| e.first().is_some_and(|e| e.kind == MessageEntityKind::BotCommand));
    let reply = if is_start { "Pick a topic" } else { "Say /start" };
    bot.send_message(message.chat.id, reply).reply_markup(keyboard).await?;
    Ok(())
}

async fn on_callback(bot: Bot, query: CallbackQuery) -> ResponseResult<()> {
    bot.answer_callback_query(query.id.clone()).text("Subscribed").await?;
    let chat = query.message.as_ref().map(|m| m.chat().id).expect("the tapped message is included");
    let data = query.data.unwrap_or_default();
    bot.send_message(chat, format!("You chose {data}")).await?;
    Ok(())
}

#[tokio::test]
async fn a_polling_dispatcher_receives_start_and_a_button_tap() {
    let sandbox = sandbox();
    let bot = bot(&sandbox);
    let handler = dptree::entry()
        .branch(Update::filter_message().endpoint(on_message))
        .branch(Update::filter_callback_query().endpoint(on_callback));
    let mut dispatcher = Dispatcher::builder(bot.clone(), handler).build();
    let stop = dispatcher.shutdown_token();
    let listener = Polling::builder(bot).timeout(Duration::from_secs(1)).build();
    let running = tokio::spawn(async move {
        dispatcher.dispatch_with_listener(listener, LoggingErrorHandler::with_custom_text("dispatcher")).await;
    });

    sandbox.user_sends_text(ANN, ANN, "/start").unwrap();
    let replies = sandbox.wait_for_sent(ANN, 1, PATIENCE).await;
    assert_eq!(replies.len(), 1);
    assert_eq!(replies[0].plain_text.as_deref(), Some("Pick a topic"));

    sandbox.user_taps_button(ANN, ANN, replies[0].message_id, "topic:politics").unwrap();
    let replies = sandbox.wait_for_sent(ANN, 2, PATIENCE).await;
    assert_eq!(replies[1].plain_text.as_deref(), Some("You chose topic:politics"));
    assert_eq!(sandbox.callback_answers()[0].text.as_deref(), Some("Subscribed"));

    // Shutdown only succeeds once the dispatcher is running, which it is by now.
    stop.shutdown().expect("dispatcher is running").await;
    running.await.unwrap();
    assert!(sandbox.rejections().is_empty(), "{:?}", sandbox.rejections());
}

#[tokio::test]
async fn updates_about_the_bots_membership_parse_as_my_chat_member() {
    let sandbox = sandbox();
    sandbox.block_bot(BOB).unwrap();
    sandbox.set_bot_status(CHANNEL, MemberStatus::Left, ANN).unwrap();
    sandbox.migrate_group(GROUP, -1_000_000_007_777).unwrap();
    let updates = bot(&sandbox).get_updates().await.unwrap();
    let kinds: Vec<&UpdateKind> = updates.iter().map(|u| &u.kind).collect();
    assert!(kinds.iter().all(|k| !matches!(k, UpdateKind::Error(_))), "{kinds:#?}");
    let blocked = updates
        .iter()
        .find_map(|u| match &u.kind {
            UpdateKind::MyChatMember(m) if m.chat.id == ChatId(BOB) => Some(m),
            _ => None,
        })
        .unwrap();
    assert!(blocked.new_chat_member.is_banned());
    let migrations = updates.iter().filter(|u| matches!(&u.kind, UpdateKind::Message(m) if m.migrate_to_chat_id().is_some() || m.migrate_from_chat_id().is_some()));
    assert_eq!(migrations.count(), 2);
}

#[tokio::test]
async fn in_privacy_mode_the_bot_only_hears_commands_in_groups() {
    let sandbox = sandbox();
    sandbox.user_sends_text(GROUP, BOB, "just chatting").unwrap();
    sandbox.user_sends_text(GROUP, BOB, "/start@someone_else_bot").unwrap();
    sandbox.user_sends_text(GROUP, BOB, "/start@kabar_sandbox_bot").unwrap();
    let updates = bot(&sandbox).get_updates().await.unwrap();
    let messages: Vec<&Message> = updates
        .iter()
        .filter_map(|u| match &u.kind {
            UpdateKind::Message(m) => Some(m),
            _ => None,
        })
        .collect();
    assert_eq!(messages.len(), 1);
    let message = messages[0];
    assert_eq!(message.text(), Some("/start@kabar_sandbox_bot"));
    assert_eq!(message.entities().unwrap()[0].length, "/start@kabar_sandbox_bot".len());
}

#[tokio::test]
async fn a_bot_reading_all_messages_hears_everything() {
    let mut config = SandboxConfig::default();
    config.bot.can_read_all_group_messages = true;
    let sandbox = sandbox_with(config);
    sandbox.user_sends_text(GROUP, BOB, "just chatting").unwrap();
    assert_eq!(sandbox.pending_updates(), 4, "three group setups and the message");
}

#[tokio::test]
async fn offsets_confirm_updates_and_a_long_poll_wakes_on_arrival() {
    let sandbox = sandbox();
    let (_, first) = call(&sandbox, "getUpdates", serde_json::json!({})).await;
    let last_id = first["result"].as_array().unwrap().last().unwrap()["update_id"].as_i64().unwrap();
    let waiting = {
        let sandbox = sandbox.clone();
        tokio::spawn(async move {
            call(&sandbox, "getUpdates", serde_json::json!({"offset": last_id + 1, "timeout": 30})).await
        })
    };
    // The long poll is waiting (or about to); either way the message must reach it.
    tokio::time::sleep(Duration::from_millis(50)).await;
    sandbox.user_sends_text(ANN, ANN, "hi").unwrap();
    let (status, body) = tokio::time::timeout(PATIENCE, waiting).await.unwrap().unwrap();
    assert_eq!(status, 200);
    let result = body["result"].as_array().unwrap();
    assert_eq!(result.len(), 1);
    assert_eq!(result[0]["message"]["text"], "hi");
    assert_eq!(sandbox.pending_updates(), 1, "not confirmed until the next offset");
}

#[tokio::test]
async fn a_long_poll_with_nothing_to_deliver_returns_empty_at_its_timeout() {
    let sandbox = sandbox();
    let (_, body) = call(&sandbox, "getUpdates", serde_json::json!({"offset": -1})).await;
    let last = body["result"][0]["update_id"].as_i64().unwrap();
    let (status, body) = call(&sandbox, "getUpdates", serde_json::json!({"offset": last + 1, "timeout": 1})).await;
    assert_eq!((status, body["result"].as_array().unwrap().len()), (200, 0));
}

#[tokio::test]
async fn an_active_webhook_forbids_polling_until_deleted() {
    let sandbox = sandbox();
    let bot = bot(&sandbox);
    // A port nobody listens on: deliveries fail, so the updates stay pending.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap();
    let url = format!("http://{closed}/hook");
    bot.set_webhook(url.parse().unwrap()).await.unwrap();
    let info = bot.get_webhook_info().await.unwrap();
    assert_eq!(info.url.unwrap().as_str(), url);
    assert_eq!(info.pending_update_count, 3);
    let (status, _) = call(&sandbox, "getUpdates", serde_json::json!({})).await;
    assert_eq!(status, 409);
    bot.delete_webhook().drop_pending_updates(true).await.unwrap();
    assert!(bot.get_webhook_info().await.unwrap().url.is_none());
    assert!(bot.get_updates().await.unwrap().is_empty());
}
