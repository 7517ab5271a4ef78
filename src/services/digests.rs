//! Digests: the stories held for a reader (digest mode, quiet hours) go out as one message when
//! their schedule says so.

use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio_util::sync::CancellationToken;

use super::Services;
use crate::{
    domain::{DueDigest, WaitingReader},
    render::DigestEntry,
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
    services: Services,
}

impl DigestSender {
    pub(super) fn new(services: Services) -> DigestSender {
        DigestSender { services }
    }

    /// Queues due digests every `CHECK_EVERY` until `stop` is cancelled.
    pub async fn run(&self, stop: CancellationToken) {
        while !stop.is_cancelled() {
            if let Err(error) = self.queue_due(Utc::now()).await {
                tracing::error!(error = %crate::telemetry::describe_error(&error), "cannot queue digests; trying again soon");
            }
            tokio::select! {
                () = tokio::time::sleep(CHECK_EVERY) => {}
                () = stop.cancelled() => {}
            }
        }
    }

    /// Queues a digest for every reader whose held stories are due at `now`; returns how many.
    pub async fn queue_due(&self, now: DateTime<Utc>) -> anyhow::Result<usize> {
        let store = &self.services.inner.store;
        let zone = store.defaults().zone;
        let due: Vec<WaitingReader> = store
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
            if let Some(id) = store.queue_digests(&digests).await? {
                tracing::info!(broadcast_id = id, readers = digests.len(), "digests queued");
                self.services.inner.metrics.broadcast_queued("digest");
                queued += digests.len();
            }
        }
        if queued > 0 {
            self.services.inner.engine.wake();
        }
        Ok(queued)
    }

    /// One reader's digest, in their platform's markup and their language; None when every
    /// held story was cancelled.
    async fn digest_for(&self, reader: &WaitingReader) -> anyhow::Result<Option<DueDigest>> {
        let store = &self.services.inner.store;
        // Newest first: when the message cannot hold them all, the oldest are the ones left out.
        let stories = store.held_stories(reader.subscriber.id, STORIES_PER_DIGEST).await?;
        if stories.is_empty() {
            store.refresh_held_since(reader.subscriber.id).await?;
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
        let language = reader.subscriber.language_or(store.defaults().language);
        let body = self.services.inner.renderer.digest(reader.subscriber.recipient.platform, language, &entries)?;
        let broadcast_ids = stories.iter().map(|story| story.broadcast_id).collect();
        Ok(Some(DueDigest { subscriber_id: reader.subscriber.id, body, broadcast_ids }))
    }
}
