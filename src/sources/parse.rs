//! Feeds and WordPress REST answers, read into one item shape.

use feed_rs::model::{Entry, Link, Text};
use serde::Deserialize;
use sha2::{Digest, Sha256};
use url::Url;

use super::truncate::{FirstN, first_items};
use crate::article::absolute_http_url;
use crate::text::{cut_at_word, normalize_whitespace};

/// At most this many items of one answer are considered, the first ones (feeds list the newest
/// first): a feed of 100,000 items is a dump, not news. The rest are cut before parsing.
pub const MAX_ITEMS: usize = 200;
/// At most this many categories of one item are kept: the first ones are its sections, the
/// rest are tags.
const MAX_CATEGORIES: usize = 10;

/// One item of a source, whatever its format.
#[derive(Debug, Clone, PartialEq)]
pub struct FeedItem {
    /// What the item is known by at every poll: see [`item_key`].
    pub key: String,
    pub title: String,
    pub link: Option<String>,
    /// The full article, when the feed carries it (content:encoded, Atom content).
    pub content_html: Option<String>,
    /// The feed's short description or excerpt.
    pub summary_html: Option<String>,
    pub image_url: Option<String>,
    /// Unix milliseconds.
    pub published_at: Option<i64>,
    /// The site's sections for the item ("Politik", "Ekonomi"), which become channels.
    pub categories: Vec<String>,
}

