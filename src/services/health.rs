//! What operators and probes ask of a running kabar: whether it can work, and the figures the
//! metrics show.

use super::Services;
use crate::metrics::{Snapshot, SourceHealth};

/// Readiness and metrics.
pub struct Health<'a>(pub(super) &'a Services);

impl Health<'_> {
    /// Whether the database answers.
    pub async fn database_answers(&self) -> bool {
        self.0.inner.store.ping().await.is_ok()
    }

    /// The first reason this instance cannot do its work, worded for operators, or None when
    /// it can: the database answers, the schema is the one this binary expects, and the outbox
    /// can be read. (The database's own error stays in the log, not on an open endpoint.)
    pub async fn first_storage_problem(&self) -> Option<&'static str> {
        let store = &self.0.inner.store;
        if let Err(error) = store.ping().await {
            tracing::warn!(%error, "readiness: the database does not answer");
            return Some("the database does not answer");
        }
        match store.schema_is_current().await {
            Ok(true) => {}
            Ok(false) => return Some("the database misses migrations; run `kabar migrate`"),
            Err(error) => {
                tracing::warn!(%error, "readiness: cannot read the applied migrations");
                return Some("the applied migrations cannot be read");
            }
        }
        if let Err(error) = store.outbox_is_readable().await {
            tracing::warn!(%error, "readiness: cannot read the outbox");
            return Some("the outbox cannot be read");
        }
        None
    }

    /// The gauges' values now; -1 for what the database cannot tell.
    pub async fn snapshot(&self) -> Snapshot {
        let store = &self.0.inner.store;
        let sources = store.enabled_sources().await.unwrap_or_default();
        let subscribers = store.subscriber_counts().await.ok();
        let send_rate = self.0.inner.engine.outlets().iter().map(|outlet| outlet.pacer.current_rate()).sum::<usize>();
        Snapshot {
            active_subscribers: subscribers.map_or(-1, |counts| counts.active),
            inactive_subscribers: subscribers.map_or(-1, |counts| counts.inactive),
            pending_deliveries: store.count_pending_deliveries().await.unwrap_or(-1),
            pending_by_priority: store.pending_by_priority().await.unwrap_or_default(),
            failing_sources: store.count_failing_sources().await.unwrap_or(-1),
            send_rate: send_rate as i64,
            sources: sources
                .into_iter()
                .map(|s| SourceHealth {
                    name: s.name,
                    consecutive_failures: s.consecutive_failures,
                    next_poll_at: s.next_poll_at / 1000,
                })
                .collect(),
        }
    }

    /// The Prometheus exposition text.
    pub async fn metrics_text(&self) -> String {
        self.0.inner.metrics.render(self.snapshot().await)
    }
}
