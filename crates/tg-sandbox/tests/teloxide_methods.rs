//! The sandbox driven by the real teloxide client: every answer must parse into teloxide's
//! strict types, and what the bot did must read back as a reader would see it.

mod common;

use common::{ANN, BOB, CHANNEL, GROUP, SUPERGROUP, bot, sandbox};
use teloxide::prelude::*;
use teloxide::types::{
    BotCommand, BotCommandScope, CallbackQueryId, ChatMemberStatus, InlineKeyboardButton, InlineKeyboardMarkup,
    InputFile, LinkPreviewOptions, MessageEntityKind, ParseMode, ReplyParameters,
};
use tg_sandbox::{PhotoInput, SentKind};

fn keyboard() -> InlineKeyboardMarkup {
    InlineKeyboardMarkup::new(vec![vec![
        InlineKeyboardButton::callback("Yes", "vote:yes"),
        InlineKeyboardButton::url("Read", "https://example.com/a".parse().unwrap()),
    ]])
}

#[tokio::test]
async fn get_me_parses_into_teloxide_me_with_the_configured_identity() {
    let sandbox = sandbox();
    let me = bot(&sandbox).get_me().await.unwrap();
    assert_eq!(me.id.0 as i64, sandbox.bot_user().id);
    assert_eq!(me.username(), "kabar_sandbox_bot");
    assert!(me.is_bot);
    assert!(!me.can_read_all_group_messages);
}

#[tokio::test]
async fn an_html_message_comes_back_as_a_full_message_and_is_recorded_as_the_reader_sees_it() {
    let sandbox = sandbox();
    let sent = bot(&sandbox)
        .send_message(ChatId(ANN), "<b>Breaking</b>: 3 &lt; 4 <a href=\"https://example.com/x\">read</a>")
        .parse_mode(ParseMode::Html)
        .reply_markup(keyboard())
        .link_preview_options(LinkPreviewOptions {
            is_disabled: true,
            url: None,
            prefer_small_media: false,
            prefer_large_media: false,
            show_above_text: false,
        })
        .disable_notification(true)
        .await
        .unwrap();
    assert_eq!(sent.chat.id, ChatId(ANN));
    assert_eq!(sent.from.as_ref().map(|u| u.id.0 as i64), Some(sandbox.bot_user().id));
    assert_eq!(sent.text(), Some("Breaking: 3 < 4 read"));
    let entities = sent.entities().unwrap();
    assert_eq!(entities[0].kind, MessageEntityKind::Bold);
    assert_eq!((entities[0].offset, entities[0].length), (0, 8));
    assert!(
        matches!(&entities[1].kind, MessageEntityKind::TextLink { url } if url.as_str() == "https://example.com/x")
    );
    assert_eq!(sent.reply_markup(), Some(&keyboard()));

    let record = sandbox.sent_to(ANN);
    assert_eq!(record.len(), 1);
    assert_eq!(record[0].method, "sendMessage");
    assert_eq!(record[0].message_id, sent.id.0);
    assert_eq!(record[0].plain_text.as_deref(), Some("Breaking: 3 < 4 read"));
    assert!(record[0].text.as_deref().unwrap().starts_with("<b>Breaking</b>"));
    assert_eq!(record[0].parse_mode.as_deref(), Some("HTML"));
    assert!(record[0].disable_notification);
    assert_eq!(record[0].reply_markup.as_ref().unwrap()["inline_keyboard"][0][0]["callback_data"], "vote:yes");
}

#[tokio::test]
async fn a_reply_carries_the_message_it_answers() {
    let sandbox = sandbox();
    let asked = sandbox.user_sends_text(ANN, ANN, "what's new?").unwrap();
    let reply = bot(&sandbox)
        .send_message(ChatId(ANN), "this")
        .reply_parameters(ReplyParameters::new(teloxide::types::MessageId(asked)))
        .await
        .unwrap();
    assert_eq!(reply.reply_to_message().unwrap().text(), Some("what's new?"));
    assert_eq!(sandbox.sent_to(ANN)[0].reply_to_message_id, Some(asked));
}

#[tokio::test]
async fn editing_text_and_keyboard_changes_the_message_and_records_the_edits() {
    let sandbox = sandbox();
    let bot = bot(&sandbox);
    let sent = bot.send_message(ChatId(ANN), "draft").reply_markup(keyboard()).await.unwrap();
    let edited = bot
        .edit_message_text(ChatId(ANN), sent.id, "<i>final</i>")
        .parse_mode(ParseMode::Html)
        .reply_markup(keyboard())
        .await
        .unwrap();
    assert_eq!(edited.text(), Some("final"));
    assert!(edited.edit_date().is_some());
    let unmarked = bot.edit_message_reply_markup(ChatId(ANN), sent.id).await.unwrap();
    assert!(unmarked.reply_markup().is_none());

    let kinds: Vec<_> = sandbox.sent_to(ANN).iter().map(|s| (s.kind, s.method)).collect();
    assert_eq!(
        kinds,
        [
            (SentKind::Message, "sendMessage"),
            (SentKind::Edit, "editMessageText"),
            (SentKind::Edit, "editMessageReplyMarkup")
        ]
    );
    assert_eq!(sandbox.message(ANN, sent.id.0).unwrap()["text"], "final");
}

#[tokio::test]
async fn deleting_a_sent_message_removes_it() {
    let sandbox = sandbox();
    let bot = bot(&sandbox);
    let sent = bot.send_message(ChatId(ANN), "oops").await.unwrap();
    assert!(bot.delete_message(ChatId(ANN), sent.id).await.is_ok());
    assert!(sandbox.message(ANN, sent.id.0).is_none());
    assert_eq!(sandbox.sent_to(ANN)[1].kind, SentKind::Deletion);
}

