//! Feeds and WordPress REST answers, read into one item shape.

use feed_rs::model::{Entry, Text};
use serde::Deserialize;

use url::Url;

use crate::article::absolute_http_url;
use crate::text::{cut_at_word, normalize_whitespace};

/// At most this many items of one answer are considered: a feed of 10,000 items is a dump, not news.
const MAX_ITEMS: usize = 200;
/// At most this many categories of one item are kept: the first ones are its sections, the
/// rest are tags.
const MAX_CATEGORIES: usize = 10;

/// One item of a source, whatever its format.
#[derive(Debug, Clone, PartialEq)]
pub struct FeedItem {
    /// The feed's id (guid) for the item, else its link.
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

/// A feed's items, oldest first, with its hub and self links.
pub fn parse_feed_document(body: &[u8]) -> Result<FeedDocument, ParseError> {
    let mut feed = feed_rs::parser::parse(body)?;
    let link = |rel: &str| feed.links.iter().find(|l| l.rel.as_deref() == Some(rel)).map(|l| l.href.trim().to_owned());
    let (hub, topic) = (link("hub"), link("self"));
    let site = feed.links.iter().find(|l| l.rel.as_deref().is_none_or(|rel| rel == "alternate"));
    let feed_base = topic.as_deref().or(site.map(|l| l.href.trim())).and_then(|base| Url::parse(base).ok());
    if let Some(base) = &feed_base
        && may_have_unresolved_media(&feed, body)
    {
        take_media_resolved_against(&mut feed, body, base);
    }
    let mut items = oldest_first(feed.entries.into_iter().take(MAX_ITEMS).filter_map(item_of_entry).collect());
    for item in &mut items {
        resolve_item_urls(item, feed_base.as_ref());
    }
    Ok(FeedDocument { items, hub, topic })
}

/// feed-rs drops media URLs it cannot make absolute: this reads the feed again against `base`
/// (the feed's own link) and takes only the media from that reading, so that nothing else, such
/// as the ids feed-rs makes up for items without one, changes.
fn take_media_resolved_against(feed: &mut feed_rs::model::Feed, body: &[u8], base: &Url) {
    let Ok(based) = feed_rs::parser::Builder::new().base_uri(Some(base.as_str())).build().parse(body) else { return };
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
    let key = Some(entry.id.trim().to_owned()).filter(|id| !id.is_empty()).or_else(|| link.clone())?;
    let summary_html = entry.summary.as_ref().map(|s| s.content.clone());
    let title = entry
        .title
        .as_ref()
        .map(plain_title)
        .filter(|t| !t.is_empty())
        .or_else(|| summary_html.as_deref().map(html_to_text).map(|t| cut_at_word(&t, 100)))?;
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
        content_html: entry.content.and_then(|c| c.body),
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
    let posts: Vec<WordpressPost> = serde_json::from_slice(body)?;
    let items = posts
        .into_iter()
        .take(MAX_ITEMS)
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
mod tests {
    use super::*;

    const RSS: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/"><channel><title>T</title>
<item><title>Second &amp; newer</title><link>https://n.example/2</link><guid>g2</guid>
<pubDate>Tue, 05 Nov 2024 10:00:00 +0000</pubDate><description>Short</description>
<content:encoded><![CDATA[<p>Full <b>body</b>.</p>]]></content:encoded></item>
<item><title>First</title><link>https://n.example/1</link><guid>g1</guid>
<pubDate>Mon, 04 Nov 2024 10:00:00 +0000</pubDate></item>
</channel></rss>"#;

    #[test]
    fn an_rss_feed_is_read_oldest_first_with_its_content() {
        let items = parse_feed(RSS.as_bytes()).unwrap();
        assert_eq!(items.len(), 2);
        assert_eq!(items[0].key, "g1");
        assert_eq!(items[1].title, "Second & newer");
        assert_eq!(items[1].link.as_deref(), Some("https://n.example/2"));
        assert!(items[1].content_html.as_deref().unwrap().contains("<b>body</b>"));
    }

    #[test]
    fn a_feed_announces_its_websub_hub_and_topic() {
        let rss = RSS.replace(
            "<channel><title>T</title>",
            "<channel xmlns:atom=\"http://www.w3.org/2005/Atom\"><title>T</title><atom:link rel=\"hub\" href=\"https://hub.example/\"/>\
             <atom:link rel=\"self\" href=\"https://n.example/feed/\"/>",
        );
        let document = parse_feed_document(rss.as_bytes()).unwrap();
        assert_eq!(document.hub.as_deref(), Some("https://hub.example/"));
        assert_eq!(document.topic.as_deref(), Some("https://n.example/feed/"));
        assert_eq!(document.items.len(), 2);
    }

    #[test]
    fn an_atom_feed_is_read() {
        let atom = r#"<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"><title>A</title><id>x</id><updated>2024-11-05T10:00:00Z</updated>
<entry><title type="html">Judul &lt;i&gt;miring&lt;/i&gt;</title><id>urn:1</id><link href="https://n.example/a"/><updated>2024-11-05T10:00:00Z</updated></entry></feed>"#;
        let items = parse_feed(atom.as_bytes()).unwrap();
        assert_eq!(items[0].title, "Judul miring");
        assert_eq!(items[0].key, "urn:1");
    }

    #[test]
    fn relative_links_are_resolved_against_the_feed() {
        let mut items = parse_feed(RSS.replace("https://n.example/2", "/2024/dua/").as_bytes()).unwrap();
        resolve_links(&mut items, "https://n.example/feed/");
        assert_eq!(items[1].link.as_deref(), Some("https://n.example/2024/dua/"));
        assert_eq!(items[0].link.as_deref(), Some("https://n.example/1"), "absolute links stay");
    }

    fn item_with_image(link: Option<&str>, image: &str) -> FeedItem {
        FeedItem {
            key: "k".to_owned(),
            title: "T".to_owned(),
            link: link.map(str::to_owned),
            content_html: None,
            summary_html: None,
            image_url: Some(image.to_owned()),
            published_at: None,
            categories: Vec::new(),
        }
    }

    fn resolved_image(link: Option<&str>, image: &str) -> Option<String> {
        let mut items = [item_with_image(link, image)];
        resolve_links(&mut items, "https://n.example/feed/");
        items[0].image_url.take()
    }

    #[test]
    fn an_absolute_item_image_is_kept() {
        let image = resolved_image(Some("https://n.example/a/"), "https://cdn.example/a.jpg");
        assert_eq!(image.as_deref(), Some("https://cdn.example/a.jpg"));
    }

    #[test]
    fn a_relative_item_image_is_resolved_against_the_items_link_else_the_feed() {
        let image = resolved_image(Some("https://other.example/2024/story/"), "foto.jpg");
        assert_eq!(image.as_deref(), Some("https://other.example/2024/story/foto.jpg"));
        assert_eq!(resolved_image(None, "/foto.jpg").as_deref(), Some("https://n.example/foto.jpg"));
        assert_eq!(
            resolved_image(Some("/2024/dua/"), "foto.jpg").as_deref(),
            Some("https://n.example/2024/dua/foto.jpg")
        );
    }

    #[test]
    fn a_protocol_relative_item_image_takes_the_links_scheme() {
        let image = resolved_image(Some("http://n.example/a"), "//cdn.example/a.jpg");
        assert_eq!(image.as_deref(), Some("http://cdn.example/a.jpg"));
    }

    #[test]
    fn a_missing_malformed_or_foreign_item_image_leaves_the_story_as_text() {
        for refused in ["", "  ", "http://", "javascript:alert(1)", "data:image/png;base64,AAAA", "file:///etc/passwd"]
        {
            assert_eq!(resolved_image(Some("https://n.example/a"), refused), None, "{refused:?}");
        }
    }

    #[test]
    fn feed_images_are_resolved_against_the_feeds_own_link_at_parse_time() {
        let rss = RSS
            .replace("<channel><title>T</title>", "<channel><title>T</title><link>https://n.example/</link>")
            .replace(
                "<guid>g1</guid>",
                "<guid>g1</guid><enclosure url=\"/img/satu.jpg\" type=\"image/jpeg\" length=\"1\"/>",
            )
            .replace(
                "<guid>g2</guid>",
                "<guid>g2</guid><enclosure url=\"javascript:x()\" type=\"image/jpeg\" length=\"1\"/>",
            );
        let items = parse_feed(rss.as_bytes()).unwrap();
        assert_eq!(items[0].image_url.as_deref(), Some("https://n.example/img/satu.jpg"));
        assert_eq!(items[1].image_url, None);
    }

    #[test]
    fn html_instead_of_a_feed_is_an_error() {
        assert!(parse_feed(b"<html><body>Not a feed</body></html>").is_err());
        assert!(parse_feed(&[0xff, 0x00, 0x13, 0x37]).is_err());
    }

    #[test]
    fn wordpress_posts_are_read() {
        let json = r#"[{"id":7,"link":"https://n.example/?p=7","date_gmt":"2024-11-05T10:00:00",
            "title":{"rendered":"AS &#8211; Ukraina"},"content":{"rendered":"<p>Isi.</p>"},"excerpt":{"rendered":"<p>Ringkas</p>"}}]"#;
        let items = parse_wordpress(json.as_bytes()).unwrap();
        assert_eq!(items[0].key, "wp:7");
        assert_eq!(items[0].title, "AS – Ukraina");
        assert!(items[0].published_at.is_some());
        assert!(items[0].categories.is_empty());
    }

    #[test]
    fn wordpress_categories_and_featured_image_come_from_embed() {
        let json = r#"[{"id":8,"link":"https://n.example/?p=8","title":{"rendered":"Judul"},
            "_embedded":{"wp:term":[[{"taxonomy":"category","name":"Ekonomi &amp; Bisnis"}],
                                    [{"taxonomy":"post_tag","name":"rupiah"}]],
                         "wp:featuredmedia":[{"source_url":"https://n.example/foto.jpg"}]}}]"#;
        let items = parse_wordpress(json.as_bytes()).unwrap();
        assert_eq!(items[0].categories, vec!["Ekonomi & Bisnis".to_owned()]);
        assert_eq!(items[0].image_url.as_deref(), Some("https://n.example/foto.jpg"));
    }

    #[test]
    fn feed_categories_are_kept() {
        let rss =
            RSS.replace("<guid>g2</guid>", "<guid>g2</guid><category>Politik</category><category> Hukum </category>");
        let items = parse_feed(rss.as_bytes()).unwrap();
        assert_eq!(items[1].categories, vec!["Politik".to_owned(), "Hukum".to_owned()]);
    }
}
