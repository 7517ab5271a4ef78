//! Messages as readers see them: `templates/` through minijinja, every value escaped for Telegram
//! HTML, and the result always within Telegram's length limits whatever the input.

pub mod html;

use minijinja::{Environment, Value, context};

use crate::article::summary::cut_at_word;

/// Telegram's limit for a message's text, after entity parsing.
pub const TEXT_LIMIT: usize = 4096;
/// Telegram's limit for a photo's caption, after entity parsing.
pub const CAPTION_LIMIT: usize = 1024;

/// Titles longer than this are hostile or broken; they are cut before rendering.
const TITLE_LIMIT: usize = 300;

/// The built-in templates, compiled into the binary.
const BUILT_IN: &[(&str, &str)] = &[
    ("article.html.j2", include_str!("../../templates/article.html.j2")),
    ("breaking.html.j2", include_str!("../../templates/breaking.html.j2")),
    ("announcement.html.j2", include_str!("../../templates/announcement.html.j2")),
];

/// A story ready to be rendered.
#[derive(Debug, Clone)]
pub struct ArticleView<'a> {
    pub title: &'a str,
    pub summary: Option<&'a str>,
    pub url: Option<&'a str>,
}

/// Renders kabar's messages.
#[derive(Debug)]
pub struct Renderer {
    env: Environment<'static>,
}

/// A template that does not render.
#[derive(Debug, thiserror::Error)]
#[error("template {name}: {source}")]
pub struct RenderError {
    name: &'static str,
    source: minijinja::Error,
}

impl Default for Renderer {
    fn default() -> Self {
        Renderer::with_overrides(None).expect("the built-in templates compile")
    }
}

/// An operator's template that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum TemplateError {
    #[error("cannot read {0}: {1}")]
    Read(String, std::io::Error),
    #[error("{0}: {1}")]
    Syntax(String, minijinja::Error),
}

fn escape_unless_safe(
    out: &mut minijinja::Output<'_>,
    _: &minijinja::State<'_, '_>,
    value: &Value,
) -> Result<(), minijinja::Error> {
    let text = value.to_string();
    let written = if value.is_safe() { out.write_str(&text) } else { out.write_str(&html::escape(&text)) };
    written.map_err(|_| minijinja::Error::new(minijinja::ErrorKind::WriteFailure, "cannot write the message"))
}

impl Renderer {
    /// The built-in templates, each replaced by the file of the same name in `dir` when there is
    /// one. Every value stays escaped and every message within the limits, whatever the template.
    pub fn with_overrides(dir: Option<&std::path::Path>) -> Result<Renderer, TemplateError> {
        let mut env = Environment::new();
        env.set_formatter(escape_unless_safe);
        for (name, built_in) in BUILT_IN {
            let path = dir.map(|dir| dir.join(name)).filter(|path| path.exists());
            let source = match &path {
                Some(path) => {
                    std::fs::read_to_string(path).map_err(|e| TemplateError::Read(path.display().to_string(), e))?
                }
                None => (*built_in).to_owned(),
            };
            let origin = path.map_or_else(|| format!("built-in {name}"), |p| p.display().to_string());
            env.add_template_owned(*name, source).map_err(|e| TemplateError::Syntax(origin, e))?;
        }
        Ok(Renderer { env })
    }

    /// A new article: title, summary, link, within `limit` (a text or a caption limit).
    pub fn article(&self, view: &ArticleView<'_>, limit: usize) -> Result<String, RenderError> {
        let title = cut_at_word(view.title.trim(), TITLE_LIMIT);
        let url = view.url.filter(|u| html::is_linkable(u));
        self.fit("article.html.j2", view.summary.unwrap_or(""), limit, |summary| {
            context! { title => &title, summary => summary, url => url }
        })
    }

    /// A breaking message from an editor or the API.
    pub fn breaking(&self, text: &str, url: Option<&str>) -> Result<String, RenderError> {
        self.text_with_link("breaking.html.j2", text, url)
    }

    /// A message pushed through the API that is not breaking news.
    pub fn announcement(&self, text: &str, url: Option<&str>) -> Result<String, RenderError> {
        self.text_with_link("announcement.html.j2", text, url)
    }

    fn text_with_link(&self, name: &'static str, text: &str, url: Option<&str>) -> Result<String, RenderError> {
        let url = url.filter(|u| html::is_linkable(u));
        self.fit(name, text.trim(), TEXT_LIMIT, |text| context! { text => text, url => url })
    }

