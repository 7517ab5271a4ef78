//! The newsroom side, measured: feeds parsed and summaries written per second on one core; a
//! feed that suddenly lists 100,000 items, parsed and polled, with the time and the process's
//! peak memory (and feed-rs reading all of it, as kabar did before, for comparison); and one poll
//! cycle over a thousand sources served on 127.0.0.1 (first fetch, then conditional GETs
//! answered 304), against the one-minute budget of a thousand sources polled every minute.
//!
//! `cargo bench --bench sources`.

mod support;

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
    sources::parse::{parse_feed, parse_feed_document},
    store::Store,
};
use support::{peak_memory_mib, reset_peak_memory};

const SOURCES: usize = 1_000;
const ITEMS_PER_FEED: usize = 30;
/// The items of the flood: as many as fit, without guid or link, under the 5 MiB body cap.
const FLOOD_ITEMS: usize = 100_000;

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

    let flood = flood_feed();
    let (kept, seconds, peak, baseline) =
        measured(|| parse_feed_document(flood.as_bytes()).map_or(0, |d| d.items.len()));
    println!(
        "flood:     a {FLOOD_ITEMS}-item feed ({:.1} MiB) parsed as a poll does: {kept} items kept in {:.0} ms, peak memory {peak:.0} MiB (from {baseline:.0} MiB)",
        flood.len() as f64 / 1_048_576.0,
        seconds * 1000.0
    );
    let (seconds, peak, baseline, outcome) = flood_poll(flood.clone()).await?;
    println!(
        "           the same feed fetched and polled: {outcome} in {seconds:.2} s, peak memory {peak:.0} MiB (from {baseline:.0} MiB)"
    );
    let (entries, seconds, peak, baseline) =
        measured(|| feed_rs::parser::parse(flood.as_bytes()).map_or(0, |feed| feed.entries.len()));
    println!(
        "           for comparison, feed-rs reading all of it (as before): {entries} entries in {:.0} ms, peak memory {peak:.0} MiB (from {baseline:.0} MiB)",
        seconds * 1000.0
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

/// Runs `work` once; returns what it counted, its seconds, and the process's peak memory
/// meanwhile and just before, in MiB.
fn measured(work: impl FnOnce() -> usize) -> (usize, f64, f64, f64) {
    reset_peak_memory();
    let baseline = peak_memory_mib();
    let started = Instant::now();
    let counted = work();
    (counted, started.elapsed().as_secs_f64(), peak_memory_mib(), baseline)
}

fn flood_feed() -> String {
    let items: String = (0..FLOOD_ITEMS).map(|n| format!("<item><title>Banjir {n}</title></item>")).collect();
    format!("<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>Flood</title>{items}</channel></rss>")
}

/// One poll of a primed source whose feed is `flood`, every item new: its seconds, the peak and
/// starting memory in MiB, and what it pushed and held back.
async fn flood_poll(flood: String) -> anyhow::Result<(f64, f64, f64, String)> {
    let base = feed_server(flood).await?;
    let dir = tempfile::tempdir()?;
    let mut settings = Settings::default();
    settings.database.url = format!("sqlite://{}", dir.path().join("flood.db").display());
    // The pushes go to no reader, so no platform is needed.
    let services = kabar::app::tool_services(&settings).await?;
    let store = Store::connect(&settings.database.url).await?;
    let source = SourceSettings {
        name: "flood".into(),
        url: format!("{base}/feeds/0").parse()?,
        poll_interval_secs: 60,
        kind: SourceKind::Feed,
        corrections: false,
    };
    store.add_source(&source).await?;
    let id = store.source("flood").await?.expect("the source was added").id;
    store.record_backlog(id, &[]).await?;
    let primed = store.source("flood").await?.expect("the source exists");
    reset_peak_memory();
    let baseline = peak_memory_mib();
    let started = Instant::now();
    let (report, _) = services.watcher().poll(&primed).await?;
    let seconds = started.elapsed().as_secs_f64();
    let outcome = format!("{} items read, {} pushed, {} held back", report.items, report.published, report.held_back);
    Ok((seconds, peak_memory_mib(), baseline, outcome))
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

/// A feed server for many sources, each served `feed`, that answers conditional GETs with 304.
async fn feed_server(feed: String) -> anyhow::Result<String> {
    let feed = Arc::new(feed);
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
    let base = feed_server(sample_feed(0)).await?;
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
