//! The real binary, killed with SIGKILL in the middle of a push and started again: every queued
//! delivery is sent, and duplicates are bounded by what was in flight.

use std::process::{Child, Command, Stdio};

use kabar::store::Store;
use serde_json::json;
use tg_sandbox::{Sandbox, SandboxConfig};

use crate::helpers::{ADMIN_TOKEN, eventually, subscribe_quietly};

const READERS: std::ops::Range<i64> = 700..712;
const CONCURRENCY: usize = 4;

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

fn start_kabar(config: &std::path::Path) -> Child {
    Command::new(env!("CARGO_BIN_EXE_kabar"))
        .args(["run", "--config"])
        .arg(config)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("the kabar binary starts")
}

#[tokio::test]
async fn a_push_killed_midway_is_completed_after_the_restart() {
    let sandbox = Sandbox::start(SandboxConfig::default()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let database = format!("sqlite://{}", dir.path().join("kabar.db").display());
    let port = free_port();
    let config = dir.path().join("kabar.toml");
    std::fs::write(
        &config,
        format!(
            "[telegram]\ntoken = \"{}\"\napi_url = \"{}\"\npoll_timeout_secs = 1\n\n[database]\nurl = \"{database}\"\n\n\
             [http]\nlisten = \"127.0.0.1:{port}\"\nadmin_token = \"{ADMIN_TOKEN}\"\n\n[limits]\nglobal_per_sec = 3\n\n\
             [delivery]\nconcurrency = {CONCURRENCY}\n",
            sandbox.token(),
            sandbox.api_url()
        ),
    )
    .unwrap();
    let store = Store::connect(&database).await.unwrap();
    store.migrate().await.unwrap();
    subscribe_quietly(&sandbox, &store, READERS).await;

    let api = format!("http://127.0.0.1:{port}");
    let http = reqwest::Client::new();
    let mut kabar = start_kabar(&config);
    eventually("kabar becoming healthy", || async {
        http.get(format!("{api}/healthz")).send().await.is_ok_and(|r| r.status() == 200)
    })
    .await;
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

    let mut kabar = start_kabar(&config);
    eventually("every reader getting the message", || async {
        READERS.clone().all(|id| !sandbox.sent_to(id).is_empty())
    })
    .await;
    kabar.kill().unwrap();
    kabar.wait().unwrap();
    let duplicates = sandbox.sent().len() - READERS.count();
    assert!(
        duplicates <= CONCURRENCY,
        "{duplicates} duplicates, more than the {CONCURRENCY} sends that can be in flight"
    );
}
