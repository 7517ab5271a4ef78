//! The binary's commands, as operators and scripts call them.

use std::process::{Command, Output};

use kabar::{
    domain::{ChatKind, InactiveReason, NewSubscriber, Recipient},
    store::Store,
};
use serde_json::Value;
use tg_sandbox::{Sandbox, SandboxConfig};

use crate::helpers::{ADMIN_TOKEN, eventually, spawn_app};

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

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// Runs kabar and fails the test, showing what kabar said, unless it succeeds.
fn kabar_ok(args: &[&str]) -> Output {
    let output = kabar(args);
    assert!(output.status.success(), "kabar {args:?}: {}", stderr(&output));
    output
}

/// A config naming only a database in `dir` (and `extra` TOML), migrated by the binary itself;
/// returns the config's path and the database, opened beside the binary the way an operator's
/// tools would.
async fn migrated_database(dir: &tempfile::TempDir, extra: &str) -> (String, Store) {
    let url = format!("sqlite://{}", dir.path().join("kabar.db").display());
    let path = config_file(dir, &format!("[database]\nurl = \"{url}\"\n{extra}"));
    kabar_ok(&["migrate", "--config", &path]);
    (path, Store::connect(&url).await.unwrap())
}

async fn subscribe_readers(store: &Store, chat_ids: impl IntoIterator<Item = i64>) {
    for chat_id in chat_ids {
        store.subscribe(&NewSubscriber::private(Recipient::telegram(chat_id))).await.unwrap();
    }
}

#[tokio::test]
async fn editors_are_added_listed_and_removed_from_the_shell() {
    let dir = tempfile::tempdir().unwrap();
    let (config, store) = migrated_database(&dir, "[editors]\nuser_ids = [111]\n").await;
    kabar_ok(&["editors", "add", "4242", "--name", "Sari Wulandari", "--config", &config]);
    assert!(store.is_editor(4242).await.unwrap());

    let list = stdout(&kabar_ok(&["editors", "list", "--config", &config]));
    let line_of = |id: &str| list.lines().find(|line| line.starts_with(id)).map(str::to_owned);
    assert!(line_of("111").is_some_and(|line| line.contains("from config")), "{list}");
    assert!(line_of("4242").is_some_and(|line| line.contains("Sari Wulandari")), "{list}");

    kabar_ok(&["editors", "remove", "4242", "--config", &config]);
    assert!(!store.is_editor(4242).await.unwrap());
    assert!(!stdout(&kabar(&["editors", "list", "--config", &config])).contains("4242"));
    let again = kabar(&["editors", "remove", "4242", "--config", &config]);
    assert!(!again.status.success() && stderr(&again).contains("not an editor"), "{}", stderr(&again));
}

#[tokio::test]
async fn telegrams_shared_ids_are_refused_as_editors_with_the_reason() {
    let dir = tempfile::tempdir().unwrap();
    let (config, store) = migrated_database(&dir, "").await;
    for (id, reason) in [("1087968824", "anonymous"), ("777000", "service"), ("-100123", "positive"), ("0", "positive")]
    {
        let output = kabar(&["editors", "add", id, "--config", &config]);
        assert!(!output.status.success(), "{id} was accepted");
        assert!(stderr(&output).contains(reason), "{id}: {}", stderr(&output));
    }
    assert!(store.editors().await.unwrap().is_empty());
}

#[tokio::test]
async fn broadcast_no_wait_queues_the_message_for_every_active_subscriber() {
    let dir = tempfile::tempdir().unwrap();
    let (config, store) = migrated_database(&dir, "").await;
    subscribe_readers(&store, [801, 802, 803]).await;
    store.deactivate(&Recipient::telegram(803), InactiveReason::Stopped).await.unwrap();

    let output =
        kabar_ok(&["broadcast", "--text", "Jalan tol ditutup", "--breaking", "--no-wait", "--config", &config]);
    let printed = stdout(&output);
    assert!(printed.contains("queued for 2 recipient(s)"), "{printed}");
    let id: i64 = printed.split_whitespace().nth(1).and_then(|id| id.parse().ok()).expect("the id is printed");
    let progress = store.broadcast_progress(id).await.unwrap().unwrap();
    assert_eq!((progress.total, progress.pending), (2, 2), "nothing runs to send it, so it waits");
}

