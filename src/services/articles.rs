//! Publishing a newly found story: summary, message, article row and broadcast, in that
//! order, with the article and its whole fan-out written in one transaction so that a story is
//! pushed at most once, whoever finds it first (a poller, the CMS hook, a second feed).

use super::{Services, pages::PublishError};
use crate::{
    domain::{IdempotencyKey, NewArticle, Remembered, SourceRecord},
    render::compose,
    sources::{
        canonical::{canonical_url, title_fingerprint},
        parse::{FeedItem, html_to_text},
    },
    store::StoreResult,
    text::normalize_whitespace,
};

/// What a feed item is known by, before any summary is written: its key, canonical URL and
/// fingerprint. The backlog, the "already known?" check and publishing all start from it.
pub fn article_of_item(source_id: i64, item: &FeedItem) -> NewArticle {
    NewArticle {
        source_id: Some(source_id),
        item_key: item.key.clone(),
        canonical_url: item.link.as_deref().and_then(canonical_url),
        fingerprint: title_fingerprint(&item.title),
        title: item.title.clone(),
        url: item.link.clone(),
        summary: None,
        image_url: item.image_url.clone(),
        published_at: item.published_at,
    }
}

/// What publishing a story did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PublishOutcome {
    /// Queued for `recipients` readers as broadcast `broadcast_id`.
    Published { broadcast_id: i64, recipients: i64 },
    /// Already known: nothing was queued.
    Duplicate,
}

/// What publishing a poll's (or a hub push's) new items did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct NewItems {
    pub published: usize,
    /// New items over the push cap: recorded as seen, never pushed.
    pub held_back: usize,
}

/// New items, oldest first, split into those held back and the newest `cap`, still oldest
/// first. Newest by date when every item has one, else by the feed's order.
fn split_newest(mut items: Vec<FeedItem>, cap: usize) -> (Vec<FeedItem>, Vec<FeedItem>) {
    if items.iter().all(|item| item.published_at.is_some()) {
        items.sort_by_key(|item| item.published_at);
    }
    let newest = items.split_off(items.len().saturating_sub(cap));
    (items, newest)
}

/// Publishing stories: for the watcher, WebSub pushes, the CMS hook and editors' `/push`.
pub struct Articles<'a>(pub(super) &'a Services);

