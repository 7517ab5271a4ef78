//! Two `kabar run` processes on one database: one leads (it sends, polls and answers the chat),
//! the other stands by, serving the API, and takes over when the leader is killed, so a push
//! still reaches everyone, at one rate budget, and no reader gets it twice but for the sends in
//! flight at the kill. (Beside a SQLite file the standby gets the leader's lock the moment the
//! leader dies, so it need not wait for the lease to expire; `services::leadership`'s tests
//! cover the lease alone.) On PostgreSQL the lease alone decides, and a leader frozen past it
//! sends nothing more when it wakes.

use std::{
    process::Child,
    time::{Duration, Instant},
};

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

/// A leader and a standby on `setup`'s database, both answering, with the readers subscribed
/// and a push taken by the standby; returns the leader, the standby and the standby's API once
/// a fifth of the readers have the push.
async fn two_instances_in_the_middle_of_a_push(setup: &Setup, http: &Client) -> (Child, Child, String) {
    let more = format!("[limits]\nglobal_per_sec = {RATE}\n\n[delivery]\nconcurrency = {CONCURRENCY}");
    setup.write_config(&more);
    let leader = setup.start(http).await;
    let standby_port = free_port();
    let standby_config = setup.dir.path().join("standby.toml");
    setup.write_config_at(&standby_config, standby_port, &more);
    let standby = start_kabar(&standby_config);
    let standby_api = format!("http://127.0.0.1:{standby_port}");
    eventually("the standby answering", || async {
        http.get(format!("{standby_api}/readyz")).send().await.is_ok_and(|r| r.status() == 200)
    })
    .await;
    assert_eq!(readiness(http, &setup.api()).await, json!({"status": "ready", "sender": true}));
    assert_eq!(readiness(http, &standby_api).await, json!({"status": "ready", "sender": false}));
    assert_eq!(sender_gauge(http, &setup.api()).await, "kabar_sender_leader 1");
    assert_eq!(sender_gauge(http, &standby_api).await, "kabar_sender_leader 0");

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
        received(setup).iter().filter(|&&n| n > 0).count() as i64 >= READERS / 5
    })
    .await;
    (leader, standby, standby_api)
}

/// Waits for the standby to lead, and checks it did so within 20 seconds (and a second of
/// polling) of `since`.
async fn standby_takes_over(http: &Client, standby_api: &str, since: Instant) {
    eventually("the standby leading", || async { readiness(http, standby_api).await["sender"] == json!(true) }).await;
    let takeover = since.elapsed();
    eprintln!("the standby took over {takeover:?} after the leader went silent");
    assert!(takeover <= Duration::from_secs(21), "took over after {takeover:?}");
}

/// Every reader got the push, at most `CONCURRENCY` of them twice, and no second held more
/// sends than the one budget allows.
async fn every_reader_served_once_at_one_budget(setup: &Setup) {
    eventually("every reader served", || async { received(setup).iter().all(|&n| n > 0) }).await;
    let twice = received(setup).iter().filter(|&&n| n > 1).count();
    eprintln!("{twice} readers got the push twice (sends in flight when the leader went silent)");
    assert!(twice <= CONCURRENCY, "{twice} readers got it twice");
    let busiest = setup.sandbox.sends_per_second().into_iter().map(|(_, sends)| sends).max().unwrap_or(0);
    assert!(busiest as i64 <= RATE, "{busiest} sends in one second: one budget across the instances");
}

#[tokio::test]
async fn a_standby_finishes_the_push_of_a_leader_killed_in_the_middle_of_it() {
    let setup = Setup::new();
    let http = Client::builder().timeout(Duration::from_secs(10)).pool_max_idle_per_host(0).build().unwrap();
    let (leader, standby, standby_api) = two_instances_in_the_middle_of_a_push(&setup, &http).await;
    kill(leader);
    standby_takes_over(&http, &standby_api, Instant::now()).await;
    every_reader_served_once_at_one_budget(&setup).await;
    kill(standby);
}

/// A leader frozen (SIGSTOP) holds no lock a standby waits for on PostgreSQL: its lease runs out
/// and the standby takes over. Woken (SIGCONT), the old leader finds its term over before it
/// starts another send, so it sends nothing the new leader sends. (Beside a SQLite file a frozen
/// leader keeps its lock, so this is PostgreSQL's test.)
#[tokio::test]
async fn a_leader_frozen_past_its_term_and_woken_sends_nothing_more() {
    let mut setup = Setup::new();
    setup.database = postgres_database_always();
    let http = Client::builder().timeout(Duration::from_secs(10)).pool_max_idle_per_host(0).build().unwrap();
    let (leader, standby, standby_api) = two_instances_in_the_middle_of_a_push(&setup, &http).await;
    signal(&leader, "STOP");
    standby_takes_over(&http, &standby_api, Instant::now()).await;
    every_reader_served_once_at_one_budget(&setup).await;

    let before_waking = received(&setup);
    signal(&leader, "CONT");
    eventually("the woken leader standing by", || async {
        readiness(&http, &setup.api()).await["sender"] == json!(false)
    })
    .await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(received(&setup), before_waking, "the woken leader sent nothing more");
    kill(leader);
    kill(standby);
}

/// A database on the test process's PostgreSQL server, whichever backend the other tests use.
fn postgres_database_always() -> String {
    let server = pg_harness::TestPostgres::shared().expect("PostgreSQL starts");
    server.fresh_database("kabar_instances").expect("a database of the test's own")
}

fn signal(process: &Child, name: &str) {
    let sent = std::process::Command::new("kill").arg(format!("-{name}")).arg(process.id().to_string()).status();
    assert!(sent.unwrap().success(), "kill -{name}");
}
