//! `kabar demo`: the whole pipeline with no token and no network. An in-process Telegram sandbox,
//! a built-in sample news site and a few simulated readers; kabar runs for real between them and
//! the demo prints what each reader received.

pub mod news_site;

use std::{io::Write, time::Duration};

use anyhow::Context;
use tg_sandbox::{NewUser, PhotoInput, Sandbox, SandboxConfig, SentKind, SentMessage};
use tokio::sync::oneshot;

use crate::{
    app::Application,
    config::{Settings, SourceSettings},
    domain::SourceKind,
    services::Services,
};
use news_site::NewsSite;

/// How long the demo waits for any one step before it gives up.
const STEP_TIMEOUT: Duration = Duration::from_secs(30);
const SOURCE_POLL_SECS: u64 = 5;
const EDITOR_ID: i64 = 11_111_111;

/// A simulated reader of the demo.
struct Reader {
    id: i64,
    name: &'static str,
    language: &'static str,
    /// Readers who stop right after subscribing must receive no news.
    stops: bool,
}

const READERS: [Reader; 4] = [
    Reader { id: 1001, name: "Budi", language: "id", stops: false },
    Reader { id: 1002, name: "Sari", language: "id", stops: false },
    Reader { id: 1003, name: "Alex", language: "en", stops: false },
    Reader { id: 1004, name: "Dewi", language: "id", stops: true },
];

/// Runs the demo and writes its report to `out`.
pub async fn run(out: &mut dyn Write) -> anyhow::Result<()> {
    let sandbox = Sandbox::start(SandboxConfig::default()).context("starting the Telegram sandbox")?;
    let site = NewsSite::start().await.context("starting the sample news site")?;
    site.publish("Forum Internasional Serukan Gencatan Senjata di Gaza dan Lebanon", OLDER_STORY);
    let database = tempfile::tempdir().context("creating a scratch directory")?;
    let settings = demo_settings(&sandbox, &site, &database.path().join("demo.db"));
    let app = Application::build(settings).await?;
    let services = app.services().clone();
    let api = format!("http://{}", app.http_addr());
    let (stop, stopped) = oneshot::channel::<()>();
    let running = tokio::spawn(app.run_until_stopped(async {
        let _ = stopped.await;
    }));

    writeln!(out, "kabar demo: the whole pipeline, offline\n")?;
    writeln!(out, "  Telegram sandbox   {}", sandbox.api_url())?;
    writeln!(out, "  sample news site   {}", site.feed_url())?;
    writeln!(out, "  kabar HTTP API     {api}\n")?;

    subscribe_readers(&sandbox, out).await?;
    wait_until_primed(&services).await?;
    writeln!(out, "The source's first poll recorded the story already on the site; it is not pushed.")?;

    let (title, body) = news_site::seed_article();
    let photo = site.feed_url().replace("/feed/", "/wp-content/uploads/2024/11/pentagon.jpg");
    let url = site.publish_with(&title, &body, Some("Global"), Some(&photo));
    writeln!(out, "The site publishes a new story, with a photo, in its section Global: {url}")?;
    let active: Vec<&Reader> = READERS.iter().filter(|r| !r.stops).collect();
    for reader in &active {
        wait_for(&sandbox, reader.id, 2).await?;
    }
    writeln!(out, "An editor pushes breaking news through the API.\n")?;
    push_breaking(&api).await?;
    for reader in &active {
        wait_for(&sandbox, reader.id, 3).await?;
    }
    tokio::time::sleep(Duration::from_millis(300)).await;

    for reader in &READERS {
        print_transcript(out, reader, &sandbox.sent_to(reader.id))?;
    }
    writeln!(
        out,
        "Limits held: at most {} sends in any one second (limit 30); {} answers of 429.",
        sandbox.max_sends_in_any_window(Duration::from_secs(1), None),
        sandbox.count_429()
    )?;
    let _ = stop.send(());
    running.await.context("the application task")??;
    Ok(())
}

const OLDER_STORY: &str = "JENEWA, sp-globalindo.co.id – Forum internasional menyerukan gencatan senjata segera di Gaza dan Lebanon dalam pertemuan pada Selasa.\n\
Para peserta menekankan pentingnya akses kemanusiaan bagi warga sipil.";