impl Articles<'_> {
    /// Publishes the items of a primed source that are not known yet, oldest first; returns how
    /// many were pushed and how many held back. Polls and WebSub pushes both end here. At most
    /// `watcher.max_pushes_per_poll` are pushed, the newest; the rest are recorded as seen, so
    /// they are never pushed, however often they come back.
    pub async fn publish_new_items(&self, source: &SourceRecord, items: Vec<FeedItem>) -> anyhow::Result<NewItems> {
        let mut new = Vec::new();
        for item in items {
            if !self.0.inner.store.is_article_known(&article_of_item(source.id, &item)).await? {
                new.push(item);
            } else if source.corrections {
                self.correct_if_retitled(source, &item).await?;
            }
        }
        let (held_back, newest) = split_newest(new, self.0.inner.watcher.max_pushes_per_poll);
        // An unprimed source's first poll records everything it finds as seen anyway.
        if !held_back.is_empty() && source.primed {
            let seen: Vec<NewArticle> = held_back.iter().map(|item| article_of_item(source.id, item)).collect();
            self.0.inner.store.record_backlog(source.id, &seen).await?;
            tracing::warn!(
                source = source.name,
                held_back = held_back.len(),
                pushed = newest.len(),
                "more new items than watcher.max_pushes_per_poll: the newest are pushed, the rest recorded and never pushed"
            );
        }
        let mut outcome = NewItems { published: 0, held_back: held_back.len() };
        for item in newest {
            if let PublishOutcome::Published { .. } = self.publish_item(source, item).await? {
                outcome.published += 1;
            }
        }
        Ok(outcome)
    }

    /// A story pushed earlier whose site changed its title: the broadcast takes the new title, and
    /// the messages already sent are edited in the background (never pushed again).
    async fn correct_if_retitled(&self, source: &SourceRecord, item: &FeedItem) -> anyhow::Result<()> {
        let Some(mut story) = self.0.inner.store.pushed_story(source.id, &item.key).await? else { return Ok(()) };
        if normalize_whitespace(&story.title) == normalize_whitespace(&item.title) || item.title.trim().is_empty() {
            return Ok(());
        }
        tracing::info!(
            source = source.name,
            from = story.title,
            to = item.title,
            "a pushed story was retitled; correcting it"
        );
        story.title = item.title.clone();
        let article = NewArticle {
            title: story.title.clone(),
            summary: story.summary.clone(),
            url: story.url.clone(),
            image_url: story.image_url.clone(),
            ..NewArticle::default()
        };
        let broadcast = compose::article(&self.0.inner.renderer, &article, &format!("source:{}", source.name))?;
        self.0.inner.store.correct_story(&story, &broadcast).await?;
        let (engine, broadcast_id, stopping) =
            (self.0.inner.engine.clone(), story.broadcast_id, self.0.inner.stopping.clone());
        self.0.inner.tasks.spawn(async move {
            match engine.edit_sent(broadcast_id, &stopping).await {
                Ok(report) => tracing::info!(
                    broadcast_id,
                    edited = report.done,
                    failed = report.failed,
                    "sent messages corrected"
                ),
                Err(error) => tracing::warn!(broadcast_id, %error, "cannot correct the sent messages"),
            }
        });
        Ok(())
    }

    /// Publishes a new item of a watched source. The summary comes from the feed's full content
    /// when it has prose, else from the article's page, else from the feed's excerpt. A link or
    /// image that fails the URL check is left out: the story goes without it.
    pub async fn publish_item(&self, source: &SourceRecord, mut item: FeedItem) -> anyhow::Result<PublishOutcome> {
        let fetcher = &self.0.inner.fetcher;
        item.link = fetcher.keep_if_allowed(item.link.take(), "link").await;
        let mut summary =
            item.content_html.as_deref().and_then(|html| self.0.inner.summarizer.summarize_html(&item.title, html));
        let mut image_url = item.image_url.clone();
        if summary.is_none()
            && let Some(link) = &item.link
        {
            match self.0.pages().read(link).await {
                Ok(page) => {
                    summary = page.summary;
                    image_url = image_url.or(page.image_url);
                }
                Err(error) => {
                    tracing::warn!(source = source.name, %link, %error, "cannot read the article page; using the feed's excerpt")
                }
            }
        }
        let summary = summary.or_else(|| {
            item.summary_html
                .as_deref()
                .and_then(|html| self.0.inner.summarizer.summarize_text(&item.title, &html_to_text(html)))
        });
        let image_url = fetcher.keep_if_allowed(image_url, "image").await;
        let article = NewArticle { summary, image_url, ..article_of_item(source.id, &item) };
        self.publish(article, &item.categories, Some(&source.name)).await
    }

    /// Publishes the article at `url` at once (the CMS's "on publish" hook).
    pub async fn publish_url(&self, url: &str) -> Result<PublishOutcome, PublishError> {
        let canonical = canonical_url(url).ok_or_else(|| PublishError::BadUrl(url.to_owned()))?;
        let known =
            NewArticle { item_key: canonical.clone(), canonical_url: Some(canonical.clone()), ..NewArticle::default() };
        if self.0.inner.store.is_article_known(&known).await.map_err(anyhow::Error::from)? {
            return Ok(PublishOutcome::Duplicate);
        }
        let (article, page) = self.0.pages().article_at(url).await?;
        Ok(self.publish(article, &page.categories, None).await?)
    }

    /// What the CMS hook answered a request made with `key`, if anything.
    pub async fn remembered(&self, key: &IdempotencyKey) -> StoreResult<Remembered> {
        self.0.inner.store.remembered(key).await
    }

    /// Keeps the CMS hook's answer to a request made with `key`.
    pub async fn remember(&self, key: &IdempotencyKey, status: u16, body: &str) -> StoreResult<()> {
        self.0.inner.store.remember(key, status, body).await
    }

    async fn publish(
        &self,
        article: NewArticle,
        categories: &[String],
        source: Option<&str>,
    ) -> anyhow::Result<PublishOutcome> {
        let created_by = source.map_or_else(|| "api".to_owned(), |name| format!("source:{name}"));
        let broadcast = compose::article(&self.0.inner.renderer, &article, &created_by)?;
        let channels = self.0.inner.channels.channels_for(source, categories);
        let Some((broadcast_id, recipients)) =
            self.0.inner.store.publish_article(&article, &channels, &broadcast).await?
        else {
            return Ok(PublishOutcome::Duplicate);
        };
        self.0.inner.metrics.article_discovered();
        self.0.inner.metrics.broadcast_queued("article");
        self.0.inner.engine.wake();
        tracing::info!(broadcast_id, recipients, title = article.title, by = created_by, "article pushed");
        Ok(PublishOutcome::Published { broadcast_id, recipients })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(title: &str, published_at: Option<i64>) -> FeedItem {
        FeedItem {
            key: title.to_owned(),
            title: title.to_owned(),
            link: None,
            content_html: None,
            summary_html: None,
            image_url: None,
            published_at,
            categories: Vec::new(),
        }
    }

    fn titles(items: &[FeedItem]) -> Vec<&str> {
        items.iter().map(|item| item.title.as_str()).collect()
    }

    #[test]
    fn the_newest_items_by_date_are_pushed_oldest_first_and_the_rest_held_back() {
        let items = vec![item("b", Some(2)), item("d", Some(4)), item("a", Some(1)), item("c", Some(3))];
        let (held_back, newest) = split_newest(items, 2);
        assert_eq!((titles(&held_back), titles(&newest)), (vec!["a", "b"], vec!["c", "d"]));
    }

    #[test]
    fn without_dates_the_last_items_in_the_feeds_order_are_the_newest() {
        let items = vec![item("old", None), item("dated", Some(9)), item("new", None)];
        let (held_back, newest) = split_newest(items, 1);
        assert_eq!((titles(&held_back), titles(&newest)), (vec!["old", "dated"], vec!["new"]));
    }

    #[test]
    fn items_within_the_cap_are_all_pushed() {
        let (held_back, newest) = split_newest(vec![item("a", None), item("b", None)], 10);
        assert!(held_back.is_empty());
        assert_eq!(titles(&newest), ["a", "b"]);
    }
}
