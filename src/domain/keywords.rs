//! A reader's include and exclude words.
//!
//! Readers narrow their feed with words such as "gempa" (only earthquake news) or exclude
//! "tol" (no toll-road news). Both the words and the stories pass through [`fold`], which
//! removes the differences readers do not care about — letter case, accents, punctuation —
//! so "Café" finds "cafe" and "JAKARTA" finds "Jakarta's".
//!
//! A keyword matches where a word *begins*: "banjir" finds "banjirnya" (Indonesian suffixes)
//! but "bola" does not find "sepakbola". Multi-word keywords match as a phrase. Matching is
//! a plain substring search for `" " + keyword` in the padded folded text, which keeps it
//! linear in the length of the story.

use super::stored::text_enum;
use crate::text::fold;

/// Most keywords one reader may keep, include and exclude together. Enforced by the caller
/// when a keyword is added; [`KeywordFilter`] itself accepts any number.
pub const MAX_KEYWORDS: usize = 20;

/// Longest keyword, in characters of its folded form.
pub const MAX_KEYWORD_CHARS: usize = 40;

/// Shortest keyword, in characters of its folded form; one letter would match nearly every
/// story.
const MIN_KEYWORD_CHARS: usize = 2;

/// Why a keyword was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeywordError {
    #[error("a keyword needs letters or digits")]
    Empty,
    #[error("a keyword needs at least {MIN_KEYWORD_CHARS} characters")]
    TooShort,
    #[error("a keyword can have at most {MAX_KEYWORD_CHARS} characters")]
    TooLong,
}

/// Checks a keyword a reader typed and returns its folded form without the padding spaces
/// (`"  Joko  Widodo! "` → `"joko widodo"`), ready to store.
pub fn keyword(raw: &str) -> Result<String, KeywordError> {
    let folded = fold(raw);
    let folded = folded.trim();
    match folded.chars().count() {
        0 => Err(KeywordError::Empty),
        n if n < MIN_KEYWORD_CHARS => Err(KeywordError::TooShort),
        n if n > MAX_KEYWORD_CHARS => Err(KeywordError::TooLong),
        _ => Ok(folded.to_owned()),
    }
}

text_enum! {
    /// Whether a keyword asks for stories with it, or for stories without it.
    pub enum KeywordKind {
        Include = "include",
        Exclude = "exclude",
    }
}

/// What adding a keyword did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeywordAdded {
    Added,
    AlreadyThere,
    /// The reader has [`MAX_KEYWORDS`] already.
    TooMany,
}

/// A reader's include and exclude words, ready to test stories against.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct KeywordFilter {
    /// Each keyword with one leading space: the needle to look for in padded folded text.
    include: Vec<String>,
    /// Same form as `include`.
    exclude: Vec<String>,
}

impl KeywordFilter {
    /// Builds a filter from keywords as returned by [`keyword`]. They are folded again, which
    /// changes nothing for such keywords but keeps a hand-written or legacy "Jakarta" from
    /// silently never matching; words that fold to nothing are dropped.
    pub fn new(include: Vec<String>, exclude: Vec<String>) -> KeywordFilter {
        KeywordFilter { include: needles(&include), exclude: needles(&exclude) }
    }

    /// A filter from stored (kind, keyword) pairs.
    pub fn from_rows(rows: impl IntoIterator<Item = (KeywordKind, String)>) -> KeywordFilter {
        let (include, exclude): (Vec<_>, Vec<_>) =
            rows.into_iter().partition(|(kind, _)| *kind == KeywordKind::Include);
        KeywordFilter::new(include.into_iter().map(|(_, k)| k).collect(), exclude.into_iter().map(|(_, k)| k).collect())
    }

    /// The include words, as the reader sees them.
    pub fn include_words(&self) -> Vec<&str> {
        self.include.iter().map(|needle| needle.trim_start()).collect()
    }

    /// The exclude words, as the reader sees them.
    pub fn exclude_words(&self) -> Vec<&str> {
        self.exclude.iter().map(|needle| needle.trim_start()).collect()
    }

    /// True when the filter lets every story through.
    pub fn is_empty(&self) -> bool {
        self.include.is_empty() && self.exclude.is_empty()
    }

    /// `folded_text` is `fold(title + " " + summary)`. A story passes when no exclude word
    /// occurs in it and, if there are include words, at least one occurs.
    pub fn admits(&self, folded_text: &str) -> bool {
        let occurs = |needle: &String| folded_text.contains(needle.as_str());
        let excluded = self.exclude.iter().any(occurs);
        let included = self.include.is_empty() || self.include.iter().any(occurs);
        included && !excluded
    }
}

