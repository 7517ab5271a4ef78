//! Boilerplate removal and the lead rules: data (`boilerplate.toml`, `lead.toml`), applied
//! paragraph by paragraph.

use serde::Deserialize;

use super::lead::LeadRules;
pub use super::rules::RuleError;
use super::rules::{Fired, RuleList, RuleText};

/// The built-in boilerplate rules, tuned on Indonesian and English news sites.
const BOILERPLATE_RULES: &str = include_str!("boilerplate.toml");
/// The built-in lead rules: what comes before an article's first sentence.
const LEAD_RULES: &str = include_str!("lead.toml");

/// Compiled rules: boilerplate anywhere in an article, and what may come before its lead.
#[derive(Debug, Clone)]
pub struct BoilerplateRules {
    drop_paragraph: RuleList,
    cut_from: RuleList,
    stop_at: RuleList,
    /// What to skip or strip before the article's first sentence.
    pub lead: LeadRules,
}

/// The lists of a rule file. Every list is optional, and each rule is a pattern or a table
/// `{ name, pattern }`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
struct RuleFile {
    drop_paragraph: Vec<RuleText>,
    cut_from: Vec<RuleText>,
    stop_at: Vec<RuleText>,
    skip_before_lead: Vec<RuleText>,
    strip_before_lead: Vec<RuleText>,
    dateline: Vec<RuleText>,
}

impl Default for BoilerplateRules {
    fn default() -> Self {
        let mut rules = BoilerplateRules::from_toml(BOILERPLATE_RULES).expect("the built-in boilerplate rules compile");
        rules.extend(BoilerplateRules::from_toml(LEAD_RULES).expect("the built-in lead rules compile"));
        rules
    }
}

impl BoilerplateRules {
    /// Compiles rules from TOML text with any of the lists `drop_paragraph`, `cut_from`,
    /// `stop_at`, `skip_before_lead`, `strip_before_lead` and `dateline`.
    pub fn from_toml(text: &str) -> Result<BoilerplateRules, RuleError> {
        let file: RuleFile = toml::from_str(text)?;
        Ok(BoilerplateRules {
            drop_paragraph: RuleList::compile("drop_paragraph", file.drop_paragraph)?,
            cut_from: RuleList::compile("cut_from", file.cut_from)?,
            stop_at: RuleList::compile("stop_at", file.stop_at)?,
            lead: LeadRules {
                skip: RuleList::compile("skip_before_lead", file.skip_before_lead)?,
                strip: RuleList::compile("strip_before_lead", file.strip_before_lead)?,
                dateline: RuleList::compile("dateline", file.dateline)?,
            },
        })
    }

    /// Adds `more` rules to these, for an operator's site-specific boilerplate.
    pub fn extend(&mut self, more: BoilerplateRules) {
        self.drop_paragraph.extend(more.drop_paragraph);
        self.cut_from.extend(more.cut_from);
        self.stop_at.extend(more.stop_at);
        self.lead.extend(more.lead);
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
        self.clean_noting(paragraphs, &mut Fired::default())
    }

    /// [`clean`](Self::clean), noting in `fired` the rules that removed something.
    pub fn clean_noting(&self, paragraphs: impl IntoIterator<Item = String>, fired: &mut Fired) -> Vec<String> {
        let mut kept = Vec::new();
        for paragraph in paragraphs {
            if let Some(rule) = self.stop_at.matching(&paragraph) {
                fired.note(rule);
                break;
            }
            if let Some(rule) = self.drop_paragraph.matching(&paragraph) {
                fired.note(rule);
                continue;
            }
            let cut = self.cut_promotions(&paragraph, fired);
            if !cut.is_empty() {
                kept.push(cut.to_owned());
            }
        }
        kept
    }

    fn cut_promotions<'a>(&self, paragraph: &'a str, fired: &mut Fired) -> &'a str {
        match self.cut_from.earliest(paragraph) {
            Some((rule, found)) => {
                fired.note(rule);
                paragraph[..found.start()].trim()
            }
            None => paragraph.trim(),
        }
    }
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
    fn an_operators_named_rules_say_when_they_fire() {
        let mut rules = BoilerplateRules::default();
        let operator = "drop_paragraph = [{ name = \"partner ads\", pattern = '^Mitra Kami' }]";
        rules.extend(BoilerplateRules::from_toml(operator).unwrap());
        let mut fired = Fired::default();
        rules.clean_noting(["Mitra Kami: promo".to_owned(), "Body.".to_owned()], &mut fired);
        assert_eq!(fired.into_names(), ["partner ads"]);
    }

    #[test]
    fn a_bad_operator_rule_is_reported_with_its_pattern() {
        let error = BoilerplateRules::from_toml("drop_paragraph = ['(unclosed']").unwrap_err();
        assert!(error.to_string().contains("(unclosed"));
    }

    #[test]
    fn an_unknown_list_is_refused_rather_than_ignored() {
        assert!(BoilerplateRules::from_toml("skip_before_leed = ['x']").is_err());
    }
}
