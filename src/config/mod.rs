//! One typed settings tree, read from a TOML file and layered with the environment.
//!
//! Precedence, lowest first: built-in defaults, the file, `KABAR_<SECTION>__<KEY>` variables, then
//! the well-known single variables (`TELOXIDE_TOKEN`, `TELOXIDE_API_URL`, `KABAR_ADMIN_TOKEN`).
//! Every error names the key it is about, so an operator never has to guess.

use std::{net::SocketAddr, path::Path};

use serde::{Deserialize, Serialize};
use url::Url;

use crate::domain::{Language, Limits, SourceKind, Zone};

mod env;
mod validate;
use env::{apply_env, env_value};

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
    pub watcher: WatcherSettings,
    pub delivery: DeliverySettings,
    pub readers: ReaderSettings,
    pub sources: Vec<SourceSettings>,
    pub channels: Vec<ChannelSettings>,
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
    /// Webhook mode instead of long polling: the public URL Telegram posts updates to. It must
    /// reach this server's `POST /telegram/webhook` (behind a TLS proxy for Telegram itself).
    pub webhook_url: Option<Url>,
    /// The secret Telegram sends with each update (`X-Telegram-Bot-Api-Secret-Token`); required
    /// with `webhook_url`: 1 to 256 of A-Z, a-z, 0-9, `_` and `-`.
    pub webhook_secret: Option<String>,
}

impl Default for TelegramSettings {
    fn default() -> Self {
        Self {
            token: None,
            api_url: Url::parse("https://api.telegram.org").expect("a valid literal URL"),
            poll_timeout_secs: 10,
            webhook_url: None,
            webhook_secret: None,
        }
    }
}

impl TelegramSettings {
    /// The first webhook key that cannot work, with the reason.
    fn webhook_problem(&self) -> Option<(&'static str, String)> {
        let secret_ok = |secret: &str| {
            (1..=256).contains(&secret.len())
                && secret.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        };
        match (&self.webhook_url, self.webhook_secret.as_deref()) {
            (Some(url), _) if !matches!(url.scheme(), "http" | "https") => {
                Some(("telegram.webhook_url", "must be an http or https URL".into()))
            }
            (Some(_), None) => Some(("telegram.webhook_secret", "is required with telegram.webhook_url".into())),
            (_, Some(secret)) if !secret_ok(secret) => {
                Some(("telegram.webhook_secret", "must be 1 to 256 of A-Z, a-z, 0-9, _ and -".into()))
            }
            _ => None,
        }
    }
}

/// `[database]`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DatabaseSettings {
    /// `sqlite://path` (created when missing), `sqlite::memory:`, or
    /// `postgres://user:password@host:port/database`.
    pub url: String,
}

impl DatabaseSettings {
    /// The URL as it may be shown in logs and messages: a password in it becomes `***`.
    pub fn shown_url(&self) -> String {
        match url::Url::parse(&self.url) {
            Ok(mut parsed) if parsed.password().is_some() => {
                // Only URLs that cannot hold a password refuse one, and this one holds one.
                let _ = parsed.set_password(Some("***"));
                parsed.to_string()
            }
            _ => self.url.clone(),
        }
    }
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
    /// Connections held open at once; past it, new ones wait in the listen queue.
    pub max_connections: usize,
    /// A request's headers must arrive within this many seconds, and a keep-alive connection
    /// left idle this long is closed.
    pub header_timeout_secs: u64,
    /// A request, its body included, must arrive and be answered within this many seconds.
    pub request_timeout_secs: u64,
}

impl Default for HttpSettings {
    fn default() -> Self {
        Self {
            listen: "127.0.0.1:8080".into(),
            admin_token: None,
            public_url: None,
            max_connections: 4096,
            header_timeout_secs: 10,
            request_timeout_secs: 60,
        }
    }
}

/// `[editors]`: who may push breaking news from the chat.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct EditorSettings {
    pub user_ids: Vec<i64>,
}

/// Which extractor reads an article's body from its page (`summary.extractor`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Extractor {
    /// dom_smoothie alone (a port of Readability.js), as kabar read pages before.
    Readability,
    /// rs-trafilatura alone (a port of trafilatura).
    Trafilatura,
    /// rs-trafilatura, then dom_smoothie when trafilatura's body gives no summary: the best on
    /// the article corpus (`cargo bench --bench summaries`).
    #[default]
    Combined,
}

