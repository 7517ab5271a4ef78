//! One typed settings tree, read from a TOML file and layered with the environment.
//!
//! Precedence, lowest first: built-in defaults, the file, `KABAR_<SECTION>__<KEY>` variables, then
//! the well-known single variables (`TELOXIDE_TOKEN`, `TELOXIDE_API_URL`, `KABAR_ADMIN_TOKEN`).
//! Every error names the key it is about, so an operator never has to guess.

use std::{collections::HashSet, net::SocketAddr, path::Path};

use serde::{Deserialize, Serialize};
use url::Url;

/// Where the config file is looked for when `--config` is not given.
pub const CONFIG_ENV: &str = "KABAR_CONFIG";
/// The file read when neither `--config` nor `$KABAR_CONFIG` is given.
pub const DEFAULT_CONFIG_PATH: &str = "kabar.toml";

/// Everything kabar can be told, grouped as in the config file.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Settings {
    pub telegram: TelegramSettings,
    pub database: DatabaseSettings,
    pub http: HttpSettings,
    pub limits: Limits,
    pub editors: EditorSettings,
    pub summary: SummarySettings,
    pub templates: TemplateSettings,
    pub fetch: FetchSettings,
    pub delivery: DeliverySettings,
    pub sources: Vec<SourceSettings>,
}

/// `[telegram]`: how to reach the Bot API.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TelegramSettings {
    /// The bot token from @BotFather; `TELOXIDE_TOKEN` wins over it.
    pub token: Option<String>,
    /// Any Bot API server: Telegram, a local server, a sandbox. `TELOXIDE_API_URL` wins over it.
    pub api_url: Url,
    /// How long one getUpdates long poll waits for news, in seconds.
    pub poll_timeout_secs: u32,
}

impl Default for TelegramSettings {
    fn default() -> Self {
        Self {
            token: None,
            api_url: Url::parse("https://api.telegram.org").expect("a valid literal URL"),
            poll_timeout_secs: 10,
        }
    }
}

/// `[database]`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DatabaseSettings {
    /// `sqlite://path` (created when missing) or `sqlite::memory:`.
    pub url: String,
}

impl Default for DatabaseSettings {
    fn default() -> Self {
        Self { url: "sqlite://kabar.db".into() }
    }
}

/// `[http]`: the health, metrics and admin API server.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct HttpSettings {
    pub listen: String,
    /// Bearer token for `/api/*`; the API answers 401 to everything while it is unset.
    pub admin_token: Option<String>,
    /// The address the world reaches this server at. When set, kabar subscribes at the WebSub
    /// hubs feeds announce, and they call back at `<public_url>/websub/<source id>`.
    pub public_url: Option<Url>,
}

impl Default for HttpSettings {
    fn default() -> Self {
        Self { listen: "127.0.0.1:8080".into(), admin_token: None, public_url: None }
    }
}

/// `[limits]`: how fast kabar may send. Telegram's published limits are the defaults.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Limits {
    /// Sends per second for the whole bot.
    pub global_per_sec: u32,
    /// Sends per second into one chat.
    pub per_chat_per_sec: u32,
    /// Sends per minute into one group or supergroup.
    pub group_per_min: u32,
}

impl Default for Limits {
    fn default() -> Self {
        Self { global_per_sec: 30, per_chat_per_sec: 1, group_per_min: 20 }
    }
}

impl Limits {
    /// The first key whose value cannot work, with the reason.
    pub fn problem(&self) -> Option<(&'static str, String)> {
        let checks = [
            ("limits.global_per_sec", self.global_per_sec, 1, 100_000),
            ("limits.per_chat_per_sec", self.per_chat_per_sec, 1, 1_000),
            ("limits.group_per_min", self.group_per_min, 1, 60_000),
        ];
        checks.into_iter().find_map(|(key, value, min, max)| {
            (!(min..=max).contains(&value)).then(|| (key, format!("must be between {min} and {max}, got {value}")))
        })
    }
}

/// `[editors]`: who may push breaking news from the chat.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct EditorSettings {
    pub user_ids: Vec<i64>,
}

