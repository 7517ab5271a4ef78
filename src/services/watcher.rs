//! Polling: each source on its own interval, failing ones backing off, all of them visible to
//! operators through their last error and next poll time.

use std::time::Duration;

use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use super::{Services, articles::article_of_item};
use crate::{
    domain::{NewArticle, SourceKind, SourceRecord, now_ms},
    sources::{
        discover::linked_feed,
        fetch::{FetchOutcome, Fetched, Validators},
        parse::{FeedDocument, parse_feed_document, parse_wordpress, resolve_links, wordpress_posts_url},
        websub::WebSub,
    },
    telemetry::describe_error,
};

/// How often the watcher looks for due sources.
const TICK: Duration = Duration::from_secs(1);
/// Sources polled at the same time at most.
const PARALLEL_POLLS: usize = 8;
/// A failing source is retried at most this far apart.
const MAX_BACKOFF_MS: i64 = 3_600_000;

/// What one poll found.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct PollReport {
    pub items: usize,
    /// Items recorded without a push at the source's first poll.
    pub backlog: usize,
    pub published: usize,
    /// New items over `watcher.max_pushes_per_poll`: recorded, never pushed.
    pub held_back: usize,
    pub not_modified: bool,
}

/// Polls every enabled source when it is due.
#[derive(Clone)]
pub struct Watcher {
    services: Services,
    websub: Option<WebSub>,
}

impl Watcher {
    pub fn new(services: Services) -> Watcher {
        Watcher { services, websub: None }
    }

    /// Also subscribes at the hub a polled feed announces, when WebSub is enabled.
    pub fn with_websub(self, websub: Option<WebSub>) -> Watcher {
        Watcher { websub, ..self }
    }

    /// Runs until `stop` is cancelled.
    pub async fn run(&self, stop: CancellationToken) {
        while !stop.is_cancelled() {
            if let Err(error) = self.poll_due_sources().await {
                tracing::error!(%error, "cannot read the sources table");
            }
            tokio::select! {
                () = tokio::time::sleep(TICK) => {}
                () = stop.cancelled() => {}
            }
        }
    }

    /// Polls every source that is due now, a few at a time, and waits for them.
    pub async fn poll_due_sources(&self) -> anyhow::Result<()> {
        // What a poll finds could not be recorded: the sites are spared, and polled once the
        // storage is back and readers' updates from the fault are handled (their stories are
        // still in their feeds).
        if self.services.health().news_waits() {
            return Ok(());
        }
        let due = self.services.inner.store.due_sources(now_ms()).await?;
        let mut polls = JoinSet::new();
        for source in due {
            if polls.len() >= PARALLEL_POLLS {
                polls.join_next().await;
            }
            let watcher = self.clone();
            polls.spawn(async move { watcher.poll_and_record(&source).await });
        }
        while polls.join_next().await.is_some() {}
        Ok(())
    }

    async fn poll_and_record(&self, source: &SourceRecord) {
        let store = &self.services.inner.store;
        let interval_ms = source.poll_interval_secs * 1000;
        match self.poll(source).await {
            Ok((report, validators)) => {
                let result = if report.not_modified { "not_modified" } else { "ok" };
                self.services.inner.metrics.source_polled(&source.name, result);
                tracing::debug!(source = source.name, ?report, "polled");
                let next = now_ms() + spread(interval_ms);
                if let Err(error) = store
                    .record_poll_success(
                        source.id,
                        validators.etag.as_deref(),
                        validators.last_modified.as_deref(),
                        next,
                    )
                    .await
                {
                    tracing::error!(%error, source = source.name, "cannot record a poll");
                }
            }
            Err(error) if self.services.health().notice(&error) => {
                tracing::warn!(source = source.name, error = describe_error(&error), "a poll waits for the storage");
            }
            Err(error) => {
                self.services.inner.metrics.source_polled(&source.name, "error");
                let backoff =
                    interval_ms.saturating_mul(1 << source.consecutive_failures.clamp(0, 12)).min(MAX_BACKOFF_MS);
                tracing::warn!(
                    source = source.name,
                    error = describe_error(&error),
                    retry_in_secs = backoff / 1000,
                    "poll failed"
                );
                if let Err(error) =
                    store.record_poll_failure(source.id, &describe_error(&error), now_ms() + backoff).await
                {
                    tracing::error!(%error, source = source.name, "cannot record a failed poll");
                }
            }
        }
    }