fn demo_settings(sandbox: &Sandbox, site: &NewsSite, database: &std::path::Path) -> Settings {
    let mut settings = sandbox_settings(sandbox, database);
    settings.http.admin_token = Some("demo-admin-token-not-secret".into());
    settings.editors.user_ids = vec![EDITOR_ID];
    settings.sources = vec![SourceSettings {
        name: "sp-globalindo".into(),
        url: site.feed_url().parse().expect("the site URL is valid"),
        poll_interval_secs: SOURCE_POLL_SECS,
        kind: SourceKind::Feed,
        corrections: false,
    }];
    settings
}

/// Settings that point kabar at `sandbox`, with its database at `database` and the HTTP server
/// on a free port of 127.0.0.1. Shared by the demo and the tests.
pub fn sandbox_settings(sandbox: &Sandbox, database: &std::path::Path) -> Settings {
    let mut settings = Settings::default();
    settings.telegram.token = Some(sandbox.token().to_owned());
    settings.telegram.api_url = sandbox.api_url().parse().expect("the sandbox URL is valid");
    settings.telegram.poll_timeout_secs = 1;
    settings.database.url = format!("sqlite://{}", database.display());
    settings.http.listen = "127.0.0.1:0".into();
    settings
}

async fn subscribe_readers(sandbox: &Sandbox, out: &mut dyn Write) -> anyhow::Result<()> {
    for reader in &READERS {
        sandbox.add_user(
            NewUser::new(reader.id, reader.name).username(reader.name.to_lowercase()).language_code(reader.language),
        );
        sandbox.user_sends_text(reader.id, reader.id, "/start").map_err(|e| anyhow::anyhow!("{e:?}"))?;
        if reader.stops {
            wait_for(sandbox, reader.id, 1).await?;
            sandbox.user_sends_text(reader.id, reader.id, "/stop").map_err(|e| anyhow::anyhow!("{e:?}"))?;
            writeln!(out, "{} sends /start, then /stop.", reader.name)?;
        } else {
            writeln!(out, "{} ({}) sends /start.", reader.name, reader.language)?;
        }
    }
    for reader in &READERS {
        wait_for(sandbox, reader.id, if reader.stops { 2 } else { 1 }).await?;
    }
    Ok(())
}

async fn wait_until_primed(services: &Services) -> anyhow::Result<()> {
    let deadline = tokio::time::Instant::now() + STEP_TIMEOUT;
    while !services.sources().list().await?.iter().all(|s| s.primed) {
        anyhow::ensure!(tokio::time::Instant::now() < deadline, "the sample site was never polled");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    Ok(())
}

async fn wait_for(sandbox: &Sandbox, chat_id: i64, count: usize) -> anyhow::Result<()> {
    let received = sandbox.wait_for_sent(chat_id, count, STEP_TIMEOUT).await;
    anyhow::ensure!(received.len() >= count, "chat {chat_id} received {} of {count} messages in time", received.len());
    Ok(())
}

async fn push_breaking(api: &str) -> anyhow::Result<()> {
    let response = reqwest::Client::new()
        .post(format!("{api}/api/broadcasts"))
        .bearer_auth("demo-admin-token-not-secret")
        .json(&serde_json::json!({ "text": "Gempa magnitudo 5,2 mengguncang Jakarta; belum ada laporan kerusakan.", "breaking": true }))
        .send()
        .await?;
    anyhow::ensure!(response.status().as_u16() == 202, "the API answered {}", response.status());
    Ok(())
}

fn print_transcript(out: &mut dyn Write, reader: &Reader, messages: &[SentMessage]) -> std::io::Result<()> {
    writeln!(
        out,
        "── {} (@{}, {}) received {} message(s) ──",
        reader.name,
        reader.name.to_lowercase(),
        reader.language,
        messages.len()
    )?;
    for message in messages.iter().filter(|m| m.kind == SentKind::Message) {
        if let Some(PhotoInput::Url(photo)) = &message.photo {
            writeln!(out, "  📷 {photo}")?;
        }
        let text = message.plain_text.as_deref().unwrap_or("");
        for (i, line) in text.lines().enumerate() {
            let prefix = if i == 0 { "  ▸ " } else { "    " };
            writeln!(out, "{prefix}{line}")?;
        }
        writeln!(out)?;
    }
    Ok(())
}
