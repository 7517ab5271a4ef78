//! The real binary, killed with SIGKILL in the middle of a push and started again, or its
//! PostgreSQL server crashing and starting again under it: every queued delivery is sent, and
//! duplicates are bounded by what was in flight.

use std::process::{Child, Command, Stdio};

use crate::{
    binary::{Setup, kill, start_kabar},
    helpers::{ADMIN_TOKEN, eventually, subscribe_quietly},
};
use kabar::store::Store;
use serde_json::json;

const READERS: std::ops::Range<i64> = 700..712;
const CONCURRENCY: usize = 4;

#[tokio::test]
async fn a_push_killed_midway_is_completed_after_the_restart() {
    let setup = Setup::new();
    setup.write_config(&format!("[limits]\nglobal_per_sec = 3\n\n[delivery]\nconcurrency = {CONCURRENCY}"));
    let (sandbox, config, api) = (&setup.sandbox, setup.config(), setup.api());
    let store = Store::connect(&setup.database).await.unwrap();
    store.migrate().await.unwrap();
    subscribe_quietly(sandbox, &store, READERS).await;

    let http = reqwest::Client::new();
    let mut kabar = setup.start(&http).await;
    let answer: serde_json::Value = http
        .post(format!("{api}/api/broadcasts"))
        .bearer_auth(ADMIN_TOKEN)
        .json(&json!({"text": "Tetap sampai walau server mati"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(answer["recipients"], READERS.count());
    eventually("the push starting", || async { sandbox.sent().len() >= 3 }).await;
    kabar.kill().unwrap();
    kabar.wait().unwrap();
    let before_restart = sandbox.sent().len();
    assert!(before_restart < READERS.count(), "the kill came in the middle of the push");

    every_reader_served_with_duplicates_only_in_flight(sandbox, start_kabar(&config)).await;
}

/// Waits until every reader has the push, stops `kabar`, and checks that no more readers got it
/// twice than there can be sends in flight.
async fn every_reader_served_with_duplicates_only_in_flight(sandbox: &tg_sandbox::Sandbox, kabar: Child) {
    eventually("every reader getting the message", || async {
        READERS.clone().all(|id| !sandbox.sent_to(id).is_empty())
    })
    .await;
    kill(kabar);
    let duplicates = sandbox.sent().len() - READERS.count();
    assert!(
        duplicates <= CONCURRENCY,
        "{duplicates} duplicates, more than the {CONCURRENCY} sends that can be in flight"
    );
}

/// PostgreSQL stopped at once (as a crash of the server would) in the middle of a push and
/// started again a few seconds later: kabar waits for it and finishes the push.
#[tokio::test]
async fn a_push_outlives_a_restart_of_postgresql_in_the_middle_of_it() {
    // A server of the test's own, as it is killed.
    let server = std::sync::Arc::new(pg_harness::TestPostgres::start().expect("PostgreSQL starts"));
    let mut setup = Setup::new();
    setup.database = server.create_database("kabar").unwrap();
    setup.write_config(&format!("[limits]\nglobal_per_sec = 3\n\n[delivery]\nconcurrency = {CONCURRENCY}"));
    let (sandbox, api) = (&setup.sandbox, setup.api());
    let store = Store::connect(&setup.database).await.unwrap();
    store.migrate().await.unwrap();
    subscribe_quietly(sandbox, &store, READERS).await;
    store.close().await;

    let http = reqwest::Client::new();
    let kabar = setup.start(&http).await;
    let pushed = http
        .post(format!("{api}/api/broadcasts"))
        .bearer_auth(ADMIN_TOKEN)
        .json(&json!({"text": "Basis data mati sebentar"}))
        .send()
        .await
        .unwrap();
    assert_eq!(pushed.status(), 202);
    eventually("the push starting", || async { sandbox.sent().len() >= 3 }).await;
    let restarted = tokio::task::spawn_blocking({
        let server = server.clone();
        move || {
            server.kill().expect("an immediate stop");
            std::thread::sleep(std::time::Duration::from_secs(3));
            server.restart().expect("a restart");
        }
    });
    restarted.await.unwrap();
    assert!(sandbox.sent().len() < READERS.count(), "the server died in the middle of the push");
    every_reader_served_with_duplicates_only_in_flight(sandbox, kabar).await;
}

#[tokio::test]
async fn sighup_applies_the_config_files_new_limits_and_refuses_a_broken_one() {
    let setup = Setup::new();
    let write_config = |limits: &str| setup.write_config(&format!("[limits]\n{limits}"));
    write_config("global_per_sec = 30");
    let api = setup.api();
    let http = reqwest::Client::new();
    let mut kabar = setup.start(&http).await;
    let limit = || async {
        let limits: serde_json::Value =
            http.get(format!("{api}/api/limits")).bearer_auth(ADMIN_TOKEN).send().await.unwrap().json().await.unwrap();
        limits["global_per_sec"].as_u64().unwrap()
    };
    let hang_up = || {
        let status = Command::new("kill").args(["-HUP", &kabar.id().to_string()]).status().unwrap();
        assert!(status.success());
    };

    write_config("global_per_sec = 12");
    hang_up();
    eventually("the new limit applying", || async { limit().await == 12 }).await;
    write_config("global_per_sec = 0");
    hang_up();
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    assert_eq!(limit().await, 12, "a config that does not validate changes nothing");
    assert!(kabar.try_wait().unwrap().is_none(), "and kabar keeps running");
    kabar.kill().unwrap();
    kabar.wait().unwrap();
}

#[tokio::test]
async fn secrets_never_reach_the_logs() {
    let setup = Setup::new();
    setup.write_config("[limits]\nglobal_per_sec = 30");
    let log_path = setup.dir.path().join("kabar.log");
    let log = std::fs::File::create(&log_path).unwrap();
    let mut kabar = Command::new(env!("CARGO_BIN_EXE_kabar"))
        .args(["run", "--config"])
        .arg(setup.config())
        .env("RUST_LOG", "debug")
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .unwrap();
    let http = reqwest::Client::new();
    let api = setup.api();
    eventually("kabar becoming healthy", || async {
        http.get(format!("{api}/healthz")).send().await.is_ok_and(|r| r.status() == 200)
    })
    .await;
    let wrong = http.get(format!("{api}/api/limits")).bearer_auth("not-the-token-at-all").send().await.unwrap();
    assert_eq!(wrong.status(), 401);
    let right = http.get(format!("{api}/api/limits")).bearer_auth(ADMIN_TOKEN).send().await.unwrap();
    assert_eq!(right.status(), 200);
    http.post(format!("{api}/api/broadcasts"))
        .bearer_auth(ADMIN_TOKEN)
        .json(&json!({"text": "x"}))
        .send()
        .await
        .unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    kabar.kill().unwrap();
    kabar.wait().unwrap();

    let logs = std::fs::read_to_string(&log_path).unwrap();
    assert!(logs.contains("kabar is running"), "the debug log was written: {logs}");
    let bot_secret = setup.sandbox.token().split_once(':').unwrap().1.to_owned();
    for secret in [bot_secret.as_str(), ADMIN_TOKEN] {
        assert!(!logs.contains(secret), "a secret is in the log:\n{logs}");
    }
}
