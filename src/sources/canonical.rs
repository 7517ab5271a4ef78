//! Canonical URLs: the same story under tracking parameters or a fragment is the same story.

use url::Url;

use crate::text::is_web_link;

/// Query parameters that only track where a click came from.
const TRACKING_PARAMETERS: &[&str] =
    &["fbclid", "gclid", "dclid", "msclkid", "mc_cid", "mc_eid", "igshid", "ref", "amp"];

/// The URL without its fragment, tracking parameters (utm_* and friends) and default port, or
/// None when `link` is no web link ([`is_web_link`]).
pub fn canonical_url(link: &str) -> Option<String> {
    let link = link.trim();
    if !is_web_link(link) {
        return None;
    }
    let mut url = Url::parse(link).ok()?;
    url.set_fragment(None);
    let kept: Vec<(String, String)> = url
        .query_pairs()
        .filter(|(key, _)| {
            let key = key.to_ascii_lowercase();
            !key.starts_with("utm_") && !TRACKING_PARAMETERS.contains(&key.as_str())
        })
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    if kept.is_empty() {
        url.set_query(None);
    } else {
        url.query_pairs_mut().clear().extend_pairs(kept);
    }
    Some(url.to_string())
}

/// Titles with fewer words than this ("Live", "Breaking news") are too common to identify a story.
const MIN_FINGERPRINT_WORDS: usize = 4;

/// A story's fingerprint: a stable hash of its title's words, lower-cased, without punctuation.
/// The same story syndicated under another URL, or re-sent under a new id, has the same one.
pub fn title_fingerprint(title: &str) -> Option<String> {
    let words = crate::text::slugify(title);
    if words.split('-').count() < MIN_FINGERPRINT_WORDS {
        return None;
    }
    // FNV-1a: tiny, and stable across Rust versions, unlike the standard library's hasher.
    let hash = words
        .bytes()
        .fold(0xcbf2_9ce4_8422_2325_u64, |hash, byte| (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3));
    Some(format!("{hash:016x}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_title_in_another_dress_has_the_same_fingerprint() {
        let a = title_fingerprint("AS Tak Akan Berlakukan Batasan Senjata");
        assert!(a.is_some());
        assert_eq!(a, title_fingerprint("  as tak akan berlakukan — batasan senjata! "));
        assert_ne!(a, title_fingerprint("AS Akan Berlakukan Batasan Senjata"));
    }

    #[test]
    fn short_titles_have_no_fingerprint() {
        assert_eq!(title_fingerprint("Live updates"), None);
    }

    #[test]
    fn tracking_parameters_and_fragments_are_removed() {
        let url = canonical_url("https://News.example/a?utm_source=wa&id=5&fbclid=x#comments").unwrap();
        assert_eq!(url, "https://news.example/a?id=5");
    }

    #[test]
    fn a_url_without_a_query_stays_as_it_is() {
        assert_eq!(canonical_url("https://news.example/2024/11/a/").unwrap(), "https://news.example/2024/11/a/");
    }

    #[test]
    fn only_web_urls_have_a_canonical_form() {
        assert_eq!(canonical_url("mailto:a@b.c"), None);
        assert_eq!(canonical_url("/relative"), None);
    }
}
