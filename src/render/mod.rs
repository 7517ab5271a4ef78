//! Messages as readers see them, on each platform in its own markup: templates per language
//! through minijinja, every value escaped for the platform, and the result always within the
//! platform's length limits whatever the input.
//!
//! - [`Markup`]: what a platform's markup must provide (escaping, measuring, limits);
//!   [`telegram_html`] is Telegram's. A new platform adds one, and templates with its extension.
//! - [`compose`]: whole broadcasts, each written for every platform and language.
//! - `fit`: shortening free text until a message fits.

pub mod compose;
mod fit;
pub mod telegram_html;

use std::path::{Path, PathBuf};

use minijinja::{Environment, Template, Value, context};

use crate::{
    domain::{Language, Platform},
    text::{cut_at_word, is_web_link, normalize_whitespace},
};
use fit::{fit, most_that_fit, within_limit};
pub use telegram_html::TelegramHtml;

/// A platform's message markup.
pub trait Markup: Send + Sync + std::fmt::Debug + 'static {
    fn platform(&self) -> Platform;
    /// The extension of this markup's template files: `article.<extension>`.
    fn template_extension(&self) -> &'static str;
    /// Text made safe to put in a message (and in an attribute value).
    fn escape(&self, text: &str) -> String;
    /// The length the platform checks against its limits.
    fn visible_len(&self, rendered: &str) -> usize;
    /// What a reader sees of a rendered message, without markup.
    fn plain_text(&self, rendered: &str) -> String;
    /// The most a text message may hold.
    fn text_limit(&self) -> usize;
    /// The most a photo's caption may hold.
    fn caption_limit(&self) -> usize;
}

/// The markup of each platform kabar writes for.
pub fn markup_of(platform: Platform) -> &'static dyn Markup {
    match platform {
        Platform::Telegram => &TelegramHtml,
    }
}

/// The room a message has: a text message's, or a photo caption's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Room {
    Text,
    Caption,
}

/// How much of a text message an editor's own words may fill: the template needs the rest.
const TEMPLATE_ROOM: usize = 64;
/// Titles longer than this are hostile or broken; they are cut before rendering.
const TITLE_LIMIT: usize = 300;

/// The built-in templates, compiled into the binary: language, file name, source. The file's
/// extension says which markup it is written in.
const BUILT_IN: &[(Language, &str, &str)] = &[
    (Language::English, "article.html.j2", include_str!("../../templates/en/article.html.j2")),
    (Language::English, "breaking.html.j2", include_str!("../../templates/en/breaking.html.j2")),
    (Language::English, "announcement.html.j2", include_str!("../../templates/en/announcement.html.j2")),
    (Language::English, "digest.html.j2", include_str!("../../templates/en/digest.html.j2")),
    (Language::Indonesian, "article.html.j2", include_str!("../../templates/id/article.html.j2")),
    (Language::Indonesian, "breaking.html.j2", include_str!("../../templates/id/breaking.html.j2")),
    (Language::Indonesian, "announcement.html.j2", include_str!("../../templates/id/announcement.html.j2")),
    (Language::Indonesian, "digest.html.j2", include_str!("../../templates/id/digest.html.j2")),
];

/// A story ready to be rendered.
#[derive(Debug, Clone)]
pub struct ArticleView<'a> {
    pub title: &'a str,
    pub summary: Option<&'a str>,
    pub url: Option<&'a str>,
}

/// One story of a digest.
#[derive(Debug, Clone)]
pub struct DigestEntry<'a> {
    pub title: &'a str,
    pub url: Option<&'a str>,
    pub breaking: bool,
}

/// Renders kabar's messages for every platform.
#[derive(Debug)]
pub struct Renderer {
    platforms: Vec<PlatformTemplates>,
}

/// One platform's templates, escaped with its markup.
#[derive(Debug)]
struct PlatformTemplates {
    markup: &'static dyn Markup,
    env: Environment<'static>,
}

/// A template that does not render.
#[derive(Debug, thiserror::Error)]
#[error("template {name}: {source}")]
pub struct RenderError {
    name: String,
    source: minijinja::Error,
}

/// An operator's template that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum TemplateError {
    #[error("cannot read {0}: {1}")]
    Read(String, std::io::Error),
    #[error("{0}: {1}")]
    Syntax(String, minijinja::Error),
}

impl Default for Renderer {
    fn default() -> Self {
        Renderer::with_overrides(None).expect("the built-in templates compile")
    }
}

impl Renderer {
    /// The built-in templates of every platform, each replaced by the operator's file in `dir`
    /// when there is one (see `operator_file`). Every value stays escaped and every message
    /// within the limits, whatever the template.
    pub fn with_overrides(dir: Option<&Path>) -> Result<Renderer, TemplateError> {
        let platforms = Platform::ALL
            .iter()
            .map(|&platform| PlatformTemplates::load(markup_of(platform), dir))
            .collect::<Result<_, _>>()?;
        Ok(Renderer { platforms })
    }

