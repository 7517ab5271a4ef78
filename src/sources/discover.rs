//! Finding the feed behind a page: operators may give a site's or article's address instead of
//! its feed; the page's `<link rel="alternate">` names the feed.

use dom_query::Document;

use super::{
    Fetcher,
    fetch::{FetchError, Fetched},
    parse::parse_feed_document,
};

/// Why no feed was found at an address.
#[derive(Debug, thiserror::Error)]
pub enum DiscoverError {
    #[error(transparent)]
    Fetch(#[from] FetchError),
    #[error("{0} is neither a feed nor a page that links to one")]
    NoFeed(String),
}

/// The feed URL for `url`: `url` itself when it serves a feed, else the first feed the page
/// links to with `<link rel="alternate">`.
pub async fn feed_url(fetcher: &Fetcher, url: &str) -> Result<String, DiscoverError> {
    let fetched = fetcher.get_page(url).await?;
    if parse_feed_document(&fetched.feed_body()).is_ok() {
        return Ok(fetched.final_url);
    }
    linked_feed(&fetched).ok_or_else(|| DiscoverError::NoFeed(url.to_owned()))
}

/// The first feed a fetched page links to with `<link rel="alternate">`.
pub fn linked_feed(page: &Fetched) -> Option<String> {
    let document = Document::from(page.text());
    let base = url::Url::parse(&page.final_url).ok()?;
    document
        .select(r#"link[rel~="alternate"]"#)
        .iter()
        .filter(|link| {
            link.attr("type").is_some_and(|t| {
                ["application/rss+xml", "application/atom+xml", "application/feed+json", "application/json"]
                    .contains(&t.trim().to_ascii_lowercase().as_str())
            })
        })
        .find_map(|link| base.join(link.attr("href")?.trim()).ok())
        .map(|feed| feed.to_string())
}