/// `[summary]`: how an article is described.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SummarySettings {
    /// The summary's length budget in characters; it is cut at a sentence end within it.
    pub max_chars: usize,
    /// Keep the "CITY, site.co.id –" dateline at the start of the lead.
    pub keep_dateline: bool,
    /// Extra boilerplate rules (TOML: drop_paragraph, cut_from, stop_at), added to the built-in ones.
    pub rules_file: Option<std::path::PathBuf>,
}

impl Default for SummarySettings {
    fn default() -> Self {
        Self { max_chars: 300, keep_dateline: false, rules_file: None }
    }
}

/// `[fetch]`: what kabar may reach when it fetches feeds, pages and hubs.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct FetchSettings {
    /// Fetch from loopback and private addresses (127/8, 10/8, 172.16/12, 192.168/16, fc00::/7).
    /// Link-local addresses, where cloud metadata services live, are refused whatever this says.
    pub allow_private_addresses: bool,
}

impl Default for FetchSettings {
    fn default() -> Self {
        Self { allow_private_addresses: true }
    }
}

impl FetchSettings {
    /// The address policy these settings ask for.
    pub fn guard(&self) -> crate::sources::guard::AddressGuard {
        crate::sources::guard::AddressGuard { allow_private: self.allow_private_addresses }
    }
}

/// `[templates]`: the operator's own message templates.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TemplateSettings {
    /// A folder whose `article.html.j2`, `breaking.html.j2` and `announcement.html.j2` replace
    /// the built-in ones; a template missing there stays built in.
    pub dir: Option<std::path::PathBuf>,
}

/// `[delivery]`: the outbox workers.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DeliverySettings {
    /// Sends in flight at once.
    pub concurrency: usize,
    /// How long a claimed delivery stays reserved before another worker may take it over.
    pub lease_secs: u64,
    /// Attempts before a temporarily failing delivery is given up.
    pub max_attempts: u32,
}

impl Default for DeliverySettings {
    fn default() -> Self {
        Self { concurrency: 16, lease_secs: 60, max_attempts: 6 }
    }
}

/// `[[sources]]`: one watched site.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SourceSettings {
    pub name: String,
    pub url: Url,
    #[serde(default = "default_poll_interval")]
    pub poll_interval_secs: u64,
    #[serde(default)]
    pub kind: SourceKind,
}

impl SourceSettings {
    /// The first field that cannot work, with the reason. The config file, the CLI and the API
    /// all check sources with it.
    pub fn problem(&self) -> Option<(&'static str, String)> {
        if self.name.trim().is_empty() || self.name.len() > 100 {
            return Some(("name", "must be 1 to 100 characters".into()));
        }
        if !matches!(self.url.scheme(), "http" | "https") {
            return Some(("url", "must be an http or https URL".into()));
        }
        if !(5..=86_400).contains(&self.poll_interval_secs) {
            return Some(("poll_interval_secs", "must be between 5 and 86400".into()));
        }
        None
    }
}

/// The poll interval of a source that does not set one.
pub fn default_poll_interval() -> u64 {
    300
}

/// How a source's URL is read.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SourceKind {
    /// RSS 2.0, RSS 1.0, Atom or JSON Feed.
    #[default]
    Feed,
    /// A WordPress site's root, read through `/wp-json/wp/v2/posts`.
    Wordpress,
}

impl SourceKind {
    pub fn as_str(self) -> &'static str {
        match self {
            SourceKind::Feed => "feed",
            SourceKind::Wordpress => "wordpress",
        }
    }
}

/// A config problem, always naming the key (or the file) it is about.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read config file {path}: {source}")]
    Read { path: String, source: std::io::Error },
    #[error("config file {path} is not valid TOML: {message}")]
    Syntax { path: String, message: String },
    #[error("config key `{key}`: {message}")]
    Key { key: String, message: String },
}

impl ConfigError {
    fn key(key: impl Into<String>, message: impl Into<String>) -> Self {
        ConfigError::Key { key: key.into(), message: message.into() }
    }
}

