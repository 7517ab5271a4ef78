//! Which channels an article belongs to.
//!
//! An operator's `[[channels]]` claim feed categories and whole sources; a category that no
//! channel claims becomes a channel of its own (unless switched off), so a site's sections are
//! followable from the first story that carries them.

use std::collections::HashMap;

use crate::{
    config::{ChannelSettings, ReaderSettings},
    domain::ChannelRef,
    text::fold,
};

/// The operator's mapping of categories and sources to channels.
#[derive(Debug, Clone, Default)]
pub struct ChannelRules {
    by_category: HashMap<String, String>,
    by_source: HashMap<String, Vec<String>>,
    from_categories: bool,
}

/// Category names longer than this are not section names; they are left out.
const CATEGORY_NAME_LIMIT: usize = 40;
/// Only an item's first categories are its sections; the rest are tags, which would fill the
/// channel list (and its cap) with one-off words.
const SECTIONS_PER_ITEM: usize = 2;

impl ChannelRules {
    pub fn new(channels: &[ChannelSettings], readers: &ReaderSettings) -> ChannelRules {
        let mut rules = ChannelRules { from_categories: readers.channels_from_categories, ..ChannelRules::default() };
        for channel in channels {
            // A channel claims its own slug and name as categories too: "Politik" finds "politik".
            let names = [&channel.slug, &channel.name].into_iter().chain(&channel.categories);
            for category in names {
                rules.by_category.entry(category_slug(category)).or_insert_with(|| channel.slug.clone());
            }
            for source in &channel.sources {
                rules.by_source.entry(source.clone()).or_default().push(channel.slug.clone());
            }
        }
        rules
    }

    /// The channels of an article from `source` (None for the CMS hook) with these categories,
    /// each once, in the order found.
    pub fn channels_for(&self, source: Option<&str>, categories: &[String]) -> Vec<ChannelRef> {
        let mut found: Vec<ChannelRef> = Vec::new();
        let mut add = |channel: ChannelRef| {
            if !found.iter().any(|known| known.slug() == channel.slug()) {
                found.push(channel);
            }
        };
        for slug in source.and_then(|name| self.by_source.get(name)).into_iter().flatten() {
            add(ChannelRef::Configured(slug.clone()));
        }
        for (position, category) in categories.iter().enumerate() {
            let key = category_slug(category);
            if key.is_empty() || category.chars().count() > CATEGORY_NAME_LIMIT {
                continue;
            }
            match self.by_category.get(&key) {
                Some(slug) => add(ChannelRef::Configured(slug.clone())),
                None if self.from_categories && position < SECTIONS_PER_ITEM => {
                    add(ChannelRef::FromCategory { slug: key, name: display_name(category) })
                }
                None => {}
            }
        }
        found
    }
}

/// The form categories are compared in: folded, words joined by dashes ("Ekonomi & Bisnis" →
/// "ekonomi-bisnis").
pub fn category_slug(category: &str) -> String {
    fold(category).split_whitespace().collect::<Vec<_>>().join("-")
}

/// A category as readers see it: its own spelling, tidied, with a capital first letter.
fn display_name(category: &str) -> String {
    let tidy = category.split_whitespace().collect::<Vec<_>>().join(" ");
    let mut chars = tidy.chars();
    chars.next().map(|first| first.to_uppercase().chain(chars).collect()).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn channel(slug: &str, name: &str, categories: &[&str], sources: &[&str]) -> ChannelSettings {
        ChannelSettings {
            slug: slug.into(),
            name: name.into(),
            names: Default::default(),
            categories: categories.iter().map(|c| c.to_string()).collect(),
            sources: sources.iter().map(|s| s.to_string()).collect(),
            default: false,
        }
    }

    fn rules(channels: &[ChannelSettings], from_categories: bool) -> ChannelRules {
        ChannelRules::new(channels, &ReaderSettings { channels_from_categories: from_categories, ..Default::default() })
    }

    #[test]
    fn categories_map_to_configured_channels_without_case_or_accents() {
        let rules = rules(&[channel("ekonomi", "Ekonomi", &["Bisnis", "Économie"], &[])], false);
        let found = rules.channels_for(None, &["BISNIS".into(), "economie".into(), "Olahraga".into()]);
        assert_eq!(found, vec![ChannelRef::Configured("ekonomi".into())]);
    }

    #[test]
    fn an_unclaimed_category_becomes_a_channel_of_its_own() {
        let rules = rules(&[], true);
        let found = rules.channels_for(None, &["  sepak   bola ".into()]);
        assert_eq!(found, vec![ChannelRef::FromCategory { slug: "sepak-bola".into(), name: "Sepak bola".into() }]);
    }

    #[test]
    fn a_source_puts_every_article_in_its_channels() {
        let rules = rules(&[channel("dunia", "Dunia", &[], &["reuters"])], true);
        assert_eq!(rules.channels_for(Some("reuters"), &[]), vec![ChannelRef::Configured("dunia".into())]);
        assert!(rules.channels_for(Some("other"), &[]).is_empty());
    }

    #[test]
    fn only_the_first_categories_make_channels_but_any_may_match_one() {
        let rules = rules(&[channel("hukum", "Hukum", &[], &[])], true);
        let categories: Vec<String> = ["Nasional", "Politik", "pemilu", "Hukum"].map(String::from).into();
        let slugs: Vec<String> = rules.channels_for(None, &categories).iter().map(|c| c.slug().to_owned()).collect();
        assert_eq!(slugs, ["nasional", "politik", "hukum"]);
    }

    #[test]
    fn junk_categories_are_left_out() {
        let rules = rules(&[], true);
        assert!(rules.channels_for(None, &["".into(), "!!!".into(), "x".repeat(200)]).is_empty());
    }
}