    /// Fetches and reads one source; records its backlog at the first poll, publishes new items
    /// afterwards. Public so that tests can poll deterministically.
    pub async fn poll(&self, source: &SourceRecord) -> anyhow::Result<(PollReport, Validators)> {
        let url = match source.kind {
            SourceKind::Wordpress => wordpress_posts_url(&source.url),
            SourceKind::Feed => source.url.clone(),
        };
        let validators = Validators { etag: source.etag.clone(), last_modified: source.last_modified.clone() };
        let fetched = match self.services.inner.fetcher.get(&url, &validators).await? {
            FetchOutcome::NotModified => {
                return Ok((PollReport { not_modified: true, ..PollReport::default() }, validators));
            }
            FetchOutcome::Fetched(fetched) => fetched,
        };
        let (document, fetched) = match source.kind {
            SourceKind::Wordpress => {
                (FeedDocument { items: parse_wordpress(&fetched.body)?, ..FeedDocument::default() }, fetched)
            }
            SourceKind::Feed => self.feed_document(source, fetched).await?,
        };
        self.subscribe_at_hub(source, &document).await;
        let mut items = document.items;
        resolve_links(&mut items, &fetched.final_url);
        let mut report = PollReport { items: items.len(), ..PollReport::default() };
        if source.primed {
            let new_items = self.services.articles().publish_new_items(source, items).await?;
            (report.published, report.held_back) = (new_items.published, new_items.held_back);
        } else {
            let backlog: Vec<NewArticle> = items.iter().map(|item| article_of_item(source.id, item)).collect();
            report.backlog = self.services.inner.store.record_backlog(source.id, &backlog).await?;
            tracing::info!(source = source.name, recorded = report.backlog, "first poll: backlog recorded, not pushed");
        }
        Ok((report, fetched.validators))
    }

    /// A feed source's document. When the address serves a page that links to its feed, the
    /// source is pointed at that feed once, and the feed is read instead.
    async fn feed_document(&self, source: &SourceRecord, fetched: Fetched) -> anyhow::Result<(FeedDocument, Fetched)> {
        let not_a_feed = match parse_feed_document(&fetched.feed_body()) {
            Ok(document) => return Ok((document, fetched)),
            Err(error) => error,
        };
        let Some(feed_url) = linked_feed(&self.services.inner.fetcher, &fetched).await? else {
            return Err(not_a_feed.into());
        };
        tracing::info!(
            source = source.name,
            page = source.url,
            feed = feed_url,
            "the address is a page; watching its feed"
        );
        self.services.inner.store.set_source_feed_url(source.id, &feed_url).await?;
        let feed = self.services.inner.fetcher.get_page(&feed_url).await?;
        Ok((parse_feed_document(&feed.feed_body())?, feed))
    }

    /// Asks the feed's hub to push new items, when the feed has one and WebSub is enabled. A
    /// hub that fails is logged; polling goes on regardless.
    async fn subscribe_at_hub(&self, source: &SourceRecord, document: &FeedDocument) {
        let (Some(websub), Some(hub), Some(topic)) = (&self.websub, &document.hub, &document.topic) else { return };
        if let Err(error) = websub.ensure_subscribed(source, hub, topic).await {
            tracing::warn!(
                source = source.name,
                hub,
                error = describe_error(&error),
                "WebSub subscription failed; polling only"
            );
        }
    }
}

/// The interval give or take a tenth, so that sources added together drift apart instead of
/// polling in lockstep.
fn spread(interval_ms: i64) -> i64 {
    let tenth = (interval_ms / 10).max(1);
    interval_ms + rand::Rng::random_range(&mut rand::rng(), -tenth..=tenth)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn polls_are_spread_around_the_interval() {
        let polls: Vec<i64> = (0..200).map(|_| spread(60_000)).collect();
        assert!(polls.iter().all(|&p| (54_000..=66_000).contains(&p)));
        assert!(polls.iter().any(|&p| p != polls[0]), "not all at the same moment");
    }
}