impl Settings {
    /// Reads `path` (a missing default file is fine: defaults and environment apply), layers the
    /// process environment over it, and validates the result.
    pub fn load(path: Option<&Path>) -> Result<Settings, ConfigError> {
        let env: Vec<(String, String)> = std::env::vars().collect();
        let explicit = path.map(Path::to_path_buf).or_else(|| env_value(&env, CONFIG_ENV).map(Into::into));
        let (path, required) = match explicit {
            Some(path) => (path, true),
            None => (DEFAULT_CONFIG_PATH.into(), false),
        };
        let text = match std::fs::read_to_string(&path) {
            Ok(text) => text,
            Err(error) if !required && error.kind() == std::io::ErrorKind::NotFound => String::new(),
            Err(source) => {
                return Err(ConfigError::Read { path: path.display().to_string(), source });
            }
        };
        Settings::from_toml_and_env(&text, &path.display().to_string(), &env)
    }

    /// The pure core of [`Settings::load`]: a file's text and an environment, nothing read.
    pub fn from_toml_and_env(text: &str, path: &str, env: &[(String, String)]) -> Result<Settings, ConfigError> {
        let mut tree: toml::Table =
            toml::from_str(text).map_err(|e| ConfigError::Syntax { path: path.into(), message: e.to_string() })?;
        apply_env(&mut tree, env)?;
        let mut settings: Settings = serde_path_to_error::deserialize(toml::Value::Table(tree)).map_err(|e| {
            let key = e.path().to_string();
            ConfigError::key(if key == "." { "(top level)".into() } else { key }, e.inner().to_string())
        })?;
        settings.apply_well_known_env(env)?;
        settings.validate()?;
        Ok(settings)
    }

    fn apply_well_known_env(&mut self, env: &[(String, String)]) -> Result<(), ConfigError> {
        if let Some(token) = env_value(env, "TELOXIDE_TOKEN") {
            self.telegram.token = Some(token.to_owned());
        }
        if let Some(url) = env_value(env, "TELOXIDE_API_URL") {
            self.telegram.api_url =
                Url::parse(url).map_err(|e| ConfigError::key("telegram.api_url (TELOXIDE_API_URL)", e.to_string()))?;
        }
        if let Some(token) = env_value(env, "KABAR_ADMIN_TOKEN") {
            self.http.admin_token = Some(token.to_owned());
        }
        Ok(())
    }

    /// Checks what types alone cannot: ranges, addresses, uniqueness.
    pub fn validate(&self) -> Result<(), ConfigError> {
        if let Some((key, message)) = self.limits.problem() {
            return Err(ConfigError::key(key, message));
        }
        if self.telegram.token.as_deref().is_some_and(|t| t.trim().is_empty()) {
            return Err(ConfigError::key("telegram.token", "is empty"));
        }
        if !matches!(self.telegram.api_url.scheme(), "http" | "https") {
            return Err(ConfigError::key("telegram.api_url", "must be an http or https URL"));
        }
        if !self.database.url.starts_with("sqlite:") {
            return Err(ConfigError::key("database.url", "must start with sqlite:"));
        }
        self.listen_addr()?;
        if self.http.public_url.as_ref().is_some_and(|url| !matches!(url.scheme(), "http" | "https")) {
            return Err(ConfigError::key("http.public_url", "must be an http or https URL"));
        }
        if self.http.admin_token.as_deref().is_some_and(|t| t.len() < 16) {
            return Err(ConfigError::key("http.admin_token", "must be at least 16 characters long"));
        }
        if self.summary.max_chars < 80 {
            return Err(ConfigError::key("summary.max_chars", "must be at least 80"));
        }
        if self.delivery.concurrency == 0 || self.delivery.lease_secs == 0 || self.delivery.max_attempts == 0 {
            return Err(ConfigError::key("delivery", "concurrency, lease_secs and max_attempts must be above 0"));
        }
        self.validate_sources()
    }