/// A source answer that cannot be read.
#[derive(Debug, thiserror::Error)]
pub enum ParseError {
    #[error("not a feed: {0}")]
    Feed(#[from] feed_rs::parser::ParseFeedError),
    #[error("not a WordPress posts list: {0}")]
    Wordpress(#[from] serde_json::Error),
}

/// A feed's items and the WebSub hub it announces, if any.
#[derive(Debug, Clone, Default)]
pub struct FeedDocument {
    pub items: Vec<FeedItem>,
    /// `<link rel="hub">`: where to subscribe for pushes.
    pub hub: Option<String>,
    /// `<link rel="self">`: the topic URL to subscribe to.
    pub topic: Option<String>,
}

/// Items of an RSS 2.0, RSS 1.0, Atom or JSON feed, oldest first.
pub fn parse_feed(body: &[u8]) -> Result<Vec<FeedItem>, ParseError> {
    parse_feed_document(body).map(|document| document.items)
}

/// A feed's first [`MAX_ITEMS`] items, oldest first, with its hub and self links.
pub fn parse_feed_document(body: &[u8]) -> Result<FeedDocument, ParseError> {
    let body = &first_items::<MAX_ITEMS>(body);
    let mut feed = feed_parser(None).parse(body.as_ref())?;
    let link = |rel: &str| feed.links.iter().find(|l| l.rel.as_deref() == Some(rel)).map(|l| l.href.trim().to_owned());
    let (hub, topic) = (link("hub"), link("self"));
    let site = feed.links.iter().find(|l| l.rel.as_deref().is_none_or(|rel| rel == "alternate"));
    let feed_base = topic.as_deref().or(site.map(|l| l.href.trim())).and_then(|base| Url::parse(base).ok());
    if let Some(base) = &feed_base
        && may_have_unresolved_media(&feed, body)
    {
        take_media_resolved_against(&mut feed, body, base);
    }
    let mut items = oldest_first(feed.entries.into_iter().filter_map(item_of_entry).collect());
    for item in &mut items {
        resolve_item_urls(item, feed_base.as_ref());
    }
    Ok(FeedDocument { items, hub, topic })
}

/// feed-rs's parser, resolving against `base` when given. It keeps feed-rs's id for an item with
/// a link and no guid (its link and title hashed: the keys kabar has always stored), but never
/// makes up a random one: an item with neither id nor link is left without, for [`item_key`].
fn feed_parser(base: Option<&str>) -> feed_rs::parser::Parser {
    let keep_link_ids = |links: &[Link], title: &Option<Text>, _base: Option<&str>| {
        if links.is_empty() { String::new() } else { feed_rs::parser::generate_id(links, title, None) }
    };
    feed_rs::parser::Builder::new().base_uri(base).id_generator(keep_link_ids).build()
}

/// What an item is known by, for good: the feed's id for it, else its link, else a hash of its
/// title and content, so that an item with neither id nor link is the same item at every poll.
pub fn item_key(id: &str, link: Option<&str>, title: &str, content: Option<&str>) -> String {
    let id = id.trim();
    if !id.is_empty() {
        return id.to_owned();
    }
    if let Some(link) = link.filter(|link| !link.is_empty()) {
        return link.to_owned();
    }
    let digest = Sha256::digest(format!("{title}\n{}", content.unwrap_or_default()));
    format!("content:{}", hex::encode(digest))
}

/// feed-rs drops media URLs it cannot make absolute: this reads the feed again against `base`
/// (the feed's own link) and takes only the media from that reading, so that nothing else
/// changes.
fn take_media_resolved_against(feed: &mut feed_rs::model::Feed, body: &[u8], base: &Url) {
    let Ok(based) = feed_parser(Some(base.as_str())).parse(body) else { return };
    if based.entries.len() == feed.entries.len() {
        for (entry, based) in feed.entries.iter_mut().zip(based.entries) {
            entry.media = based.media;
        }
    }
}

/// Whether some item may have lost its media: it has none, yet the feed has media elements.
/// feed-rs leaves out a media element whose URL it cannot read, as happens to relative ones.
fn may_have_unresolved_media(feed: &feed_rs::model::Feed, body: &[u8]) -> bool {
    let mentions_media = |tag: &[u8]| body.windows(tag.len()).any(|window| window == tag);
    feed.entries.iter().any(|entry| entry.media.is_empty())
        && (mentions_media(b"<enclosure") || mentions_media(b"<media:"))
}

fn item_of_entry(entry: Entry) -> Option<FeedItem> {
    let link = entry
        .links
        .iter()
        .find(|l| l.rel.as_deref().is_none_or(|rel| rel == "alternate"))
        .or(entry.links.first())
        .map(|l| l.href.trim().to_owned());
    let summary_html = entry.summary.as_ref().map(|s| s.content.clone());
    let title = entry
        .title
        .as_ref()
        .map(plain_title)
        .filter(|t| !t.is_empty())
        .or_else(|| summary_html.as_deref().map(html_to_text).map(|t| cut_at_word(&t, 100)))?;
    let content_html = entry.content.and_then(|c| c.body);
    let key = item_key(&entry.id, link.as_deref(), &title, content_html.as_deref().or(summary_html.as_deref()));
    let image_url = entry.media.iter().find_map(|media| {
        media
            .content
            .iter()
            .find_map(|c| c.url.as_ref().map(|u| u.to_string()))
            .or_else(|| media.thumbnails.first().map(|t| t.image.uri.clone()))
    });
    let categories = entry
        .categories
        .iter()
        .map(|c| normalize_whitespace(c.label.as_deref().unwrap_or(&c.term)))
        .filter(|c| !c.is_empty())
        .take(MAX_CATEGORIES)
        .collect();
    Some(FeedItem {
        key,
        title,
        link,
        content_html,
        summary_html,
        image_url,
        published_at: entry.published.or(entry.updated).map(|d| d.timestamp_millis()),
        categories,
    })
}

fn plain_title(title: &Text) -> String {
    if title.content_type.subty() == "html" {
        html_to_text(&title.content)
    } else {
        normalize_whitespace(&title.content)
    }
}

/// Makes relative item links and image URLs absolute, against the URL the answer came from;
/// images that are no web link (malformed, `javascript:`, `data:`, `file:`) are dropped, so the
/// story goes out as text.
pub fn resolve_links(items: &mut [FeedItem], base: &str) {
    let base = Url::parse(base).ok();
    for item in items {
        resolve_item_urls(item, base.as_ref());
    }
}

/// Resolves `item`'s link against `base`, and its image against its link, else `base`. An
/// image that is relative with nothing to resolve it against stays as it is, for a later call
/// with a base; any other image that is no absolute http(s) URL is dropped.
fn resolve_item_urls(item: &mut FeedItem, base: Option<&Url>) {
    if let (Some(link), Some(base)) = (item.link.as_mut(), base)
        && Url::parse(link) == Err(url::ParseError::RelativeUrlWithoutBase)
        && let Ok(absolute) = base.join(link)
    {
        *link = absolute.to_string();
    }
    let Some(image) = item.image_url.take() else { return };
    let item_base = item.link.as_deref().and_then(|link| Url::parse(link).ok());
    let image_base = item_base.as_ref().or(base);
    let unresolvable = image_base.is_none() && Url::parse(image.trim()) == Err(url::ParseError::RelativeUrlWithoutBase);
    item.image_url = if unresolvable && !image.trim().starts_with("//") {
        Some(image)
    } else {
        absolute_http_url(&image, image_base)
    };
}

/// The text of an HTML snippet: tags gone, entities decoded, whitespace folded.
pub fn html_to_text(html: &str) -> String {
    normalize_whitespace(&dom_query::Document::from(html).select("body").text())
}

/// Feeds list newest first, usually; pushing oldest first keeps a burst of stories in order.
/// Items published in the same second keep the feed's order, reversed.
fn oldest_first(mut items: Vec<FeedItem>) -> Vec<FeedItem> {
    items.reverse();
    if items.iter().all(|i| i.published_at.is_some()) {
        items.sort_by_key(|i| i.published_at);
    }
    items
}

#[derive(Deserialize)]
struct WordpressPost {
    id: u64,
    link: String,
    date_gmt: Option<String>,
    title: Rendered,
    content: Option<Rendered>,
    excerpt: Option<Rendered>,
    #[serde(rename = "_embedded", default)]
    embedded: WordpressEmbedded,
}

#[derive(Deserialize)]
struct Rendered {
    rendered: String,
}

/// What `_embed` adds to a post: its terms (categories, tags) and its featured image.
#[derive(Deserialize, Default)]
struct WordpressEmbedded {
    #[serde(rename = "wp:term", default)]
    terms: Vec<Vec<WordpressTerm>>,
    #[serde(rename = "wp:featuredmedia", default)]
    featured_media: Vec<WordpressMedia>,
}

#[derive(Deserialize)]
struct WordpressTerm {
    #[serde(default)]
    taxonomy: String,
    #[serde(default)]
    name: String,
}

#[derive(Deserialize)]
struct WordpressMedia {
    source_url: Option<String>,
}

impl WordpressEmbedded {
    fn categories(&self) -> Vec<String> {
        self.terms
            .iter()
            .flatten()
            .filter(|term| term.taxonomy == "category")
            .map(|term| html_to_text(&term.name))
            .filter(|name| !name.is_empty())
            .take(MAX_CATEGORIES)
            .collect()
    }

    fn image_url(&self) -> Option<String> {
        self.featured_media.iter().find_map(|media| media.source_url.clone())
    }
}

/// The path that lists a WordPress site's latest posts, with their categories and images.
pub fn wordpress_posts_url(site_root: &str) -> String {
    format!("{}/wp-json/wp/v2/posts?per_page=20&_embed=wp:term,wp:featuredmedia", site_root.trim_end_matches('/'))
}

/// Items of a `/wp-json/wp/v2/posts` answer, oldest first.
pub fn parse_wordpress(body: &[u8]) -> Result<Vec<FeedItem>, ParseError> {
    let posts: FirstN<WordpressPost, MAX_ITEMS> = serde_json::from_slice(body)?;
    let items = posts
        .items
        .into_iter()
        .map(|post| FeedItem {
            key: format!("wp:{}", post.id),
            title: html_to_text(&post.title.rendered),
            link: Some(post.link),
            content_html: post.content.map(|c| c.rendered),
            summary_html: post.excerpt.map(|e| e.rendered),
            image_url: post.embedded.image_url(),
            categories: post.embedded.categories(),
            published_at: post.date_gmt.and_then(|d| {
                chrono::NaiveDateTime::parse_from_str(&d, "%Y-%m-%dT%H:%M:%S")
                    .ok()
                    .map(|t| t.and_utc().timestamp_millis())
            }),
        })
        .filter(|item| !item.title.is_empty())
        .collect();
    Ok(oldest_first(items))
}

#[cfg(test)]
mod tests;
