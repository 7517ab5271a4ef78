//! `kabar preview`: an article page read exactly as a push would read it, and the message its
//! readers would receive, sending nothing and storing nothing. Editors check a story before they
//! push it; operators see which boilerplate and lead rules fire when they write their own.

use std::sync::Arc;

use serde::Serialize;

use super::pages::{PageReader, PublishError};
use crate::{
    domain::{Language, Platform},
    render::{Renderer, compose, markup_of},
};

/// Reads pages and renders them for a preview.
pub struct Previewer {
    pages: PageReader,
    renderer: Arc<Renderer>,
}

/// What a push of one URL would send.
#[derive(Debug, Clone, Serialize)]
pub struct Preview {
    pub title: String,
    pub summary: Option<String>,
    /// The link the message carries: the page's canonical one, else the URL without tracking.
    pub url: String,
    /// The photo the story would go out with; none when it has none that can be sent.
    pub image: Option<String>,
    /// The article's text as the extractor read it, before any rule ran.
    pub body: String,
    /// The page's sections, which file the story under channels.
    pub categories: Vec<String>,
    /// Which extractor read the body.
    pub extractor: Option<&'static str>,
    /// The boilerplate and lead rules that fired, by name.
    pub rules: Vec<String>,
    pub platform: Platform,
    pub language: Language,
    /// The message, in the platform's markup, as sent when there is no photo.
    pub message: String,
    /// The same as readers see it, without markup.
    pub message_text: String,
}

impl Previewer {
    pub fn new(pages: PageReader, renderer: Arc<Renderer>) -> Previewer {
        Previewer { pages, renderer }
    }

    /// The story at `url` as readers of `platform` in `language` would receive it.
    pub async fn preview(&self, url: &str, platform: Platform, language: Language) -> Result<Preview, PublishError> {
        let (article, page) = self.pages.article_at(url).await?;
        let broadcast = compose::article(&self.renderer, &article, "preview").map_err(anyhow::Error::from)?;
        let message = broadcast.body(platform, language).map(|body| body.text.clone()).unwrap_or_default();
        Ok(Preview {
            message_text: markup_of(platform).plain_text(&message),
            message,
            title: article.title,
            summary: article.summary,
            url: article.url.unwrap_or_default(),
            image: article.image_url,
            body: page.body,
            categories: page.categories,
            extractor: page.extractor,
            rules: page.rules_fired,
            platform,
            language,
        })
    }
}
