//! Failures as teloxide sees them: every Telegram error the bot must handle surfaces as the
//! typed teloxide error it matches on, and a refused request is never delivered.

mod common;

use std::time::Duration;

use common::{ANN, BOB, CHANNEL, GROUP, bot, sandbox, sandbox_with};
use teloxide::prelude::*;
use teloxide::types::{MessageId, ParseMode};
use teloxide::{ApiError, RequestError};
use tg_sandbox::{Fault, Limits, MemberStatus, NewUser, SandboxConfig};

#[tokio::test]
async fn a_chat_pushed_past_its_burst_gets_retry_after() {
    // A bucket that practically never refills makes the outcome independent of machine speed.
    let mut config = SandboxConfig::default();
    config.limits.per_chat_per_second = Some(0.001);
    let sandbox = sandbox_with(config);
    let bot = bot(&sandbox);
    for n in 0..3 {
        bot.send_message(ChatId(ANN), format!("burst {n}")).await.unwrap();
    }
    let err = bot.send_message(ChatId(ANN), "one too many").await.unwrap_err();
    assert!(matches!(err, RequestError::RetryAfter(wait) if wait.seconds() >= 1), "{err:?}");
    assert_eq!(sandbox.sent_to(ANN).len(), 3, "the refused message is not delivered");
    assert_eq!(sandbox.count_429(), 1);
    let rejection = &sandbox.rejections()[0];
    assert_eq!((rejection.status, rejection.chat_id), (429, Some(ANN)));
    assert!(rejection.description.starts_with("Too Many Requests: retry after "));
}

#[tokio::test]
async fn a_group_takes_twenty_messages_a_minute() {
    let mut config = SandboxConfig::default();
    config.limits.per_chat_per_second = None;
    let sandbox = sandbox_with(config);
    let bot = bot(&sandbox);
    for n in 0..20 {
        bot.send_message(ChatId(GROUP), format!("news {n}")).await.unwrap();
    }
    let err = bot.send_message(ChatId(GROUP), "news 20").await.unwrap_err();
    assert!(matches!(err, RequestError::RetryAfter(wait) if (1..=60).contains(&wait.seconds())), "{err:?}");
    assert_eq!(sandbox.max_sends_in_any_window(Duration::from_secs(60), Some(GROUP)), 20);
}

#[tokio::test]
async fn a_user_who_blocked_the_bot_answers_bot_blocked() {
    let sandbox = sandbox();
    sandbox.block_bot(ANN).unwrap();
    let err = bot(&sandbox).send_message(ChatId(ANN), "hello?").await.unwrap_err();
    assert!(matches!(err, RequestError::Api(ApiError::BotBlocked)), "{err:?}");
    sandbox.unblock_bot(ANN).unwrap();
    assert!(bot(&sandbox).send_message(ChatId(ANN), "welcome back").await.is_ok());
}

#[tokio::test]
async fn a_deleted_account_answers_user_deactivated() {
    let sandbox = sandbox();
    sandbox.deactivate_user(BOB).unwrap();
    let err = bot(&sandbox).send_message(ChatId(BOB), "hello?").await.unwrap_err();
    assert!(matches!(err, RequestError::Api(ApiError::UserDeactivated)), "{err:?}");
}

#[tokio::test]
async fn a_user_who_never_started_the_bot_cannot_be_written_to_first() {
    let sandbox = sandbox();
    sandbox.add_user(NewUser::new(77, "Shy").not_started());
    let err = bot(&sandbox).send_message(ChatId(77), "hi").await.unwrap_err();
    // Telegram now says "Forbidden:" where teloxide still expects "Unauthorized:".
    let RequestError::Api(ApiError::Unknown(description)) = err else { panic!("{err:?}") };
    assert_eq!(description, "Forbidden: bot can't initiate conversation with a user");
}

#[tokio::test]
async fn an_unknown_chat_answers_chat_not_found() {
    let sandbox = sandbox();
    let err = bot(&sandbox).send_message(ChatId(999), "anyone?").await.unwrap_err();
    assert!(matches!(err, RequestError::Api(ApiError::ChatNotFound)), "{err:?}");
}

#[tokio::test]
async fn a_migrated_group_answers_with_the_new_supergroup_id() {
    let sandbox = sandbox();
    sandbox.migrate_group(GROUP, -1_000_000_009_999).unwrap();
    let err = bot(&sandbox).send_message(ChatId(GROUP), "still there?").await.unwrap_err();
    assert!(matches!(err, RequestError::MigrateToChatId(ChatId(-1_000_000_009_999))), "{err:?}");
    assert!(bot(&sandbox).send_message(ChatId(-1_000_000_009_999), "found you").await.is_ok());
}

#[tokio::test]
async fn a_kicked_bot_cannot_post_to_the_channel() {
    let sandbox = sandbox();
    sandbox.set_bot_status(CHANNEL, MemberStatus::Kicked, ANN).unwrap();
    let err = bot(&sandbox).send_message(ChatId(CHANNEL), "news").await.unwrap_err();
    assert!(matches!(err, RequestError::Api(ApiError::BotKickedFromChannel)), "{err:?}");
}

#[tokio::test]
async fn broken_html_answers_cant_parse_entities() {
    let sandbox = sandbox();
    let err = bot(&sandbox).send_message(ChatId(ANN), "<b>unclosed").parse_mode(ParseMode::Html).await.unwrap_err();
    let RequestError::Api(ApiError::CantParseEntities(description)) = err else {
        panic!("expected CantParseEntities, got {err:?}");
    };
    assert_eq!(description, "Bad Request: can't parse entities: Can't find end tag corresponding to start tag \"b\"");
    assert_eq!(sandbox.rejections()[0].status, 400);
}