    fn validate_sources(&self) -> Result<(), ConfigError> {
        let mut names = HashSet::new();
        for (index, source) in self.sources.iter().enumerate() {
            let key = |field: &str| format!("sources[{index}].{field}");
            if let Some((field, message)) = source.problem() {
                return Err(ConfigError::key(key(field), message));
            }
            if !names.insert(source.name.as_str()) {
                return Err(ConfigError::key(key("name"), format!("`{}` is used twice", source.name)));
            }
        }
        Ok(())
    }

    /// The HTTP server's address, parsed.
    pub fn listen_addr(&self) -> Result<SocketAddr, ConfigError> {
        self.http.listen.parse().map_err(|_| {
            ConfigError::key("http.listen", format!("`{}` is not an address like 127.0.0.1:8080", self.http.listen))
        })
    }

    /// The bot token, or an error that says how to give one.
    pub fn require_token(&self) -> Result<&str, ConfigError> {
        self.telegram
            .token
            .as_deref()
            .ok_or_else(|| ConfigError::key("telegram.token", "is not set (set it in the file or in TELOXIDE_TOKEN)"))
    }
}

fn env_value<'a>(env: &'a [(String, String)], name: &str) -> Option<&'a str> {
    env.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
}

/// Keys whose value is text even when it looks like a number (an all-digit admin token, say).
const TEXT_KEYS: &[&str] =
    &["telegram.token", "telegram.api_url", "database.url", "http.listen", "http.admin_token", "http.public_url"];