#[tokio::test]
async fn broadcast_refuses_an_empty_text_an_overlong_text_and_a_bad_url() {
    let dir = tempfile::tempdir().unwrap();
    let (config, store) = migrated_database(&dir, "").await;
    subscribe_readers(&store, [811]).await;
    let overlong = "kata ".repeat(1000);
    for (args, reason) in [
        (vec!["--text", "   "], "empty"),
        (vec!["--text", overlong.as_str()], "longer than"),
        (vec!["--text", "x", "--url", "javascript:alert(1)"], "url"),
    ] {
        let output = kabar(&[&["broadcast", "--no-wait", "--config", &config][..], &args].concat());
        assert!(!output.status.success(), "{args:?} was queued");
        assert!(stderr(&output).contains(reason), "{args:?}: {}", stderr(&output));
    }
    assert_eq!(store.count_pending_deliveries().await.unwrap(), 0, "nothing was queued");
}

#[tokio::test]
async fn broadcast_follows_a_running_kabar_until_every_reader_has_the_message() {
    let app = spawn_app().await;
    let readers = 821..826;
    app.subscribe_quietly(readers.clone()).await;
    let dir = tempfile::tempdir().unwrap();
    let config = config_file(&dir, &format!("[database]\nurl = \"{}\"\n", app.settings.database.url));

    let output =
        tokio::task::spawn_blocking(move || kabar(&["broadcast", "--text", "Gempa di Cianjur", "--config", &config]))
            .await
            .unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(stdout(&output).contains("done: 5 sent, 0 failed"), "{}", stdout(&output));
    assert!(!stderr(&output).contains('\r'), "no progress frames off a terminal: {:?}", stderr(&output));
    for reader in readers {
        let message = app.message_number(reader, 1).await;
        assert!(message.plain_text.unwrap_or_default().contains("Gempa di Cianjur"));
    }
}

#[tokio::test]
async fn ctrl_c_while_following_a_broadcast_leaves_it_queued_and_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let (config, store) = migrated_database(&dir, "").await;
    subscribe_readers(&store, [851, 852]).await;
    let mut following = Command::new(env!("CARGO_BIN_EXE_kabar"))
        .args(["broadcast", "--text", "Tidak ada yang mengirim", "--config", &config])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout_pipe = following.stdout.take().unwrap();
    let queued_said = std::thread::spawn(move || {
        use std::io::Read;
        let mut seen = Vec::new();
        let mut byte = [0; 1];
        // No kabar runs on this database: the broadcast is queued and then only followed.
        while !String::from_utf8_lossy(&seen).contains("queued for 2 recipient(s)")
            && stdout_pipe.read(&mut byte).unwrap() == 1
        {
            seen.push(byte[0]);
        }
    });
    tokio::task::spawn_blocking(move || queued_said.join().unwrap()).await.unwrap();
    let mut stderr_pipe = following.stderr.take().unwrap();
    assert!(Command::new("kill").args(["-INT", &following.id().to_string()]).status().unwrap().success());
    let status = tokio::task::spawn_blocking(move || following.wait()).await.unwrap().unwrap();
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut stderr_pipe, &mut rest).unwrap();
    assert!(status.success(), "kabar exited with {status}: {rest}");
    assert!(rest.contains("keeps sending"), "{rest}");
    assert_eq!(store.count_pending_deliveries().await.unwrap(), 2, "the broadcast stays queued");
}

#[tokio::test]
async fn stats_json_reports_subscribers_sources_and_the_outbox() {
    let dir = tempfile::tempdir().unwrap();
    let (config, store) = migrated_database(&dir, "").await;
    subscribe_readers(&store, [831, 832, 833]).await;
    store.deactivate(&Recipient::telegram(833), InactiveReason::Blocked).await.unwrap();
    kabar_ok(&["broadcast", "--text", "Siaga banjir", "--breaking", "--no-wait", "--config", &config]);

    let output = kabar_ok(&["stats", "--json", "--config", &config]);
    let stats: Value = serde_json::from_str(&stdout(&output)).expect("stats --json prints JSON");
    assert_eq!(stats["subscribers"]["active"], 2);
    assert_eq!(stats["subscribers"]["inactive_by_reason"]["blocked"], 1);
    assert_eq!(stats["subscribers"]["by_delivery_mode"]["instant"], 2);
    assert_eq!(stats["deliveries"]["pending"]["breaking"], 2);
    assert_eq!(stats["broadcasts"]["last_24h"], 1);
    for key in ["channels", "sources", "articles"] {
        assert!(!stats[key].is_null(), "{key} missing from {stats}");
    }
    let table = stdout(&kabar_ok(&["stats", "--config", &config]));
    assert!(table.contains("2 active, 1 inactive"), "{table}");
}

