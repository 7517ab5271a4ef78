//! Logging: `tracing` to stderr, filtered by `RUST_LOG` (default `info`).

use tracing_subscriber::EnvFilter;

/// Installs the global subscriber once, at `default_level` unless `RUST_LOG` says otherwise;
/// later calls (tests) are harmless no-ops.
pub fn init(default_level: &str) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default_level));
    let _ = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).try_init();
}

/// An error and its causes in one line, for operators: each cause that the message before it
/// already spells out is left out, so wrapped errors do not repeat themselves.
pub fn describe_error(error: &anyhow::Error) -> String {
    let mut description = String::new();
    for cause in error.chain().map(ToString::to_string) {
        if !description.contains(&cause) {
            if !description.is_empty() {
                description.push_str(": ");
            }
            description.push_str(&cause);
        }
    }
    description
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, thiserror::Error)]
    #[error("not a feed: {0}")]
    struct Wrapper(#[from] std::io::Error);

    #[test]
    fn a_cause_already_in_the_message_is_not_repeated() {
        let error = anyhow::Error::from(Wrapper(std::io::Error::other("no root element")));
        assert_eq!(describe_error(&error), "not a feed: no root element");
    }

    #[test]
    fn a_cause_the_message_lacks_is_added() {
        let error = anyhow::Error::from(std::io::Error::other("too many redirects")).context("request failed");
        assert_eq!(describe_error(&error), "request failed: too many redirects");
    }
}
