//! One attempt's judgement, through the engine, against a scripted transport.

use std::{collections::VecDeque, sync::Arc, sync::Mutex};

use super::*;
use crate::{
    delivery::{DeliveryEngine, Outlet, PaceRules, Pacer, Rate, Transport, transport::TransportFuture},
    domain::{
        BroadcastKind, ChatKind, InactiveReason, NewBroadcast, NewSubscriber, Platform, Recipient, SubscribeOutcome,
    },
    store::{Store, test_store},
};

/// Answers each send with the next scripted result, and keeps what it was asked to send.
#[derive(Default)]
struct ScriptedTransport {
    answers: Mutex<VecDeque<Result<String, SendFailure>>>,
    sent: Mutex<Vec<OutgoingMessage>>,
}

impl Transport for ScriptedTransport {
    fn platform(&self) -> Platform {
        Platform::Telegram
    }

    fn send<'a>(&'a self, _: &'a Recipient, message: &'a OutgoingMessage) -> TransportFuture<'a, String> {
        self.sent.lock().unwrap().push(message.clone());
        let answer = self.answers.lock().unwrap().pop_front().expect("a scripted answer");
        Box::pin(async move { answer })
    }

    fn edit<'a>(&'a self, _: &'a Recipient, _: &'a str, _: &'a OutgoingMessage) -> TransportFuture<'a, ()> {
        Box::pin(async { Ok(()) })
    }

    fn delete<'a>(&'a self, _: &'a Recipient, _: &'a str) -> TransportFuture<'a, ()> {
        Box::pin(async { Ok(()) })
    }

    fn deletable_for(&self) -> Option<Duration> {
        None
    }
}

fn unlimited() -> PaceRules {
    PaceRules { per_sec: 1000, per_chat: Rate::per_second(1000), per_class: Vec::new() }
}

struct Setup {
    engine: DeliveryEngine,
    store: Store,
    transport: Arc<ScriptedTransport>,
    broadcast_id: i64,
    _dir: tempfile::TempDir,
}

/// One reader and one queued broadcast, `broadcast`, sent through a transport answering `answers`.
async fn setup(broadcast: NewBroadcast, answers: Vec<Result<String, SendFailure>>) -> Setup {
    let (store, dir) = test_store().await;
    let reader = NewSubscriber::private(Recipient::telegram(42));
    assert_eq!(store.subscribe(&reader).await.unwrap(), SubscribeOutcome::Subscribed);
    let (broadcast_id, _) = store.create_broadcast(&broadcast).await.unwrap();
    let transport = Arc::new(ScriptedTransport { answers: Mutex::new(answers.into()), ..Default::default() });
    let outlets = Outlets::new([Outlet::new(transport.clone(), Arc::new(Pacer::new(unlimited())))]);
    let settings = DeliverySettings { max_attempts: 2, ..DeliverySettings::default() };
    let engine = DeliveryEngine::new(store.clone(), outlets, settings, Metrics::default());
    Setup { engine, store, transport, broadcast_id, _dir: dir }
}

fn breaking() -> NewBroadcast {
    NewBroadcast::plain(BroadcastKind::Breaking, "x", "test")
}

fn with_photo(url: &str) -> NewBroadcast {
    let mut broadcast = NewBroadcast::plain(BroadcastKind::Article, "story", "test");
    broadcast.image_url = Some(url.into());
    broadcast.bodies.iter_mut().for_each(|body| body.caption = Some("caption".into()));
    broadcast
}

#[tokio::test]
async fn a_temporary_failure_is_retried_later_then_given_up_at_the_bound() {
    let failure = || Err(SendFailure::Temporary("502".into()));
    let setup = setup(breaking(), vec![failure(), failure()]).await;
    assert_eq!(setup.engine.try_execute_batch().await.unwrap(), 1);
    assert_eq!(setup.engine.try_execute_batch().await.unwrap(), 0, "the retry waits for its backoff");
    crate::store::sql::query("UPDATE deliveries SET due_at = 0").execute(setup.store.pool()).await.unwrap();
    // Let the chat's own interval (1 ms at this limit) pass, or the retry is only deferred.
    tokio::time::sleep(Duration::from_millis(20)).await;
    assert_eq!(setup.engine.try_execute_batch().await.unwrap(), 1);
    let failures = setup.store.failed_deliveries(setup.broadcast_id, 10).await.unwrap();
    assert_eq!((failures[0].attempts, failures[0].reason), (2, Some(FailureReason::GaveUp)));
    assert!(failures[0].last_error.as_deref().unwrap().contains("gave up after 2 attempts"), "{failures:?}");
}

