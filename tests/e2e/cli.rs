//! The binary's commands, as operators and scripts call them.

use std::process::{Command, Output};

use tg_sandbox::{Sandbox, SandboxConfig};

use crate::helpers::{ADMIN_TOKEN, eventually};

fn kabar(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_kabar")).args(args).env_remove("TELOXIDE_TOKEN").output().expect("kabar runs")
}

fn config_file(dir: &tempfile::TempDir, text: &str) -> String {
    let path = dir.path().join("kabar.toml");
    std::fs::write(&path, text).unwrap();
    path.display().to_string()
}

#[test]
fn check_config_accepts_the_example_file() {
    let output = kabar(&["check-config", "--config", "kabar.example.toml"]);
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
}

#[test]
fn check_config_names_the_bad_key_and_fails() {
    let dir = tempfile::tempdir().unwrap();
    let path = config_file(&dir, "[telegram]\ntoken = \"1:x\"\n\n[limits]\nglobal_per_second = 5\n");
    let output = kabar(&["check-config", "--config", &path]);
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("global_per_second"));
}

#[test]
fn check_config_refuses_a_missing_file() {
    let output = kabar(&["check-config", "--config", "/nonexistent/kabar.toml"]);
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("/nonexistent/kabar.toml"));
}

#[test]
fn migrate_creates_the_database() {
    let dir = tempfile::tempdir().unwrap();
    let database = dir.path().join("new.db");
    let path = config_file(&dir, &format!("[database]\nurl = \"sqlite://{}\"\n", database.display()));
    let output = kabar(&["migrate", "--config", &path]);
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    assert!(database.exists());
}

#[tokio::test]
async fn run_stops_cleanly_on_sigterm() {
    let sandbox = Sandbox::start(SandboxConfig::default()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let path = config_file(
        &dir,
        &format!(
            "[telegram]\ntoken = \"{}\"\napi_url = \"{}\"\npoll_timeout_secs = 1\n[database]\nurl = \"sqlite://{}\"\n\
             [http]\nlisten = \"127.0.0.1:{port}\"\nadmin_token = \"{ADMIN_TOKEN}\"\n",
            sandbox.token(),
            sandbox.api_url(),
            dir.path().join("kabar.db").display()
        ),
    );
    let mut child = Command::new(env!("CARGO_BIN_EXE_kabar"))
        .args(["run", "--config", &path])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let http = reqwest::Client::new();
    eventually("kabar becoming healthy", || async {
        http.get(format!("http://127.0.0.1:{port}/healthz")).send().await.is_ok_and(|r| r.status() == 200)
    })
    .await;
    let terminated = Command::new("kill").args(["-TERM", &child.id().to_string()]).status().unwrap();
    assert!(terminated.success());
    let status = tokio::task::spawn_blocking(move || child.wait()).await.unwrap().unwrap();
    assert!(status.success(), "kabar exited with {status}");
}

#[test]
fn check_config_names_a_rules_file_with_a_bad_pattern() {
    let dir = tempfile::tempdir().unwrap();
    let rules = dir.path().join("rules.toml");
    std::fs::write(&rules, "drop_paragraph = ['(unclosed']").unwrap();
    let path =
        config_file(&dir, &format!("[telegram]\ntoken = \"1:x\"\n[summary]\nrules_file = \"{}\"\n", rules.display()));
    let output = kabar(&["check-config", "--config", &path]);
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("summary.rules_file") && stderr.contains("(unclosed"), "{stderr}");
}
