//! Real-world feeds (`tests/fixtures/feeds`, from feed-rs's test suite) through kabar's parser,
//! summariser and renderer: nothing panics, and every message is Telegram HTML within its limits.
//! No network and no sandbox: the pipeline's pure parts only, one file at a time.

use std::any::Any;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};

use kabar::article::summary::{sentences, strip_dateline};
use kabar::article::{Summarizer, paragraphs_from_html, paragraphs_from_text};
use kabar::config::SummarySettings;
use kabar::sources::parse::{FeedItem, html_to_text, parse_feed_document};
use kabar::{
    domain::{Language, Platform},
    render::{
        ArticleView, Renderer, Room,
        telegram_html::{TEXT_LIMIT, visible_len},
    },
};

/// Fewer feeds than this and the corpus has lost its point.
const MIN_FEEDS: usize = 30;

/// Files that must not parse, with why. A file that starts to parse, or another that stops,
/// changes this list on purpose or not at all.
const EXPECTED_PARSE_FAILURES: &[(&str, &str)] = &[
    // Reuters' feed as its server failed mid-render: it stops after the channel's <copyright>,
    // with a server error in a comment and no closing tags.
    ("rss2/rss_2.0_invalid_1.xml", "cut off mid-document"),
];

/// What `summary::lead` ends a summary with: a sentence's closing punctuation, possibly followed by
/// the quotes and brackets `summary::sentences` keeps with it, or the ellipsis of a cut sentence.
const SENTENCE_ENDS: &[char] = &['.', '!', '?', '…'];
const SENTENCE_CLOSERS: &[char] = &['"', '”', '’', '\'', ')'];

/// The only escapes `render::html::escape` writes.
const ESCAPES: &[&str] = &["&lt;", "&gt;", "&amp;", "&quot;"];

#[test]
fn every_corpus_feed_goes_through_parser_summariser_and_renderer() {
    let files = feed_files(&corpus_dir());
    assert!(files.len() >= MIN_FEEDS, "only {} feeds found in {}", files.len(), corpus_dir().display());

    let pipeline = Pipeline::new();
    let mut findings = Findings::default();
    for file in &files {
        pipeline.check_file(file, &mut findings);
    }

    assert!(findings.panics.is_empty(), "kabar panicked:\n{}", findings.panics.join("\n"));
    assert!(findings.violations.is_empty(), "broken promises:\n{}", findings.violations.join("\n"));
    let failed: Vec<&str> = findings.parse_failures.iter().map(|(name, _)| name.as_str()).collect();
    let expected: Vec<&str> = EXPECTED_PARSE_FAILURES.iter().map(|(name, _)| *name).collect();
    assert_eq!(failed, expected, "the files that do not parse changed: {:#?}", findings.parse_failures);
    assert!(findings.feeds_with_items >= MIN_FEEDS, "only {} feeds parsed with items", findings.feeds_with_items);
}

/// The corpus test passing means little if its checks let anything through.
#[test]
fn the_corpus_checks_catch_what_they_look_for() {
    let message = "<b>A &amp; B</b>\n\n<i>x</i> 1 &lt; 2\n\n<a href=\"https://x.org/?a=1&amp;b=2\">Read more</a>";
    assert_eq!(telegram_html_problem(message), None);
    for broken in ["<b>open", "<b>x</i>", "</b>", "<p>x</p>", "a & b", "a > b", "<a href=\"x\"y\">z</a>", "<b"] {
        assert!(telegram_html_problem(broken).is_some(), "{broken:?} passed");
    }

    let pipeline = Pipeline::new();
    let paragraphs = vec!["One two three. Four five".to_owned(), "Six seven eight.".to_owned()];
    for whole in ["One two three.", "One two three. Four five", "One two…"] {
        let lead = Lead { text: whole.to_owned(), paragraphs: paragraphs.clone() };
        assert_eq!(pipeline.summary_problem(&lead), None, "{whole:?} refused");
    }
    for cut in ["One two", "One two three. Four", "", &"word. ".repeat(100)] {
        let lead = Lead { text: cut.to_owned(), paragraphs: paragraphs.clone() };
        assert!(pipeline.summary_problem(&lead).is_some(), "{cut:?} passed");
    }
}

/// What went wrong across the corpus, each line naming its file (and item).
#[derive(Default)]
struct Findings {
    panics: Vec<String>,
    violations: Vec<String>,
    /// File and error.
    parse_failures: Vec<(String, String)>,
    feeds_with_items: usize,
}

/// kabar's parts with the settings a fresh install has.
struct Pipeline {
    summarizer: Summarizer,
    max_summary_chars: usize,
    renderer: Renderer,
}