/// Applies every `KABAR_<SECTION>__<KEY>=value` to the tree. The value is read as a TOML value
/// when it is one (`25`, `true`, `[1, 2]`) and as a string otherwise, or always for text keys.
fn apply_env(tree: &mut toml::Table, env: &[(String, String)]) -> Result<(), ConfigError> {
    for (name, raw) in env {
        let Some(path) = name.strip_prefix("KABAR_") else { continue };
        let Some((section, key)) = path.split_once("__") else { continue };
        let (section, key) = (section.to_ascii_lowercase(), key.to_ascii_lowercase());
        if section == "sources" {
            return Err(ConfigError::key(name.clone(), "sources can only be set in the config file"));
        }
        let value = if TEXT_KEYS.contains(&format!("{section}.{key}").as_str()) {
            toml::Value::String(raw.clone())
        } else {
            toml::from_str::<toml::Table>(&format!("v = {raw}"))
                .ok()
                .and_then(|mut t| t.remove("v"))
                .unwrap_or_else(|| toml::Value::String(raw.clone()))
        };
        let table = tree
            .entry(section.clone())
            .or_insert_with(|| toml::Value::Table(toml::Table::new()))
            .as_table_mut()
            .ok_or_else(|| ConfigError::key(section.clone(), format!("is not a table, so {name} cannot set it")))?;
        table.insert(key, value);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(text: &str, env: &[(&str, &str)]) -> Result<Settings, ConfigError> {
        let env: Vec<_> = env.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        Settings::from_toml_and_env(text, "test.toml", &env)
    }

    fn error_of(text: &str, env: &[(&str, &str)]) -> String {
        load(text, env).expect_err("the config should be refused").to_string()
    }

    #[test]
    fn an_empty_file_gives_telegrams_published_limits() {
        let settings = load("", &[]).unwrap();
        assert_eq!(settings.limits, Limits { global_per_sec: 30, per_chat_per_sec: 1, group_per_min: 20 });
        assert_eq!(settings.database.url, "sqlite://kabar.db");
        assert_eq!(settings.telegram.api_url.as_str(), "https://api.telegram.org/");
    }

    #[test]
    fn the_contract_example_file_loads() {
        let text = include_str!("../kabar.example.toml");
        let settings = load(text, &[]).unwrap();
        assert_eq!(settings.sources.len(), 1);
        assert_eq!(settings.sources[0].kind, SourceKind::Feed);
        assert_eq!(settings.editors.user_ids, vec![11111111]);
    }

    #[test]
    fn an_unknown_key_is_named_in_the_error() {
        let message = error_of("[limits]\nglobal_per_second = 5\n", &[]);
        assert!(message.contains("limits"), "{message}");
        assert!(message.contains("global_per_second"), "{message}");
    }

    #[test]
    fn an_unknown_section_is_named_in_the_error() {
        assert!(error_of("[telegarm]\ntoken = \"x\"\n", &[]).contains("telegarm"));
    }

    #[test]
    fn a_value_of_the_wrong_type_names_its_key() {
        let message = error_of("[limits]\nglobal_per_sec = \"fast\"\n", &[]);
        assert!(message.contains("limits.global_per_sec"), "{message}");
    }

    #[test]
    fn a_zero_limit_is_refused_by_name() {
        assert!(error_of("[limits]\nper_chat_per_sec = 0\n", &[]).contains("limits.per_chat_per_sec"));
    }

    #[test]
    fn a_source_with_a_bad_url_names_its_index_and_key() {
        let message = error_of("[[sources]]\nname = \"a\"\nurl = \"not a url\"\n", &[]);
        assert!(message.contains("sources[0].url"), "{message}");
    }

    #[test]
    fn a_source_kind_other_than_feed_or_wordpress_is_refused() {
        let message = error_of("[[sources]]\nname = \"a\"\nurl = \"https://x.org/\"\nkind = \"gopher\"\n", &[]);
        assert!(message.contains("sources[0].kind"), "{message}");
    }

    #[test]
    fn two_sources_with_one_name_are_refused() {
        let source = "[[sources]]\nname = \"a\"\nurl = \"https://x.org/feed\"\n";
        assert!(error_of(&format!("{source}{source}"), &[]).contains("sources[1].name"));
    }

    #[test]
    fn a_bad_listen_address_is_named() {
        assert!(error_of("[http]\nlisten = \"everywhere\"\n", &[]).contains("http.listen"));
    }

    #[test]
    fn kabar_environment_variables_override_the_file() {
        let settings = load("[limits]\nglobal_per_sec = 30\n", &[("KABAR_LIMITS__GLOBAL_PER_SEC", "25")]).unwrap();
        assert_eq!(settings.limits.global_per_sec, 25);
    }

    #[test]
    fn an_environment_variable_for_an_unknown_key_is_named() {
        let message = error_of("", &[("KABAR_LIMITS__BURST", "5")]);
        assert!(message.contains("burst"), "{message}");
    }

    #[test]
    fn an_all_digit_admin_token_from_the_environment_stays_text() {
        let settings = load("", &[("KABAR_HTTP__ADMIN_TOKEN", "1234567890123456")]).unwrap();
        assert_eq!(settings.http.admin_token.as_deref(), Some("1234567890123456"));
    }

    #[test]
    fn teloxide_variables_win_over_the_file() {
        let text = "[telegram]\ntoken = \"1:file\"\napi_url = \"https://file.example\"\n";
        let env = [("TELOXIDE_TOKEN", "2:env"), ("TELOXIDE_API_URL", "http://127.0.0.1:9/")];
        let settings = load(text, &env).unwrap();
        assert_eq!(settings.telegram.token.as_deref(), Some("2:env"));
        assert_eq!(settings.telegram.api_url.as_str(), "http://127.0.0.1:9/");
    }

    #[test]
    fn the_admin_token_variable_wins_over_the_file() {
        let text = "[http]\nadmin_token = \"file-token-long-enough\"\n";
        let settings = load(text, &[("KABAR_ADMIN_TOKEN", "env-token-long-enough")]).unwrap();
        assert_eq!(settings.http.admin_token.as_deref(), Some("env-token-long-enough"));
    }

    #[test]
    fn a_string_value_from_the_environment_stays_a_string() {
        let settings = load("", &[("KABAR_DATABASE__URL", "sqlite://other.db")]).unwrap();
        assert_eq!(settings.database.url, "sqlite://other.db");
    }

    #[test]
    fn broken_toml_is_reported_with_the_file_name() {
        assert!(error_of("[limits\n", &[]).contains("test.toml"));
    }
}
