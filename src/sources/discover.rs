//! Finding the feed behind a page: operators may give a site's or article's address instead of
//! its feed; the page's `<link rel="alternate">` names the feed.

use dom_query::Document;

use super::{
    Fetcher,
    fetch::{FetchError, Fetched},
    guard::Refusal,
    parse::parse_feed_document,
};

/// Why no feed was found at an address.
#[derive(Debug, thiserror::Error)]
pub enum DiscoverError {
    #[error(transparent)]
    Fetch(#[from] FetchError),
    #[error("{0} is neither a feed nor a page that links to one")]
    NoFeed(String),
    #[error("{page} links only to feeds kabar may not fetch: {refusal}")]
    Refused { page: String, refusal: Refusal },
}

/// The feed URL for `url`: `url` itself when it serves a feed, else the first feed the page
/// links to (see [`linked_feed`]).
pub async fn feed_url(fetcher: &Fetcher, url: &str) -> Result<String, DiscoverError> {
    let fetched = fetcher.get_page(url).await?;
    if parse_feed_document(&fetched.feed_body()).is_ok() {
        return Ok(fetched.final_url);
    }
    linked_feed(fetcher, &fetched).await?.ok_or_else(|| DiscoverError::NoFeed(url.to_owned()))
}

/// The first feed a fetched page links to with `<link rel="alternate">` that passes the URL
/// check ([`Fetcher::check_url`]); none when it links to no feed, and an error naming the first
/// refusal when every feed it links to is refused (a `file:` URL, a link-local address).
pub async fn linked_feed(fetcher: &Fetcher, page: &Fetched) -> Result<Option<String>, DiscoverError> {
    let mut first_refusal = None;
    for feed in linked_feeds(page) {
        match fetcher.check_url(&feed).await {
            Ok(_) => return Ok(Some(feed)),
            Err(refusal) => {
                tracing::warn!(page = page.final_url, %refusal, "a page links to a feed kabar may not fetch");
                first_refusal.get_or_insert(refusal);
            }
        }
    }
    match first_refusal {
        Some(refusal) => Err(DiscoverError::Refused { page: page.final_url.clone(), refusal }),
        None => Ok(None),
    }
}

/// Every feed a page links to with `<link rel="alternate">`, in its order, made absolute.
fn linked_feeds(page: &Fetched) -> Vec<String> {
    let document = Document::from(page.text());
    let Ok(base) = url::Url::parse(&page.final_url) else { return Vec::new() };
    document
        .select(r#"link[rel~="alternate"]"#)
        .iter()
        .filter(|link| {
            link.attr("type").is_some_and(|t| {
                ["application/rss+xml", "application/atom+xml", "application/feed+json", "application/json"]
                    .contains(&t.trim().to_ascii_lowercase().as_str())
            })
        })
        .filter_map(|link| base.join(link.attr("href")?.trim()).ok())
        .map(|feed| feed.to_string())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page(head: &str) -> Fetched {
        Fetched {
            body: format!("<html><head>{head}</head><body></body></html>").into_bytes(),
            final_url: "http://127.0.0.1:8000/2024/story/".into(),
            content_type: Some("text/html".into()),
            validators: Default::default(),
        }
    }

    #[tokio::test]
    async fn the_first_feed_that_passes_the_check_is_taken() {
        let page = page(
            r#"<link rel="alternate" type="application/rss+xml" href="file:///etc/passwd">
               <link rel="alternate stylesheet" type="text/css" href="/style.css">
               <link rel="alternate" type="application/atom+xml" href="/feed/atom/">"#,
        );
        let feed = linked_feed(&Fetcher::default(), &page).await.unwrap();
        assert_eq!(feed.as_deref(), Some("http://127.0.0.1:8000/feed/atom/"));
    }

    #[tokio::test]
    async fn a_page_that_links_only_to_refused_feeds_is_refused_with_the_reason() {
        let page = page(
            r#"<link rel="alternate" type="application/rss+xml" href="http://169.254.169.254/latest/feed">
               <link rel="alternate" type="application/rss+xml" href="file:///etc/passwd">"#,
        );
        let error = linked_feed(&Fetcher::default(), &page).await.unwrap_err().to_string();
        assert!(error.contains("may not fetch") && error.contains("link-local"), "{error}");
    }

    #[tokio::test]
    async fn a_page_without_a_feed_link_has_no_feed() {
        assert_eq!(linked_feed(&Fetcher::default(), &page("<title>T</title>")).await.unwrap(), None);
    }
}