impl Pipeline {
    fn new() -> Pipeline {
        let settings = SummarySettings::default();
        Pipeline {
            summarizer: Summarizer::new(&settings),
            max_summary_chars: settings.max_chars,
            renderer: Renderer::default(),
        }
    }

    fn check_file(&self, file: &Path, findings: &mut Findings) {
        let name = corpus_name(file);
        let bytes = std::fs::read(file).unwrap_or_else(|error| panic!("cannot read {name}: {error}"));
        let document = match guarded(|| parse_feed_document(&bytes)) {
            Err(panic) => return findings.panics.push(format!("{name}: parse_feed_document: {panic}")),
            Ok(Err(error)) => return findings.parse_failures.push((name, error.to_string())),
            Ok(Ok(document)) => document,
        };
        findings.feeds_with_items += usize::from(!document.items.is_empty());
        for item in &document.items {
            self.check_item(&format!("{name}, item {:?}", item.key), item, findings);
        }
    }

    fn check_item(&self, at: &str, item: &FeedItem, findings: &mut Findings) {
        findings.violations.extend(item_problems(item).into_iter().map(|problem| format!("{at}: {problem}")));
        let summary = match guarded(|| self.summarize(item)) {
            Ok(summary) => summary,
            Err(panic) => return findings.panics.push(format!("{at}: summariser: {panic}")),
        };
        let summary = summary.map(|lead| {
            if let Some(problem) = self.summary_problem(&lead) {
                findings.violations.push(format!("{at}: summary {:?}: {problem}", lead.text));
            }
            lead.text
        });
        let view = ArticleView { title: &item.title, summary: summary.as_deref(), url: item.link.as_deref() };
        for &language in Language::ALL {
            self.check_message(&format!("{at}, in {language}"), language, &view, findings);
        }
    }

    fn check_message(&self, at: &str, language: Language, view: &ArticleView<'_>, findings: &mut Findings) {
        match guarded(|| self.renderer.article(Platform::Telegram, language, view, Room::Text)) {
            Err(panic) => findings.panics.push(format!("{at}: renderer: {panic}")),
            Ok(Err(error)) => findings.violations.push(format!("{at}: render error: {error}")),
            Ok(Ok(message)) => {
                if let Some(problem) = message_problem(&message) {
                    findings.violations.push(format!("{at}: message {message:?}: {problem}"));
                }
            }
        }
    }

    /// The summary kabar publishes without fetching the article's page (`publish_item`): from the
    /// full content when it has prose, else from the feed's excerpt as plain text.
    fn summarize(&self, item: &FeedItem) -> Option<Lead> {
        let from_content = item.content_html.as_deref().and_then(|html| {
            let text = self.summarizer.summarize_html(&item.title, html)?;
            Some(Lead { text, paragraphs: paragraphs_from_html(html) })
        });
        from_content.or_else(|| {
            let excerpt = html_to_text(item.summary_html.as_deref()?);
            let text = self.summarizer.summarize_text(&item.title, &excerpt)?;
            Some(Lead { text, paragraphs: paragraphs_from_text(&excerpt) })
        })
    }

    /// What `summary::lead` promises: within the budget, and whole sentences or the first one cut
    /// with an ellipsis. A "sentence" there may be a paragraph's unpunctuated tail ("Best regards"),
    /// so a summary may also end where one of its paragraphs ends, but never elsewhere.
    fn summary_problem(&self, lead: &Lead) -> Option<String> {
        let length = lead.text.chars().count();
        if lead.text.trim().is_empty() {
            Some("empty".to_owned())
        } else if length > self.max_summary_chars {
            Some(format!("{length} characters, over the {} budget", self.max_summary_chars))
        } else if !ends_a_sentence(&lead.text) && !lead.ends_a_paragraph() {
            Some("ends neither at a sentence end, nor with an ellipsis, nor where a paragraph ends".to_owned())
        } else {
            None
        }
    }
}

/// A summary and the paragraphs the summariser drew it from.
struct Lead {
    text: String,
    paragraphs: Vec<String>,
}

impl Lead {
    /// Whether the summary ends with a paragraph's last sentence, as `lead` takes it (without the
    /// dateline, should the paragraph be the first and a single sentence).
    fn ends_a_paragraph(&self) -> bool {
        let last_sentences = self.paragraphs.iter().filter_map(|paragraph| sentences(paragraph).last().copied());
        last_sentences.map(strip_dateline).any(|last| self.text.ends_with(last))
    }
}

fn ends_a_sentence(text: &str) -> bool {
    text.trim_end_matches(SENTENCE_CLOSERS).ends_with(SENTENCE_ENDS)
}

