//! Every word the bot says, in Indonesian and English, from `locales/*.toml`.

use std::{collections::HashMap, sync::LazyLock};

use crate::domain::Language;

static CATALOGS: LazyLock<HashMap<Language, HashMap<String, String>>> = LazyLock::new(|| {
    [
        (Language::English, include_str!("../locales/en.toml")),
        (Language::Indonesian, include_str!("../locales/id.toml")),
    ]
    .into_iter()
    .map(|(language, text)| (language, toml::from_str(text).expect("the built-in locales are valid TOML")))
    .collect()
});

/// A duration as kabar writes it in chats and terminals: "13s", "2m05s", "1h02m".
pub fn duration(duration: std::time::Duration) -> String {
    let seconds = duration.as_secs_f64().round() as u64;
    match seconds {
        0..60 => format!("{seconds}s"),
        60..3600 => format!("{}m{:02}s", seconds / 60, seconds % 60),
        _ => format!("{}h{:02}m", seconds / 3600, seconds % 3600 / 60),
    }
}

/// The text for `key` in `language`, with each `{name}` replaced from `args`; English when the
/// language lacks the key.
pub fn text(language: Language, key: &str, args: &[(&str, &(dyn std::fmt::Display + Sync))]) -> String {
    let template = CATALOGS
        .get(&language)
        .and_then(|catalog| catalog.get(key))
        .or_else(|| CATALOGS[&Language::English].get(key))
        .map_or(key, String::as_str);
    args.iter()
        .fold(template.to_owned(), |text, (name, value)| text.replace(&format!("{{{name}}}"), &value.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_language_has_the_same_keys() {
        let keys = |language| {
            let mut keys: Vec<&String> = CATALOGS[&language].keys().collect();
            keys.sort();
            keys
        };
        for language in Language::ALL {
            assert_eq!(keys(*language), keys(Language::English), "{language}");
        }
    }

    #[test]
    fn placeholders_are_filled() {
        assert!(text(Language::English, "breaking_sending", &[("count", &3), ("id", &9)]).contains('3'));
    }

    #[test]
    fn durations_read_as_a_person_would_say_them() {
        let duration = |seconds: f64| duration(std::time::Duration::from_secs_f64(seconds));
        assert_eq!(duration(42.4), "42s");
        assert_eq!(duration(185.0), "3m05s");
        assert_eq!(duration(3720.0), "1h02m");
    }
}
