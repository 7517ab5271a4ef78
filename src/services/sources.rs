//! Watched sites: adding (a feed, a page that links to its feed, or a WordPress site), removing,
//! listing and polling them now, the same way from the CLI and the API; and WebSub, the hubs that
//! push a feed's new items.

use super::Services;
use crate::{
    config::{SourceSettings, default_poll_interval},
    domain::{SourceKind, SourceRecord, WebSubState, now_ms},
    sources::{
        discover::{DiscoverError, feed_url},
        opml::{self, OpmlFeed},
        parse::parse_feed_document,
        websub::{is_callback_token, signature_is_valid},
    },
    store::StoreResult,
    text::slugify,
};

/// A WebSub lease a hub grants is held at most this long, whatever the hub asks: a lease far in
/// the future would never be renewed.
const MAX_LEASE_SECS: i64 = 30 * 24 * 3600;

/// Watched sites.
pub struct Sources<'a>(pub(super) &'a Services);

/// A source to add, as an operator gives it.
#[derive(Debug, Clone, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SourceRequest {
    pub name: String,
    /// A feed, a page that links to its feed, or (for `wordpress`) a site's root.
    pub url: String,
    #[serde(default)]
    pub kind: SourceKind,
    pub poll_interval_secs: Option<u64>,
    /// Edit sent messages when the site changes a pushed story's title.
    #[serde(default)]
    pub corrections: bool,
}

