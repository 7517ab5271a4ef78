//! Storage faults, through the real binary: the database on a small disk that fills up, its
//! files made immutable, its pages damaged, or its file emptied. kabar says it is not ready (and
//! unhealthy once it lasts), loses nothing readers or the CMS send meanwhile, and recovers by
//! itself when the disk does. A database file that is empty or damaged is refused at start.
//!
//! Filling a disk of its own needs a tmpfs mount and making files immutable needs `chattr`:
//! both need root, as CI has (its script installs packages too).

use std::{
    io::Write,
    path::{Path, PathBuf},
    process::Command,
    time::Duration,
};

use kabar::{demo::news_site::NewsSite, domain::Recipient, store::Store};
use reqwest::Client;
use serde_json::{Value, json};
use tg_sandbox::NewUser;

use crate::{
    binary::{Setup, kill},
    helpers::{ADMIN_TOKEN, WAIT, eventually, subscribe_quietly},
};

/// Long enough for writes to have failed past kabar's 30 seconds before it reports unhealthy.
const UNHEALTHY_WAIT: Duration = Duration::from_secs(75);

/// A tmpfs of a few MiB mounted for one test, unmounted when dropped.
struct SmallDisk {
    path: PathBuf,
}

impl SmallDisk {
    fn mount(path: PathBuf) -> SmallDisk {
        std::fs::create_dir_all(&path).unwrap();
        let mounted = Command::new("mount").args(["-t", "tmpfs", "-o", "size=8m", "tmpfs"]).arg(&path).status();
        assert!(
            mounted.is_ok_and(|status| status.success()),
            "this test mounts a small tmpfs to fill it, which needs root (CI runs as root)"
        );
        SmallDisk { path }
    }

    /// Writes a file until the disk has no room left.
    fn fill(&self) {
        let mut filler = std::fs::File::create(self.filler()).unwrap();
        let block = vec![0u8; 64 * 1024];
        while filler.write_all(&block).is_ok() {}
    }

    fn free(&self) {
        std::fs::remove_file(self.filler()).unwrap();
    }

    fn filler(&self) -> PathBuf {
        self.path.join("filler")
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.path).status();
    }
}

/// Files made immutable (`chattr +i`): every write to them fails, even through descriptors
/// already open. Made mutable again when dropped.
struct Immutable {
    files: Vec<PathBuf>,
}

impl Immutable {
    fn make(files: Vec<PathBuf>) -> Immutable {
        let status = Command::new("chattr").arg("+i").args(&files).status();
        assert!(status.is_ok_and(|status| status.success()), "chattr +i needs root (CI runs as root)");
        Immutable { files }
    }
}

impl Drop for Immutable {
    fn drop(&mut self) {
        let _ = Command::new("chattr").arg("-i").args(&self.files).status();
    }
}

/// `/readyz` and `/healthz` as a monitor sees them.
struct Probes<'a> {
    http: &'a Client,
    api: String,
}

impl Probes<'_> {
    /// The status and reason `/readyz` answers.
    async fn ready(&self) -> (u16, String) {
        let Ok(response) = self.http.get(format!("{}/readyz", self.api)).send().await else {
            return (0, "no answer".into());
        };
        let status = response.status().as_u16();
        let body: Value = response.json().await.unwrap_or_default();
        (status, body["reason"].as_str().unwrap_or_default().to_owned())
    }

    async fn healthy(&self) -> bool {
        self.http.get(format!("{}/healthz", self.api)).send().await.is_ok_and(|r| r.status() == 200)
    }

    async fn wait_until_ready(&self) {
        eventually("kabar becoming ready", || async { self.ready().await.0 == 200 }).await;
    }

    /// Waits until `/readyz` answers 503 with a reason containing one of `words`.
    async fn wait_until_not_ready(&self, words: &[&str]) -> String {
        eventually("/readyz answering 503 with the reason", || async {
            let (status, reason) = self.ready().await;
            status == 503 && words.iter().any(|word| reason.contains(word))
        })
        .await;
        self.ready().await.1
    }

    async fn wait_until_unhealthy(&self) {
        let deadline = tokio::time::Instant::now() + UNHEALTHY_WAIT;
        while self.healthy().await {
            assert!(tokio::time::Instant::now() < deadline, "/healthz stayed 200 while writes kept failing");
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
    }
}

/// The binary's surroundings, with readers `ids` subscribed in its database already.
async fn setup_with_readers(ids: std::ops::Range<i64>) -> (Setup, Store) {
    let setup = Setup::new();
    setup.write_config("");
    let store = Store::connect(&setup.database).await.unwrap();
    store.migrate().await.unwrap();
    subscribe_quietly(&setup.sandbox, &store, ids).await;
    (setup, store)
}

