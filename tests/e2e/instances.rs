//! Three `kabar run` processes on one database: one leads (it sends, polls and answers the
//! chat), the others stand by, serving the API, and one takes over when the leader is killed, so
//! a push still reaches everyone, at one rate budget, and no reader gets it twice but for the
//! sends in flight at the kill. Beside a SQLite file a standby gets the leader's lock the moment
//! the leader dies, so it need not wait for the lease to expire (`services::leadership`'s tests
//! cover the lease alone); on PostgreSQL the lease alone decides, and a leader frozen past it
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

const READERS: i64 = 600;
const FIRST_READER: i64 = 9_000;
/// Sends a second: slow enough that the leader is stopped in the middle of the push.
const RATE: i64 = 50;
/// `delivery.concurrency` of every instance: at most this many sends are in flight at a kill.
const CONCURRENCY: usize = 4;
/// Instances beside the leader.
const STANDBYS: usize = 2;

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

/// A leader and two standbys on `setup`'s database, all answering, with the readers subscribed
/// and a push taken by a standby; returns the leader, the standbys and their APIs once a fifth
/// of the readers have the push.
async fn three_instances_in_the_middle_of_a_push(setup: &Setup, http: &Client) -> (Child, Vec<(Child, String)>) {
    let more = format!("[limits]\nglobal_per_sec = {RATE}\n\n[delivery]\nconcurrency = {CONCURRENCY}");
    setup.write_config(&more);
    let leader = setup.start(http).await;
    let mut standbys = Vec::new();
    for n in 1..=STANDBYS {
        let port = free_port();
        let config = setup.dir.path().join(format!("standby-{n}.toml"));
        setup.write_config_at(&config, port, &more);
        standbys.push((start_kabar(&config), format!("http://127.0.0.1:{port}")));
    }
    for (_, api) in &standbys {
        eventually("a standby answering", || async {
            http.get(format!("{api}/readyz")).send().await.is_ok_and(|r| r.status() == 200)
        })
        .await;
        assert_eq!(readiness(http, api).await, json!({"status": "ready", "sender": false}));
        assert_eq!(sender_gauge(http, api).await, "kabar_sender_leader 0");
    }
    assert_eq!(readiness(http, &setup.api()).await, json!({"status": "ready", "sender": true}));
    assert_eq!(sender_gauge(http, &setup.api()).await, "kabar_sender_leader 1");

    let store = Store::connect(&setup.database).await.unwrap();
    subscribe_quietly(&setup.sandbox, &store, FIRST_READER..FIRST_READER + READERS).await;
    store.close().await;
    // A standby takes the push; the leader sends it.
    let pushed = http
        .post(format!("{}/api/broadcasts", standbys[0].1))
        .bearer_auth(ADMIN_TOKEN)
        .json(&json!({"text": "Tiga mesin, satu kabar"}))
        .send()
        .await
        .unwrap();
    assert_eq!(pushed.status(), 202);
    eventually("a fifth of the readers served", || async {
        received(setup).iter().filter(|&&n| n > 0).count() as i64 >= READERS / 5
    })
    .await;
    (leader, standbys)
}

/// Waits for one standby to lead, and checks it did so within 20 seconds (and a second of
/// polling) of `since`, and that only one does.
async fn a_standby_takes_over(http: &Client, standbys: &[(Child, String)], since: Instant) {
    let leading = || async {
        let mut leading = 0;
        for (_, api) in standbys {
            leading += usize::from(readiness(http, api).await["sender"] == json!(true));
        }
        leading
    };
    eventually("a standby leading", || async { leading().await > 0 }).await;
    let takeover = since.elapsed();
    eprintln!("a standby took over {takeover:?} after the leader went silent");
    assert!(takeover <= Duration::from_secs(21), "took over after {takeover:?}");
    assert_eq!(leading().await, 1, "one instance leads");
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
    let (leader, standbys) = three_instances_in_the_middle_of_a_push(&setup, &http).await;
    kill(leader);
    a_standby_takes_over(&http, &standbys, Instant::now()).await;
    every_reader_served_once_at_one_budget(&setup).await;
    standbys.into_iter().for_each(|(standby, _)| kill(standby));
}

/// A leader frozen (SIGSTOP) holds no lock a standby waits for on PostgreSQL: its lease runs out
/// and a standby takes over. Woken (SIGCONT), the old leader finds its term over before it
/// starts another send, so it sends nothing the new leader sends. (Beside a SQLite file a frozen
/// leader keeps its lock, so this is PostgreSQL's test.)
#[tokio::test]
async fn a_leader_frozen_past_its_term_and_woken_sends_nothing_more() {
    let mut setup = Setup::new();
    setup.database = postgres_database_always();
    let http = Client::builder().timeout(Duration::from_secs(10)).pool_max_idle_per_host(0).build().unwrap();
    let (leader, standbys) = three_instances_in_the_middle_of_a_push(&setup, &http).await;
    signal(&leader, "STOP");
    a_standby_takes_over(&http, &standbys, Instant::now()).await;
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
    standbys.into_iter().for_each(|(standby, _)| kill(standby));
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
