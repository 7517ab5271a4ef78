//! Channels: the topics readers follow.

use sqlx::FromRow;

use super::Language;

/// A channel an article belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChannelRef {
    /// One of the operator's `[[channels]]`, by slug.
    Configured(String),
    /// A channel made from a feed category, created the first time it is seen.
    FromCategory { slug: String, name: String },
}

impl ChannelRef {
    pub fn slug(&self) -> &str {
        match self {
            ChannelRef::Configured(slug) | ChannelRef::FromCategory { slug, .. } => slug,
        }
    }
}

/// A channel readers can follow.
#[derive(Debug, Clone, FromRow)]
pub struct ChannelRecord {
    pub id: i64,
    pub slug: String,
    pub name: String,
    /// JSON object of language code → name; see [`ChannelRecord::name_in`].
    pub localized_names: String,
    pub is_default: bool,
}

impl ChannelRecord {
    /// The channel's name in `language`, else its own name.
    pub fn name_in(&self, language: Language) -> String {
        serde_json::from_str::<std::collections::BTreeMap<String, String>>(&self.localized_names)
            .ok()
            .and_then(|mut names| names.remove(language.as_str()))
            .unwrap_or_else(|| self.name.clone())
    }
}
