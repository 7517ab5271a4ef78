//! Digests: the stories held for a reader (digest mode, quiet hours) go out as one message when
//! their schedule says so.

use std::{sync::Arc, time::Duration};

use chrono::{DateTime, Utc};
use tokio::sync::watch;

use crate::{
    delivery::DeliveryEngine,
    metrics::Metrics,
    render::{DigestEntry, Renderer},
    shutdown::stopped,
    store::{DueDigest, Store, WaitingReader},
};

/// How often waiting stories are looked at: a digest or the end of quiet hours is noticed
/// within this much.
const CHECK_EVERY: Duration = Duration::from_secs(10);
/// At most this many of a reader's newest stories are read for one digest: far more than one
/// message holds, so its "and N more" is right for any real backlog.
const STORIES_PER_DIGEST: i64 = 2_000;
/// Digests queued in one transaction.
const DIGESTS_PER_BATCH: usize = 500;

/// Sends due digests; cheap to clone.
#[derive(Clone)]
pub struct DigestSender {
    pub store: Store,
    pub renderer: Arc<Renderer>,
    pub engine: DeliveryEngine,
    pub metrics: Metrics,
}

impl DigestSender {
    /// Queues due digests every [`CHECK_EVERY`] until `stop` turns true.
    pub async fn run(&self, mut stop: watch::Receiver<bool>) {
        while !*stop.borrow() {
            if let Err(error) = self.queue_due(Utc::now()).await {
                tracing::error!(error = %crate::telemetry::describe_error(&error), "cannot queue digests; trying again soon");
            }
            tokio::select! {
                () = tokio::time::sleep(CHECK_EVERY) => {}
                () = stopped(&mut stop) => {}
            }
        }
    }

    /// Queues a digest for every reader whose held stories are due at `now`; returns how many.
    pub async fn queue_due(&self, now: DateTime<Utc>) -> anyhow::Result<usize> {
        let zone = self.store.defaults().zone;
        let due: Vec<WaitingReader> = self
            .store
            .readers_with_held_stories()
            .await?
            .into_iter()
            .filter(|reader| {
                let held_since = DateTime::from_timestamp_millis(reader.oldest_held_at).unwrap_or(now);
                reader.subscriber.schedule(zone).digest_due(held_since, now)
            })
            .collect();
        let mut queued = 0;
        for batch in due.chunks(DIGESTS_PER_BATCH) {
            let mut digests = Vec::with_capacity(batch.len());
            for reader in batch {
                digests.extend(self.digest_for(reader).await?);
            }
            if let Some(id) = self.store.queue_digests(&digests).await? {
                tracing::info!(broadcast_id = id, readers = digests.len(), "digests queued");
                self.metrics.broadcast_queued("digest");
                queued += digests.len();
            }
        }
        if queued > 0 {
            self.engine.wake();
        }
        Ok(queued)
    }

    /// One reader's digest, in their language; None when every held story was cancelled.
    async fn digest_for(&self, reader: &WaitingReader) -> anyhow::Result<Option<DueDigest>> {
        // Newest first: when the message cannot hold them all, the oldest are the ones left out.
        let stories = self.store.held_stories(reader.subscriber.id, STORIES_PER_DIGEST).await?;
        if stories.is_empty() {
            self.store.refresh_held_since(reader.subscriber.id).await?;
            return Ok(None);
        }
        let entries: Vec<DigestEntry<'_>> = stories
            .iter()
            .map(|story| DigestEntry {
                title: &story.headline,
                url: story.link_url.as_deref(),
                breaking: story.breaking,
            })
            .collect();
        let language = reader.subscriber.language.as_deref().unwrap_or(self.store.defaults().language);
        let body_html = self.renderer.digest(language, &entries)?;
        let broadcast_ids = stories.iter().map(|story| story.broadcast_id).collect();
        Ok(Some(DueDigest { subscriber_id: reader.subscriber.id, body_html, broadcast_ids }))
    }
}
