//! Where an article's lead starts: past the photo captions and credits, datelines, timestamps,
//! "Updated" lines, bylines, promotions and fact boxes that pages put before the first sentence
//! of running text. The rules are data (`lead.toml`, and the operator's rule file).

use super::rules::{Fired, Rule, RuleList};
use super::summary::sentences;
use crate::text::fold;

/// Below this many characters a leading paragraph is a label, a kicker or a caption, not prose.
const MIN_PROSE_CHARS: usize = 60;
/// Fewer words than this and a paragraph ending like a sentence is still a label ("Photo: AP.").
const MIN_PROSE_WORDS: usize = 8;

/// At most this many strips from the start of one paragraph: enough for a timestamp, a byline and
/// page furniture in a row, and a bound on the work a page can cause.
const MAX_STRIPS: usize = 8;

/// An article from its lead on.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Lead {
    /// The lead's paragraph, then the rest of the article.
    pub paragraphs: Vec<String>,
    /// Whether the lead is running text, rather than the first long paragraph of an article
    /// that has none (an excerpt cut mid-sentence, text broken into lines).
    pub is_running_text: bool,
}

impl Lead {
    fn new(lead: String, paragraphs: Vec<String>, at: usize, is_running_text: bool) -> Lead {
        let paragraphs = std::iter::once(lead).chain(paragraphs.into_iter().skip(at + 1)).collect();
        Lead { paragraphs, is_running_text }
    }
}

/// What may come before an article's lead, as compiled rules.
#[derive(Debug, Clone, Default)]
pub struct LeadRules {
    /// A leading paragraph that matches is not the lead: skipped whole.
    pub(super) skip: RuleList,
    /// Removed from the start of a leading paragraph: a timestamp, a byline or an "Updated" line
    /// glued to the first sentence.
    pub(super) strip: RuleList,
    /// Removed from the start of the lead unless the dateline is wanted: "JAKARTA – ".
    pub(super) dateline: RuleList,
}

impl LeadRules {
    pub(super) fn extend(&mut self, more: LeadRules) {
        self.skip.extend(more.skip);
        self.strip.extend(more.strip);
        self.dateline.extend(more.dateline);
    }

    /// The paragraphs from the lead on. Leading paragraphs that a rule skips, that repeat the
    /// title, or that are no running text are left out; what a rule strips from the start of the
    /// lead's paragraph goes too, and so does its dateline unless `keep_dateline`. When no
    /// paragraph reads as running text (an excerpt cut mid-sentence), the first long one leads.
    pub fn from_lead(&self, paragraphs: Vec<String>, title: &str, keep_dateline: bool, fired: &mut Fired) -> Lead {
        let title = fold(title);
        let mut first_long = None;
        for (at, paragraph) in paragraphs.iter().enumerate() {
            let text = self.strip_start(paragraph, fired);
            if text.is_empty() || fold(text) == title {
                continue;
            }
            if let Some(rule) = self.skip.matching(text) {
                fired.note(rule);
                continue;
            }
            if is_running_text(text) {
                let lead = self.lead_of(text, keep_dateline, fired);
                return Lead::new(lead, paragraphs, at, true);
            }
            if first_long.is_none() && text.chars().count() >= MIN_PROSE_CHARS {
                first_long = Some((at, self.lead_of(text, keep_dateline, fired)));
            }
        }
        match first_long {
            Some((at, lead)) => Lead::new(lead, paragraphs, at, false),
            None => Lead::default(),
        }
    }

    /// The lead's paragraph as the summary starts it: without its dateline unless
    /// `keep_dateline`, and with its drop cap joined.
    fn lead_of(&self, text: &str, keep_dateline: bool, fired: &mut Fired) -> String {
        let text = if keep_dateline { text } else { self.strip_dateline_noting(text, fired) };
        join_drop_cap(text)
    }

    /// `paragraph` without what the strip rules remove from its start.
    fn strip_start<'a>(&self, mut paragraph: &'a str, fired: &mut Fired) -> &'a str {
        for _ in 0..MAX_STRIPS {
            let Some((rule, rest)) = self.strip.iter().find_map(|rule| Some((rule, stripped_by(rule, paragraph)?)))
            else {
                break;
            };
            fired.note(rule);
            paragraph = rest;
        }
        paragraph
    }

    /// `paragraph` without its leading dateline ("WASHINGTON, DC, site.co.id – ").
    pub fn strip_dateline<'a>(&self, paragraph: &'a str) -> &'a str {
        self.strip_dateline_noting(paragraph, &mut Fired::default())
    }

    fn strip_dateline_noting<'a>(&self, paragraph: &'a str, fired: &mut Fired) -> &'a str {
        match self.dateline.earliest(paragraph) {
            // A dash among the first words of ordinary prose is no dateline: the rest must start
            // like a sentence.
            Some((rule, found)) if found.start() == 0 && starts_like_a_sentence(&paragraph[found.end()..]) => {
                fired.note(rule);
                &paragraph[found.end()..]
            }
            _ => paragraph,
        }
    }
}

