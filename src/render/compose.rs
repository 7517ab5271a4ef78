//! Whole broadcasts: each message written for every platform and in every language, with what
//! digests and keyword filters need to know of it.

use super::{ArticleView, RenderError, Renderer, Room};
use crate::{
    domain::{BroadcastKind, Language, MessageBody, NewArticle, NewBroadcast, Platform},
    text::{cut_at_word, fold},
};

/// A headline longer than this is cut (at a word) in digests.
const HEADLINE_LIMIT: usize = 200;

/// A new article's push: its message as text, and as a photo caption when it has an image.
pub fn article(renderer: &Renderer, article: &NewArticle, created_by: &str) -> Result<NewBroadcast, RenderError> {
    let view = ArticleView { title: &article.title, summary: article.summary.as_deref(), url: article.url.as_deref() };
    let bodies = bodies(renderer, |platform, language| {
        let caption = match article.image_url {
            Some(_) => Some(renderer.article(platform, language, &view, Room::Caption)?),
            None => None,
        };
        Ok((renderer.article(platform, language, &view, Room::Text)?, caption))
    })?;
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
    let bodies = bodies(renderer, |platform, language| {
        Ok((renderer.announcement(platform, language, text, url, breaking)?, None))
    })?;
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

/// One body for each platform and language, written by `write` as (text, caption).
fn bodies(
    renderer: &Renderer,
    write: impl Fn(Platform, Language) -> Result<(String, Option<String>), RenderError>,
) -> Result<Vec<MessageBody>, RenderError> {
    let readers =
        renderer.platforms().flat_map(|platform| Language::ALL.iter().map(move |&language| (platform, language)));
    readers
        .map(|(platform, language)| {
            let (text, caption) = write(platform, language)?;
            Ok(MessageBody { platform, language, text, caption })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_article_is_written_for_every_platform_and_language_with_a_caption_when_it_has_a_photo() {
        let story = NewArticle {
            title: "Banjir di Bekasi".into(),
            summary: Some("Ribuan warga mengungsi.".into()),
            url: Some("https://news.example/a".into()),
            image_url: Some("https://news.example/a.jpg".into()),
            ..NewArticle::default()
        };
        let broadcast = article(&Renderer::default(), &story, "test").unwrap();
        assert_eq!(broadcast.bodies.len(), Platform::ALL.len() * Language::ALL.len());
        let indonesian = broadcast.body(Platform::Telegram, Language::Indonesian).unwrap();
        assert!(indonesian.text.contains("Baca selengkapnya"));
        assert!(indonesian.caption.as_deref().is_some_and(|caption| caption.contains("Banjir")));
        assert_eq!(broadcast.match_text.as_deref(), Some(" banjir di bekasi ribuan warga mengungsi "));
    }

    #[test]
    fn an_announcement_has_no_caption_and_its_first_line_is_its_headline() {
        let broadcast = announcement(&Renderer::default(), "Gempa\nDetail", None, true, "api").unwrap();
        assert_eq!(broadcast.kind, BroadcastKind::Breaking);
        assert_eq!(broadcast.headline, "Gempa");
        assert!(broadcast.bodies.iter().all(|body| body.caption.is_none()));
    }
}
