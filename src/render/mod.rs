//! Messages as readers see them: `templates/<language>/` through minijinja, every value escaped
//! for Telegram HTML, and the result always within Telegram's length limits whatever the input.

pub mod compose;
pub mod html;

use std::path::{Path, PathBuf};

use minijinja::{Environment, Template, Value, context};

use crate::text::{cut_at_word, decode_entities, normalize_whitespace};

/// Telegram's limit for a message's text, after entity parsing.
pub const TEXT_LIMIT: usize = 4096;
/// Telegram's limit for a photo's caption, after entity parsing.
pub const CAPTION_LIMIT: usize = 1024;

/// The languages kabar writes messages in.
pub const LANGUAGES: [&str; 2] = ["en", "id"];
/// The language of a message asked for in a language kabar does not write.
const FALLBACK_LANGUAGE: &str = "en";

/// Titles longer than this are hostile or broken; they are cut before rendering.
const TITLE_LIMIT: usize = 300;

/// The built-in templates, compiled into the binary: language, name, source.
const BUILT_IN: &[(&str, &str, &str)] = &[
    ("en", "article.html.j2", include_str!("../../templates/en/article.html.j2")),
    ("en", "breaking.html.j2", include_str!("../../templates/en/breaking.html.j2")),
    ("en", "announcement.html.j2", include_str!("../../templates/en/announcement.html.j2")),
    ("en", "digest.html.j2", include_str!("../../templates/en/digest.html.j2")),
    ("id", "article.html.j2", include_str!("../../templates/id/article.html.j2")),
    ("id", "breaking.html.j2", include_str!("../../templates/id/breaking.html.j2")),
    ("id", "announcement.html.j2", include_str!("../../templates/id/announcement.html.j2")),
    ("id", "digest.html.j2", include_str!("../../templates/id/digest.html.j2")),
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

/// Renders kabar's messages.
#[derive(Debug)]
pub struct Renderer {
    env: Environment<'static>,
}

/// A template that does not render.
#[derive(Debug, thiserror::Error)]
#[error("template {name}: {source}")]
pub struct RenderError {
    name: String,
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
    /// The built-in templates, each replaced by the operator's file in `dir` when there is one
    /// (see [`operator_file`]). Every value stays escaped and every message within the limits,
    /// whatever the template.
    pub fn with_overrides(dir: Option<&Path>) -> Result<Renderer, TemplateError> {
        let mut env = Environment::new();
        env.set_formatter(escape_unless_safe);
        for (language, name, built_in) in BUILT_IN {
            let key = template_key(language, name);
            let (origin, source) = match dir.and_then(|dir| operator_file(dir, language, name)) {
                Some(path) => {
                    let origin = path.display().to_string();
                    let source = std::fs::read_to_string(&path).map_err(|e| TemplateError::Read(origin.clone(), e))?;
                    (origin, source)
                }
                None => (format!("built-in {key}"), (*built_in).to_owned()),
            };
            env.add_template_owned(key, source).map_err(|e| TemplateError::Syntax(origin, e))?;
        }
        Ok(Renderer { env })
    }

    /// A new article: title, summary, link, within `limit` (a text or a caption limit).
    pub fn article(&self, language: &str, view: &ArticleView<'_>, limit: usize) -> Result<String, RenderError> {
        let title = clean_title(view.title);
        let url = view.url.filter(|u| html::is_linkable(u));
        let template = self.template(language, "article.html.j2")?;
        fit(&template, view.summary.unwrap_or(""), limit, |summary| {
            context! { title => &title, summary => summary, url => url }
        })
    }

    /// A breaking message from an editor or the API.
    pub fn breaking(&self, language: &str, text: &str, url: Option<&str>) -> Result<String, RenderError> {
        self.text_with_link(language, "breaking.html.j2", text, url)
    }

    /// A message pushed through the API that is not breaking news.
    pub fn announcement(&self, language: &str, text: &str, url: Option<&str>) -> Result<String, RenderError> {
        self.text_with_link(language, "announcement.html.j2", text, url)
    }

    /// Several stories in one text message: a header counting them, then a line for each story
    /// that fits and a last line counting those left out. Callers always have stories to tell.
    pub fn digest(&self, language: &str, entries: &[DigestEntry<'_>]) -> Result<String, RenderError> {
        debug_assert!(!entries.is_empty(), "a digest without stories");
        let template = self.template(language, "digest.html.j2")?;
        let entries: Vec<Value> = entries.iter().map(DigestEntry::to_value).collect();
        let with_first = |shown: usize| {
            let context =
                context! { count => entries.len(), entries => &entries[..shown], more => entries.len() - shown };
            render(&template, context)
        };
        let whole = with_first(entries.len())?;
        if html::visible_len(&whole) <= TEXT_LIMIT {
            return Ok(whole);
        }
        // From here on the last line counts the stories left out. Leaving one more out shortens
        // the message by a whole line and lengthens that count by a digit at most, so the most
        // stories that fit can be found by bisection.
        let fits = |shown: usize| Ok(html::visible_len(&with_first(shown)?) <= TEXT_LIMIT);
        let shown = most_that_fit(entries.len().saturating_sub(1), fits)?;
        Ok(within_limit(with_first(shown)?, TEXT_LIMIT))
    }

    fn text_with_link(&self, language: &str, name: &str, text: &str, url: Option<&str>) -> Result<String, RenderError> {
        let url = url.filter(|u| html::is_linkable(u));
        let template = self.template(language, name)?;
        fit(&template, text.trim(), TEXT_LIMIT, |text| context! { text => text, url => url })
    }

    /// Template `name` in `language`, or in the fallback language when kabar does not write
    /// `language`.
    fn template(&self, language: &str, name: &str) -> Result<Template<'_, '_>, RenderError> {
        let language = if LANGUAGES.contains(&language) { language } else { FALLBACK_LANGUAGE };
        let key = template_key(language, name);
        self.env.get_template(&key).map_err(|source| RenderError { name: key, source })
    }
}

impl DigestEntry<'_> {
    /// The entry as the digest template sees it.
    fn to_value(&self) -> Value {
        let url = self.url.filter(|u| html::is_linkable(u));
        context! { title => clean_title(self.title), url => url, breaking => self.breaking }
    }
}

/// The operator's file for template `name` in `language`: `dir/<language>/<name>`, else
/// `dir/<name>`, the one file for every language that operators wrote before kabar spoke two.
fn operator_file(dir: &Path, language: &str, name: &str) -> Option<PathBuf> {
    [dir.join(language).join(name), dir.join(name)].into_iter().find(|path| path.exists())
}

/// The name a template is registered under in the environment: each language has its own.
fn template_key(language: &str, name: &str) -> String {
    format!("{language}/{name}")
}

/// A title on one line and of sane length.
fn clean_title(title: &str) -> String {
    cut_at_word(&normalize_whitespace(title), TITLE_LIMIT)
}

/// Renders `template`; an error names it.
fn render(template: &Template<'_, '_>, context: Value) -> Result<String, RenderError> {
    template.render(context).map_err(|source| RenderError { name: template.name().to_owned(), source })
}

/// Renders `template`, shortening its one free-text value until the message fits `limit`.
fn fit(
    template: &Template<'_, '_>,
    free_text: &str,
    limit: usize,
    make_context: impl Fn(&str) -> Value,
) -> Result<String, RenderError> {
    let mut text = free_text.to_owned();
    loop {
        let rendered = render(template, make_context(&text))?;
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

/// The largest count in `0..=most` for which `fits` holds, given that it holds for every count
/// below one for which it holds; 0 when it holds for none.
fn most_that_fit(most: usize, fits: impl Fn(usize) -> Result<bool, RenderError>) -> Result<usize, RenderError> {
    let (mut low, mut high) = (0, most);
    while low < high {
        let middle = low + (high - low).div_ceil(2);
        if fits(middle)? {
            low = middle;
        } else {
            high = middle - 1;
        }
    }
    Ok(low)
}

/// `rendered` when it fits `limit`, else [`truncate_visible`].
fn within_limit(rendered: String, limit: usize) -> String {
    if html::visible_len(&rendered) <= limit { rendered } else { truncate_visible(&rendered, limit) }
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
    decode_entities(&text)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn article(title: &str, summary: &str, url: &str) -> String {
        article_in("en", title, summary, url)
    }

    fn article_in(language: &str, title: &str, summary: &str, url: &str) -> String {
        let view = ArticleView { title, summary: Some(summary), url: Some(url) };
        Renderer::default().article(language, &view, TEXT_LIMIT).unwrap()
    }

    fn entry(title: &str) -> DigestEntry<'_> {
        DigestEntry { title, url: None, breaking: false }
    }

    /// A renderer with the operator's `files`, each a path under the templates folder and its text.
    fn with_operator_files(files: &[(&str, &str)]) -> Renderer {
        let dir = tempfile::tempdir().unwrap();
        for (path, text) in files {
            let path = dir.path().join(path);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, text).unwrap();
        }
        Renderer::with_overrides(Some(dir.path())).unwrap()
    }

    #[test]
    fn an_article_shows_title_summary_and_link() {
        let message = article("Judul", "Ringkasan.", "https://example.org/a");
        let link = "<a href=\"https://example.org/a\">https://example.org/a</a>";
        assert_eq!(message, format!("<b>Judul</b>\n\nRingkasan.\n\nRead more: {link}"));
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
        let caption = Renderer::default().article("en", &view, CAPTION_LIMIT).unwrap();
        assert!(html::visible_len(&caption) <= CAPTION_LIMIT);
    }

    #[test]
    fn a_huge_title_is_cut() {
        let message = article(&"<&>".repeat(3000), "S.", "https://example.org/");
        assert!(html::visible_len(&message) <= TEXT_LIMIT);
    }

    #[test]
    fn a_hostile_title_stays_escaped_and_within_both_limits_in_both_languages() {
        let title = format!("<script>&\"' {}", "\u{202e}kabar 😀\u{200b}".repeat(1000));
        let summary = "Ringkasan ".repeat(500);
        for language in LANGUAGES {
            for limit in [TEXT_LIMIT, CAPTION_LIMIT] {
                let view = ArticleView { title: &title, summary: Some(&summary), url: Some("https://example.org/a") };
                let message = Renderer::default().article(language, &view, limit).unwrap();
                assert!(message.starts_with("<b>&lt;script&gt;&amp;&quot;' \u{202e}kabar"), "{message}");
                assert!(html::visible_len(&message) <= limit, "{language} {limit}");
                assert!(message.ends_with("</a>"), "the link survives in {language} within {limit}");
            }
        }
    }

    #[test]
    fn each_language_labels_links_in_its_own_words() {
        let renderer = Renderer::default();
        let url = "https://example.org/a";
        let linked = format!("<a href=\"{url}\">{url}</a>");
        for (language, label) in [("en", "Read more: "), ("id", "Baca selengkapnya: ")] {
            let link = format!("{label}{linked}");
            let link = link.as_str();
            assert!(article_in(language, "T", "S.", url).ends_with(link), "{language}");
            assert!(renderer.breaking(language, "T", Some(url)).unwrap().ends_with(link), "{language}");
            assert!(renderer.announcement(language, "T", Some(url)).unwrap().ends_with(link), "{language}");
        }
    }

    #[test]
    fn breaking_news_is_labelled_and_escaped() {
        let message = Renderer::default().breaking("en", "Gempa <M7>", None).unwrap();
        assert_eq!(message, "🔴 <b>BREAKING NEWS</b>\n\nGempa &lt;M7&gt;");
    }

    #[test]
    fn breaking_news_is_labelled_in_indonesian() {
        let message = Renderer::default().breaking("id", "Gempa <M7>", None).unwrap();
        assert_eq!(message, "🔴 <b>BERITA TERKINI</b>\n\nGempa &lt;M7&gt;");
    }

    #[test]
    fn an_unknown_language_is_written_in_english() {
        let renderer = Renderer::default();
        assert_eq!(renderer.breaking("fr", "x", None).unwrap(), renderer.breaking("en", "x", None).unwrap());
        assert_eq!(renderer.digest("", &[entry("x")]).unwrap(), renderer.digest("en", &[entry("x")]).unwrap());
    }

    #[test]
    fn a_digest_links_each_story_and_marks_breaking_ones() {
        let entries = [
            DigestEntry { title: "Gempa <M7>", url: Some("https://example.org/a"), breaking: true },
            DigestEntry { title: "Banjir &  surut", url: Some("javascript:alert(1)"), breaking: false },
        ];
        let message = Renderer::default().digest("en", &entries).unwrap();
        assert_eq!(
            message,
            "📰 <b>News digest: 2 stories</b>\n\n\
             • 🔴 <a href=\"https://example.org/a\">Gempa &lt;M7&gt;</a>\n\
             • Banjir &amp; surut"
        );
    }

    #[test]
    fn the_digest_counts_its_stories_in_the_readers_language() {
        let renderer = Renderer::default();
        let header = |language, count| {
            let message = renderer.digest(language, &vec![entry("x"); count]).unwrap();
            message.lines().next().unwrap().to_owned()
        };
        assert_eq!(header("en", 1), "📰 <b>News digest: 1 story</b>");
        assert_eq!(header("en", 2), "📰 <b>News digest: 2 stories</b>");
        assert_eq!(header("id", 1), "📰 <b>Rangkuman: 1 berita</b>");
        assert_eq!(header("id", 2), "📰 <b>Rangkuman: 2 berita</b>");
    }

    #[test]
    fn a_digest_of_500_long_titles_fits_and_says_how_many_more() {
        let title = format!("<b>&{}", " Korut–Rusia 😀".repeat(100));
        let entries = vec![DigestEntry { title: &title, url: Some("https://example.org/a"), breaking: true }; 500];
        for (language, more) in [("en", ("…and ", " more")), ("id", ("…dan ", " berita lainnya"))] {
            let message = Renderer::default().digest(language, &entries).unwrap();
            let room_left = TEXT_LIMIT - html::visible_len(&message);
            let stories: Vec<&str> = message.lines().filter(|line| line.starts_with("• 🔴 <a href=")).collect();
            assert!(!stories.is_empty() && stories[0].contains("&lt;b&gt;&amp;"), "{message}");
            assert!(room_left <= html::visible_len(stories[0]), "as many stories as fit: {room_left} left");
            let last_line = message.lines().last().unwrap();
            assert_eq!(last_line, format!("{}{}{}", more.0, 500 - stories.len(), more.1));
        }
    }

    #[test]
    fn a_digest_that_fits_whole_has_no_count_of_stories_left_out() {
        let message = Renderer::default().digest("en", &vec![entry("x"); 50]).unwrap();
        assert_eq!(message.lines().filter(|line| line.starts_with("• ")).count(), 50);
        assert!(!message.contains("more"), "{message}");
    }

    #[test]
    fn an_operators_digest_cannot_overflow() {
        let renderer = with_operator_files(&[("digest.html.j2", &"x ".repeat(5000))]);
        assert!(html::visible_len(&renderer.digest("en", &[entry("x")]).unwrap()) <= TEXT_LIMIT);
    }

    #[test]
    fn an_operators_template_replaces_the_built_in_one_and_is_still_escaped() {
        let renderer = with_operator_files(&[("breaking.html.j2", "⚡ <i>{{ text }}</i>")]);
        assert_eq!(renderer.breaking("en", "a < b", None).unwrap(), "⚡ <i>a &lt; b</i>");
        assert!(renderer.announcement("en", "x", None).unwrap().starts_with('x'), "the others stay built in");
    }

    #[test]
    fn an_operators_template_for_every_language_serves_both() {
        let renderer = with_operator_files(&[("article.html.j2", "📰 {{ title }}")]);
        let view = ArticleView { title: "T", summary: None, url: None };
        for language in LANGUAGES {
            assert_eq!(renderer.article(language, &view, TEXT_LIMIT).unwrap(), "📰 T", "{language}");
        }
    }

    #[test]
    fn an_operators_template_in_a_language_folder_serves_only_that_language() {
        let renderer =
            with_operator_files(&[("article.html.j2", "all: {{ title }}"), ("id/article.html.j2", "id: {{ title }}")]);
        let view = ArticleView { title: "T", summary: None, url: None };
        assert_eq!(renderer.article("id", &view, TEXT_LIMIT).unwrap(), "id: T");
        assert_eq!(renderer.article("en", &view, TEXT_LIMIT).unwrap(), "all: T");
        let only_indonesian = with_operator_files(&[("id/article.html.j2", "id: {{ title }}")]);
        assert_eq!(only_indonesian.article("en", &view, TEXT_LIMIT).unwrap(), "<b>T</b>", "English stays built in");
    }

    #[test]
    fn a_broken_operator_template_is_named() {
        for path in ["article.html.j2", "id/digest.html.j2"] {
            let dir = tempfile::tempdir().unwrap();
            let file = dir.path().join(path);
            std::fs::create_dir_all(file.parent().unwrap()).unwrap();
            std::fs::write(&file, "{{ title").unwrap();
            let error = Renderer::with_overrides(Some(dir.path())).unwrap_err().to_string();
            assert!(error.contains(&file.display().to_string()), "{error}");
        }
    }
}
