//! Delivery at the limit, measured in one run against the in-process Telegram sandbox, through
//! the real teloxide client. Prints:
//! - the rate achieved as a fraction of the limit, and the 429s, for a push at 30/s and at 1,000/s;
//! - the engine's own ceiling with the limits off, outcomes recorded durably in SQLite;
//! - the time to fan a push out to 1,000,000 subscribers, and the process's peak memory meanwhile;
//! - the same for an article when readers have chosen: half follow one channel, and 15% have a
//!   digest, quiet hours or keyword filters and are routed one by one;
//! - the same push sent through teloxide's Throttle adaptor, for comparison.
//!
//! Each figure but the last is measured on SQLite and then on PostgreSQL (a server the bench starts
//! for itself, see pg-harness), and printed side by side.
//!
//! `cargo bench --bench delivery`. `KABAR_BENCH_SUBSCRIBERS` (default 10,000) and
//! `KABAR_BENCH_FANOUT` (default 1,000,000) scale it down for a quick look; `KABAR_BENCH_BACKENDS`
//! (default `sqlite,postgres`) picks the databases.

mod support;

use std::{
    sync::Arc,
    time::{Duration, Instant},
};

use kabar::{
    config::{ChannelSettings, DeliverySettings},
    delivery::{DeliveryEngine, Outlet, Outlets, Pacer, SendRight},
    domain::{BroadcastKind, ChannelRef, Limits, NewArticle, NewBroadcast, NewSubscriber, Recipient},
    metrics::Metrics,
    render::{Renderer, compose},
    store::Store,
    telegram::{TelegramTransport, pacing},
};
use teloxide::{adaptors::throttle, prelude::*};
use tg_sandbox::{NewUser, Sandbox, SandboxConfig};
use tokio_util::sync::CancellationToken;

use support::{peak_memory_mib, reset_peak_memory};

const FIRST_CHAT: i64 = 1_000_000;

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> anyhow::Result<()> {
    let subscribers = env_count("KABAR_BENCH_SUBSCRIBERS", 10_000);
    let fan_out = env_count("KABAR_BENCH_FANOUT", 1_000_000);
    println!("kabar delivery benchmark: {subscribers} subscribers, fan-out of {fan_out}, on {} cores", num_cores());

    let backends = backends();
    for &backend in &backends {
        let (seconds, peak_mib) = measure_fan_out(backend, fan_out).await?;
        println!(
            "fan-out  [{backend:?}]: {fan_out} deliveries queued in {seconds:.2} s; peak memory {peak_mib:.0} MiB \
             (targets: < 10 s on SQLite, < 15 s on PostgreSQL, < 150 MiB)"
        );
    }

    for &backend in &backends {
        let routed = measure_routed_fan_out(backend, fan_out).await?;
        println!(
            "fan-out  [{backend:?}]: an article to {fan_out} readers who chose (half one channel, 15% digest/quiet \
             hours/keywords): {} queued and {} held for digests in {:.2} s; peak memory {:.0} MiB",
            routed.queued, routed.held, routed.seconds, routed.peak_mib
        );
    }

    for limit in [30, 1_000] {
        for &backend in &backends {
            let push = paced_push(backend, subscribers, limit).await?;
            println!(
                "paced    [{backend:?}]: {limit}/s limit, {} sent at {:.1}/s = {:.3} of the limit, {} answers of 429, \
                 busiest second {} (targets: >= {}, 0)",
                push.sent,
                push.rate,
                push.rate / f64::from(limit),
                push.rate_limited,
                push.busiest_second,
                if limit == 30 { "0.97" } else { "0.95" }
            );
        }
    }

    for &backend in &backends {
        let ceiling = engine_ceiling(backend, subscribers).await?;
        println!(
            "ceiling  [{backend:?}]: limits off, {subscribers} deliveries sent and recorded at {ceiling:.0}/s \
             (target: >= 5000/s)"
        );
    }

    let throttle = throttle_push(subscribers).await?;
    println!(
        "throttle: teloxide's Throttle at 30/s, {} sent at {:.1}/s = {:.3} of the limit, {} answers of 429, busiest second {}",
        throttle.sent,
        throttle.rate,
        throttle.rate / 30.0,
        throttle.rate_limited,
        throttle.busiest_second
    );
    Ok(())
}

fn env_count(name: &str, default: usize) -> usize {
    std::env::var(name).ok().and_then(|v| v.replace('_', "").parse().ok()).unwrap_or(default)
}

fn num_cores() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// The database a figure is measured on.
#[derive(Debug, Clone, Copy)]
enum Backend {
    Sqlite,
    Postgres,
}

