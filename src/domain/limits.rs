//! `[limits]`: how fast kabar may send to Telegram, set by the operator and changeable while it
//! runs. Telegram's published limits are the defaults.

use serde::{Deserialize, Serialize};

/// The operator's sending limits for Telegram.
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
    /// These limits when they can work, else what is wrong ("limits.KEY must be ..."): how the
    /// config, the API, the dashboard and a reload check limits.
    pub fn checked(self) -> Result<Limits, String> {
        match self.problem() {
            Some((key, message)) => Err(format!("{key} {message}")),
            None => Ok(self),
        }
    }

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
