//! A built-in sample news site, shaped like the Indonesian WordPress site kabar was made for:
//! an RSS feed whose items carry only an excerpt, and article pages full of boilerplate
//! ("Baca Juga:" lines, share buttons, a WhatsApp promotion, a comment form). `kabar demo` and the
//! tests serve it on 127.0.0.1.

use std::{
    net::SocketAddr,
    sync::{Arc, Mutex},
};

use axum::{
    Router,
    extract::{Path, State},
    http::{StatusCode, header},
    response::IntoResponse,
    routing::get,
};
use tokio::sync::watch;

use crate::{render::telegram_html::escape, text::slugify};

/// The seed article, as text, from the site kabar was first made for.
pub const SEED_ARTICLE: &str = include_str!("seed-article.txt");

/// One story on the sample site.
#[derive(Debug, Clone)]
pub struct SiteArticle {
    pub slug: String,
    pub title: String,
    /// Paragraphs, one per line.
    pub body: String,
    pub published: chrono::DateTime<chrono::Utc>,
    /// The site's section for it: a `<category>` in the feed, `article:section` on the page.
    pub category: Option<String>,
    /// Its photo: `og:image` on the page and `media:content` in the feed.
    pub image_url: Option<String>,
}

/// A running sample site; stops when dropped.
pub struct NewsSite {
    addr: SocketAddr,
    articles: Arc<Mutex<Vec<SiteArticle>>>,
    hub: Arc<Mutex<Option<String>>>,
    _stop: watch::Sender<bool>,
}

impl NewsSite {
    /// Serves the site on 127.0.0.1 at a free port.
    pub async fn start() -> std::io::Result<NewsSite> {
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0)).await?;
        let addr = listener.local_addr()?;
        let articles = Arc::new(Mutex::new(Vec::new()));
        let hub = Arc::new(Mutex::new(None));
        let (stop, mut stopped) = watch::channel(false);
        let app = Router::new().route("/feed/", get(feed)).route("/{year}/{slug}/", get(page)).with_state(SiteState {
            addr,
            articles: articles.clone(),
            hub: hub.clone(),
        });
        tokio::spawn(async move {
            let shutdown = async move {
                let _ = stopped.wait_for(|stop| *stop).await;
            };
            let _ = axum::serve(listener, app).with_graceful_shutdown(shutdown).await;
        });
        Ok(NewsSite { addr, articles, hub, _stop: stop })
    }

    /// Announces a WebSub hub in the feed from now on.
    pub fn announce_hub(&self, hub: &str) {
        *self.hub.lock().expect("the site lock is never poisoned") = Some(hub.to_owned());
    }

    /// The site's RSS feed.
    pub fn feed_url(&self) -> String {
        format!("http://{}/feed/", self.addr)
    }

    /// Puts a story on the site (and at the top of its feed); returns its URL.
    pub fn publish(&self, title: &str, body: &str) -> String {
        self.publish_with(title, body, None, None)
    }

    /// Changes the title of the story first published as `title`, keeping its address and guid,
    /// as a site's editor fixing a headline does.
    pub fn retitle(&self, title: &str, new_title: &str) {
        let mut articles = self.articles.lock().expect("the site lock is never poisoned");
        if let Some(article) = articles.iter_mut().find(|a| a.title == title) {
            article.title = new_title.to_owned();
        }
    }

    /// Puts a story in a section of the site, with a photo when `image_url` is given; returns
    /// its URL.
    pub fn publish_with(&self, title: &str, body: &str, category: Option<&str>, image_url: Option<&str>) -> String {
        let slug = slugify(title);
        let article = SiteArticle {
            slug: slug.clone(),
            title: title.to_owned(),
            body: body.to_owned(),
            published: chrono::Utc::now(),
            category: category.map(str::to_owned),
            image_url: image_url.map(str::to_owned),
        };
        self.articles.lock().expect("the site lock is never poisoned").push(article);
        article_url(self.addr, &slug)
    }
}

#[derive(Clone)]
struct SiteState {
    addr: SocketAddr,
    articles: Arc<Mutex<Vec<SiteArticle>>>,
    hub: Arc<Mutex<Option<String>>>,
}

fn article_url(addr: SocketAddr, slug: &str) -> String {
    format!("http://{addr}/2024/{slug}/")
}

/// The seed article split into its title and its body, without the site's chrome around it.
pub fn seed_article() -> (String, String) {
    let lines: Vec<&str> = SEED_ARTICLE.lines().map(str::trim).filter(|l| !l.is_empty()).collect();
    let title = lines[3].to_owned();
    let body = lines[4..]
        .iter()
        .take_while(|l| !l.eq_ignore_ascii_case("LEAVE A RESPONSE"))
        .copied()
        .collect::<Vec<_>>()
        .join("\n");
    (title, body)
}

