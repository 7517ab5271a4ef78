//! Every word the bot says, in Indonesian and English, from `locales/*.toml`.

use std::{collections::HashMap, sync::LazyLock};

static CATALOGS: LazyLock<HashMap<&'static str, HashMap<String, String>>> = LazyLock::new(|| {
    [("en", include_str!("../locales/en.toml")), ("id", include_str!("../locales/id.toml"))]
        .into_iter()
        .map(|(language, text)| (language, toml::from_str(text).expect("the built-in locales are valid TOML")))
        .collect()
});

/// The language kabar speaks to someone whose Telegram app is set to `language_code`: `default`
/// when kabar does not speak it.
pub fn language_for(language_code: Option<&str>, default: &'static str) -> &'static str {
    let primary = language_code.map(|code| code.split(['-', '_']).next().unwrap_or(code).to_ascii_lowercase());
    match primary.as_deref() {
        Some("id") | Some("ms") | Some("jv") | Some("su") => "id",
        Some("en") => "en",
        _ => default,
    }
}

/// A duration as kabar writes it in chats and terminals: "13s", "2m05s", "1h02m".
pub fn duration(duration: std::time::Duration) -> String {
    let seconds = duration.as_secs_f64().round() as u64;
    match seconds {
        0..60 => format!("{seconds}s"),
        60..3600 => format!("{}m{:02}s", seconds / 60, seconds % 60),
        _ => format!("{}h{:02}m", seconds / 3600, seconds % 3600 / 60),
    }
}

/// A language kabar speaks, by its code; None for any other.
pub fn known_language(code: &str) -> Option<&'static str> {
    crate::render::LANGUAGES.into_iter().find(|language| *language == code)
}

/// The text for `key` in `language`, with each `{name}` replaced from `args`; English when the
/// language lacks the key.
pub fn text(language: &str, key: &str, args: &[(&str, &(dyn std::fmt::Display + Sync))]) -> String {
    let template = CATALOGS
        .get(language)
        .and_then(|catalog| catalog.get(key))
        .or_else(|| CATALOGS["en"].get(key))
        .map_or(key, String::as_str);
    args.iter()
        .fold(template.to_owned(), |text, (name, value)| text.replace(&format!("{{{name}}}"), &value.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_languages_have_the_same_keys() {
        let mut english: Vec<_> = CATALOGS["en"].keys().collect();
        let mut indonesian: Vec<_> = CATALOGS["id"].keys().collect();
        english.sort();
        indonesian.sort();
        assert_eq!(english, indonesian);
    }

    #[test]
    fn indonesian_readers_are_answered_in_indonesian() {
        assert_eq!(language_for(Some("id"), "en"), "id");
        assert_eq!(language_for(Some("en-US"), "id"), "en");
        assert_eq!(language_for(Some("de"), "id"), "id", "a language kabar lacks gets the default");
        assert_eq!(language_for(None, "en"), "en");
    }

    #[test]
    fn placeholders_are_filled() {
        assert!(text("en", "breaking_sending", &[("count", &3), ("id", &9)]).contains('3'));
    }
}