fn backends() -> Vec<Backend> {
    let chosen = std::env::var("KABAR_BENCH_BACKENDS").unwrap_or_else(|_| "sqlite,postgres".into());
    let mut backends = Vec::new();
    for name in chosen.split(',').map(str::trim) {
        match name {
            "sqlite" => backends.push(Backend::Sqlite),
            "postgres" => backends.push(Backend::Postgres),
            other => panic!("KABAR_BENCH_BACKENDS: unknown backend {other:?} (sqlite, postgres)"),
        }
    }
    backends
}

/// A database with `count` active private-chat subscribers: a SQLite file in `dir`, or a fresh
/// database on the bench's own PostgreSQL server.
async fn store_with_subscribers(backend: Backend, dir: &tempfile::TempDir, count: usize) -> anyhow::Result<Store> {
    let url = match backend {
        Backend::Sqlite => format!("sqlite://{}", dir.path().join("bench.db").display()),
        Backend::Postgres => pg_harness::TestPostgres::shared()?.fresh_database("bench")?,
    };
    let store = Store::connect(&url).await?;
    store.migrate().await?;
    for start in (0..count).step_by(100_000) {
        let chats: Vec<NewSubscriber> = (start..count.min(start + 100_000))
            .map(|n| NewSubscriber::private(Recipient::telegram(FIRST_CHAT + n as i64)))
            .collect();
        store.import_subscribers(&chats).await?;
    }
    Ok(store)
}

fn breaking(text: &str) -> NewBroadcast {
    NewBroadcast::plain(BroadcastKind::Breaking, format!("🔴 <b>BREAKING</b>\n\n{text}"), "bench")
}

async fn measure_fan_out(backend: Backend, count: usize) -> anyhow::Result<(f64, f64)> {
    let dir = tempfile::tempdir()?;
    let store = store_with_subscribers(backend, &dir, count).await?;
    reset_peak_memory();
    let started = Instant::now();
    let (_, recipients) = store.create_broadcast(&breaking("fan-out")).await?;
    let seconds = started.elapsed().as_secs_f64();
    anyhow::ensure!(recipients as usize == count, "fanned out to {recipients} of {count}");
    Ok((seconds, peak_memory_mib()))
}

struct RoutedFanOut {
    queued: i64,
    held: i64,
    seconds: f64,
    peak_mib: f64,
}

/// An article pushed to `count` readers, many of whom have chosen how they get the news.
async fn measure_routed_fan_out(backend: Backend, count: usize) -> anyhow::Result<RoutedFanOut> {
    let dir = tempfile::tempdir()?;
    let store = store_with_subscribers(backend, &dir, count).await?;
    let channels = ["politik", "ekonomi"].map(|slug| ChannelSettings {
        slug: slug.into(),
        name: slug.into(),
        names: Default::default(),
        categories: Vec::new(),
        sources: Vec::new(),
        default: false,
    });
    store.sync_config_channels(&channels).await?;
    let readers_choices = [
        "UPDATE subscribers SET all_channels = FALSE WHERE id % 2 = 0",
        "INSERT INTO follows (subscriber_id, channel_id)
             SELECT s.id, c.id FROM subscribers s, channels c WHERE s.id % 2 = 0 AND c.slug = 'politik'",
        "UPDATE subscribers SET delivery_mode = 'hourly' WHERE id % 20 = 1",
        "UPDATE subscribers SET quiet_hours = '0-1439' WHERE id % 20 = 3",
        "INSERT INTO keyword_filters (subscriber_id, kind, keyword)
             SELECT id, 'exclude', 'sepak bola' FROM subscribers WHERE id % 20 = 5",
        "UPDATE subscribers SET has_filters = TRUE WHERE id % 20 = 5",
    ];
    for statement in readers_choices {
        kabar::store::sql::query(statement).execute(store.pool()).await?;
    }
    let article = NewArticle {
        item_key: "bench-1".into(),
        title: "Presiden melantik menteri baru".into(),
        summary: Some("JAKARTA – Presiden melantik tiga menteri baru di Istana Negara pada Senin pagi.".into()),
        url: Some("https://news.example/2024/menteri-baru/".into()),
        ..NewArticle::default()
    };
    let broadcast = compose::article(&Renderer::default(), &article, "bench")?;
    let filed = [ChannelRef::Configured("politik".into())];
    reset_peak_memory();
    let started = Instant::now();
    let (id, _) = store.publish_article(&article, &filed, &broadcast).await?.expect("a new article");
    let seconds = started.elapsed().as_secs_f64();
    let progress = store.broadcast_progress(id).await?.expect("the broadcast exists");
    Ok(RoutedFanOut { queued: progress.pending, held: progress.held, seconds, peak_mib: peak_memory_mib() })
}