    /// Renders `name`, shortening its one free-text value until the message fits `limit`.
    fn fit(
        &self,
        name: &'static str,
        free_text: &str,
        limit: usize,
        make_context: impl Fn(&str) -> Value,
    ) -> Result<String, RenderError> {
        let template = self.env.get_template(name).map_err(|source| RenderError { name, source })?;
        let mut text = free_text.to_owned();
        loop {
            let rendered = template.render(make_context(&text)).map_err(|source| RenderError { name, source })?;
            let overflow = html::visible_len(&rendered).saturating_sub(limit);
            if overflow == 0 {
                return Ok(rendered);
            }
            // Characters may count double in UTF-16, so the budget shrinks by the overflow and
            // a margin; a message whose fixed part alone is too long loses the free text.
            let budget = text.chars().count().saturating_sub(overflow + 8);
            if budget == 0 || text.is_empty() {
                return Ok(truncate_visible(&rendered, limit));
            }
            text = cut_at_word(&text, budget);
        }
    }
}

/// Last resort for a message whose fixed parts alone overflow: plain escaped text, cut to fit.
fn truncate_visible(rendered: &str, limit: usize) -> String {
    let mut plain = String::new();
    for c in strip_tags(rendered).chars() {
        if plain.encode_utf16().count() + c.len_utf16() > limit - 1 {
            break;
        }
        plain.push(c);
    }
    html::escape(&cut_at_word(&plain, plain.chars().count()))
}

/// The text a reader would see of HTML that kabar rendered: tags gone, entities decoded.
fn strip_tags(html_text: &str) -> String {
    let mut text = String::with_capacity(html_text.len());
    let mut in_tag = false;
    for c in html_text.chars() {
        match c {
            '<' => in_tag = true,
            '>' if in_tag => in_tag = false,
            c if !in_tag => text.push(c),
            _ => {}
        }
    }
    text.replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", "\"").replace("&amp;", "&")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn article(title: &str, summary: &str, url: &str) -> String {
        let view = ArticleView { title, summary: Some(summary), url: Some(url) };
        Renderer::default().article(&view, TEXT_LIMIT).unwrap()
    }

    #[test]
    fn an_article_shows_title_summary_and_link() {
        let message = article("Judul", "Ringkasan.", "https://example.org/a");
        assert_eq!(
            message,
            "<b>Judul</b>\n\nRingkasan.\n\n<a href=\"https://example.org/a\">https://example.org/a</a>"
        );
    }

    #[test]
    fn every_feed_supplied_string_is_escaped() {
        let message = article("<script>&</script>", "a < b > c & d", "https://example.org/?a=1&b=\"2\"");
        assert!(message.contains("<b>&lt;script&gt;&amp;&lt;/script&gt;</b>"), "{message}");
        assert!(message.contains("a &lt; b &gt; c &amp; d"));
        assert!(message.contains("href=\"https://example.org/?a=1&amp;b=&quot;2&quot;\""), "{message}");
    }

    #[test]
    fn a_javascript_link_is_not_rendered() {
        assert!(!article("T", "S.", "javascript:alert(1)").contains("href"));
    }

    #[test]
    fn a_huge_summary_is_cut_to_the_text_limit() {
        let message = article("T", &"kata ".repeat(5000), "https://example.org/");
        assert!(html::visible_len(&message) <= TEXT_LIMIT);
        assert!(message.ends_with("</a>"), "the link survives");
    }

    #[test]
    fn a_caption_fits_the_caption_limit() {
        let view = ArticleView { title: "T", summary: Some(&"😀 ".repeat(2000)), url: None };
        let caption = Renderer::default().article(&view, CAPTION_LIMIT).unwrap();
        assert!(html::visible_len(&caption) <= CAPTION_LIMIT);
    }

    #[test]
    fn a_huge_title_is_cut() {
        let message = article(&"<&>".repeat(3000), "S.", "https://example.org/");
        assert!(html::visible_len(&message) <= TEXT_LIMIT);
    }

    #[test]
    fn an_operators_template_replaces_the_built_in_one_and_is_still_escaped() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("breaking.html.j2"), "⚡ <i>{{ text }}</i>").unwrap();
        let renderer = Renderer::with_overrides(Some(dir.path())).unwrap();
        assert_eq!(renderer.breaking("a < b", None).unwrap(), "⚡ <i>a &lt; b</i>");
        assert!(renderer.announcement("x", None).unwrap().starts_with('x'), "the others stay built in");
    }

    #[test]
    fn a_broken_operator_template_is_named() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("article.html.j2"), "{{ title").unwrap();
        let error = Renderer::with_overrides(Some(dir.path())).unwrap_err().to_string();
        assert!(error.contains("article.html.j2"), "{error}");
    }

    #[test]
    fn breaking_news_is_labelled_and_escaped() {
        let message = Renderer::default().breaking("Gempa <M7>", None).unwrap();
        assert_eq!(message, "🔴 <b>BREAKING</b>\n\nGempa &lt;M7&gt;");
    }
}