async fn feed(State(state): State<SiteState>) -> impl IntoResponse {
    let articles = state.articles.lock().expect("the site lock is never poisoned").clone();
    let items: String = articles
        .iter()
        .rev()
        .map(|a| {
            let url = article_url(state.addr, &a.slug);
            let excerpt: String = a.body.chars().take(140).collect();
            let category = a.category.as_deref().map_or_else(String::new, |c| format!("<category>{}</category>", escape(c)));
            let media = a.image_url.as_deref().map_or_else(String::new, |image| {
                format!("<media:content url=\"{}\" medium=\"image\"/>", escape(image))
            });
            format!(
                "<item><title>{}</title><link>{url}</link><guid isPermaLink=\"false\">{url}?p={}</guid>\
                 <pubDate>{}</pubDate>{category}{media}<description><![CDATA[<p>{} [&#8230;]</p>]]></description></item>",
                escape(&a.title),
                a.slug.len(),
                a.published.to_rfc2822(),
                escape(&excerpt)
            )
        })
        .collect();
    let hub = state.hub.lock().expect("the site lock is never poisoned").clone();
    let websub = hub.map_or_else(String::new, |hub| {
        format!(
            "<atom:link rel=\"hub\" href=\"{}\"/><atom:link rel=\"self\" href=\"http://{}/feed/\"/>",
            escape(&hub),
            state.addr
        )
    });
    let rss = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><rss version=\"2.0\" xmlns:atom=\"http://www.w3.org/2005/Atom\" \
         xmlns:media=\"http://search.yahoo.com/mrss/\">\
         <channel><title>SP NEWS GLOBAL INDONESIA</title>{websub}\
         <link>http://{}/</link><description>Berita Seputar Global Indonesia</description>{items}</channel></rss>",
        state.addr
    );
    ([(header::CONTENT_TYPE, "application/rss+xml; charset=UTF-8")], rss)
}

async fn page(State(state): State<SiteState>, Path((_, slug)): Path<(String, String)>) -> impl IntoResponse {
    let articles = state.articles.lock().expect("the site lock is never poisoned").clone();
    match articles.iter().find(|a| a.slug == slug) {
        Some(a) => {
            let page = article_page(&a.title, &a.body, a.image_url.as_deref().unwrap_or_default());
            (StatusCode::OK, [(header::CONTENT_TYPE, "text/html; charset=UTF-8")], page)
        }
        None => {
            (StatusCode::NOT_FOUND, [(header::CONTENT_TYPE, "text/html; charset=UTF-8")], "<h1>404</h1>".to_owned())
        }
    }
}

/// A WordPress-style article page: header and menu, the article with its read-also links, share
/// buttons, related posts and the comment form.
pub fn article_page(title: &str, body: &str, image_url: &str) -> String {
    let paragraphs: String = body
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(|line| match line.strip_prefix("Baca Juga:") {
            Some(linked) => format!(
                "<p><strong>Baca Juga:</strong> <a href=\"/2024/{}/\">{}</a></p>",
                slugify(linked),
                escape(linked.trim())
            ),
            None => format!("<p>{}</p>", escape(line)),
        })
        .collect();
    let title = escape(title);
    let og_image = if image_url.is_empty() {
        String::new()
    } else {
        format!("<meta property=\"og:image\" content=\"{}\">", escape(image_url))
    };
    format!(
        r#"<!DOCTYPE html><html lang="id"><head><meta charset="utf-8"><title>{title} - SP NEWS GLOBAL INDONESIA</title>
<meta property="og:title" content="{title}">{og_image}
<link rel="alternate" type="application/rss+xml" title="SP NEWS GLOBAL INDONESIA &raquo; Feed" href="/feed/"></head>
<body class="single-post"><header class="site-header"><div class="site-title"><a href="/">SP NEWS GLOBAL INDONESIA</a></div>
<p class="site-description">Berita Seputar Global Indonesia</p>
<nav><ul><li><a href="/global/">Global</a></li><li><a href="/nasional/">Nasional</a></li><li><a href="/ekonomi/">Ekonomi</a></li></ul></nav></header>
<main id="main"><article class="post type-post"><header class="entry-header"><span class="cat-links"><a href="/global/">Global</a></span>
<h1 class="entry-title">{title}</h1><div class="entry-meta">Oleh Redaksi · 5 November 2024</div></header>
<div class="entry-content">{paragraphs}
<div class="sharedaddy"><h3>Bagikan:</h3><ul><li><a href="https://facebook.com/sharer">Facebook</a></li><li><a href="https://twitter.com/share">Twitter</a></li><li><a href="https://wa.me/?text=">WhatsApp</a></li></ul></div>
</div></article>
<div class="related-posts"><h3>Berita Terkait</h3><ul><li><a href="/2024/x/">Rusia Dikabarkan Segera Kirim 10.000 Tentara</a></li></ul></div>
<div id="respond" class="comment-respond"><h3 id="reply-title">LEAVE A RESPONSE</h3>
<form action="/wp-comments-post.php" method="post"><p class="comment-notes">Alamat email Anda tidak akan dipublikasikan. Ruas yang wajib ditandai *</p>
<p><label>Komentar</label><textarea name="comment"></textarea></p><p><input type="submit" value="Kirim Komentar"></p></form></div></main>
<footer><p>© 2024 SP NEWS GLOBAL INDONESIA</p></footer></body></html>"#
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_seed_article_splits_into_title_and_body() {
        let (title, body) = seed_article();
        assert_eq!(title, "AS Tak Akan Berlakukan Batasan Senjata pada Ukraina meski Korut Bantu Rusia");
        assert!(body.starts_with("WASHINGTON, DC"));
        assert!(body.contains("Baca Juga:"));
        assert!(!body.contains("LEAVE A RESPONSE"));
    }

    #[test]
    fn slugs_are_url_safe() {
        assert_eq!(slugify("AS Tak Akan: Batasan & Senjata!"), "as-tak-akan-batasan-senjata");
    }
}