/// What the sandbox saw of one push.
struct PushFigures {
    sent: usize,
    rate: f64,
    rate_limited: usize,
    busiest_second: usize,
}

impl PushFigures {
    fn from_sandbox(sandbox: &Sandbox) -> PushFigures {
        let sent = sandbox.sent();
        let span = match (sent.first(), sent.last()) {
            (Some(first), Some(last)) => last.at.duration_since(first.at).as_secs_f64(),
            _ => 0.0,
        };
        PushFigures {
            sent: sent.len(),
            rate: if span > 0.0 { (sent.len() - 1) as f64 / span } else { 0.0 },
            rate_limited: sandbox.count_429(),
            busiest_second: sandbox.max_sends_in_any_window(Duration::from_secs(1), None),
        }
    }
}

fn sandbox_with_readers(config: SandboxConfig, count: usize) -> anyhow::Result<Sandbox> {
    let sandbox = Sandbox::start(config)?;
    for n in 0..count {
        sandbox.add_user(NewUser::new(FIRST_CHAT + n as i64, "Reader"));
    }
    Ok(sandbox)
}

/// Runs the delivery engine until the push of one broadcast to every subscriber is done;
/// returns the wall-clock seconds from queueing to the last recorded outcome.
async fn push_through_engine(
    sandbox: &Sandbox,
    store: Store,
    limits: Limits,
    concurrency: usize,
) -> anyhow::Result<f64> {
    let bot = Bot::new(sandbox.token()).set_api_url(sandbox.api_url().parse()?);
    let settings = DeliverySettings { concurrency, ..DeliverySettings::default() };
    let telegram = Outlet::new(Arc::new(TelegramTransport::new(bot)), Arc::new(Pacer::new(pacing::rules(&limits))));
    let engine = DeliveryEngine::new(store.clone(), Outlets::new([telegram]), settings, Metrics::default());
    let stop = CancellationToken::new();
    let running = tokio::spawn({
        let (engine, stop) = (engine.clone(), stop.clone());
        async move { engine.run(stop, SendRight::always()).await }
    });
    let started = Instant::now();
    let (id, _) = store.create_broadcast(&breaking("Gempa magnitudo 5,2 mengguncang Jakarta.")).await?;
    engine.wake();
    while store.broadcast_progress(id).await?.is_some_and(|p| p.pending > 0) {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let seconds = started.elapsed().as_secs_f64();
    stop.cancel();
    running.await?;
    Ok(seconds)
}

async fn paced_push(backend: Backend, subscribers: usize, limit: u32) -> anyhow::Result<PushFigures> {
    let mut config = SandboxConfig::default();
    config.limits.global_per_second = Some(limit);
    let sandbox = sandbox_with_readers(config, subscribers)?;
    let dir = tempfile::tempdir()?;
    let store = store_with_subscribers(backend, &dir, subscribers).await?;
    let limits = Limits { global_per_sec: limit, ..Limits::default() };
    push_through_engine(&sandbox, store, limits, 64).await?;
    Ok(PushFigures::from_sandbox(&sandbox))
}

async fn engine_ceiling(backend: Backend, subscribers: usize) -> anyhow::Result<f64> {
    let sandbox = sandbox_with_readers(SandboxConfig::unlimited(), subscribers)?;
    let dir = tempfile::tempdir()?;
    let store = store_with_subscribers(backend, &dir, subscribers).await?;
    let limits = Limits { global_per_sec: 100_000, per_chat_per_sec: 1_000, group_per_min: 60_000 };
    let seconds = push_through_engine(&sandbox, store, limits, 128).await?;
    Ok(subscribers as f64 / seconds)
}

/// The same push the way most bots do it: every message handed to teloxide's Throttle adaptor.
async fn throttle_push(subscribers: usize) -> anyhow::Result<PushFigures> {
    let sandbox = sandbox_with_readers(SandboxConfig::default(), subscribers)?;
    let bot = Bot::new(sandbox.token()).set_api_url(sandbox.api_url().parse()?).throttle(throttle::Limits::default());
    let mut sends = tokio::task::JoinSet::new();
    for n in 0..subscribers {
        let bot = bot.clone();
        sends.spawn(async move {
            let chat = ChatId(FIRST_CHAT + n as i64);
            let _ = bot.send_message(chat, "🔴 BREAKING\n\nGempa magnitudo 5,2 mengguncang Jakarta.").await;
        });
    }
    while sends.join_next().await.is_some() {}
    Ok(PushFigures::from_sandbox(&sandbox))
}
