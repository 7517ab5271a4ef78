//! Prometheus metrics: counters updated where things happen, gauges read from the database at
//! scrape time so they are always true after a restart.

use std::sync::Arc;

use prometheus_client::{
    encoding::text::encode,
    metrics::{counter::Counter, family::Family, gauge::Gauge, histogram::Histogram},
    registry::Registry,
};

use crate::domain::QueueDepth;

type Labels = Vec<(&'static str, String)>;

/// Seconds from a message's publication to its send. A push to 100,000 readers at 30 sends a
/// second takes almost an hour, so the buckets reach past that.
const LATENCY_BUCKETS: [f64; 14] =
    [0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0, 900.0, 1800.0, 3600.0, 7200.0];

/// Every metric kabar exports; cheap to clone.
#[derive(Clone, Debug)]
pub struct Metrics {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    registry: Registry,
    deliveries: Family<Labels, Counter>,
    delivery_failures: Family<Labels, Counter>,
    send_rate: Gauge,
    sender_leader: Gauge,
    rate_limited: Counter,
    articles_discovered: Counter,
    broadcasts: Family<Labels, Counter>,
    source_polls: Family<Labels, Counter>,
    active_subscribers: Gauge,
    pending_deliveries: Gauge,
    failing_sources: Gauge,
    source_failures: Family<Labels, Gauge>,
    source_next_poll: Family<Labels, Gauge>,
    pending_by_priority: Family<Labels, Gauge>,
    subscribers: Family<Labels, Gauge>,
    delivery_latency: Histogram,
}

/// The gauges' current values, read at scrape time.
#[derive(Debug, Clone, Default)]
pub struct Snapshot {
    pub active_subscribers: i64,
    pub pending_deliveries: i64,
    pub failing_sources: i64,
    pub sources: Vec<SourceHealth>,
    pub pending_by_priority: QueueDepth,
    pub inactive_subscribers: i64,
    /// Sends during the last second, from the pacer.
    pub send_rate: i64,
    /// 1 when this instance is the one that sends, polls and answers; 0 when it stands by.
    pub sender_leader: i64,
}

/// One source's health, as operators watch it.
#[derive(Debug, Clone, Default)]
pub struct SourceHealth {
    pub name: String,
    pub consecutive_failures: i64,
    /// Unix seconds.
    pub next_poll_at: i64,
}

impl Default for Metrics {
    fn default() -> Self {
        let mut registry = Registry::with_prefix("kabar");
        let inner = Inner {
            deliveries: Family::default(),
            delivery_failures: Family::default(),
            send_rate: Gauge::default(),
            sender_leader: Gauge::default(),
            rate_limited: Counter::default(),
            articles_discovered: Counter::default(),
            broadcasts: Family::default(),
            source_polls: Family::default(),
            active_subscribers: Gauge::default(),
            pending_deliveries: Gauge::default(),
            failing_sources: Gauge::default(),
            source_failures: Family::default(),
            source_next_poll: Family::default(),
            pending_by_priority: Family::default(),
            subscribers: Family::default(),
            delivery_latency: Histogram::new(LATENCY_BUCKETS),
            registry: Registry::default(),
        };
        registry.register("deliveries", "Delivery attempts by outcome", inner.deliveries.clone());
        registry.register(
            "delivery_failures",
            "Deliveries given up, by reason (blocked, deactivated, kicked, chat_not_found, rejected, gave_up, ...)",
            inner.delivery_failures.clone(),
        );
        registry.register("send_rate", "Messages sent during the last second", inner.send_rate.clone());
        registry.register(
            "sender_leader",
            "1 when this instance sends, polls and answers; 0 when it stands by",
            inner.sender_leader.clone(),
        );
        registry.register("rate_limited", "429 answers from the chat platform", inner.rate_limited.clone());
        registry.register(
            "articles_discovered",
            "New articles found by polling or the CMS hook",
            inner.articles_discovered.clone(),
        );
        registry.register("broadcasts", "Broadcasts queued, by kind", inner.broadcasts.clone());
        registry.register("source_polls", "Source polls by result", inner.source_polls.clone());
        registry.register("active_subscribers", "Chats receiving pushes", inner.active_subscribers.clone());
        registry.register("pending_deliveries", "Deliveries waiting in the outbox", inner.pending_deliveries.clone());
        registry.register("failing_sources", "Enabled sources whose last poll failed", inner.failing_sources.clone());
        registry.register(
            "source_consecutive_failures",
            "Polls failed in a row, by source",
            inner.source_failures.clone(),
        );
        registry.register(
            "source_next_poll_timestamp_seconds",
            "When each source is polled next",
            inner.source_next_poll.clone(),
        );
        registry.register(
            "deliveries_pending",
            "Deliveries waiting in the outbox, by priority",
            inner.pending_by_priority.clone(),
        );
        registry.register("subscribers", "Subscribed chats, by state", inner.subscribers.clone());
        registry.register(
            "delivery_latency_seconds",
            "Time from a message's publication to its send",
            inner.delivery_latency.clone(),
        );
        Metrics { inner: Arc::new(Inner { registry, ..inner }) }
    }
}

impl Metrics {
    /// One delivery attempt ended with `outcome` ("sent", "retry", "failed", "chat_gone", ...).
    pub fn delivery(&self, outcome: &str) {
        self.inner.deliveries.get_or_create(&vec![("outcome", outcome.to_owned())]).inc();
    }

    /// A delivery given up for `reason`.
    pub fn delivery_failed(&self, reason: &str) {
        self.inner.delivery_failures.get_or_create(&vec![("reason", reason.to_owned())]).inc();
    }

    pub fn rate_limited(&self) {
        self.inner.rate_limited.inc();
    }

    pub fn article_discovered(&self) {
        self.inner.articles_discovered.inc();
    }

    pub fn broadcast_queued(&self, kind: &str) {
        self.inner.broadcasts.get_or_create(&vec![("kind", kind.to_owned())]).inc();
    }

    /// A poll of `source` ended with `result` ("ok", "not_modified", "error").
    pub fn source_polled(&self, source: &str, result: &str) {
        let labels = vec![("source", label_value(source)), ("result", result.to_owned())];
        self.inner.source_polls.get_or_create(&labels).inc();
    }

    /// A delivery went out `seconds` after its message was published (its broadcast created).
    pub fn delivery_latency(&self, seconds: f64) {
        self.inner.delivery_latency.observe(seconds.max(0.0));
    }

    /// The exposition text, with the gauges set from `snapshot`.
    pub fn render(&self, snapshot: Snapshot) -> String {
        self.inner.active_subscribers.set(snapshot.active_subscribers);
        self.inner.pending_deliveries.set(snapshot.pending_deliveries);
        self.inner.failing_sources.set(snapshot.failing_sources);
        self.inner.send_rate.set(snapshot.send_rate);
        self.inner.sender_leader.set(snapshot.sender_leader);
        for (priority, count) in snapshot.pending_by_priority.by_label() {
            self.inner.pending_by_priority.get_or_create(&vec![("priority", priority.to_owned())]).set(count);
        }
        let states = [("active", snapshot.active_subscribers), ("inactive", snapshot.inactive_subscribers)];
        for (state, count) in states {
            self.inner.subscribers.get_or_create(&vec![("state", state.to_owned())]).set(count);
        }
        // Removed sources must disappear from the exposition, so the families start afresh.
        self.inner.source_failures.clear();
        self.inner.source_next_poll.clear();
        for source in &snapshot.sources {
            let labels = vec![("source", label_value(&source.name))];
            self.inner.source_failures.get_or_create(&labels).set(source.consecutive_failures);
            self.inner.source_next_poll.get_or_create(&labels).set(source.next_poll_at);
        }
        let mut text = String::new();
        encode(&mut text, &self.inner.registry).expect("writing to a String cannot fail");
        text
    }
}

/// A label value from the outside world (a source's name), escaped as the exposition format
/// wants: the encoder writes values as they are, so a quote or a line break would end the line.
fn label_value(value: &str) -> String {
    let mut escaped = String::with_capacity(value.len());
    for c in value.chars() {
        match c {
            '\\' => escaped.push_str("\\\\"),
            '"' => escaped.push_str("\\\""),
            '\n' => escaped.push_str("\\n"),
            c if c.is_control() => {}
            c => escaped.push(c),
        }
    }
    escaped
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counters_and_gauges_appear_in_the_exposition() {
        let metrics = Metrics::default();
        metrics.delivery("sent");
        metrics.delivery("sent");
        let source = SourceHealth { name: "sp".into(), consecutive_failures: 2, next_poll_at: 1_700_000_000 };
        let text = metrics.render(Snapshot { active_subscribers: 3, sources: vec![source], ..Snapshot::default() });
        assert!(text.contains("kabar_deliveries_total{outcome=\"sent\"} 2"), "{text}");
        assert!(text.contains("kabar_active_subscribers 3"), "{text}");
        assert!(text.contains("kabar_source_consecutive_failures{source=\"sp\"} 2"), "{text}");
        assert!(text.contains("kabar_source_next_poll_timestamp_seconds{source=\"sp\"} 1700000000"), "{text}");
    }

    #[test]
    fn the_queue_is_shown_by_priority_and_subscribers_by_state() {
        let metrics = Metrics::default();
        let pending_by_priority = QueueDepth { breaking: 4, digest: 1, ..QueueDepth::default() };
        let snapshot =
            Snapshot { active_subscribers: 5, inactive_subscribers: 2, pending_by_priority, ..Snapshot::default() };
        let text = metrics.render(snapshot);
        for line in [
            "kabar_deliveries_pending{priority=\"reply\"} 0",
            "kabar_deliveries_pending{priority=\"breaking\"} 4",
            "kabar_deliveries_pending{priority=\"article\"} 0",
            "kabar_deliveries_pending{priority=\"digest\"} 1",
            "kabar_subscribers{state=\"active\"} 5",
            "kabar_subscribers{state=\"inactive\"} 2",
        ] {
            assert!(text.contains(line), "{line} missing from {text}");
        }
    }

    #[test]
    fn delivery_latency_is_a_histogram_in_seconds() {
        let metrics = Metrics::default();
        metrics.delivery_latency(0.3);
        metrics.delivery_latency(42.0);
        let text = metrics.render(Snapshot::default());
        assert!(text.contains("# TYPE kabar_delivery_latency_seconds histogram"), "{text}");
        assert!(text.contains("kabar_delivery_latency_seconds_count 2"), "{text}");
        assert!(text.contains("kabar_delivery_latency_seconds_bucket{le=\"0.5\"} 1"), "{text}");
        assert!(text.contains("kabar_delivery_latency_seconds_bucket{le=\"60.0\"} 2"), "{text}");
    }

    #[test]
    fn a_source_name_cannot_inject_lines_into_the_exposition() {
        let metrics = Metrics::default();
        let hostile = "a\"} 1\nkabar_fake 9\n#".to_owned();
        metrics.source_polled(&hostile, "ok");
        let source = SourceHealth { name: hostile, consecutive_failures: 0, next_poll_at: 0 };
        let text = metrics.render(Snapshot { sources: vec![source], ..Snapshot::default() });
        assert!(!text.lines().any(|line| line.starts_with("kabar_fake")), "{text}");
        assert!(text.contains(r#"source="a\"} 1\nkabar_fake 9\n#""#), "{text}");
    }
}
