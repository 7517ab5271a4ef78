//! Telegram's limits as pacing rules: the bot's global rate, each chat's, and the stricter
//! per-minute rate of groups and supergroups.

use crate::{
    delivery::{PaceClass, PaceRules, Rate},
    domain::{ChatKind, Limits},
};

/// The pacing class of groups and supergroups.
pub const GROUP: PaceClass = "group";

/// The pacing rules for the operator's `[limits]`.
pub fn rules(limits: &Limits) -> PaceRules {
    PaceRules {
        per_sec: limits.global_per_sec,
        per_chat: Rate::per_second(limits.per_chat_per_sec),
        per_class: vec![(GROUP, Rate::per_minute(limits.group_per_min))],
    }
}

/// The pacing class of a chat of `kind`: groups are held to their own per-minute limit.
pub fn class_of(kind: ChatKind) -> Option<PaceClass> {
    kind.is_group().then_some(GROUP)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups_and_only_groups_have_the_group_limit() {
        let rules = rules(&Limits::default());
        assert_eq!((rules.per_sec, rules.per_chat), (30, Rate::per_second(1)));
        assert_eq!(rules.per_class, vec![(GROUP, Rate::per_minute(20))]);
        assert_eq!(class_of(ChatKind::Supergroup), Some(GROUP));
        assert_eq!(class_of(ChatKind::Private), None);
        assert_eq!(class_of(ChatKind::Channel), None);
    }
}
