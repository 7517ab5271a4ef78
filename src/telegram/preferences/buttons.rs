//! What a preferences button does, packed into Telegram's 64 bytes of callback data.
//!
//! Every button names the chat it changes, because an admin sets a Telegram channel up from
//! their private chat with the bot: the chat the button sits in is not always the one it changes.

use crate::domain::{DeliveryMode, Language, QuietHours};

/// The prefix of every preferences button; editors' buttons have their own.
const PREFIX: &str = "p:";

/// One tap's meaning.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Tap {
    ToggleChannel(i64),
    FollowAll,
    FollowNone,
    /// Closes the channel menu.
    ChannelsDone,
    Language(Language),
    Mode(DeliveryMode),
    Quiet(Option<QuietHours>),
    BreakingInstant(bool),
    /// Subscribes a group or channel the bot was added to.
    SubscribeChat,
}

/// A button: the chat it changes and what it does there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Button {
    pub target: i64,
    pub tap: Tap,
}

impl Button {
    pub fn new(target: i64, tap: Tap) -> Button {
        Button { target, tap }
    }

    /// The callback data, at most 64 bytes: `p:<chat id>:<tap>`.
    pub fn encode(&self) -> String {
        let tap = match &self.tap {
            Tap::ToggleChannel(id) => format!("ct{id}"),
            Tap::FollowAll => "ca".into(),
            Tap::FollowNone => "cn".into(),
            Tap::ChannelsDone => "cd".into(),
            Tap::Language(language) => format!("l{language}"),
            Tap::Mode(mode) => format!("m{}", mode.as_stored()),
            Tap::Quiet(Some(quiet)) => format!("q{}", quiet.as_stored()),
            Tap::Quiet(None) => "qoff".into(),
            Tap::BreakingInstant(instant) => format!("b{}", u8::from(*instant)),
            Tap::SubscribeChat => "sub".into(),
        };
        format!("{PREFIX}{}:{tap}", self.target)
    }

    /// Reads callback data back; None for anything kabar did not write.
    pub fn decode(data: &str) -> Option<Button> {
        let (target, tap) = data.strip_prefix(PREFIX)?.split_once(':')?;
        let tap = match tap {
            "ca" => Tap::FollowAll,
            "cn" => Tap::FollowNone,
            "cd" => Tap::ChannelsDone,
            "qoff" => Tap::Quiet(None),
            "b1" => Tap::BreakingInstant(true),
            "b0" => Tap::BreakingInstant(false),
            "sub" => Tap::SubscribeChat,
            _ => decode_with_value(tap)?,
        };
        Some(Button { target: target.parse().ok()?, tap })
    }
}

fn decode_with_value(tap: &str) -> Option<Tap> {
    if let Some(id) = tap.strip_prefix("ct") {
        return id.parse().ok().map(Tap::ToggleChannel);
    }
    if let Some(language) = tap.strip_prefix('l') {
        return Language::parse(language).map(Tap::Language);
    }
    if let Some(mode) = tap.strip_prefix('m') {
        return DeliveryMode::from_stored(mode).map(Tap::Mode);
    }
    QuietHours::from_stored(tap.strip_prefix('q')?).map(|quiet| Tap::Quiet(Some(quiet)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_tap_round_trips_within_telegrams_64_bytes() {
        let taps = [
            Tap::ToggleChannel(i64::MAX),
            Tap::FollowAll,
            Tap::FollowNone,
            Tap::ChannelsDone,
            Tap::Language(Language::Indonesian),
            Tap::Mode(DeliveryMode::Daily { hour: 23 }),
            Tap::Mode(DeliveryMode::Hourly),
            Tap::Quiet(Some(QuietHours::parse("22:00-06:00").unwrap())),
            Tap::Quiet(None),
            Tap::BreakingInstant(false),
            Tap::SubscribeChat,
        ];
        for tap in taps {
            let button = Button::new(-1_001_234_567_890, tap);
            let data = button.encode();
            assert!(data.len() <= 64, "{data}");
            assert_eq!(Button::decode(&data), Some(button));
        }
    }

    #[test]
    fn foreign_or_forged_data_is_ignored() {
        for data in ["", "p:", "p:12", "p:x:ca", "p:12:ct", "p:12:lxx", "p:12:mweekly", "breaking:send:1"] {
            assert_eq!(Button::decode(data), None, "{data}");
        }
    }
}
