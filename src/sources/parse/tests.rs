//! The feed and WordPress readers, on small feeds written for each rule.

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
    assert_eq!(resolved_image(Some("/2024/dua/"), "foto.jpg").as_deref(), Some("https://n.example/2024/dua/foto.jpg"));
}

#[test]
fn a_protocol_relative_item_image_takes_the_links_scheme() {
    let image = resolved_image(Some("http://n.example/a"), "//cdn.example/a.jpg");
    assert_eq!(image.as_deref(), Some("http://cdn.example/a.jpg"));
}

#[test]
fn a_missing_malformed_or_foreign_item_image_leaves_the_story_as_text() {
    for refused in ["", "  ", "http://", "javascript:alert(1)", "data:image/png;base64,AAAA", "file:///etc/passwd"] {
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
    let rss = RSS.replace("<guid>g2</guid>", "<guid>g2</guid><category>Politik</category><category> Hukum </category>");
    let items = parse_feed(rss.as_bytes()).unwrap();
    assert_eq!(items[1].categories, vec!["Politik".to_owned(), "Hukum".to_owned()]);
}

fn rss_with(items: &str) -> String {
    format!("<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>T</title>{items}</channel></rss>")
}

fn keys_of(feed: &str) -> Vec<String> {
    parse_feed(feed.as_bytes()).unwrap().into_iter().map(|item| item.key).collect()
}

#[test]
fn an_item_without_guid_or_link_has_the_same_key_at_every_poll() {
    let feed = rss_with("<item><title>Gempa</title><description>Gempa mengguncang Cianjur.</description></item>");
    let key = keys_of(&feed);
    assert_eq!(key, keys_of(&feed), "the same key when read again");
    assert!(key[0].starts_with("content:"), "{key:?}");
}

#[test]
fn items_without_guid_or_link_are_told_apart_by_title_and_content() {
    let feed = rss_with(
        "<item><title>Gempa</title><description>Di Cianjur.</description></item>\
         <item><title>Gempa</title><description>Di Garut.</description></item>\
         <item><title>Banjir</title><description>Di Garut.</description></item>",
    );
    let keys = keys_of(&feed);
    assert_eq!(keys.len(), 3);
    assert!(keys[0] != keys[1] && keys[1] != keys[2] && keys[0] != keys[2], "{keys:?}");
}

#[test]
fn an_items_guid_is_its_key_whatever_else_it_has() {
    let feed = rss_with("<item><title>T</title><link>https://n.example/a</link><guid> g-7 </guid></item>");
    assert_eq!(keys_of(&feed), ["g-7"]);
}

#[test]
fn an_item_with_a_link_and_no_guid_keeps_the_key_earlier_releases_stored() {
    let feed = rss_with("<item><title>Judul</title><link>https://n.example/a</link></item>");
    let stored_before = feed_rs::parser::parse(feed.as_bytes()).unwrap().entries[0].id.clone();
    assert_eq!(keys_of(&feed), [stored_before.as_str()]);
    assert_eq!(keys_of(&feed), [stored_before.as_str()], "and it is the same at every poll");
}

#[test]
fn a_blank_id_falls_back_to_the_link_then_to_the_content() {
    assert_eq!(item_key("  ", Some("https://n.example/a"), "T", None), "https://n.example/a");
    let from_content = item_key("", None, "T", Some("<p>Isi</p>"));
    assert_eq!(from_content, item_key(" ", Some(""), "T", Some("<p>Isi</p>")));
    assert_ne!(from_content, item_key("", None, "T", Some("<p>Isi lain</p>")));
}

#[test]
fn only_the_first_items_of_a_huge_feed_are_read() {
    let items: String = (0..MAX_ITEMS + 50).map(|n| format!("<item><title>Berita {n}</title></item>")).collect();
    let read = parse_feed(rss_with(&items).as_bytes()).unwrap();
    assert_eq!(read.len(), MAX_ITEMS);
    assert!(read.iter().any(|item| item.title == "Berita 0"));
    assert!(!read.iter().any(|item| item.title == format!("Berita {MAX_ITEMS}")));
}

#[test]
fn only_the_first_posts_of_a_huge_wordpress_answer_are_read() {
    let posts: Vec<String> = (0..MAX_ITEMS + 5)
        .map(|n| format!(r#"{{"id":{n},"link":"https://n.example/?p={n}","title":{{"rendered":"Post {n}"}}}}"#))
        .collect();
    let read = parse_wordpress(format!("[{}]", posts.join(",")).as_bytes()).unwrap();
    assert_eq!(read.len(), MAX_ITEMS);
    assert!(read.iter().all(|item| item.key != format!("wp:{MAX_ITEMS}")));
}