async fn push(http: &Client, api: &str, text: &str) -> reqwest::Response {
    http.post(format!("{api}/api/broadcasts"))
        .bearer_auth(ADMIN_TOKEN)
        .json(&json!({ "text": text }))
        .send()
        .await
        .unwrap()
}

/// The plain text of the `n`th message (1-based) chat `id` received, once it has.
async fn message_number(setup: &Setup, id: i64, n: usize) -> String {
    let sent = setup.sandbox.wait_for_sent(id, n, WAIT).await;
    assert!(sent.len() >= n, "chat {id} received {} messages, expected {n}", sent.len());
    sent[n - 1].plain_text.clone().unwrap_or_default()
}

#[tokio::test]
async fn a_full_disk_is_reported_and_survived_and_what_readers_and_the_cms_send_meanwhile_is_not_lost() {
    let dir = tempfile::tempdir().unwrap();
    let disk = SmallDisk::mount(dir.path().join("disk"));
    let setup = Setup::with_database_at(dir, &disk.path.join("kabar.db"));
    let site = NewsSite::start().await.unwrap();
    setup.write_config(&format!("[[sources]]\nname = \"news\"\nurl = \"{}\"\npoll_interval_secs = 5", site.feed_url()));
    let http = Client::builder().timeout(Duration::from_secs(10)).build().unwrap();
    let (api, sandbox) = (setup.api(), &setup.sandbox);
    let probes = Probes { http: &http, api: api.clone() };
    let kabar = setup.start(&http).await;
    probes.wait_until_ready().await;
    let store = Store::connect(&setup.database).await.unwrap();
    eventually("the source's first poll", || async {
        store.source("news").await.unwrap().is_some_and(|source| source.primed)
    })
    .await;
    store.close().await;
    sandbox.add_user(NewUser::new(801, "Ani").language_code("en"));
    sandbox.user_sends_text(801, 801, "/start").unwrap();
    assert!(message_number(&setup, 801, 1).await.contains("You are subscribed"));
    // The answer goes out before the update is forgotten; a fault in between would have the
    // update handled again (at least once), and the test is about what is sent during the fault.
    let store = Store::connect(&setup.database).await.unwrap();
    eventually("the /start forgotten once handled", || async { store.waiting_updates(10).await.unwrap().is_empty() })
        .await;
    store.close().await;

    disk.fill();
    let reason = probes.wait_until_not_ready(&["full"]).await;
    assert!(reason.contains("writes fail"), "{reason}");
    sandbox.add_user(NewUser::new(802, "Budi").language_code("en"));
    sandbox.user_sends_text(802, 802, "/start").unwrap();
    sandbox.user_sends_text(801, 801, "/stop").unwrap();
    site.publish("Berita saat disk penuh", "JAKARTA – Cerita ini terbit ketika disk kabar penuh dan tetap sampai.");
    let refused = push(&http, &api, "Selama disk penuh").await;
    assert_eq!(refused.status(), 503, "the CMS is told to try again");
    assert!(refused.headers().contains_key("retry-after"));
    probes.wait_until_unhealthy().await;
    assert!(sandbox.sent_to(802).is_empty(), "nothing is answered while nothing can be stored");

    disk.free();
    probes.wait_until_ready().await;
    eventually("kabar healthy again", || probes.healthy()).await;
    assert!(message_number(&setup, 802, 1).await.contains("You are subscribed"), "the /start sent meanwhile");
    let second = message_number(&setup, 801, 2).await;
    assert!(second.contains("unsubscribed"), "the /stop sent meanwhile: {second}");
    let accepted = push(&http, &api, "Setelah disk lega").await;
    assert_eq!(accepted.status(), 202, "writes work again without a restart");
    let accepted: Value = accepted.json().await.unwrap();
    assert_eq!(accepted["recipients"], 1, "the reader who stopped during the fault is not counted");
    let received = |text: &'static str| {
        let sent = sandbox.sent_to(802);
        async move { sent.iter().any(|m| m.plain_text.as_deref().unwrap_or_default().contains(text)) }
    };
    eventually("the push made after the fault", || received("Setelah disk lega")).await;
    eventually("the story published during the fault", || received("Berita saat disk penuh")).await;
    kill(kabar);
}

#[tokio::test]
async fn database_files_made_immutable_make_kabar_not_ready_until_they_are_writable_again() {
    let setup = Setup::new();
    setup.write_config("");
    let http = Client::builder().timeout(Duration::from_secs(10)).build().unwrap();
    let probes = Probes { http: &http, api: setup.api() };
    let kabar = setup.start(&http).await;
    probes.wait_until_ready().await;
    let database = setup.dir.path().join("kabar.db");
    let files = ["", "-wal", "-shm"].map(|suffix| PathBuf::from(format!("{}{suffix}", database.display())));

    let immutable = Immutable::make(files.into_iter().filter(|file| file.exists()).collect());
    probes.wait_until_not_ready(&["writes fail"]).await;
    setup.sandbox.add_user(NewUser::new(803, "Citra").language_code("en"));
    setup.sandbox.user_sends_text(803, 803, "/start").unwrap();

    drop(immutable);
    probes.wait_until_ready().await;
    assert!(message_number(&setup, 803, 1).await.contains("You are subscribed"), "the /start sent meanwhile");
    kill(kabar);
}

