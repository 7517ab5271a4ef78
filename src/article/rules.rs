//! Named text rules: regular expressions kept as data in TOML, compiled once.
//!
//! A rule list in TOML holds plain patterns or tables with a name, mixed as an operator likes:
//!
//! ```toml
//! drop_paragraph = [
//!     '(?i)^iklan mitra',
//!     { name = "partner ad", pattern = '(?i)^sponsored by' },
//! ]
//! ```
//!
//! A plain pattern is named after itself. Names say which rules fired on a page (`kabar preview`).

use regex::Regex;
use serde::Deserialize;

/// One compiled rule.
#[derive(Debug, Clone)]
pub struct Rule {
    pub name: String,
    pub pattern: Regex,
}

/// A rule as written in TOML: a bare pattern, or a table with a name.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub(super) enum RuleText {
    Plain(String),
    Named { name: String, pattern: String },
}

/// A rule file that cannot be used, with the offending pattern.
#[derive(Debug, thiserror::Error)]
pub enum RuleError {
    #[error("cannot read {0}: {1}")]
    Read(String, std::io::Error),
    #[error("summary rules are not valid TOML: {0}")]
    Syntax(#[from] toml::de::Error),
    #[error("summary rule `{name}` in {list} is not a valid regular expression: {source}")]
    Pattern { list: &'static str, name: String, source: Box<regex::Error> },
}

/// An ordered list of rules, matched against one paragraph at a time.
#[derive(Debug, Clone, Default)]
pub struct RuleList(Vec<Rule>);

impl RuleList {
    /// Compiles the `list` named `list_name` (for error messages).
    pub(super) fn compile(list_name: &'static str, list: Vec<RuleText>) -> Result<RuleList, RuleError> {
        list.into_iter().map(|text| compile_rule(list_name, text)).collect::<Result<_, _>>().map(RuleList)
    }

    /// The first rule that matches `text`.
    pub fn matching(&self, text: &str) -> Option<&Rule> {
        self.0.iter().find(|rule| rule.pattern.is_match(text))
    }

    /// The rule whose match in `text` starts first, and where.
    pub fn earliest<'t>(&self, text: &'t str) -> Option<(&Rule, regex::Match<'t>)> {
        self.0.iter().filter_map(|rule| rule.pattern.find(text).map(|m| (rule, m))).min_by_key(|(_, m)| m.start())
    }

    /// The rules, in order.
    pub fn iter(&self) -> impl Iterator<Item = &Rule> {
        self.0.iter()
    }

    /// Adds `more` after these rules.
    pub fn extend(&mut self, more: RuleList) {
        self.0.extend(more.0);
    }

    /// The rules' names, in order.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.0.iter().map(|rule| rule.name.as_str())
    }
}

fn compile_rule(list: &'static str, text: RuleText) -> Result<Rule, RuleError> {
    let (name, pattern) = match text {
        RuleText::Plain(pattern) => (pattern.clone(), pattern),
        RuleText::Named { name, pattern } => (name, pattern),
    };
    match Regex::new(&pattern) {
        Ok(pattern) => Ok(Rule { name, pattern }),
        Err(source) => Err(RuleError::Pattern { list, name, source: Box::new(source) }),
    }
}

/// Which rules fired while a page was summarised, by name, each once, in order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Fired(Vec<String>);

impl Fired {
    /// Notes that `rule` fired.
    pub fn note(&mut self, rule: &Rule) {
        if !self.0.contains(&rule.name) {
            self.0.push(rule.name.clone());
        }
    }

    /// The names of the rules that fired.
    pub fn into_names(self) -> Vec<String> {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn list(toml_text: &str) -> Result<RuleList, RuleError> {
        #[derive(Deserialize)]
        struct File {
            rules: Vec<RuleText>,
        }
        let file: File = toml::from_str(toml_text)?;
        RuleList::compile("rules", file.rules)
    }

    #[test]
    fn plain_and_named_rules_mix_in_one_list() {
        let rules = list("rules = ['^a', { name = \"bee\", pattern = '^b' }]").unwrap();
        assert_eq!(rules.names().collect::<Vec<_>>(), ["^a", "bee"]);
        assert_eq!(rules.matching("b!").map(|rule| rule.name.as_str()), Some("bee"));
        assert!(rules.matching("c").is_none());
    }

    #[test]
    fn a_bad_named_rule_is_reported_by_its_name() {
        let error = list("rules = [{ name = \"broken\", pattern = '(unclosed' }]").unwrap_err();
        assert!(error.to_string().contains("`broken`"), "{error}");
    }

    #[test]
    fn the_earliest_match_wins_whatever_the_rule_order() {
        let rules = list("rules = ['later', 'early']").unwrap();
        let (rule, found) = rules.earliest("an early and a later one").unwrap();
        assert_eq!((rule.name.as_str(), found.start()), ("early", 3));
    }

    #[test]
    fn a_rule_that_fires_twice_is_noted_once() {
        let rules = list("rules = ['x']").unwrap();
        let mut fired = Fired::default();
        let rule = rules.matching("x").unwrap();
        fired.note(rule);
        fired.note(rule);
        assert_eq!(fired.into_names(), ["x"]);
    }
}
