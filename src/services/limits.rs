//! The operator's sending limits (`[limits]`), changeable while kabar runs: by the API, the
//! dashboard or a reload of the config file, always checked the same way and applied at once.

use std::sync::{Arc, Mutex};

use crate::{
    delivery::{PaceRules, Pacer},
    domain::Limits,
};

/// Telegram's limits as the operator set them, and the pacer that enforces them.
pub struct LimitsControl {
    limits: Mutex<Limits>,
    pacer: Arc<Pacer>,
    /// The platform's reading of the limits as pacing rules.
    rules_of: fn(&Limits) -> PaceRules,
}

impl LimitsControl {
    /// Control of `pacer`, which enforces `limits` as `rules_of` reads them.
    pub fn new(limits: Limits, pacer: Arc<Pacer>, rules_of: fn(&Limits) -> PaceRules) -> LimitsControl {
        pacer.set_rules(rules_of(&limits));
        LimitsControl { limits: Mutex::new(limits), pacer, rules_of }
    }

    /// The limits in force.
    pub fn get(&self) -> Limits {
        *self.limits.lock().expect("the limits lock is never poisoned")
    }

    /// Applies `limits` at once when they can work; otherwise says what is wrong
    /// ("limits.KEY must be ...") and changes nothing.
    pub fn set(&self, limits: Limits) -> Result<Limits, String> {
        let limits = limits.checked()?;
        let mut current = self.limits.lock().expect("the limits lock is never poisoned");
        if *current != limits {
            self.pacer.set_rules((self.rules_of)(&limits));
            tracing::info!(before = ?*current, after = ?limits, "limits changed; they apply now");
            *current = limits;
        }
        Ok(limits)
    }
}
