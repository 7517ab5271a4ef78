//! A database written by the release before platforms (see `tests/fixtures/legacy/README.md`)
//! opens in today's kabar with everything in it intact, and its queued deliveries go out.

use std::path::Path;

use kabar::domain::{
    BroadcastStatus, ChatKind, DeliveryMode, FailureReason, InactiveReason, Language, Platform, QuietHours, Recipient,
};
use tg_sandbox::{NewGroup, NewUser};

use crate::helpers::{TestApp, plain_channel, spawn_app_after};

const LEGACY: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/legacy/kabar-before-platforms.db");

/// The app on a copy of the legacy database, with every chat in it known to the sandbox.
async fn spawn_on_the_legacy_database() -> TestApp {
    spawn_app_after(
        |sandbox| {
            for id in 101..=109 {
                sandbox.add_user(NewUser::new(id, "Pembaca"));
            }
            sandbox.add_group(NewGroup::group(-4001, "Grup Warga").owner(101)).unwrap();
        },
        |settings| {
            let path = settings.database.url.trim_start_matches("sqlite://").to_owned();
            std::fs::copy(LEGACY, Path::new(&path)).expect("the legacy database is copied");
            settings.sources.clear();
            // The channels the old release was configured with, or their followers would follow all again.
            settings.channels = vec![plain_channel("Politik"), plain_channel("Ekonomi")];
        },
    )
    .await
}

#[tokio::test]
async fn subscribers_keep_their_platform_address_and_every_setting() {
    let app = spawn_on_the_legacy_database().await;
    let reader = |id: i64| {
        let store = app.store.clone();
        async move { store.subscriber(&Recipient::telegram(id)).await.unwrap().expect("the reader is still there") }
    };
    let hourly = reader(102).await;
    assert_eq!((hourly.recipient.platform, hourly.recipient.address.as_str()), (Platform::Telegram, "102"));
    assert_eq!(hourly.choices.delivery_mode, DeliveryMode::Hourly);
    assert_eq!(reader(103).await.choices.delivery_mode, DeliveryMode::Daily { hour: 18 });
    let quiet = reader(104).await.choices;
    assert_eq!(quiet.quiet_hours, Some(QuietHours::parse("22:00-06:00").unwrap()));
    assert_eq!(quiet.timezone.map(|zone| zone.as_stored()), Some("Asia/Makassar"));
    let keywords = app.store.keywords(reader(105).await.id).await.unwrap();
    assert_eq!((keywords.include_words(), keywords.exclude_words()), (vec!["banjir"], vec!["tol"]));
    let chose = reader(106).await;
    assert_eq!((chose.language, chose.choices.breaking_instant), (Some(Language::English), false));
    let one_channel = reader(107).await;
    assert!(!one_channel.all_channels);
    assert_eq!(app.store.followed_channels(one_channel.id).await.unwrap().len(), 1);
    assert_eq!(reader(108).await.inactive_reason, Some(InactiveReason::Stopped));
    assert_eq!(reader(109).await.inactive_reason, Some(InactiveReason::NeverStarted), "renamed from its old words");
    assert_eq!(reader(-4001).await.kind, ChatKind::Group);
    let channel = reader(-1_001_234_500_001).await;
    assert_eq!((channel.kind, channel.inactive_reason), (ChatKind::Channel, Some(InactiveReason::Pending)));
    assert!(app.store.is_editor(5_000_001).await.unwrap());
}

#[tokio::test]
async fn queued_deliveries_go_out_after_the_upgrade_and_sent_ones_keep_their_message_ids() {
    let app = spawn_on_the_legacy_database().await;
    app.settle().await;
    for (chat, expected) in [(106, "Gempa"), (107, "Gempa"), (104, "Gempa"), (-4001, "Banjir"), (105, "Banjir")] {
        let texts: Vec<String> = app.messages_in(chat).into_iter().filter_map(|m| m.plain_text).collect();
        assert!(texts.iter().any(|text| text.contains(expected)), "chat {chat} got {texts:?}");
    }
    let breaking = app.progress(1).await;
    assert_eq!((breaking.sent, breaking.failed, breaking.pending), (7, 2, 0), "{breaking:?}");
    let sent = app.store.sent_messages(1).await.unwrap();
    let ids: Vec<&str> = sent.iter().map(|message| message.message_id.as_str()).take(2).collect();
    assert_eq!(ids, ["9001", "9002"], "the ids Telegram gave before the upgrade");
    let mut reasons: Vec<_> = app.store.failed_deliveries(1, 10).await.unwrap().into_iter().map(|f| f.reason).collect();
    reasons.sort_by_key(|reason| reason.map(|reason| reason.as_stored()));
    assert_eq!(reasons, [Some(FailureReason::GaveUp), Some(FailureReason::ChatGone(InactiveReason::NeverStarted))]);
}

#[tokio::test]
async fn held_stories_and_drafts_wait_as_they_did() {
    let app = spawn_on_the_legacy_database().await;
    app.settle().await;
    let article = app.progress(2).await;
    // Three readers' copies were held; an hourly digest may have gathered one since.
    assert_eq!(article.held + article.digested, 3, "{article:?}");
    assert_eq!(app.progress(3).await.status, BroadcastStatus::Draft);
}