/// Why a source was not added.
#[derive(Debug, thiserror::Error)]
pub enum AddSourceError {
    #[error("`{field}` {message}")]
    Invalid { field: &'static str, message: String },
    #[error(transparent)]
    Discover(#[from] DiscoverError),
    #[error("a source named `{0}` is already watched")]
    Exists(String),
    #[error("storage failed: {0}")]
    Store(#[from] sqlx::Error),
}

/// What became of one feed of an OPML import.
pub type Imported = Result<SourceRecord, (String, AddSourceError)>;

/// What a hub's verification of intent is answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HubAnswer {
    /// Echo the hub's challenge.
    Challenge(String),
    /// Not a subscription we asked for.
    Unknown,
}

impl Sources<'_> {
    /// Validates `request`, resolves a page's address to its feed, and starts watching it. Its
    /// first poll records what is already there without pushing it.
    pub async fn add(&self, request: SourceRequest) -> Result<SourceRecord, AddSourceError> {
        let url = url::Url::parse(request.url.trim())
            .map_err(|e| AddSourceError::Invalid { field: "url", message: format!("is not a URL: {e}") })?;
        let mut source = SourceSettings {
            name: request.name.trim().to_owned(),
            url,
            poll_interval_secs: request.poll_interval_secs.unwrap_or_else(default_poll_interval),
            kind: request.kind,
            corrections: request.corrections,
        };
        if let Some((field, message)) = source.problem() {
            return Err(AddSourceError::Invalid { field, message });
        }
        if source.kind == SourceKind::Feed {
            let feed = feed_url(&self.0.inner.fetcher, source.url.as_str()).await?;
            source.url =
                url::Url::parse(&feed).map_err(|e| AddSourceError::Invalid { field: "url", message: e.to_string() })?;
        }
        if !self.0.inner.store.add_source(&source).await? {
            return Err(AddSourceError::Exists(source.name));
        }
        tracing::info!(name = source.name, url = %source.url, "source added");
        Ok(self.0.inner.store.source(&source.name).await?.expect("the source was just added"))
    }

    /// Adds every feed of an OPML document, each named after its title; one failure does not
    /// stop the others.
    pub async fn import_opml(&self, text: &str) -> Result<Vec<Imported>, opml::OpmlError> {
        let mut imported = Vec::new();
        for feed in opml::parse(text)? {
            let request = SourceRequest {
                name: name_from_title(&feed.title),
                url: feed.xml_url.clone(),
                kind: SourceKind::Feed,
                poll_interval_secs: None,
                corrections: false,
            };
            imported.push(self.add(request).await.map_err(|error| (feed.xml_url, error)));
        }
        Ok(imported)
    }

    /// The watched feeds as an OPML document.
    pub async fn export_opml(&self) -> StoreResult<String> {
        let feeds: Vec<OpmlFeed> = self
            .list()
            .await?
            .into_iter()
            .filter(|source| source.kind == SourceKind::Feed)
            .map(|source| OpmlFeed { title: source.name, xml_url: source.url })
            .collect();
        Ok(opml::export(&feeds))
    }

    /// Stops watching a source, keeping its articles so they still dedupe. False when no
    /// enabled source has the name.
    pub async fn remove(&self, name: &str) -> StoreResult<bool> {
        let removed = self.0.inner.store.remove_source(name).await?;
        if removed {
            tracing::info!(name, "source removed");
        }
        Ok(removed)
    }

    /// Every watched source with its health.
    pub async fn list(&self) -> StoreResult<Vec<SourceRecord>> {
        self.0.inner.store.enabled_sources().await
    }

    /// One source by name, watched or not.
    pub async fn get(&self, name: &str) -> StoreResult<Option<SourceRecord>> {
        self.0.inner.store.source(name).await
    }

    /// Makes a source due at once; false when there is no such enabled source.
    pub async fn poll_now(&self, name: &str) -> StoreResult<bool> {
        self.0.inner.store.poll_source_now(name).await
    }

    /// A hub asks whether we really want this subscription: only at the callback URL the hub was
    /// given (its token) and for the topic we asked for is it confirmed (or denied); a lease is
    /// held at most `MAX_LEASE_SECS`.
    pub async fn verify_hub_intent(
        &self,
        source_id: i64,
        callback_token: &str,
        mode: &str,
        topic: &str,
        lease_seconds: Option<&str>,
        challenge: &str,
    ) -> StoreResult<HubAnswer> {
        let Some(subscription) = self.0.inner.store.websub_subscription(source_id).await? else {
            return Ok(HubAnswer::Unknown);
        };
        if !is_callback_token(&subscription.secret, callback_token) || topic != subscription.topic {
            return Ok(HubAnswer::Unknown);
        }
        match mode {
            "subscribe" => {
                let lease_secs = lease_seconds.and_then(|secs| secs.parse::<i64>().ok()).unwrap_or(86_400);
                let lease_until = now_ms() + lease_secs.clamp(0, MAX_LEASE_SECS) * 1000;
                self.0.inner.store.websub_settled(source_id, WebSubState::Verified, Some(lease_until)).await?;
            }
            "denied" => self.0.inner.store.websub_settled(source_id, WebSubState::Denied, None).await?,
            _ => return Ok(HubAnswer::Unknown),
        }
        tracing::info!(source_id, mode, "WebSub hub verified");
        Ok(HubAnswer::Challenge(challenge.to_owned()))
    }

    /// A hub pushed a feed's new content: when it is signed with the subscription's secret, its
    /// new items are published in the background. False when there is no such subscription.
    pub async fn receive_hub_push(&self, source_id: i64, signature: &str, body: &[u8]) -> StoreResult<bool> {
        let store = &self.0.inner.store;
        let (Some(subscription), Some(source)) =
            (store.websub_subscription(source_id).await?, store.enabled_source(source_id).await?)
        else {
            return Ok(false);
        };
        if !signature_is_valid(&subscription.secret, body, signature) {
            tracing::warn!(source = source.name, "ignored a WebSub push without a valid signature");
            return Ok(true);
        }
        let items = match parse_feed_document(body) {
            Ok(document) => document.items,
            Err(error) => {
                tracing::warn!(source = source.name, %error, "a WebSub push is not a feed");
                return Ok(true);
            }
        };
        let services = self.0.clone();
        self.0.inner.tasks.spawn(async move {
            match services.articles().publish_new_items(&source, items).await {
                Ok(new_items) => tracing::info!(
                    source = source.name,
                    published = new_items.published,
                    held_back = new_items.held_back,
                    "WebSub push handled"
                ),
                Err(error) => tracing::error!(source = source.name, error = format!("{error:#}"), "WebSub push failed"),
            }
        });
        Ok(true)
    }
}

/// A source name made from a feed's title: lower case, words joined by dashes.
pub fn name_from_title(title: &str) -> String {
    slugify(title).chars().take(60).collect()
}
