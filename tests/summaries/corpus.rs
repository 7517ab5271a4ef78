//! The article-page corpus of `tests/fixtures/articles` (see its README), read into pages with
//! their gold, plus the demo's Indonesian seed article.

use std::io::Read;
use std::path::{Path, PathBuf};

use flate2::read::GzDecoder;
use kabar::demo::news_site::{article_page, seed_article};

use super::gold::Gold;

/// Where Readability.js's tests pretend their pages come from.
const READABILITY_URL: &str = "http://fakehost/test/page.html";

/// One article page and what it should yield.
pub struct Page {
    /// `suite/name`, to point at the page in a report.
    pub name: String,
    pub url: String,
    pub html: String,
    pub gold: Gold,
}

/// Every page of the corpus, in a stable order.
pub fn pages() -> Vec<Page> {
    let mut pages = scrapinghub_pages();
    pages.extend(readability_pages());
    pages.push(seed_page());
    pages
}

fn corpus_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/articles")
}

fn gunzip(path: &Path) -> String {
    let file = std::fs::File::open(path).unwrap_or_else(|error| panic!("cannot open {}: {error}", path.display()));
    let mut text = String::new();
    GzDecoder::new(file)
        .read_to_string(&mut text)
        .unwrap_or_else(|error| panic!("{} is not gzip-compressed UTF-8: {error}", path.display()));
    text
}

#[derive(serde::Deserialize)]
struct Annotation {
    url: String,
    #[serde(rename = "articleBody")]
    article_body: String,
}

fn scrapinghub_pages() -> Vec<Page> {
    let dir = corpus_dir().join("scrapinghub");
    let truth: std::collections::BTreeMap<String, Annotation> =
        serde_json::from_str(&gunzip(&dir.join("ground-truth.json.gz"))).expect("the ground truth is JSON");
    truth
        .into_iter()
        .map(|(id, annotation)| Page {
            name: format!("scrapinghub/{id}"),
            html: gunzip(&dir.join("html").join(format!("{id}.html.gz"))),
            gold: Gold::from_text(&annotation.article_body),
            url: annotation.url,
        })
        .collect()
}

fn readability_pages() -> Vec<Page> {
    let dir = corpus_dir().join("readability");
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .expect("the readability pages are there")
        .map(|entry| entry.expect("a readable directory entry"))
        .filter(|entry| entry.path().is_dir())
        .map(|entry| entry.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
        .into_iter()
        .map(|name| Page {
            html: gunzip(&dir.join(&name).join("source.html.gz")),
            gold: Gold::from_html(&gunzip(&dir.join(&name).join("expected.html.gz"))),
            url: READABILITY_URL.to_owned(),
            name: format!("readability/{name}"),
        })
        .collect()
}

/// The demo's Indonesian article, as the demo news site serves it.
fn seed_page() -> Page {
    let (title, body) = seed_article();
    Page {
        name: "kabar/seed-article".to_owned(),
        url: "https://news.example/2024/11/as-tak-akan/".to_owned(),
        html: article_page(&title, &body, "https://news.example/foto.jpg"),
        gold: Gold::from_text(&body),
    }
}
