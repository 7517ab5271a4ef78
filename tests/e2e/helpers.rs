//! `spawn_app()` and the steps tests share.

use std::time::Duration;

use kabar::{
    app::Application,
    config::{Settings, SourceSettings},
    demo::{news_site::NewsSite, sandbox_settings},
    domain::{BroadcastProgress, NewSubscriber, Recipient, SourceKind},
    store::Store,
};
use serde_json::Value;
use tempfile::TempDir;
use tg_sandbox::{NewUser, Sandbox, SandboxConfig, SentMessage};
use tokio::{sync::oneshot, task::JoinHandle};

pub const ADMIN_TOKEN: &str = "test-admin-token-0123456789";
pub const EDITOR: i64 = 5_000_001;
pub const SOURCE: &str = "news";
/// Generous: the machines that run the tests are shared and slow at times.
pub const WAIT: Duration = Duration::from_secs(30);

/// A running application with its stand-ins.
pub struct TestApp {
    pub sandbox: Sandbox,
    pub site: NewsSite,
    pub store: Store,
    pub api: String,
    pub http: reqwest::Client,
    pub settings: Settings,
    stop: Option<oneshot::Sender<()>>,
    running: Option<JoinHandle<anyhow::Result<()>>>,
    _database: TempDir,
}

/// The application with one source (the sample site, polled only when a test asks), one
/// editor and the admin token set.
pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

/// A fresh database on the test process's PostgreSQL server when `KABAR_TEST_BACKEND=postgres`
/// (as `scripts/test` sets for the groups that must hold on both backends); None for SQLite.
pub fn postgres_database() -> Option<String> {
    if std::env::var("KABAR_TEST_BACKEND").as_deref() != Ok("postgres") {
        return None;
    }
    let server = pg_harness::TestPostgres::shared().expect("PostgreSQL starts");
    Some(server.fresh_database("kabar_e2e").expect("a database of the test's own"))
}

/// Like [`spawn_app`], with settings changed by `customize` first.
pub async fn spawn_app_with(customize: impl FnOnce(&mut Settings)) -> TestApp {
    spawn_app_after(|_| {}, customize).await
}

/// Like [`spawn_app_with`], with the sandbox prepared by `prepare` before kabar starts.
pub async fn spawn_app_after(prepare: impl FnOnce(&Sandbox), customize: impl FnOnce(&mut Settings)) -> TestApp {
    kabar::telemetry::init("warn");
    let sandbox = Sandbox::start(SandboxConfig::default()).expect("the sandbox starts");
    prepare(&sandbox);
    let site = NewsSite::start().await.expect("the news site starts");
    let database = tempfile::tempdir().expect("a scratch directory");
    let mut settings = sandbox_settings(&sandbox, &database.path().join("kabar.db"));
    if let Some(url) = postgres_database() {
        settings.database.url = url;
    }
    settings.http.admin_token = Some(ADMIN_TOKEN.into());
    settings.editors.user_ids = vec![EDITOR];
    settings.sources = vec![SourceSettings {
        name: SOURCE.into(),
        url: site.feed_url().parse().unwrap(),
        poll_interval_secs: 3600,
        kind: SourceKind::Feed,
        corrections: false,
    }];
    customize(&mut settings);
    let mut app = TestApp {
        sandbox,
        site,
        store: Store::connect(&settings.database.url).await.unwrap(),
        api: String::new(),
        http: reqwest::Client::new(),
        settings,
        stop: None,
        running: None,
        _database: database,
    };
    app.start().await;
    app
}

impl TestApp {
    async fn start(&mut self) {
        let application = Application::build(self.settings.clone()).await.expect("the application builds");
        self.api = format!("http://{}", application.http_addr());
        let (stop, stopped) = oneshot::channel::<()>();
        self.stop = Some(stop);
        self.running = Some(tokio::spawn(application.run_until_stopped(async {
            let _ = stopped.await;
        })));
        self.wait_until(|| async {
            self.http.get(format!("{}/healthz", self.api)).send().await.is_ok_and(|r| r.status() == 200)
        })
        .await;
    }