/// What every parsed item must have: a key to remember it by and a tidy title to show.
fn item_problems(item: &FeedItem) -> Vec<String> {
    let mut problems = Vec::new();
    if item.key.is_empty() {
        problems.push("empty key".to_owned());
    }
    if item.title.is_empty() {
        problems.push("empty title".to_owned());
    }
    if item.title.trim() != item.title {
        problems.push(format!("title {:?} has surrounding whitespace", item.title));
    }
    problems
}

/// Why Telegram would refuse `message`, if it would: too long, or not the HTML kabar writes.
fn message_problem(message: &str) -> Option<String> {
    let length = visible_len(message);
    if length > TEXT_LIMIT {
        return Some(format!("{length} visible characters, over Telegram's {TEXT_LIMIT}"));
    }
    telegram_html_problem(message)
}

/// Checks that `html` holds only `<b>`, `<i>` and `<a href="…">`, properly nested, and that every
/// other `<`, `>` and `&` is one of the escapes kabar writes.
fn telegram_html_problem(html: &str) -> Option<String> {
    let mut open_tags = Vec::new();
    let mut rest = html;
    while let Some(at) = rest.find(['<', '>', '&']) {
        rest = &rest[at..];
        if rest.starts_with('>') {
            return Some("a raw '>' outside a tag".to_owned());
        } else if rest.starts_with('&') {
            let Some(escape) = ESCAPES.iter().find(|escape| rest.starts_with(**escape)) else {
                return Some(format!("a raw '&' at {:?}", prefix(rest)));
            };
            rest = &rest[escape.len()..];
        } else {
            let Some(end) = rest.find('>') else { return Some(format!("an unclosed tag at {:?}", prefix(rest))) };
            if let Some(problem) = tag_problem(&rest[1..end], &mut open_tags) {
                return Some(problem);
            }
            rest = &rest[end + 1..];
        }
    }
    (!open_tags.is_empty()).then(|| format!("tags left open: {open_tags:?}"))
}

/// Checks one tag's inside (between `<` and `>`), keeping track of the tags still open.
fn tag_problem<'a>(tag: &'a str, open_tags: &mut Vec<&'a str>) -> Option<String> {
    if let Some(name) = tag.strip_prefix('/') {
        return (open_tags.pop() != Some(name)).then(|| format!("</{name}> closes nothing open"));
    }
    let name = match tag {
        "b" | "i" => tag,
        _ => match tag.strip_prefix("a href=\"").and_then(|href| href.strip_suffix('"')) {
            Some(href) if !href.contains(['"', '<']) && escapes_are_known(href) => "a",
            _ => return Some(format!("a tag kabar does not write: <{tag}>")),
        },
    };
    open_tags.push(name);
    None
}

fn escapes_are_known(text: &str) -> bool {
    text.match_indices('&').all(|(at, _)| ESCAPES.iter().any(|escape| text[at..].starts_with(escape)))
}

/// The first few characters of `text`, to show where a problem is.
fn prefix(text: &str) -> String {
    text.chars().take(20).collect()
}

/// Runs `work`, turning a panic into its message so that one bad file does not hide the others.
fn guarded<T>(work: impl FnOnce() -> T) -> Result<T, String> {
    catch_unwind(AssertUnwindSafe(work)).map_err(|payload| panic_message(payload.as_ref()))
}

fn panic_message(payload: &(dyn Any + Send)) -> String {
    let message = payload.downcast_ref::<&str>().copied().or(payload.downcast_ref::<String>().map(String::as_str));
    format!("panicked: {}", message.unwrap_or("(a non-text panic)"))
}

fn corpus_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/feeds/feed-rs")
}

/// Every `.xml` and `.json` file under `dir`, sorted, so that failures come in a stable order.
fn feed_files(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let entries = std::fs::read_dir(dir).unwrap_or_else(|error| panic!("cannot list {}: {error}", dir.display()));
    for path in entries.map(|entry| entry.expect("a readable directory entry").path()) {
        if path.is_dir() {
            files.extend(feed_files(&path));
        } else if path.extension().is_some_and(|extension| extension == "xml" || extension == "json") {
            files.push(path);
        }
    }
    files.sort();
    files
}

/// A file's path inside the corpus, as `EXPECTED_PARSE_FAILURES` names it.
fn corpus_name(file: &Path) -> String {
    let relative = file.strip_prefix(corpus_dir()).unwrap_or(file);
    relative.components().map(|part| part.as_os_str().to_string_lossy()).collect::<Vec<_>>().join("/")
}
