//! Telegram's own user ids that must never count as a person, whatever the config or the
//! editors table say.

/// Telegram sends a group's anonymous admins' messages as this user ("GroupAnonymousBot"): any
/// admin of any group would look like it, so it must never be trusted as one person.
pub const ANONYMOUS_ADMIN_ID: i64 = 1_087_968_824;
/// Telegram's service notifications, and messages forwarded from a channel to its linked group.
pub const TELEGRAM_SERVICE_ID: i64 = 777_000;

/// Why `user_id` can never stand for one trusted person (an editor, an admin), or None when it can.
pub fn person_refusal(user_id: i64) -> Option<&'static str> {
    match user_id {
        ANONYMOUS_ADMIN_ID => Some("it is Telegram's anonymous group admin, which every anonymous admin shares"),
        TELEGRAM_SERVICE_ID => Some("it is Telegram's service account, which also posts channel forwards"),
        id if id <= 0 => Some("Telegram user ids are positive (negative ids are groups and channels)"),
        _ => None,
    }
}

/// Refuses the config's editors that can never be one person, naming the key.
pub fn check_editors(settings: &crate::config::Settings) -> Result<(), crate::config::ConfigError> {
    for (index, &user_id) in settings.editors.user_ids.iter().enumerate() {
        if let Some(reason) = person_refusal(user_id) {
            let key = format!("editors.user_ids[{index}]");
            return Err(crate::config::ConfigError::key(key, format!("{user_id} cannot be an editor: {reason}")));
        }
    }
    Ok(())
}

/// Whether `user_id` is one of Telegram's shared service ids.
pub fn is_service_id(user_id: u64) -> bool {
    [ANONYMOUS_ADMIN_ID, TELEGRAM_SERVICE_ID].iter().any(|&id| id as u64 == user_id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_configs_service_ids_are_refused_by_their_key() {
        let mut settings = crate::config::Settings::default();
        settings.editors.user_ids = vec![5_000_001, TELEGRAM_SERVICE_ID];
        let error = check_editors(&settings).unwrap_err().to_string();
        assert!(error.contains("editors.user_ids[1]") && error.contains("777000"), "{error}");
        settings.editors.user_ids = vec![5_000_001];
        assert!(check_editors(&settings).is_ok());
    }

    #[test]
    fn shared_telegram_ids_and_non_users_are_refused() {
        for id in [ANONYMOUS_ADMIN_ID, TELEGRAM_SERVICE_ID, 0, -1_001_234_567_890] {
            assert!(person_refusal(id).is_some(), "{id} was accepted");
        }
        assert_eq!(person_refusal(5_000_001), None);
        assert!(is_service_id(777_000) && !is_service_id(5_000_001));
    }
}