/// `[summary]`: how an article is described.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SummarySettings {
    /// The summary's length budget in characters; it is cut at a sentence end within it.
    pub max_chars: usize,
    /// Keep the "CITY, site.co.id –" dateline at the start of the lead.
    pub keep_dateline: bool,
    /// Extra rules, added to the built-in ones: boilerplate (`drop_paragraph`, `cut_from`,
    /// `stop_at`) and lead (`skip_before_lead`, `strip_before_lead`, `dateline`) lists of TOML,
    /// each rule a pattern or a `{ name, pattern }` table.
    pub rules_file: Option<std::path::PathBuf>,
    /// Which extractor reads an article's page.
    pub extractor: Extractor,
}

impl Default for SummarySettings {
    fn default() -> Self {
        Self { max_chars: 300, keep_dateline: false, rules_file: None, extractor: Extractor::default() }
    }
}

/// `[fetch]`: what kabar may reach when it fetches feeds, pages and hubs.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct FetchSettings {
    /// Fetch from private ranges (10/8, 172.16/12, 192.168/16, 100.64/10, fc00::/7): the network
    /// kabar runs in. Link-local addresses, where cloud metadata services live, are refused
    /// whatever this says.
    pub allow_private_addresses: bool,
    /// Fetch from this machine (127/8, ::1): for a news site or a stand-in running beside kabar.
    pub allow_loopback: bool,
}

impl Default for FetchSettings {
    fn default() -> Self {
        Self { allow_private_addresses: false, allow_loopback: true }
    }
}

/// `[watcher]`: how the source watcher treats what a poll finds.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct WatcherSettings {
    /// New items pushed from one source per poll (or per WebSub push) at most, the newest; the
    /// rest are recorded as seen and never pushed, so a feed that suddenly lists thousands of
    /// "new" items cannot flood readers.
    pub max_pushes_per_poll: usize,
}

impl Default for WatcherSettings {
    fn default() -> Self {
        Self { max_pushes_per_poll: 10 }
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
    /// Send a story that has an image as that photo with the story as its caption; otherwise
    /// (or when the photo cannot be sent) as text with a link preview.
    pub photos: bool,
}

impl Default for DeliverySettings {
    fn default() -> Self {
        Self { concurrency: 16, lease_secs: 60, max_attempts: 6, photos: true }
    }
}

/// `[readers]`: what readers get before they choose anything themselves.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ReaderSettings {
    /// The language for chats whose app's language kabar does not speak: "en" or "id".
    pub default_language: Language,
    /// The time zone of quiet hours and daily digests for readers who did not pick one: an
    /// IANA name, or WIB, WITA, WIT, UTC.
    pub timezone: Zone,
    /// A feed category that no `[[channels]]` block claims becomes a channel of its own.
    pub channels_from_categories: bool,
    /// At most this many channels are made from categories; later categories are left out.
    pub max_category_channels: usize,
}

impl Default for ReaderSettings {
    fn default() -> Self {
        Self {
            default_language: Language::English,
            timezone: Zone(chrono_tz::Asia::Jakarta),
            channels_from_categories: true,
            max_category_channels: 30,
        }
    }
}

/// `[[channels]]`: a topic readers can follow.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChannelSettings {
    /// A short stable id: lower-case letters, digits and dashes.
    pub slug: String,
    /// The name readers see.
    pub name: String,
    /// The name in other languages, by language code: `names = { en = "Politics" }`.
    #[serde(default)]
    pub names: std::collections::BTreeMap<String, String>,
    /// Feed categories whose articles belong here (compared without case or accents).
    #[serde(default)]
    pub categories: Vec<String>,
    /// Sources (by name, from the file or added at run time) whose every article belongs here.
    #[serde(default)]
    pub sources: Vec<String>,
    /// Followed by new readers on /start. When no channel is a default, new readers follow all.
    #[serde(default)]
    pub default: bool,
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
    /// When the site changes the title of a story already pushed, edit the messages sent
    /// (instead of leaving them as they were; a new push never happens either way).
    #[serde(default)]
    pub corrections: bool,
}

impl SourceSettings {
    /// The first field that cannot work, with the reason. The config file, the CLI and the API
    /// all check sources with it.
    pub fn problem(&self) -> Option<(&'static str, String)> {
        if self.name.trim().is_empty() || self.name.len() > 100 {
            return Some(("name", "must be 1 to 100 characters".into()));
        }
        if self.name.chars().any(char::is_control) {
            return Some(("name", "must not hold control characters such as line breaks".into()));
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
    /// The value of `key` cannot be used, for `message`.
    pub fn key(key: impl Into<String>, message: impl Into<String>) -> Self {
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

#[cfg(test)]
mod tests;