/// What is left of `paragraph` once `rule` strips its start: up to the rule's `lead` group if it
/// has one, else its whole match. `None` when the rule does not match at the start, or when what
/// is left starts mid-sentence: then the stripped words were the lead's own.
fn stripped_by<'a>(rule: &Rule, paragraph: &'a str) -> Option<&'a str> {
    let groups = rule.pattern.captures(paragraph)?;
    let whole = groups.get(0)?;
    if whole.start() != 0 || whole.end() == 0 {
        return None;
    }
    let rest = paragraph[groups.name("lead").map_or(whole.end(), |lead| lead.start())..].trim_start();
    (rest.is_empty() || starts_like_a_sentence(rest)).then_some(rest)
}

/// Whether `paragraph` reads as running text rather than a heading, a label, a credit or the
/// tail of a sentence broken off: it starts like a sentence, its first sentence ends like one,
/// and it has a sentence's length.
fn is_running_text(paragraph: &str) -> bool {
    let Some(first) = sentences(paragraph).first().copied() else { return false };
    let end = first.trim_end_matches(['"', '”', '’', '\'', ')', ']', '»']);
    end.ends_with(['.', '!', '?', '…'])
        && !paragraph.starts_with(char::is_lowercase)
        && paragraph.split_whitespace().count() >= MIN_PROSE_WORDS
}

/// The lead with its drop cap joined again: "W hile" as some pages' markup reads, "While". Only
/// Latin consonants: vowels and other scripts' letters are words of their own in some language
/// ("A", "I", "O", "Y", Russian "В").
fn join_drop_cap(lead: &str) -> String {
    let mut chars = lead.chars();
    match (chars.next(), chars.next(), chars.next()) {
        (Some(cap), Some(' '), Some(next))
            if cap.is_ascii_uppercase() && !matches!(cap, 'A' | 'E' | 'I' | 'O' | 'U' | 'Y') && next.is_lowercase() =>
        {
            format!("{cap}{}", &lead[cap.len_utf8() + 1..])
        }
        _ => lead.to_owned(),
    }
}

fn starts_like_a_sentence(text: &str) -> bool {
    text.starts_with(|c: char| c.is_uppercase() || c.is_numeric() || matches!(c, '“' | '"' | '‘' | '\'' | '(' | '['))
}

#[cfg(test)]
mod examples;

#[cfg(test)]
mod tests {
    use super::super::BoilerplateRules;
    use super::*;

    fn lead(paragraphs: &[&str]) -> Vec<String> {
        let rules = BoilerplateRules::default();
        let paragraphs = paragraphs.iter().map(|p| (*p).to_owned()).collect();
        rules.lead.from_lead(paragraphs, "The Title Of The Story", false, &mut Fired::default()).paragraphs
    }

    #[test]
    fn a_dateline_with_the_site_name_is_stripped() {
        let text = "WASHINGTON, DC, sp-globalindo.co.id – Pentagon telah mengonfirmasi.";
        assert_eq!(BoilerplateRules::default().lead.strip_dateline(text), "Pentagon telah mengonfirmasi.");
    }

    #[test]
    fn simple_datelines_are_stripped() {
        let rules = BoilerplateRules::default();
        assert_eq!(rules.lead.strip_dateline("JAKARTA - Presiden tiba."), "Presiden tiba.");
        assert_eq!(rules.lead.strip_dateline("KOMPAS.com — Hujan turun."), "Hujan turun.");
    }

    #[test]
    fn prose_without_a_dateline_is_left_alone() {
        let text = "The minister said - quietly - that it was over.";
        assert_eq!(BoilerplateRules::default().lead.strip_dateline(text), text);
    }

    #[test]
    fn the_title_and_short_labels_before_the_lead_are_skipped() {
        let found = lead(&[
            "The title of the story",
            "EXCLUSIVE",
            "The first sentence of running text is long enough to be prose. Then.",
        ]);
        assert_eq!(found, ["The first sentence of running text is long enough to be prose. Then."]);
    }
}