#[tokio::test]
async fn a_photo_by_url_and_by_upload_arrives_with_sizes_and_caption() {
    let sandbox = sandbox();
    let bot = bot(&sandbox);
    let by_url = bot
        .send_photo(ChatId(ANN), InputFile::url("https://example.com/p.jpg".parse().unwrap()))
        .caption("<b>Photo</b> of the day")
        .parse_mode(ParseMode::Html)
        .await
        .unwrap();
    assert_eq!(by_url.caption(), Some("Photo of the day"));
    let sizes = by_url.photo().unwrap();
    assert!(sizes.len() > 1);
    let uploaded = bot.send_photo(ChatId(ANN), InputFile::memory(vec![0u8; 2048]).file_name("p.jpg")).await.unwrap();
    assert!(uploaded.caption().is_none());
    let again = bot.send_photo(ChatId(ANN), InputFile::file_id(sizes[0].file.id.clone())).await.unwrap();
    assert_eq!(again.photo().unwrap()[0].file.id, sizes[0].file.id);

    let photos: Vec<_> = sandbox.sent_to(ANN).into_iter().map(|s| s.photo.unwrap()).collect();
    assert_eq!(photos[0], PhotoInput::Url("https://example.com/p.jpg".to_owned()));
    assert_eq!(photos[1], PhotoInput::Upload { file_name: "p.jpg".to_owned(), size: 2048 });
}

#[tokio::test]
async fn answering_a_tapped_button_is_recorded() {
    let sandbox = sandbox();
    let bot = bot(&sandbox);
    let sent = bot.send_message(ChatId(ANN), "vote?").reply_markup(keyboard()).await.unwrap();
    let query_id = sandbox.user_taps_button(ANN, ANN, sent.id.0, "vote:yes").unwrap();
    bot.answer_callback_query(CallbackQueryId(query_id.clone())).text("Thanks").await.unwrap();
    let answers = sandbox.callback_answers();
    assert_eq!(answers.len(), 1);
    assert_eq!(answers[0].callback_query_id, query_id);
    assert_eq!(answers[0].text.as_deref(), Some("Thanks"));
    let again = bot.answer_callback_query(CallbackQueryId(query_id)).await;
    assert!(again.is_err(), "a query is answered once");
}

#[tokio::test]
async fn commands_are_stored_per_scope_and_language() {
    let sandbox = sandbox();
    let bot = bot(&sandbox);
    let commands = vec![BotCommand::new("start", "Subscribe"), BotCommand::new("stop", "Unsubscribe")];
    bot.set_my_commands(commands.clone()).await.unwrap();
    bot.set_my_commands(vec![BotCommand::new("start", "Berlangganan")])
        .scope(BotCommandScope::AllPrivateChats)
        .language_code("id")
        .await
        .unwrap();
    assert_eq!(bot.get_my_commands().await.unwrap(), commands);
    let private_id = sandbox.my_commands("all_private_chats", "id");
    assert_eq!(private_id[0].description, "Berlangganan");
    assert!(bot.set_my_commands(vec![BotCommand::new("Bad Command", "x")]).await.is_err());
}

#[tokio::test]
async fn get_chat_describes_private_chats_groups_supergroups_and_channels() {
    let sandbox = sandbox();
    let bot = bot(&sandbox);
    let private = bot.get_chat(ChatId(ANN)).await.unwrap();
    assert!(private.is_private());
    assert_eq!(private.username(), Some("ann"));
    let group = bot.get_chat(ChatId(GROUP)).await.unwrap();
    assert!(group.is_group());
    assert_eq!(group.title(), Some("Readers"));
    let supergroup = bot.get_chat(ChatId(SUPERGROUP)).await.unwrap();
    assert!(supergroup.is_supergroup());
    let channel = bot.get_chat("@kabarnews".to_owned()).await.unwrap();
    assert!(channel.is_channel());
    assert_eq!(channel.id, ChatId(CHANNEL));
}

#[tokio::test]
async fn chat_members_report_their_standing() {
    let sandbox = sandbox();
    let bot = bot(&sandbox);
    let owner = bot.get_chat_member(ChatId(SUPERGROUP), UserId(ANN as u64)).await.unwrap();
    assert_eq!(owner.status(), ChatMemberStatus::Owner);
    let admin = bot.get_chat_member(ChatId(SUPERGROUP), UserId(BOB as u64)).await.unwrap();
    assert_eq!(admin.status(), ChatMemberStatus::Administrator);
    let me = UserId(sandbox.bot_user().id as u64);
    let in_channel = bot.get_chat_member(ChatId(CHANNEL), me).await.unwrap();
    assert!(in_channel.can_post_messages());
    let outsider = bot.get_chat_member(ChatId(CHANNEL), UserId(BOB as u64)).await.unwrap();
    assert_eq!(outsider.status(), ChatMemberStatus::Left);
    let admins = bot.get_chat_administrators(ChatId(SUPERGROUP)).await.unwrap();
    assert_eq!(admins.len(), 2);
    assert_eq!(bot.get_chat_member_count(ChatId(GROUP)).await.unwrap(), 3);
}

#[tokio::test]
async fn the_bot_posts_to_a_channel_as_the_channel() {
    let sandbox = sandbox();
    let post = bot(&sandbox).send_message(ChatId(CHANNEL), "headline").await.unwrap();
    assert!(post.from.is_none());
    assert_eq!(post.sender_chat.as_ref().map(|c| c.id), Some(ChatId(CHANNEL)));
}
