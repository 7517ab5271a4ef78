//! How a summary compares with its page's gold, and the corpus-wide tally.
//!
//! - **First sentence right:** the summary's first sentence is the first sentence of the gold
//!   lead, compared folded (case, accents, punctuation and spacing ignored). The lead's dateline
//!   may be missing from the summary, as the summariser strips it: a dateline here is what comes
//!   before the lead's first dash or colon, at most [`DATELINE_WORDS`] words ("MADRID — ",
//!   "COLUMBIA, S.C. (AP) — "), and the first sentence is then that of the rest. A first sentence
//!   too long for the budget, cut with "…", is right when it starts the gold one.
//! - **Precision:** the share of the summary's words that the article text has (each word of the
//!   article used at most as often as it occurs there), averaged over the pages with a summary.
//! - **No summary:** pages whose article has running text but which got no summary.

use std::collections::HashMap;

use kabar::article::summary::sentences;
use kabar::text::fold;

use super::gold::Gold;

/// The most words a stripped dateline may take from the start of the gold first sentence.
pub const DATELINE_WORDS: usize = 8;

/// The words of `text`, folded for comparison.
fn words(text: &str) -> Vec<String> {
    fold(text).split_whitespace().map(str::to_owned).collect()
}

/// Where the dateline of a lead may end: dashes and a colon, as datelines are written.
const DATELINE_ENDS: [&str; 5] = [" — ", " – ", " - ", " -- ", ": "];

/// Whether `summary` starts with the first sentence of `lead`, the gold lead paragraph.
pub fn first_sentence_is_right(summary: &str, lead: &str) -> bool {
    let Some(first) = sentences(summary).first().copied() else { return false };
    let cut = first.ends_with('…');
    let first = words(first.trim_end_matches('…'));
    !first.is_empty()
        && without_dateline(lead).any(|rest| {
            let gold_first = sentences(rest).first().map_or(0, |sentence| words(sentence).len());
            words(rest).starts_with(&first) && (cut || first.len() >= gold_first)
        })
}

/// `lead` as it is, and without each prefix that may be its dateline.
fn without_dateline(lead: &str) -> impl Iterator<Item = &str> {
    let datelines = DATELINE_ENDS.into_iter().filter_map(|end| {
        let at = lead.find(end)?;
        (words(&lead[..at]).len() <= DATELINE_WORDS).then(|| &lead[at + end.len()..])
    });
    std::iter::once(lead).chain(datelines)
}

/// The share of `summary`'s words found in `article`.
pub fn token_precision(summary: &str, article: &str) -> f64 {
    overlap(summary, article).0
}

/// How `candidate`'s words overlap `reference`'s: the share of the candidate's words the
/// reference has (precision) and the share of the reference's words the candidate has (recall),
/// each word counted at most as often as it occurs on the other side.
pub fn overlap(candidate: &str, reference: &str) -> (f64, f64) {
    let mut available: HashMap<String, usize> = HashMap::new();
    let reference = words(reference);
    for word in &reference {
        *available.entry(word.clone()).or_default() += 1;
    }
    let candidate = words(candidate);
    let shared = candidate
        .iter()
        .filter(|word| match available.get_mut(*word) {
            Some(count) if *count > 0 => {
                *count -= 1;
                true
            }
            _ => false,
        })
        .count() as f64;
    (shared / candidate.len().max(1) as f64, shared / reference.len().max(1) as f64)
}

/// The figures of one way of summarising, over the whole corpus.
#[derive(Debug, Default)]
pub struct Tally {
    pub pages: usize,
    /// Pages whose gold has a lead of running text.
    pub with_lead: usize,
    pub first_sentence_right: usize,
    pub summaries: usize,
    precision_sum: f64,
    /// Pages with running text and no summary.
    pub missing: Vec<String>,
    /// Pages whose summary starts elsewhere: name, summary, gold first sentence.
    pub wrong_start: Vec<(String, String, String)>,
    /// Pages whose summary has words the article lacks: name, precision, summary.
    pub leaks: Vec<(String, f64, String)>,
}

impl Tally {
    /// Counts one page's summary.
    pub fn add(&mut self, name: &str, summary: Option<&str>, gold: &Gold) {
        self.pages += 1;
        if let Some(summary) = summary {
            let precision = token_precision(summary, &gold.text);
            self.summaries += 1;
            self.precision_sum += precision;
            if precision < 1.0 {
                self.leaks.push((name.to_owned(), precision, summary.to_owned()));
            }
        }
        let Some(lead) = &gold.lead else { return };
        self.with_lead += 1;
        match summary {
            None => self.missing.push(name.to_owned()),
            Some(summary) if first_sentence_is_right(summary, lead) => self.first_sentence_right += 1,
            Some(summary) => {
                let first = gold.first_sentence().unwrap_or_default().to_owned();
                self.wrong_start.push((name.to_owned(), summary.to_owned(), first));
            }
        }
    }

    /// The share of pages with running text whose summary starts with the article's first sentence.
    pub fn first_sentence_share(&self) -> f64 {
        self.first_sentence_right as f64 / self.with_lead.max(1) as f64
    }

    /// The mean token precision of the summaries.
    pub fn precision(&self) -> f64 {
        self.precision_sum / self.summaries.max(1) as f64
    }
}