    /// Stops the application the way SIGTERM does and waits until it has.
    pub async fn stop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(running) = self.running.take() {
            running.await.expect("the application task").expect("the application stops cleanly");
        }
    }

    /// Stops and starts the application again on the same database.
    pub async fn restart(&mut self) {
        self.stop().await;
        self.start().await;
    }

    /// A reader opens the bot and sends /start; returns the bot's answer.
    pub async fn reader_starts(&self, id: i64, name: &str, language: &str) -> SentMessage {
        self.sandbox.add_user(NewUser::new(id, name).language_code(language));
        self.reader_sends(id, "/start").await
    }

    /// Subscribes readers `ids` straight in the store, without a /start exchange: for tests that
    /// count only the messages of a push.
    pub async fn subscribe_quietly(&self, ids: impl IntoIterator<Item = i64>) {
        subscribe_quietly(&self.sandbox, &self.store, ids).await;
    }

    /// A reader sends `text` in their private chat; returns the bot's answer.
    pub async fn reader_sends(&self, id: i64, text: &str) -> SentMessage {
        let before = self.messages_in(id).len();
        self.sandbox.user_sends_text(id, id, text).expect("the sandbox knows the reader");
        self.message_number(id, before + 1).await
    }

    /// The messages a chat has received so far, without the edits of earlier ones.
    pub fn messages_in(&self, chat_id: i64) -> Vec<SentMessage> {
        self.sandbox.sent_to(chat_id).into_iter().filter(|m| m.kind == tg_sandbox::SentKind::Message).collect()
    }

    /// Waits for the `n`th message (1-based) in a chat and returns it.
    pub async fn message_number(&self, chat_id: i64, n: usize) -> SentMessage {
        let sent = self.sandbox.wait_for_sent(chat_id, n, WAIT).await;
        assert!(sent.len() >= n, "chat {chat_id} received {} messages, expected {n}: {sent:#?}", sent.len());
        sent[n - 1].clone()
    }

    /// Has the configured source polled now, and waits until that poll and every send it caused
    /// are done.
    pub async fn poll_now(&self) {
        self.poll_source(SOURCE).await;
    }

    /// Has source `name` polled now, and waits until that poll and every send it caused are done.
    pub async fn poll_source(&self, name: &str) {
        let before = self.store.source(name).await.unwrap().and_then(|s| s.last_polled_at);
        assert!(self.store.poll_source_now(name).await.unwrap(), "no enabled source {name}");
        self.wait_until(|| async {
            self.store.source(name).await.unwrap().is_some_and(|s| s.last_polled_at != before && s.next_poll_at > 0)
        })
        .await;
        self.settle().await;
    }

    /// Waits until the outbox is empty.
    pub async fn settle(&self) {
        self.wait_until(|| async { self.store.count_pending_deliveries().await.unwrap() == 0 }).await;
    }

    /// Waits until the first poll has recorded the configured source's backlog.
    pub async fn wait_until_primed(&self) {
        self.wait_until_source_primed(SOURCE).await;
    }

    /// Waits until the first poll has recorded the backlog of source `name`.
    pub async fn wait_until_source_primed(&self, name: &str) {
        self.wait_until(|| async { self.store.source(name).await.unwrap().is_some_and(|s| s.primed) }).await;
    }

    /// Polls `condition` until it holds; fails the test after [`WAIT`].
    pub async fn wait_until<F, Fut>(&self, condition: F)
    where
        F: Fn() -> Fut,
        Fut: std::future::Future<Output = bool>,
    {
        eventually("a condition", condition).await;
    }

    /// An API request with the admin token; returns the status and the JSON body.
    pub async fn api(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> (u16, Value) {
        let mut request = self.http.request(method, format!("{}{path}", self.api)).bearer_auth(ADMIN_TOKEN);
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.expect("the API answers");
        let status = response.status().as_u16();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    /// `user` taps the button labelled `label` under message `message_id` in `chat` as it stands
    /// now, and waits until the tap is answered; returns the answer's text, if any.
    pub async fn tap(&self, chat: i64, user: i64, message_id: i32, label: &str) -> Option<String> {
        let answered = self.sandbox.callback_answers().len();
        let current = self.sandbox.message(chat, message_id).expect("the message exists");
        let data = button_in(&current["reply_markup"], label);
        self.sandbox.user_taps_button(chat, user, message_id, &data).expect("a button to tap");
        self.wait_until(|| async { self.sandbox.callback_answers().len() > answered }).await;
        self.sandbox.callback_answers()[answered].text.clone()
    }

    /// The message as it stands now, after edits, once `condition` holds for it.
    pub async fn message_when(&self, chat: i64, message_id: i32, condition: impl Fn(&Value) -> bool) -> Value {
        self.wait_until(|| async { self.sandbox.message(chat, message_id).is_some_and(|m| condition(&m)) }).await;
        self.sandbox.message(chat, message_id).expect("the message exists")
    }

    /// A broadcast's progress, read from the API.
    pub async fn progress(&self, id: i64) -> BroadcastProgress {
        self.store.broadcast_progress(id).await.unwrap().expect("the broadcast exists")
    }
}

/// A channel readers can follow, named `name` in every language, claiming no category.
pub fn plain_channel(name: &str) -> kabar::config::ChannelSettings {
    kabar::config::ChannelSettings {
        slug: name.to_lowercase(),
        name: name.into(),
        names: Default::default(),
        categories: Vec::new(),
        sources: Vec::new(),
        default: false,
    }
}

/// The app with the channels Politik and Ekonomi.
pub async fn spawn_app_with_two_channels() -> TestApp {
    spawn_app_with(|settings| settings.channels = vec![plain_channel("Politik"), plain_channel("Ekonomi")]).await
}

/// The callback data of the inline button whose label contains `label`.
pub fn button_in(markup: &Value, label: &str) -> String {
    let buttons = markup["inline_keyboard"].as_array().into_iter().flatten().flat_map(|row| row.as_array().unwrap());
    let labels: Vec<&str> = buttons.clone().filter_map(|b| b["text"].as_str()).collect();
    buttons
        .clone()
        .find(|b| b["text"].as_str().is_some_and(|text| text.contains(label)))
        .and_then(|b| b["callback_data"].as_str())
        .unwrap_or_else(|| panic!("no button labelled {label:?} among {labels:?}"))
        .to_owned()
}

/// The labels of a message's inline buttons, row by row.
pub fn button_labels(markup: &Value) -> Vec<String> {
    let rows = markup["inline_keyboard"].as_array().into_iter().flatten();
    rows.flat_map(|row| row.as_array().unwrap().iter().map(|b| b["text"].as_str().unwrap_or_default().to_owned()))
        .collect()
}

/// Readers `ids` exist in the sandbox and are subscribed straight in the store.
pub async fn subscribe_quietly(sandbox: &Sandbox, store: &Store, ids: impl IntoIterator<Item = i64>) {
    for id in ids {
        sandbox.add_user(NewUser::new(id, "Pembaca"));
        store.subscribe(&NewSubscriber::private(Recipient::telegram(id))).await.expect("the reader subscribes");
    }
}

/// Polls `condition` until it holds; fails the test, naming `what`, after [`WAIT`].
pub async fn eventually<F, Fut>(what: &str, condition: F)
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = tokio::time::Instant::now() + WAIT;
    while !condition().await {
        assert!(tokio::time::Instant::now() < deadline, "{what} did not happen in time");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}
