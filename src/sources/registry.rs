//! Adding and removing watched sources while kabar runs, the same way from the CLI and the API.

use super::{
    Fetcher,
    discover::{DiscoverError, feed_url},
};
use crate::{
    config::{SourceKind, SourceSettings, default_poll_interval},
    store::{SourceRecord, Store},
};

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

/// Validates `request`, resolves a page's address to its feed, and starts watching it. Its
/// first poll records what is already there without pushing it.
pub async fn add_source(
    store: &Store,
    fetcher: &Fetcher,
    request: SourceRequest,
) -> Result<SourceRecord, AddSourceError> {
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
        let feed = feed_url(fetcher, source.url.as_str()).await?;
        source.url =
            url::Url::parse(&feed).map_err(|e| AddSourceError::Invalid { field: "url", message: e.to_string() })?;
    }
    if !store.add_source(&source).await? {
        return Err(AddSourceError::Exists(source.name));
    }
    tracing::info!(name = source.name, url = %source.url, "source added");
    Ok(store.source(&source.name).await?.expect("the source was just added"))
}

/// A source name made from a feed's title: lower case, words joined by dashes.
pub fn name_from_title(title: &str) -> String {
    crate::text::slugify(title).chars().take(60).collect()
}
