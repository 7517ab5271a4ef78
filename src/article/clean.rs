//! Boilerplate removal: the rules are data (`boilerplate.toml`), applied paragraph by paragraph.

use regex::Regex;
use serde::Deserialize;

/// The built-in rules, tuned on Indonesian and English news sites.
const DEFAULT_RULES: &str = include_str!("boilerplate.toml");

/// Compiled boilerplate rules.
#[derive(Debug, Clone)]
pub struct BoilerplateRules {
    drop_paragraph: Vec<Regex>,
    cut_from: Vec<Regex>,
    stop_at: Vec<Regex>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
struct RuleText {
    drop_paragraph: Vec<String>,
    cut_from: Vec<String>,
    stop_at: Vec<String>,
}

/// A rule file that cannot be used, with the offending pattern.
#[derive(Debug, thiserror::Error)]
pub enum RuleError {
    #[error("cannot read {0}: {1}")]
    Read(String, std::io::Error),
    #[error("boilerplate rules are not valid TOML: {0}")]
    Syntax(#[from] toml::de::Error),
    #[error("boilerplate rule `{pattern}` in {list} is not a valid regular expression: {source}")]
    Pattern { list: &'static str, pattern: String, source: regex::Error },
}

impl Default for BoilerplateRules {
    fn default() -> Self {
        BoilerplateRules::from_toml(DEFAULT_RULES).expect("the built-in boilerplate rules compile")
    }
}

impl BoilerplateRules {
    /// Compiles rules from TOML text with the lists `drop_paragraph`, `cut_from` and `stop_at`.
    pub fn from_toml(text: &str) -> Result<BoilerplateRules, RuleError> {
        let rules: RuleText = toml::from_str(text)?;
        Ok(BoilerplateRules {
            drop_paragraph: compile("drop_paragraph", rules.drop_paragraph)?,
            cut_from: compile("cut_from", rules.cut_from)?,
            stop_at: compile("stop_at", rules.stop_at)?,
        })
    }

    /// Adds `more` rules to these, for an operator's site-specific boilerplate.
    pub fn extend(&mut self, more: BoilerplateRules) {
        self.drop_paragraph.extend(more.drop_paragraph);
        self.cut_from.extend(more.cut_from);
        self.stop_at.extend(more.stop_at);
    }

    /// The built-in rules plus those in the operator's `file`.
    pub fn with_file(file: &std::path::Path) -> Result<BoilerplateRules, RuleError> {
        let text = std::fs::read_to_string(file).map_err(|e| RuleError::Read(file.display().to_string(), e))?;
        let mut rules = BoilerplateRules::default();
        rules.extend(BoilerplateRules::from_toml(&text)?);
        Ok(rules)
    }

    /// The article's paragraphs without boilerplate, in order.
    pub fn clean(&self, paragraphs: impl IntoIterator<Item = String>) -> Vec<String> {
        let mut kept = Vec::new();
        for paragraph in paragraphs {
            if self.stop_at.iter().any(|rule| rule.is_match(&paragraph)) {
                break;
            }
            if self.drop_paragraph.iter().any(|rule| rule.is_match(&paragraph)) {
                continue;
            }
            let cut = self.cut_promotions(&paragraph);
            if !cut.is_empty() {
                kept.push(cut.to_owned());
            }
        }
        kept
    }

    fn cut_promotions<'a>(&self, paragraph: &'a str) -> &'a str {
        let end = self
            .cut_from
            .iter()
            .filter_map(|rule| rule.find(paragraph).map(|m| m.start()))
            .min()
            .unwrap_or(paragraph.len());
        paragraph[..end].trim()
    }
}

fn compile(list: &'static str, patterns: Vec<String>) -> Result<Vec<Regex>, RuleError> {
    patterns
        .into_iter()
        .map(|pattern| Regex::new(&pattern).map_err(|source| RuleError::Pattern { list, pattern, source }))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn clean(paragraphs: &[&str]) -> Vec<String> {
        BoilerplateRules::default().clean(paragraphs.iter().map(|p| p.to_string()))
    }

    #[test]
    fn read_also_lines_are_dropped_in_both_languages() {
        let kept = clean(&[
            "Lead.",
            "Baca Juga: Something else",
            "baca juga : lowercase",
            "Simak juga: a video",
            "Read also: English",
            "Related: more",
            "Body.",
        ]);
        assert_eq!(kept, ["Lead.", "Body."]);
    }

    #[test]
    fn a_whatsapp_promotion_glued_to_a_paragraph_is_cut_off() {
        let kept = clean(&[
            "Fakta terakhir. Dengarkan berita terkini langsung di ponsel Anda. https://www.whatsapp.com/channel/abc",
        ]);
        assert_eq!(kept, ["Fakta terakhir."]);
    }

    #[test]
    fn the_comment_form_and_everything_after_it_is_dropped() {
        let kept = clean(&["Body.", "LEAVE A RESPONSE", "Alamat email Anda tidak akan dipublikasikan.", "Nama"]);
        assert_eq!(kept, ["Body."]);
    }

    #[test]
    fn share_buttons_bylines_and_photo_credits_are_dropped() {
        let kept = clean(&["Share: Facebook Twitter WhatsApp", "Penulis: Budi", "Foto: Antara", "Body stays."]);
        assert_eq!(kept, ["Body stays."]);
    }

    #[test]
    fn an_excerpt_tail_is_cut() {
        assert_eq!(clean(&["The lead goes on [&hellip;]"]), ["The lead goes on"]);
        assert_eq!(clean(&["The lead goes on […]"]), ["The lead goes on"]);
    }

    #[test]
    fn a_sentence_that_merely_mentions_whatsapp_is_kept() {
        let kept = clean(&["WhatsApp launched a new feature on Monday."]);
        assert_eq!(kept, ["WhatsApp launched a new feature on Monday."]);
    }

    #[test]
    fn an_operators_rules_are_added_to_the_built_in_ones() {
        let mut rules = BoilerplateRules::default();
        rules.extend(BoilerplateRules::from_toml("drop_paragraph = ['^Iklan Mitra']").unwrap());
        let kept = rules.clean(["Iklan Mitra: promo".to_owned(), "Baca Juga: x".to_owned(), "Body.".to_owned()]);
        assert_eq!(kept, ["Body."]);
    }

    #[test]
    fn a_bad_operator_rule_is_reported_with_its_pattern() {
        let error = BoilerplateRules::from_toml("drop_paragraph = ['(unclosed']").unwrap_err();
        assert!(error.to_string().contains("(unclosed"));
    }
}
