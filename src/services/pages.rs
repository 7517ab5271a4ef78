//! Reading an article's page as a push does: fetched through the address guard, its body
//! extracted and its lead summarised off the async workers. Publishing by URL (the CMS hook,
//! `/push`, a link as breaking news) and `kabar preview` all read pages here.

use std::sync::Arc;

use crate::{
    article::{ArticlePage, Summarizer},
    domain::NewArticle,
    sources::{
        Fetcher,
        canonical::{canonical_url, title_fingerprint},
        fetch::FetchError,
    },
};

/// Why a story given by URL cannot be published.
#[derive(Debug, thiserror::Error)]
pub enum PublishError {
    #[error("`{0}` is not an absolute http(s) URL")]
    BadUrl(String),
    #[error("cannot fetch the article: {0}")]
    Fetch(#[from] FetchError),
    #[error("no article title was found at {0}")]
    NoTitle(String),
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

/// Fetches and reads article pages.
#[derive(Clone)]
pub struct PageReader {
    fetcher: Fetcher,
    summarizer: Arc<Summarizer>,
}

impl PageReader {
    pub fn new(fetcher: Fetcher, summarizer: Arc<Summarizer>) -> PageReader {
        PageReader { fetcher, summarizer }
    }

    /// Reads the article at `url`: title, summary, image, body, sections, and how.
    pub async fn read(&self, url: &str) -> Result<ArticlePage, FetchError> {
        let page = self.fetcher.get_page(url).await?;
        let summarizer = self.summarizer.clone();
        let final_url = page.final_url.clone();
        // Parsing a large page is CPU work: keep it off the async workers.
        Ok(tokio::task::spawn_blocking(move || summarizer.read_page(&page.text(), &final_url))
            .await
            .unwrap_or_default())
    }

    /// The article a push of `url` sends, with the page it was read from. Its link is the page's
    /// canonical one when the page names one that passes the URL check, else `url` without
    /// tracking parameters; its image, the page's when that passes too.
    pub async fn article_at(&self, url: &str) -> Result<(NewArticle, ArticlePage), PublishError> {
        let canonical = canonical_url(url).ok_or_else(|| PublishError::BadUrl(url.to_owned()))?;
        let mut page = self.read(url).await?;
        let title = page.title.clone().ok_or_else(|| PublishError::NoTitle(url.to_owned()))?;
        page.canonical_url = self.fetcher.keep_if_allowed(page.canonical_url.take(), "canonical link").await;
        page.image_url = self.fetcher.keep_if_allowed(page.image_url.take(), "image").await;
        let link = page.canonical_url.clone().unwrap_or_else(|| canonical.clone());
        let article = NewArticle {
            source_id: None,
            item_key: canonical,
            canonical_url: canonical_url(&link),
            fingerprint: title_fingerprint(&title),
            title,
            url: Some(link),
            summary: page.summary.clone(),
            image_url: page.image_url.clone(),
            published_at: None,
        };
        Ok((article, page))
    }
}