#[tokio::test]
async fn a_sent_delivery_keeps_the_platforms_message_id() {
    let setup = setup(breaking(), vec![Ok("wamid.777".into())]).await;
    setup.engine.try_execute_batch().await.unwrap();
    let sent = setup.store.sent_messages(setup.broadcast_id).await.unwrap();
    assert_eq!(sent[0].message_id, "wamid.777");
}

#[tokio::test]
async fn a_gone_chat_makes_its_reader_inactive_with_the_reason() {
    let setup = setup(breaking(), vec![Err(SendFailure::ChatGone(InactiveReason::Blocked))]).await;
    setup.engine.try_execute_batch().await.unwrap();
    let reader = setup.store.subscriber(&Recipient::telegram(42)).await.unwrap().unwrap();
    assert_eq!((reader.active, reader.inactive_reason), (false, Some(InactiveReason::Blocked)));
}

#[tokio::test]
async fn a_moved_chat_is_followed_to_its_new_address_and_sent_again() {
    let moved = SendFailure::Moved { new_address: "-100123".into(), kind: ChatKind::Supergroup };
    let setup = setup(breaking(), vec![Err(moved), Ok("1".into())]).await;
    setup.engine.try_execute_batch().await.unwrap();
    tokio::time::sleep(Duration::from_millis(20)).await;
    setup.engine.try_execute_batch().await.unwrap();
    let reader = setup.store.subscriber(&Recipient::telegram(-100123)).await.unwrap().unwrap();
    assert_eq!(reader.kind, ChatKind::Supergroup);
    assert_eq!(setup.store.broadcast_progress(setup.broadcast_id).await.unwrap().unwrap().sent, 1);
}

#[tokio::test]
async fn a_refused_photo_sends_the_story_as_text() {
    let refused = SendFailure::PhotoRefused { reason: "wrong file".into(), bad_photo: true };
    let setup = setup(with_photo("https://news.example/a.jpg"), vec![Err(refused), Ok("2".into())]).await;
    setup.engine.try_execute_batch().await.unwrap();
    let sent = setup.transport.sent.lock().unwrap().clone();
    assert!(sent[0].photo.is_some() && sent[1].photo.is_none(), "{sent:?}");
    assert_eq!(setup.store.broadcast_progress(setup.broadcast_id).await.unwrap().unwrap().sent, 1);
}

#[tokio::test]
async fn a_relative_or_malformed_photo_url_is_never_handed_to_the_platform() {
    for url in ["/wp-content/a.jpg", "not a url", "file:///etc/passwd", "javascript:alert(1)"] {
        let setup = setup(with_photo(url), vec![Ok("3".into())]).await;
        setup.engine.try_execute_batch().await.unwrap();
        let sent = setup.transport.sent.lock().unwrap().clone();
        assert!(sent[0].photo.is_none(), "{url} was sent as a photo");
        assert_eq!(sent[0].text, "story", "the story went as text");
    }
}

#[tokio::test]
async fn a_reader_on_a_platform_this_instance_does_not_send_to_is_failed_with_that_reason() {
    let (store, _dir) = test_store().await;
    store.subscribe(&NewSubscriber::private(Recipient::telegram(1))).await.unwrap();
    let (id, _) = store.create_broadcast(&breaking()).await.unwrap();
    let engine =
        DeliveryEngine::new(store.clone(), Outlets::default(), DeliverySettings::default(), Metrics::default());
    engine.try_execute_batch().await.unwrap();
    let failures = store.failed_deliveries(id, 10).await.unwrap();
    assert_eq!(failures[0].reason, Some(FailureReason::NoTransport));
}

#[test]
fn backoff_grows_and_stays_bounded() {
    assert!(backoff(0) <= BACKOFF_BASE);
    assert!(backoff(3) >= BACKOFF_BASE * 4);
    assert!(backoff(40) <= BACKOFF_CAP);
}

#[tokio::test]
async fn a_sender_whose_term_ended_starts_no_send_and_leaves_its_claims_to_the_next_one() {
    let setup = setup(breaking(), vec![Ok("1".into())]).await;
    let stop = CancellationToken::new();
    let running = tokio::spawn({
        let (engine, stop) = (setup.engine.clone(), stop.clone());
        async move { engine.run(stop, crate::delivery::SendRight::while_(|| false)).await }
    });
    tokio::time::sleep(Duration::from_millis(300)).await;
    stop.cancel();
    running.await.unwrap();
    assert!(setup.transport.sent.lock().unwrap().is_empty(), "nothing was sent");
    assert!(setup.store.claim_due_deliveries(10, 60_000).await.unwrap().is_empty(), "no deferral was written");
    assert_eq!(setup.store.release_claims().await.unwrap(), 1, "the next sender releases the claim and sends it");
}
