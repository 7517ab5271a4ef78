//! Text helpers every layer uses: whitespace, cutting at a word, slugs, folding for matching, and
//! the one HTML-entity decoder. A leaf: it imports nothing of kabar's.

use unicode_normalization::{UnicodeNormalization, char::is_combining_mark};

/// Collapses every run of whitespace (non-breaking spaces included) into one space, and trims.
pub fn normalize_whitespace(text: &str) -> String {
    text.split(|c: char| c.is_whitespace() || c == '\u{a0}').filter(|w| !w.is_empty()).collect::<Vec<_>>().join(" ")
}

/// Shortens `text` to at most `max_chars` characters at a word boundary, ending with "…".
pub fn cut_at_word(text: &str, max_chars: usize) -> String {
    if text.chars().count() <= max_chars {
        return text.to_owned();
    }
    let budget = max_chars.saturating_sub(1);
    let end = text.char_indices().nth(budget).map_or(text.len(), |(at, _)| at);
    let cut = match text[..end].rfind(char::is_whitespace) {
        Some(space) if space > 0 => &text[..space],
        _ => &text[..end],
    };
    format!("{}…", cut.trim_end_matches(|c: char| c.is_whitespace() || matches!(c, ',' | ';' | ':' | '-')))
}

/// Lower-case words of `text` joined by dashes, for names and URL slugs.
pub fn slugify(text: &str) -> String {
    let spaced: String = text.to_lowercase().chars().map(|c| if c.is_alphanumeric() { c } else { ' ' }).collect();
    spaced.split_whitespace().collect::<Vec<_>>().join("-")
}

/// Whether `url` may be shown as a link or handed to a platform: an absolute http(s) URL of sane
/// length. Everything else (`javascript:`, `file:`, relative paths) is not.
pub fn is_web_link(url: &str) -> bool {
    url.len() <= 2048 && url::Url::parse(url).is_ok_and(|u| matches!(u.scheme(), "http" | "https"))
}

/// Decodes every HTML character reference in `text` (named, decimal and hexadecimal), as a browser
/// would show it.
pub fn decode_entities(text: &str) -> String {
    html_escape::decode_html_entities(text).into_owned()
}

/// The case- and accent-insensitive form of `text` used for matching.
///
/// Compatibility-decomposes (NFKD, so "é" becomes "e" + accent and "ﬁ" becomes "fi"), drops
/// the accents, lowercases, and turns every run of characters that are not letters or digits
/// into a single space. The result starts and ends with exactly one space, so a word can be
/// found with `" " + word` no matter where it stands: `fold("Banjir di Jakarta!")` is
/// `" banjir di jakarta "`. Text without any letters or digits folds to `" "`.
pub fn fold(text: &str) -> String {
    let mut folded = String::with_capacity(text.len() + 2);
    folded.push(' ');
    let bare_chars = text.nfkd().filter(|c| !is_combining_mark(*c)).flat_map(char::to_lowercase);
    for c in bare_chars {
        if c.is_alphanumeric() {
            folded.push(c);
        } else if !folded.ends_with(' ') {
            folded.push(' ');
        }
    }
    if !folded.ends_with(' ') {
        folded.push(' ');
    }
    folded
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whitespace_runs_become_one_space() {
        assert_eq!(normalize_whitespace("  a\u{a0}\u{a0}b \n\t c "), "a b c");
    }

    #[test]
    fn a_long_text_is_cut_at_a_word_with_an_ellipsis() {
        assert_eq!(cut_at_word("Kata kata kata", 9), "Kata…");
        assert_eq!(cut_at_word("short", 9), "short");
        assert!(cut_at_word(&"😀".repeat(50), 10).chars().count() <= 10);
    }

    #[test]
    fn slugs_are_lower_case_words_joined_by_dashes() {
        assert_eq!(slugify("Ekonomi & Bisnis!"), "ekonomi-bisnis");
    }

    #[test]
    fn only_absolute_http_links_are_web_links() {
        assert!(is_web_link("https://example.org/a"));
        assert!(!is_web_link("javascript:alert(1)"));
        assert!(!is_web_link("file:///etc/passwd"));
        assert!(!is_web_link("/relative"));
        assert!(!is_web_link(&format!("https://example.org/{}", "a".repeat(3000))));
    }

    #[test]
    fn every_kind_of_entity_is_decoded() {
        assert_eq!(
            decode_entities("a &amp; b &lt;i&gt; &quot;c&quot; &#039;d&#39; &#x2014; &hellip; &nbsp;"),
            "a & b <i> \"c\" 'd' — … \u{a0}"
        );
        assert_eq!(decode_entities("&unknown; & alone"), "&unknown; & alone");
    }

    #[test]
    fn fold_ignores_case_and_accents() {
        assert_eq!(fold("Café"), fold("cafe"));
        assert_eq!(fold("JAKARTA"), fold("jakarta"));
        assert_eq!(fold("Ñandú São Paulo Zürich"), " nandu sao paulo zurich ");
        assert_eq!(fold("Café"), " cafe ");
    }

    #[test]
    fn fold_handles_precomposed_and_decomposed_accents_alike() {
        assert_eq!(fold("caf\u{e9}"), fold("cafe\u{301}"));
    }

    #[test]
    fn fold_unfolds_compatibility_characters() {
        assert_eq!(fold("ﬁnal"), " final ");
        assert_eq!(fold("ＪＡＫＡＲＴＡ"), " jakarta ");
        assert_eq!(fold("İstanbul"), " istanbul ");
    }

    #[test]
    fn fold_pads_words_with_single_spaces() {
        assert_eq!(fold("Banjir di Jakarta!"), " banjir di jakarta ");
        assert_eq!(fold("  --Gempa   M 6,1  guncang…  "), " gempa m 6 1 guncang ");
        assert_eq!(fold("Jakarta's"), " jakarta s ");
        assert_eq!(fold("a\tb\nc\r\nd"), " a b c d ");
    }

    #[test]
    fn fold_of_text_without_words_is_one_space() {
        assert_eq!(fold(""), " ");
        assert_eq!(fold("  ...!?  "), " ");
        assert_eq!(fold("\u{301}"), " ");
    }

    #[test]
    fn fold_survives_emoji_and_cjk() {
        assert_eq!(fold("🔥 Breaking 🇮🇩 news 👨‍👩‍👧"), " breaking news ");
        assert_eq!(fold("東京の地震"), " 東京の地震 ");
        // The voicing mark on で is a combining mark once decomposed, so it folds like an
        // accent: で becomes て, on both sides of the match.
        assert_eq!(fold("東京で地震"), " 東京て地震 ");
        assert_eq!(fold("서울 뉴스"), fold("서울 뉴스"));
        assert_eq!(fold("\u{0}\u{FFFF}\u{10FFFF}"), " ");
    }

    #[test]
    fn fold_is_idempotent_on_its_inner_text() {
        for text in ["Café au lait", "Kecelakaan di Tol Cipali", "東京で地震", "İIıi", "Gempa M 6,1"] {
            let once = fold(text);
            assert_eq!(fold(&once), once, "{text:?}");
        }
    }
}