/// `" joko widodo"` for `"Joko Widodo"`: the folded keyword with its leading space only, so
/// it matches at the start of a word and may run on into a suffix.
fn needles(keywords: &[String]) -> Vec<String> {
    keywords.iter().map(|keyword| fold(keyword).trim_end().to_owned()).filter(|needle| !needle.is_empty()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_filter_is_built_from_stored_rows() {
        let rows = [(KeywordKind::Exclude, "tol".to_owned()), (KeywordKind::Include, "banjir".to_owned())];
        let filter = KeywordFilter::from_rows(rows);
        assert_eq!((filter.include_words(), filter.exclude_words()), (vec!["banjir"], vec!["tol"]));
    }

    fn words(list: &[&str]) -> Vec<String> {
        list.iter().map(|word| keyword(word).expect("test keyword is valid")).collect()
    }

    fn including(list: &[&str]) -> KeywordFilter {
        KeywordFilter::new(words(list), Vec::new())
    }

    fn excluding(list: &[&str]) -> KeywordFilter {
        KeywordFilter::new(Vec::new(), words(list))
    }

    // ---- keyword -----------------------------------------------------------------------

    #[test]
    fn keyword_returns_folded_form_without_padding() {
        assert_eq!(keyword("Gempa"), Ok("gempa".to_owned()));
        assert_eq!(keyword("  Joko  Widodo! "), Ok("joko widodo".to_owned()));
        assert_eq!(keyword("Café"), Ok("cafe".to_owned()));
        assert_eq!(keyword("#banjir"), Ok("banjir".to_owned()));
        assert_eq!(keyword("地震"), Ok("地震".to_owned()));
    }

    #[test]
    fn keyword_rejects_empty_short_and_long() {
        assert_eq!(keyword(""), Err(KeywordError::Empty));
        assert_eq!(keyword("  !!! 🎉 "), Err(KeywordError::Empty));
        assert_eq!(keyword("a"), Err(KeywordError::TooShort));
        assert_eq!(keyword("É."), Err(KeywordError::TooShort));
        assert_eq!(keyword("ab"), Ok("ab".to_owned()));
        let longest = "a".repeat(MAX_KEYWORD_CHARS);
        assert_eq!(keyword(&longest), Ok(longest.clone()));
        assert_eq!(keyword(&format!("{longest}b")), Err(KeywordError::TooLong));
    }

    #[test]
    fn keyword_length_counts_characters_not_bytes() {
        let longest = "é".repeat(MAX_KEYWORD_CHARS);
        assert_eq!(keyword(&longest), Ok("e".repeat(MAX_KEYWORD_CHARS)));
        let cjk = "地".repeat(MAX_KEYWORD_CHARS);
        assert_eq!(keyword(&cjk), Ok(cjk.clone()));
    }

    #[test]
    fn keyword_length_is_measured_after_folding() {
        // Punctuation and spacing collapse, so this is "a b", three characters.
        assert_eq!(keyword("a ------------------------------------------------ b"), Ok("a b".to_owned()));
    }

    // ---- matching ----------------------------------------------------------------------

    #[test]
    fn keyword_matches_at_the_start_of_a_word() {
        let filter = including(&["banjir"]);
        assert!(filter.admits(&fold("Banjir melanda Bekasi")));
        assert!(filter.admits(&fold("Banjirnya sudah surut")));
        assert!(filter.admits(&fold("Warga mengungsi akibat banjir.")));
        assert!(!filter.admits(&fold("Harga cabai naik")));
    }

    #[test]
    fn keyword_does_not_match_inside_a_word() {
        let filter = including(&["bola"]);
        assert!(!filter.admits(&fold("Liga sepakbola Indonesia")));
        assert!(filter.admits(&fold("Sepak bola Indonesia")));
    }

    #[test]
    fn include_gempa() {
        let filter = including(&["gempa"]);
        assert!(filter.admits(&fold("Gempa M 6,1 guncang Maluku")));
        assert!(filter.admits(&fold("BMKG: gempabumi tidak berpotensi tsunami")));
        assert!(!filter.admits(&fold("Pagempa festival")));
    }

    #[test]
    fn keyword_matches_before_an_apostrophe() {
        assert!(including(&["jakarta"]).admits(&fold("Jakarta's flood season")));
    }

    #[test]
    fn case_and_accents_do_not_matter_on_either_side() {
        assert!(including(&["Café"]).admits(&fold("Best CAFE in town")));
        assert!(including(&["cafe"]).admits(&fold("Le Café de Flore")));
        assert!(including(&["JAKARTA"]).admits(&fold("jakarta hari ini")));
    }

    #[test]
    fn exclude_tol() {
        let filter = excluding(&["tol"]);
        assert!(!filter.admits(&fold("Kecelakaan di Tol Cipali")));
        assert!(filter.admits(&fold("Totalitas pemain timnas")));
        assert!(filter.admits(&fold("Petugas menolong korban")));
    }

    #[test]
    fn multi_word_keyword_matches_as_a_phrase() {
        let filter = including(&["Joko Widodo"]);
        assert!(filter.admits(&fold("Presiden Joko Widodo meresmikan bendungan")));
        assert!(filter.admits(&fold("Kata Joko-Widodo, \"kita siap\"")));
        assert!(!filter.admits(&fold("Joko dan Widodo bertemu")));
        assert!(!filter.admits(&fold("Widodo Joko")));
    }

    #[test]
    fn indonesian_text_with_punctuation() {
        let text =
            fold("BREAKING: Gempa M5,2 Guncang Cianjur; Warga Panik (Update 14.30 WIB) — BPBD: \"Tetap tenang!\"");
        assert!(including(&["cianjur"]).admits(&text));
        assert!(including(&["bpbd"]).admits(&text));
        assert!(including(&["tetap tenang"]).admits(&text));
        assert!(including(&["14 30"]).admits(&text));
        assert!(including(&["14.30"]).admits(&text));
        assert!(!including(&["tenang tetap"]).admits(&text));
    }

    #[test]
    fn exclude_wins_over_include() {
        let filter = KeywordFilter::new(words(&["gempa"]), words(&["latihan"]));
        assert!(filter.admits(&fold("Gempa di Cianjur")));
        assert!(!filter.admits(&fold("Latihan evakuasi gempa")));
        assert!(!filter.admits(&fold("Latihan rutin")));
    }

    #[test]
    fn any_include_word_is_enough() {
        let filter = including(&["gempa", "banjir", "tsunami"]);
        assert!(filter.admits(&fold("Peringatan tsunami dicabut")));
        assert!(!filter.admits(&fold("Harga beras stabil")));
    }

    #[test]
    fn empty_filter_admits_everything() {
        let filter = KeywordFilter::new(Vec::new(), Vec::new());
        assert!(filter.is_empty());
        assert!(filter.admits(&fold("apa saja")));
        assert!(filter.admits(&fold("")));
        assert!(filter.admits(""));
        assert!(KeywordFilter::default().is_empty());
    }

    #[test]
    fn words_are_listed_folded_in_the_order_given() {
        let filter = KeywordFilter::new(words(&["Joko Widodo", "gempa"]), vec!["Tol!".into()]);
        assert_eq!(filter.include_words(), ["joko widodo", "gempa"]);
        assert_eq!(filter.exclude_words(), ["tol"]);
        assert!(KeywordFilter::default().include_words().is_empty());
    }

    #[test]
    fn is_empty_reports_any_keyword() {
        assert!(!including(&["gempa"]).is_empty());
        assert!(!excluding(&["tol"]).is_empty());
    }

    #[test]
    fn new_folds_unfolded_keywords_and_drops_empty_ones() {
        let filter = KeywordFilter::new(vec!["  JAKARTA ".into(), "".into(), "!!".into()], vec!["Tol".into()]);
        assert!(filter.admits(&fold("Jakarta hari ini")));
        assert!(!filter.admits(&fold("Jakarta: tol macet")));
        assert!(!filter.admits(&fold("Bandung hari ini")));
        assert!(KeywordFilter::new(vec![String::new()], vec!["...".into()]).is_empty());
    }

    #[test]
    fn cjk_keyword_matches_at_the_start_of_a_run() {
        assert!(including(&["地震"]).admits(&fold("地震速報: 東京")));
        assert!(!including(&["地震"]).admits(&fold("東京で地震")));
        assert!(!including(&["地震"]).admits(&fold("🔥🔥🔥")));
    }

    #[test]
    fn huge_text_is_handled_in_linear_time() {
        let five_mb = "Gempa di Jakarta, warga panik! 🔥 ".repeat(5 * 1024 * 1024 / 36);
        let folded = fold(&five_mb);
        assert!(folded.len() > 4 * 1024 * 1024);
        let filter = KeywordFilter::new(words(&["jakarta", "tsunami"]), words(&["banjir"]));
        assert!(filter.admits(&folded));
        assert!(!excluding(&["warga"]).admits(&folded));
    }

    #[test]
    fn adversarial_repetition_stays_fast() {
        // Classic worst case for naive substring search: a long run of one letter and a
        // needle that almost matches everywhere.
        let text = fold(&"a".repeat(5 * 1024 * 1024));
        let needle = format!("{}b", "a".repeat(MAX_KEYWORD_CHARS - 1));
        assert!(!including(&[needle.as_str()]).admits(&text));
        assert_eq!(keyword(&"a".repeat(5 * 1024 * 1024)), Err(KeywordError::TooLong));
    }
}
