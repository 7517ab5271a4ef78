//! Whole broadcasts: each message rendered in every language kabar speaks, with what digests
//! and keyword filters need to know of it.

use super::{ArticleView, CAPTION_LIMIT, LANGUAGES, RenderError, Renderer, TEXT_LIMIT};
use crate::{
    store::{BroadcastKind, MessageBody, NewArticle, NewBroadcast},
    text::{cut_at_word, fold},
};

/// A headline longer than this is cut (at a word) in digests.
const HEADLINE_LIMIT: usize = 200;

/// A new article's push: its message as text, and as a photo caption when it has an image.
pub fn article(renderer: &Renderer, article: &NewArticle, created_by: &str) -> Result<NewBroadcast, RenderError> {
    let view = ArticleView { title: &article.title, summary: article.summary.as_deref(), url: article.url.as_deref() };
    let bodies = LANGUAGES
        .into_iter()
        .map(|language| {
            let caption_html = match article.image_url {
                Some(_) => Some(renderer.article(language, &view, CAPTION_LIMIT)?),
                None => None,
            };
            Ok(MessageBody { language, body_html: renderer.article(language, &view, TEXT_LIMIT)?, caption_html })
        })
        .collect::<Result<_, RenderError>>()?;
    let searchable = format!("{} {}", article.title, article.summary.as_deref().unwrap_or_default());
    Ok(NewBroadcast {
        kind: BroadcastKind::Article,
        bodies,
        link_url: article.url.clone(),
        image_url: article.image_url.clone(),
        headline: cut_at_word(article.title.trim(), HEADLINE_LIMIT),
        match_text: Some(fold(&searchable)),
        created_by: created_by.to_owned(),
    })
}

/// A message written by an editor or sent through the API: breaking news, or an announcement.
pub fn announcement(
    renderer: &Renderer,
    text: &str,
    url: Option<&str>,
    breaking: bool,
    created_by: &str,
) -> Result<NewBroadcast, RenderError> {
    let bodies = LANGUAGES
        .into_iter()
        .map(|language| {
            let body_html = if breaking {
                renderer.breaking(language, text, url)?
            } else {
                renderer.announcement(language, text, url)?
            };
            Ok(MessageBody { language, body_html, caption_html: None })
        })
        .collect::<Result<_, RenderError>>()?;
    let first_line = text.trim().lines().next().unwrap_or_default();
    Ok(NewBroadcast {
        kind: if breaking { BroadcastKind::Breaking } else { BroadcastKind::Article },
        bodies,
        link_url: url.map(str::to_owned),
        image_url: None,
        headline: cut_at_word(first_line, HEADLINE_LIMIT),
        match_text: None,
        created_by: created_by.to_owned(),
    })
}

/// The body of `broadcast` in `language`, for previews; the first body when there is none.
pub fn body_in<'a>(broadcast: &'a NewBroadcast, language: &str) -> &'a str {
    broadcast
        .bodies
        .iter()
        .find(|body| body.language == language)
        .or(broadcast.bodies.first())
        .map_or("", |body| body.body_html.as_str())
}
