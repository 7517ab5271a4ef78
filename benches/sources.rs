//! The newsroom side, measured: feeds parsed and summaries written per second on one core, and
//! one poll cycle over a thousand sources served on 127.0.0.1 (first fetch, then conditional
//! GETs answered 304), against the one-minute budget of a thousand sources polled every minute.
//!
//! `cargo bench --bench sources`.

use std::{
    sync::Arc,
    time::{Duration, Instant},
};

use axum::{
    Router,
    extract::Path,
    http::{HeaderMap, StatusCode, header},
    response::IntoResponse,
    routing::get,
};
use kabar::{
    article::Summarizer,
    config::{Settings, SourceSettings, SummarySettings},
    demo::news_site::{article_page, seed_article},
    domain::SourceKind,
    services::watcher::Watcher,
    sources::parse::parse_feed,
    store::Store,
};

const SOURCES: usize = 1_000;
const ITEMS_PER_FEED: usize = 30;

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> anyhow::Result<()> {
    println!("kabar sources benchmark");
    let feed = sample_feed(0);
    let per_second = per_second_on_one_core(|| parse_feed(feed.as_bytes()).map(|items| items.len()).unwrap_or(0));
    println!(
        "parse:     {per_second:.0} feeds/s on one core ({ITEMS_PER_FEED}-item RSS with full content, {:.0} KiB; {:.0} MiB/s)",
        feed.len() as f64 / 1024.0,
        per_second * feed.len() as f64 / 1_048_576.0
    );

    let (title, body) = seed_article();
    let page = article_page(&title, &body, "https://example.org/image.jpg");
    let summarizer = Summarizer::new(&SummarySettings::default());
    let per_second =
        per_second_on_one_core(|| summarizer.read_page(&page, "https://example.org/a").summary.map_or(0, |s| s.len()));
    println!(
        "summarise: {per_second:.0} article pages/s on one core (rs-trafilatura + boilerplate and lead rules, {:.0} KiB page)",
        page.len() as f64 / 1024.0
    );

    let (first, conditional) = poll_cycles().await?;
    println!(
        "polling:   {SOURCES} sources, first cycle {first:.2} s, next cycle (all 304) {conditional:.2} s (budget: 60 s a cycle)"
    );
    Ok(())
}

/// Runs `work` on this thread for about two seconds; returns runs per second.
fn per_second_on_one_core(mut work: impl FnMut() -> usize) -> f64 {
    let started = Instant::now();
    let mut runs = 0_u64;
    let mut sink = 0;
    while started.elapsed() < Duration::from_secs(2) {
        sink += work();
        runs += 1;
    }
    assert!(sink > 0, "the work produced something");
    runs as f64 / started.elapsed().as_secs_f64()
}

fn sample_feed(source: usize) -> String {
    let (title, body) = seed_article();
    let content: String = body.lines().map(|line| format!("<p>{line}</p>")).collect();
    let items: String = (0..ITEMS_PER_FEED)
        .map(|n| {
            format!(
                "<item><title>{title} ({source}-{n})</title><link>https://news{source}.example/{n}/</link>\
                 <guid>{source}-{n}</guid><pubDate>Tue, 05 Nov 2024 10:{:02}:00 +0000</pubDate>\
                 <description>Ringkasan</description><content:encoded><![CDATA[{content}]]></content:encoded></item>",
                n % 60
            )
        })
        .collect();
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><rss version=\"2.0\" xmlns:content=\"http://purl.org/rss/1.0/modules/content/\">\
         <channel><title>Source {source}</title>{items}</channel></rss>"
    )
}

/// A feed server for many sources that answers conditional GETs with 304.
async fn feed_server() -> anyhow::Result<String> {
    let feed = Arc::new(sample_feed(0));
    let app = Router::new().route(
        "/feeds/{n}",
        get(move |Path(n): Path<usize>, headers: HeaderMap| {
            let feed = feed.clone();
            async move {
                let etag = format!("\"feed-{n}\"");
                if headers.get(header::IF_NONE_MATCH).is_some_and(|v| v.as_bytes() == etag.as_bytes()) {
                    return StatusCode::NOT_MODIFIED.into_response();
                }
                (
                    [(header::CONTENT_TYPE, "application/rss+xml".to_owned()), (header::ETAG, etag)],
                    feed.as_str().to_owned(),
                )
                    .into_response()
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let base = format!("http://{}", listener.local_addr()?);
    tokio::spawn(async move { axum::serve(listener, app).await });
    Ok(base)
}

async fn poll_cycles() -> anyhow::Result<(f64, f64)> {
    let base = feed_server().await?;
    let dir = tempfile::tempdir()?;
    let mut settings = Settings::default();
    settings.database.url = format!("sqlite://{}", dir.path().join("bench.db").display());
    // Nothing is pushed in this benchmark (every item is backlog), so no platform is needed.
    let services = kabar::app::tool_services(&settings).await?;
    let store = Store::connect(&settings.database.url).await?;
    for n in 0..SOURCES {
        let source = SourceSettings {
            name: format!("source-{n}"),
            url: format!("{base}/feeds/{n}").parse()?,
            poll_interval_secs: 60,
            kind: SourceKind::Feed,
            corrections: false,
        };
        store.add_source(&source).await?;
    }
    let watcher = services.watcher();
    let first = timed_cycle(&watcher, &store).await?;
    let conditional = timed_cycle(&watcher, &store).await?;
    Ok((first, conditional))
}

async fn timed_cycle(watcher: &Watcher, store: &Store) -> anyhow::Result<f64> {
    for n in 0..SOURCES {
        store.poll_source_now(&format!("source-{n}")).await?;
    }
    let started = Instant::now();
    watcher.poll_due_sources().await?;
    let seconds = started.elapsed().as_secs_f64();
    let failing = store.count_failing_sources().await?;
    anyhow::ensure!(failing == 0, "{failing} sources failed");
    Ok(seconds)
}