/// A display name that breaks naive CSV and JSON writers.
const TRICKY_NAME: &str = "Budi, \"si Kancil\"\nJakarta 🦀";

async fn database_with_a_tricky_reader(dir: &tempfile::TempDir) -> String {
    let (config, store) = migrated_database(dir, "").await;
    let reader = NewSubscriber {
        recipient: Recipient::telegram(841),
        kind: ChatKind::Private,
        username: Some("budi".into()),
        display_name: Some(TRICKY_NAME.into()),
        app_language: Some("id".into()),
    };
    store.subscribe(&reader).await.unwrap();
    subscribe_readers(&store, [842]).await;
    store.deactivate(&Recipient::telegram(842), InactiveReason::Stopped).await.unwrap();
    config
}

#[tokio::test]
async fn subscribers_export_as_csv_quotes_what_needs_quoting() {
    let dir = tempfile::tempdir().unwrap();
    let config = database_with_a_tricky_reader(&dir).await;
    let output = kabar_ok(&["subscribers", "export", "--config", &config]);
    let csv = stdout(&output);
    assert!(csv.starts_with(
        "chat_id,kind,username,display_name,language,active,inactive_reason,delivery_mode,quiet_hours,timezone,\
         subscribed_at,platform\n"
    ));
    assert!(csv.contains("841,private,budi,\"Budi, \"\"si Kancil\"\"\nJakarta 🦀\",id,true,,instant,,,"), "{csv}");
    assert!(csv.contains("\n842,private,,,en,false,stopped,instant,,,"), "{csv}");
    assert!(csv.trim_end().ends_with(",telegram"), "the platform comes last: {csv}");
    let subscribed_at = csv.trim_end().rsplit(',').nth(1).unwrap();
    assert!(subscribed_at.ends_with('Z') && subscribed_at.contains('T'), "RFC 3339: {subscribed_at}");
}

#[tokio::test]
async fn subscribers_export_as_json_lines_to_a_file_keeps_every_character() {
    let dir = tempfile::tempdir().unwrap();
    let config = database_with_a_tricky_reader(&dir).await;
    let file = dir.path().join("subscribers.jsonl");
    kabar_ok(&["subscribers", "export", "--format", "jsonl", "--output", file.to_str().unwrap(), "--config", &config]);
    let lines: Vec<Value> =
        std::fs::read_to_string(&file).unwrap().lines().map(|line| serde_json::from_str(line).unwrap()).collect();
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[0]["display_name"], TRICKY_NAME);
    assert_eq!(lines[0]["active"], true);
    assert_eq!(lines[1]["inactive_reason"], "stopped");
    let subscribed_at = lines[0]["subscribed_at"].as_str().unwrap();
    assert!(chrono::DateTime::parse_from_rfc3339(subscribed_at).is_ok(), "{subscribed_at}");
}

#[test]
fn check_config_refuses_every_value_the_run_cannot_use_naming_the_key() {
    let dir = tempfile::tempdir().unwrap();
    let cases = [
        ("[delivery]\nconcurrency = 9223372036854775807", "delivery.concurrency"),
        ("[delivery]\nconcurrency = 0", "delivery.concurrency"),
        ("[telegram]\npoll_timeout_secs = 0", "telegram.poll_timeout_secs"),
        ("[editors]\nuser_ids = [1087968824]", "editors.user_ids"),
        ("[editors]\nuser_ids = [777000]", "editors.user_ids"),
        ("[editors]\nuser_ids = [-5]", "editors.user_ids"),
        ("[http]\nmax_connections = 0", "http.max_connections"),
        ("[http]\nheader_timeout_secs = 0", "http.header_timeout_secs"),
    ];
    for (toml, key) in cases {
        let (table, entry) = toml.split_once('\n').unwrap();
        // The token goes with [telegram]; a case of that table adds its key there.
        let text = if table == "[telegram]" {
            format!("[telegram]\ntoken = \"1:x\"\n{entry}\n")
        } else {
            format!("[telegram]\ntoken = \"1:x\"\n\n{toml}\n")
        };
        let output = kabar(&["check-config", "--config", &config_file(&dir, &text)]);
        let error = String::from_utf8_lossy(&output.stderr);
        assert!(!output.status.success(), "{toml} passed");
        assert!(error.contains(key), "{toml}: {error}");
    }
}
