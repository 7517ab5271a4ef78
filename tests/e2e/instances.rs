//! Two `kabar run` processes on one database: one leads (it sends, polls and answers the chat),
//! the other stands by, serving the API, and takes over when the leader is killed, so a push
//! still reaches everyone, at one rate budget, and no reader gets it twice but for the sends in
//! flight at the kill. (Beside a SQLite file the standby gets the leader's lock the moment the
//! leader dies, so it need not wait for the lease to expire; `services::leadership`'s tests
//! cover the lease alone.)

use std::time::{Duration, Instant};

use kabar::store::Store;
use reqwest::Client;
use serde_json::{Value, json};

use crate::{
    binary::{Setup, free_port, kill, start_kabar},
    helpers::{ADMIN_TOKEN, eventually, subscribe_quietly},
};

const READERS: i64 = 120;
const FIRST_READER: i64 = 9_000;
/// Sends a second: slow enough that the leader is killed in the middle of the push.
const RATE: i64 = 20;
/// `delivery.concurrency` of both instances: at most this many sends are in flight at a kill.
const CONCURRENCY: usize = 4;

async fn readiness(http: &Client, api: &str) -> Value {
    http.get(format!("{api}/readyz")).send().await.unwrap().json().await.unwrap()
}

async fn sender_gauge(http: &Client, api: &str) -> String {
    let text = http.get(format!("{api}/metrics")).send().await.unwrap().text().await.unwrap();
    text.lines().find(|line| line.starts_with("kabar_sender_leader ")).unwrap_or_default().to_owned()
}

fn received(setup: &Setup) -> Vec<usize> {
    (FIRST_READER..FIRST_READER + READERS).map(|id| setup.sandbox.sent_to(id).len()).collect()
}

#[tokio::test]
async fn a_standby_finishes_the_push_of_a_leader_killed_in_the_middle_of_it() {
    let setup = Setup::new();
    let more = format!("[limits]\nglobal_per_sec = {RATE}\n\n[delivery]\nconcurrency = {CONCURRENCY}");
    setup.write_config(&more);
    let http = Client::builder().timeout(Duration::from_secs(10)).pool_max_idle_per_host(0).build().unwrap();
    let leader = setup.start(&http).await;
    let standby_port = free_port();
    let standby_config = setup.dir.path().join("standby.toml");
    setup.write_config_at(&standby_config, standby_port, &more);
    let standby = start_kabar(&standby_config);
    let standby_api = format!("http://127.0.0.1:{standby_port}");
    eventually("the standby answering", || async {
        http.get(format!("{standby_api}/readyz")).send().await.is_ok_and(|r| r.status() == 200)
    })
    .await;
    assert_eq!(readiness(&http, &setup.api()).await, json!({"status": "ready", "sender": true}));
    assert_eq!(readiness(&http, &standby_api).await, json!({"status": "ready", "sender": false}));
    assert_eq!(sender_gauge(&http, &setup.api()).await, "kabar_sender_leader 1");
    assert_eq!(sender_gauge(&http, &standby_api).await, "kabar_sender_leader 0");

    let store = Store::connect(&setup.database).await.unwrap();
    subscribe_quietly(&setup.sandbox, &store, FIRST_READER..FIRST_READER + READERS).await;
    store.close().await;
    // The standby takes the push; the leader sends it.
    let pushed = http
        .post(format!("{standby_api}/api/broadcasts"))
        .bearer_auth(ADMIN_TOKEN)
        .json(&json!({"text": "Dua mesin, satu kabar"}))
        .send()
        .await
        .unwrap();
    assert_eq!(pushed.status(), 202);
    eventually("a fifth of the readers served", || async {
        received(&setup).iter().filter(|&&n| n > 0).count() as i64 >= READERS / 5
    })
    .await;

    kill(leader);
    let killed = Instant::now();
    eventually("the standby leading", || async { readiness(&http, &standby_api).await["sender"] == json!(true) }).await;
    let takeover = killed.elapsed();
    eprintln!("the standby took over {takeover:?} after the kill");
    assert!(takeover <= Duration::from_secs(21), "took over after {takeover:?}");

    eventually("every reader served", || async { received(&setup).iter().all(|&n| n > 0) }).await;
    let twice = received(&setup).iter().filter(|&&n| n > 1).count();
    eprintln!("{twice} readers got the push twice (sends in flight at the kill)");
    assert!(twice <= CONCURRENCY, "{twice} readers got it twice");
    let busiest = setup.sandbox.sends_per_second().into_iter().map(|(_, sends)| sends).max().unwrap_or(0);
    assert!(busiest as i64 <= RATE, "{busiest} sends in one second: one budget across the instances");
    kill(standby);
}