#[tokio::test]
async fn damaged_pages_make_a_running_kabar_not_ready_and_a_starting_one_refuse_the_file() {
    let (setup, store) = setup_with_readers(900..1200).await;
    let http = Client::builder().timeout(Duration::from_secs(10)).build().unwrap();
    let probes = Probes { http: &http, api: setup.api() };
    let kabar = setup.start(&http).await;
    probes.wait_until_ready().await;

    damage_table(&store, &setup.dir.path().join("kabar.db"), "subscribers").await;
    let reason = probes.wait_until_not_ready(&["damaged"]).await;
    assert!(reason.contains("backup"), "{reason}");
    kill(kabar);

    let refused = setup.kabar(&["run"]);
    assert!(!refused.status.success());
    let error = String::from_utf8_lossy(&refused.stderr);
    assert!(error.contains("damaged") && error.contains("kabar backup"), "{error}");
}

/// Overwrites the first page of `table` in the database file with garbage.
async fn damage_table(store: &Store, file: &Path, table: &str) {
    use std::io::{Seek, SeekFrom};
    // Everything in the main file, so that no newer copy of the page sits in the log.
    kabar::store::sql::query("PRAGMA wal_checkpoint(TRUNCATE)").execute(store.pool()).await.unwrap();
    let root: i64 = kabar::store::sql::query_scalar("SELECT rootpage FROM sqlite_schema WHERE name = $1")
        .bind(table)
        .fetch_one(store.pool())
        .await
        .unwrap();
    let page_size: i64 = kabar::store::sql::query_scalar("PRAGMA page_size").fetch_one(store.pool()).await.unwrap();
    store.close().await;
    let mut database = std::fs::OpenOptions::new().write(true).open(file).unwrap();
    database.seek(SeekFrom::Start(((root - 1) * page_size) as u64)).unwrap();
    database.write_all(&vec![0xA5; page_size as usize]).unwrap();
    database.sync_all().unwrap();
}

#[tokio::test]
async fn an_emptied_database_file_is_refused_unless_a_fresh_start_is_asked_for() {
    let setup = Setup::new();
    setup.write_config("");
    let file = setup.dir.path().join("kabar.db");
    std::fs::write(&file, b"").unwrap();

    for command in [&["run"][..], &["migrate"]] {
        let refused = setup.kabar(command);
        assert!(!refused.status.success(), "{command:?} took an empty file");
        let error = String::from_utf8_lossy(&refused.stderr);
        assert!(error.contains("is empty") && error.contains("--allow-empty"), "{error}");
    }
    assert_eq!(std::fs::metadata(&file).unwrap().len(), 0, "the refused file is left as it was");

    let fresh = setup.kabar(&["migrate", "--allow-empty"]);
    assert!(fresh.status.success(), "{}", String::from_utf8_lossy(&fresh.stderr));
    let store = Store::connect(&setup.database).await.unwrap();
    assert!(store.schema_is_current().await.unwrap());
}

#[tokio::test]
async fn a_backup_made_while_kabar_runs_restores_every_subscriber() {
    let (setup, _store) = setup_with_readers(1300..1600).await;
    let http = Client::builder().timeout(Duration::from_secs(10)).build().unwrap();
    let kabar = setup.start(&http).await;

    let copy = setup.dir.path().join("backup.db");
    let made = setup.kabar(&["backup", copy.to_str().unwrap()]);
    assert!(made.status.success(), "{}", String::from_utf8_lossy(&made.stderr));
    let again = setup.kabar(&["backup", copy.to_str().unwrap()]);
    assert!(!again.status.success(), "a backup never overwrites a file");
    kill(kabar);

    // Restoring is copying the backup into place while kabar is stopped.
    let restored_file = setup.dir.path().join("restored.db");
    std::fs::copy(&copy, &restored_file).unwrap();
    let restored = Store::connect(&format!("sqlite://{}", restored_file.display())).await.unwrap();
    assert!(restored.schema_is_current().await.unwrap());
    for id in [1300, 1450, 1599] {
        assert!(restored.is_active_subscriber(&Recipient::telegram(id)).await.unwrap(), "reader {id}");
    }
    assert_eq!(restored.subscriber_counts().await.unwrap().active, 300);
}