#[tokio::test]
async fn text_over_4096_utf16_units_is_too_long_and_emoji_count_twice() {
    let sandbox = sandbox_with(SandboxConfig::unlimited());
    let bot = bot(&sandbox);
    let err = bot.send_message(ChatId(ANN), "a".repeat(4097)).await.unwrap_err();
    assert!(matches!(err, RequestError::Api(ApiError::MessageIsTooLong)), "{err:?}");
    assert!(bot.send_message(ChatId(ANN), "😀".repeat(2048)).await.is_ok());
    let err = bot.send_message(ChatId(ANN), "😀".repeat(2049)).await.unwrap_err();
    assert!(matches!(err, RequestError::Api(ApiError::MessageIsTooLong)), "{err:?}");
    let tags_do_not_count = format!("<b>{}</b>", "a".repeat(4096));
    assert!(bot.send_message(ChatId(ANN), tags_do_not_count).parse_mode(ParseMode::Html).await.is_ok());
}

#[tokio::test]
async fn empty_text_and_long_captions_are_refused() {
    let sandbox = sandbox_with(SandboxConfig::unlimited());
    let bot = bot(&sandbox);
    let err = bot.send_message(ChatId(ANN), "<b> </b>").parse_mode(ParseMode::Html).await.unwrap_err();
    assert!(matches!(err, RequestError::Api(ApiError::MessageTextIsEmpty)), "{err:?}");
    let photo = teloxide::types::InputFile::url("https://example.com/p.jpg".parse().unwrap());
    let err = bot.send_photo(ChatId(ANN), photo).caption("c".repeat(1025)).await.unwrap_err();
    let RequestError::Api(ApiError::Unknown(description)) = err else { panic!("{err:?}") };
    assert_eq!(description, "Bad Request: message caption is too long");
}

#[tokio::test]
async fn edits_and_deletes_of_missing_or_unchanged_messages_fail_as_on_telegram() {
    let sandbox = sandbox_with(SandboxConfig::unlimited());
    let bot = bot(&sandbox);
    let missing = bot.edit_message_text(ChatId(ANN), MessageId(404), "x").await.unwrap_err();
    assert!(matches!(missing, RequestError::Api(ApiError::MessageToEditNotFound)), "{missing:?}");
    let gone = bot.delete_message(ChatId(ANN), MessageId(404)).await.unwrap_err();
    assert!(matches!(gone, RequestError::Api(ApiError::MessageToDeleteNotFound)), "{gone:?}");
    let sent = bot.send_message(ChatId(ANN), "same").await.unwrap();
    let unchanged = bot.edit_message_text(ChatId(ANN), sent.id, "same").await.unwrap_err();
    assert!(matches!(unchanged, RequestError::Api(ApiError::MessageNotModified)), "{unchanged:?}");
}

#[tokio::test]
async fn a_wrong_token_is_unauthorized() {
    let sandbox = sandbox();
    let stranger = teloxide::Bot::new("999:WRONG").set_api_url(sandbox.api_url().parse().unwrap());
    let err = stranger.get_me().await.unwrap_err();
    assert!(matches!(err, RequestError::Api(ApiError::InvalidToken)), "{err:?}");
}

// teloxide waits 10 s after any 5xx before reading the body; these two tests pay that once each.
#[tokio::test]
async fn a_502_from_the_proxy_surfaces_as_invalid_json_and_delivers_nothing() {
    let sandbox = sandbox();
    sandbox.inject_fault_on("sendMessage", Fault::BadGateway, 1);
    let err = bot(&sandbox).send_message(ChatId(ANN), "through the proxy").await.unwrap_err();
    assert!(matches!(&err, RequestError::InvalidJson { raw, .. } if raw.contains("502 Bad Gateway")), "{err:?}");
    assert!(sandbox.sent_to(ANN).is_empty());
    assert!(bot(&sandbox).send_message(ChatId(ANN), "retry").await.is_ok(), "only one request fails");
}

#[tokio::test]
async fn a_500_surfaces_as_an_unknown_api_error() {
    let sandbox = sandbox();
    sandbox.inject_fault(Fault::InternalError, 1);
    let err = bot(&sandbox).send_message(ChatId(ANN), "hello").await.unwrap_err();
    assert!(matches!(&err, RequestError::Api(ApiError::Unknown(d)) if d == "Internal Server Error"), "{err:?}");
    assert_eq!(sandbox.rejections()[0].status, 500);
}

#[tokio::test]
async fn a_hanging_request_is_answered_after_the_hang() {
    let sandbox = sandbox();
    sandbox.inject_fault(Fault::Hang(Duration::from_millis(200)), 1);
    assert!(bot(&sandbox).send_message(ChatId(ANN), "slow").await.is_ok());
    assert_eq!(sandbox.sent_to(ANN).len(), 1);
}

#[tokio::test]
async fn unlimited_sandboxes_never_answer_429() {
    let sandbox = sandbox_with(SandboxConfig { limits: Limits::unlimited(), ..SandboxConfig::default() });
    let bot = bot(&sandbox);
    for n in 0..50 {
        bot.send_message(ChatId(GROUP), format!("{n}")).await.unwrap();
    }
    assert_eq!(sandbox.count_429(), 0);
}
