//! The languages kabar speaks to readers and writes messages in.

use super::stored::text_enum;

text_enum! {
    /// A language kabar speaks. Every message is written in each of them, and every reader is
    /// spoken to in one.
    pub enum Language {
        English = "en",
        Indonesian = "id",
    }
}

impl Language {
    /// The language for someone whose app is set to `app_language` (an IETF tag such as "en-US",
    /// or Telegram's `language_code`): Indonesian for Indonesia's languages and Malay, English
    /// for English, `default` for anything kabar does not speak or when nothing is known.
    pub fn for_app_language(app_language: Option<&str>, default: Language) -> Language {
        let primary = app_language.map(|tag| tag.split(['-', '_']).next().unwrap_or(tag).to_ascii_lowercase());
        match primary.as_deref() {
            Some("id" | "ms" | "jv" | "su") => Language::Indonesian,
            Some("en") => Language::English,
            _ => default,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn indonesian_readers_are_answered_in_indonesian() {
        use Language::{English, Indonesian};
        assert_eq!(Language::for_app_language(Some("id"), English), Indonesian);
        assert_eq!(Language::for_app_language(Some("jv"), English), Indonesian);
        assert_eq!(Language::for_app_language(Some("en-US"), Indonesian), English);
        assert_eq!(Language::for_app_language(Some("de"), Indonesian), Indonesian, "a language kabar lacks");
        assert_eq!(Language::for_app_language(None, English), English);
    }

    #[test]
    fn languages_are_known_by_their_codes() {
        assert_eq!(Language::parse("id"), Some(Language::Indonesian));
        assert_eq!(Language::English.as_str(), "en");
        assert_eq!(Language::parse("fr"), None);
    }
}