    /// The platforms this renderer writes for.
    pub fn platforms(&self) -> impl Iterator<Item = Platform> + '_ {
        self.platforms.iter().map(|templates| templates.markup.platform())
    }

    /// The longest text an editor may write for an announcement or breaking news: it must fit
    /// every platform's text limit with the template around it.
    pub fn announcement_budget(&self) -> usize {
        let smallest = self.platforms.iter().map(|templates| templates.markup.text_limit()).min();
        smallest.unwrap_or_default().saturating_sub(TEMPLATE_ROOM)
    }

    /// A new article: title, summary, link, within the `room` of `platform`.
    pub fn article(
        &self,
        platform: Platform,
        language: Language,
        view: &ArticleView<'_>,
        room: Room,
    ) -> Result<String, RenderError> {
        let templates = self.templates(platform);
        let title = clean_title(view.title);
        let url = view.url.filter(|url| is_web_link(url));
        let template = templates.template(language, "article")?;
        fit(templates.markup, &template, view.summary.unwrap_or(""), templates.limit(room), |summary| {
            context! { title => &title, summary => summary, url => url }
        })
    }

    /// An editor's message (from the chat, the API or the CLI): breaking news, or an
    /// announcement that is not.
    pub fn announcement(
        &self,
        platform: Platform,
        language: Language,
        text: &str,
        url: Option<&str>,
        breaking: bool,
    ) -> Result<String, RenderError> {
        let templates = self.templates(platform);
        let url = url.filter(|url| is_web_link(url));
        let template = templates.template(language, if breaking { "breaking" } else { "announcement" })?;
        fit(templates.markup, &template, text.trim(), templates.limit(Room::Text), |text| {
            context! { text => text, url => url }
        })
    }

    /// Several stories in one text message: a header counting them, then a line for each story
    /// that fits and a last line counting those left out. Callers always have stories to tell.
    pub fn digest(
        &self,
        platform: Platform,
        language: Language,
        entries: &[DigestEntry<'_>],
    ) -> Result<String, RenderError> {
        debug_assert!(!entries.is_empty(), "a digest without stories");
        let templates = self.templates(platform);
        let (markup, limit) = (templates.markup, templates.limit(Room::Text));
        let template = templates.template(language, "digest")?;
        let entries: Vec<Value> = entries.iter().map(DigestEntry::to_value).collect();
        let with_first = |shown: usize| {
            let context =
                context! { count => entries.len(), entries => &entries[..shown], more => entries.len() - shown };
            render(&template, context)
        };
        let whole = with_first(entries.len())?;
        if markup.visible_len(&whole) <= limit {
            return Ok(whole);
        }
        // From here on the last line counts the stories left out. Leaving one more out shortens
        // the message by a whole line and lengthens that count by a digit at most, so the most
        // stories that fit can be found by bisection.
        let fits = |shown: usize| Ok(markup.visible_len(&with_first(shown)?) <= limit);
        let shown = most_that_fit(entries.len().saturating_sub(1), fits)?;
        Ok(within_limit(markup, with_first(shown)?, limit))
    }

    fn templates(&self, platform: Platform) -> &PlatformTemplates {
        self.platforms
            .iter()
            .find(|templates| templates.markup.platform() == platform)
            .expect("the renderer has every platform's templates")
    }
}

impl PlatformTemplates {
    /// `markup`'s built-in templates, with the operator's files from `dir` instead where there are.
    fn load(markup: &'static dyn Markup, dir: Option<&Path>) -> Result<PlatformTemplates, TemplateError> {
        let mut env = Environment::new();
        env.set_formatter(move |out, _state, value| {
            let text = value.to_string();
            let written = if value.is_safe() { out.write_str(&text) } else { out.write_str(&markup.escape(&text)) };
            written.map_err(|_| minijinja::Error::new(minijinja::ErrorKind::WriteFailure, "cannot write the message"))
        });
        let extension = markup.template_extension();
        for (language, file, built_in) in BUILT_IN.iter().filter(|(_, file, _)| file.ends_with(extension)) {
            let key = template_key(*language, file);
            let (origin, source) = match dir.and_then(|dir| operator_file(dir, *language, file)) {
                Some(path) => {
                    let origin = path.display().to_string();
                    let source = std::fs::read_to_string(&path).map_err(|e| TemplateError::Read(origin.clone(), e))?;
                    (origin, source)
                }
                None => (format!("built-in {key}"), (*built_in).to_owned()),
            };
            env.add_template_owned(key, source).map_err(|e| TemplateError::Syntax(origin, e))?;
        }
        Ok(PlatformTemplates { markup, env })
    }

    fn limit(&self, room: Room) -> usize {
        match room {
            Room::Text => self.markup.text_limit(),
            Room::Caption => self.markup.caption_limit(),
        }
    }

    /// Template `name` in `language`.
    fn template(&self, language: Language, name: &str) -> Result<Template<'_, '_>, RenderError> {
        let key = template_key(language, &format!("{name}.{}", self.markup.template_extension()));
        self.env.get_template(&key).map_err(|source| RenderError { name: key, source })
    }
}

impl DigestEntry<'_> {
    /// The entry as the digest template sees it.
    fn to_value(&self) -> Value {
        let url = self.url.filter(|url| is_web_link(url));
        context! { title => clean_title(self.title), url => url, breaking => self.breaking }
    }
}

/// The operator's file for template `file` in `language`: `dir/<language>/<file>`, else
/// `dir/<file>`, the one file for every language that operators wrote before kabar spoke two.
fn operator_file(dir: &Path, language: Language, file: &str) -> Option<PathBuf> {
    [dir.join(language.as_str()).join(file), dir.join(file)].into_iter().find(|path| path.exists())
}

/// The name a template is registered under in its platform's environment.
fn template_key(language: Language, file: &str) -> String {
    format!("{language}/{file}")
}

/// A title on one line and of sane length.
fn clean_title(title: &str) -> String {
    cut_at_word(&normalize_whitespace(title), TITLE_LIMIT)
}

/// Renders `template`; an error names it.
fn render(template: &Template<'_, '_>, context: Value) -> Result<String, RenderError> {
    template.render(context).map_err(|source| RenderError { name: template.name().to_owned(), source })
}

#[cfg(test)]
mod tests;
