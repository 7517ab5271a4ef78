//! What types alone cannot check: ranges, addresses, uniqueness. Every value the run cannot use
//! is refused here, naming its key, so that `check-config` passing means the run can start.

use std::collections::HashSet;

use super::{ConfigError, Settings};

impl Settings {
    /// Checks every key's value; the first that cannot work is the error.
    pub fn validate(&self) -> Result<(), ConfigError> {
        if let Some((key, message)) = self.limits.problem() {
            return Err(ConfigError::key(key, message));
        }
        if let Some((key, value, min, max)) =
            self.numbers().into_iter().find(|(_, value, min, max)| !(*min..=*max).contains(value))
        {
            return Err(ConfigError::key(key, format!("must be between {min} and {max}, got {value}")));
        }
        self.validate_telegram()?;
        self.validate_database()?;
        self.validate_http()?;
        self.validate_sources()?;
        self.validate_channels()
    }

    /// Every numeric key with the values the run can use: (key, value, least, most).
    fn numbers(&self) -> [(&'static str, u64, u64, u64); 10] {
        let wide = |value: usize| u64::try_from(value).unwrap_or(u64::MAX);
        [
            // Telegram holds a long poll at most 50 seconds; 0 would poll without waiting.
            ("telegram.poll_timeout_secs", u64::from(self.telegram.poll_timeout_secs), 1, 50),
            ("summary.max_chars", wide(self.summary.max_chars), 80, 2_000),
            ("delivery.concurrency", wide(self.delivery.concurrency), 1, 1_024),
            // A send must finish within its lease, or another worker takes the delivery over.
            ("delivery.lease_secs", self.delivery.lease_secs, 5, 86_400),
            ("delivery.max_attempts", u64::from(self.delivery.max_attempts), 1, 100),
            // More than a hundred stories at once from one site is a flood, not news.
            ("watcher.max_pushes_per_poll", wide(self.watcher.max_pushes_per_poll), 1, 100),
            ("readers.max_category_channels", wide(self.readers.max_category_channels), 0, 1_000),
            ("http.max_connections", wide(self.http.max_connections), 16, 100_000),
            ("http.header_timeout_secs", self.http.header_timeout_secs, 1, 300),
            ("http.request_timeout_secs", self.http.request_timeout_secs, 1, 3600),
        ]
    }

    fn validate_telegram(&self) -> Result<(), ConfigError> {
        if self.telegram.token.as_deref().is_some_and(|t| t.trim().is_empty()) {
            return Err(ConfigError::key("telegram.token", "is empty"));
        }
        if !matches!(self.telegram.api_url.scheme(), "http" | "https") {
            return Err(ConfigError::key("telegram.api_url", "must be an http or https URL"));
        }
        if let Some((key, message)) = self.telegram.webhook_problem() {
            return Err(ConfigError::key(key, message));
        }
        Ok(())
    }

    fn validate_database(&self) -> Result<(), ConfigError> {
        let url = &self.database.url;
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            return match url::Url::parse(url) {
                Ok(parsed) if parsed.host_str().is_some_and(|host| !host.is_empty()) => Ok(()),
                _ => Err(ConfigError::key(
                    "database.url",
                    "must name the server, as in postgres://user:password@host:5432/kabar",
                )),
            };
        }
        if !url.starts_with("sqlite:") {
            return Err(ConfigError::key("database.url", "must start with sqlite: or postgres://"));
        }
        Ok(())
    }

    fn validate_http(&self) -> Result<(), ConfigError> {
        self.listen_addr()?;
        if self.http.public_url.as_ref().is_some_and(|url| !matches!(url.scheme(), "http" | "https")) {
            return Err(ConfigError::key("http.public_url", "must be an http or https URL"));
        }
        if self.http.admin_token.as_deref().is_some_and(|t| t.len() < 16) {
            return Err(ConfigError::key("http.admin_token", "must be at least 16 characters long"));
        }
        Ok(())
    }

    fn validate_channels(&self) -> Result<(), ConfigError> {
        let mut slugs = HashSet::new();
        for (index, channel) in self.channels.iter().enumerate() {
            let key = |field: &str| format!("channels[{index}].{field}");
            let slug_ok = !channel.slug.is_empty()
                && channel.slug.len() <= 40
                && channel.slug.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
            if !slug_ok {
                return Err(ConfigError::key(key("slug"), "must be 1 to 40 lower-case letters, digits or dashes"));
            }
            if !slugs.insert(channel.slug.as_str()) {
                return Err(ConfigError::key(key("slug"), format!("`{}` is used twice", channel.slug)));
            }
            if channel.name.trim().is_empty() || channel.name.chars().count() > 40 {
                return Err(ConfigError::key(key("name"), "must be 1 to 40 characters"));
            }
        }
        Ok(())
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
}
