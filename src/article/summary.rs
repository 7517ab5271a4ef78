//! The lead: the first sentences of the article's prose, within a length budget, cut at a sentence
//! end and never mid-word, the way an editor writes a teaser.

use std::sync::LazyLock;

use super::BoilerplateRules;
use crate::text::cut_at_word;

/// Words that end with a period without ending the sentence (compared without the period,
/// case-insensitively). Indonesian first, then English.
const ABBREVIATIONS: &[&str] = &[
    "mis", "dll", "dsb", "dst", "dkk", "jl", "jln", "dr", "drs", "dra", "h", "hj", "prof", "ir", "st", "no", "tn",
    "ny", "nn", "sdr", "sdri", "bpk", "kol", "brigjen", "mayjen", "letjen", "jend", "kapt", "kec", "kab", "kel", "rp",
    "tsb", "yth", "a.n", "u.p", "s.h", "s.e", "m.si", "mr", "mrs", "ms", "jr", "sr", "vs", "etc", "e.g", "i.e", "u.s",
    "u.k", "inc", "ltd", "co", "corp", "gen", "gov", "sen", "rep", "st", "mt", "ft", "approx",
];

/// Removes a leading dateline ("JAKARTA – ") from the article's first paragraph, by the
/// built-in `dateline` rules of `lead.toml`.
pub fn strip_dateline(paragraph: &str) -> &str {
    static RULES: LazyLock<BoilerplateRules> = LazyLock::new(BoilerplateRules::default);
    RULES.lead.strip_dateline(paragraph)
}

/// Splits prose into sentences, keeping each sentence's closing punctuation and quote.
pub fn sentences(text: &str) -> Vec<&str> {
    let mut found = Vec::new();
    let mut start = 0;
    let chars: Vec<(usize, char)> = text.char_indices().collect();
    // Closing marks taken into one sentence's end ("?!", "...") are not ends of their own.
    let mut taken_until = 0;
    for (i, &(at, c)) in chars.iter().enumerate() {
        if i < taken_until || !matches!(c, '.' | '!' | '?' | '…') {
            continue;
        }
        let mut end = at + c.len_utf8();
        let mut next = i + 1;
        while let Some(&(pos, closer)) = chars.get(next) {
            if !matches!(closer, '"' | '”' | '’' | '\'' | ')' | '.' | '!' | '?') {
                break;
            }
            end = pos + closer.len_utf8();
            next += 1;
        }
        taken_until = next;
        let followed_by_new_sentence = match (chars.get(next), chars.get(next + 1)) {
            (None, _) => true,
            (Some(&(_, space)), Some(&(_, first))) if space.is_whitespace() => {
                first.is_uppercase() || first.is_numeric() || matches!(first, '"' | '“' | '‘' | '(')
            }
            _ => false,
        };
        if followed_by_new_sentence && !(c == '.' && ends_with_abbreviation(&text[start..at])) {
            found.push(text[start..end].trim());
            start = end;
        }
    }
    if !text[start..].trim().is_empty() {
        found.push(text[start..].trim());
    }
    found
}

fn ends_with_abbreviation(before_period: &str) -> bool {
    let word = before_period.rsplit(|c: char| c.is_whitespace() || c == '(').next().unwrap_or("");
    let word = word.trim_start_matches(['"', '“']);
    let is_initial = word.chars().count() == 1 && word.chars().all(char::is_uppercase);
    is_initial || ABBREVIATIONS.iter().any(|abbreviation| abbreviation.eq_ignore_ascii_case(word))
}

/// The lead of `paragraphs` within `max_chars` characters: whole sentences while they fit; when
/// even the first does not, that sentence cut at a word boundary with an ellipsis.
pub fn lead(paragraphs: &[String], max_chars: usize) -> Option<String> {
    let mut summary = String::new();
    for sentence in paragraphs.iter().flat_map(|p| sentences(p)) {
        let needed = summary.chars().count() + usize::from(!summary.is_empty()) + sentence.chars().count();
        if needed > max_chars {
            break;
        }
        if !summary.is_empty() {
            summary.push(' ');
        }
        summary.push_str(sentence);
    }
    if summary.is_empty() {
        let first = paragraphs.iter().flat_map(|p| sentences(p)).next()?;
        summary = cut_at_word(first, max_chars);
    }
    Some(summary)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_ellipsis_ends_one_sentence_not_three() {
        // Found by the feed corpus: the dots after the first were read as ends of their own.
        assert_eq!(sentences("It rained... Then it stopped!? Yes."), vec!["It rained...", "Then it stopped!?", "Yes."]);
    }

    #[test]
    fn indonesian_abbreviations_do_not_end_a_sentence() {
        let text =
            "Ia tinggal di Jl. Merdeka No. 5 bersama dr. Ani, Prof. Budi, H. Rahman, dll. di sana. Kalimat kedua.";
        let found = sentences(text);
        assert_eq!(found.len(), 2, "{found:?}");
        assert!(found[0].ends_with("di sana."));
    }

    #[test]
    fn a_closing_quote_stays_with_its_sentence() {
        let found = sentences("Dia berkata “cukup.” Lalu pergi.");
        assert_eq!(found, ["Dia berkata “cukup.”", "Lalu pergi."]);
    }

    #[test]
    fn numbers_with_dots_are_not_sentence_ends() {
        assert_eq!(sentences("Sebanyak 10.000 tentara dikirim. Lalu 3.000 lagi.").len(), 2);
    }

    #[test]
    fn the_lead_takes_whole_sentences_within_the_budget() {
        let paragraphs = vec!["One two three. Four five six.".to_owned(), "Seven eight.".to_owned()];
        assert_eq!(lead(&paragraphs, 30).unwrap(), "One two three. Four five six.");
        assert_eq!(lead(&paragraphs, 20).unwrap(), "One two three.");
    }

    #[test]
    fn an_overlong_first_sentence_is_cut_at_a_word_with_an_ellipsis() {
        let paragraphs = vec!["Kata ".repeat(100).trim().to_owned() + "."];
        let summary = lead(&paragraphs, 50).unwrap();
        assert!(summary.chars().count() <= 50);
        assert!(summary.ends_with("Kata…"), "{summary}");
    }
}
