//! Whether this instance may start a send now: the one question the engine asks of leadership.

use std::sync::Arc;

/// Whether this instance may still start a send. A lone sender always may; one of several may
/// while its term as the sender lasts. The engine asks right before each send, so a sender frozen
/// (SIGSTOP) past its term and then woken starts no send, even before its other tasks have
/// noticed that the term ended: the term is measured on the monotonic clock, which runs on while
/// the process is stopped.
#[derive(Clone)]
pub struct SendRight(Option<Arc<dyn Fn() -> bool + Send + Sync>>);

impl SendRight {
    /// The right of an instance that sends alone.
    pub fn always() -> SendRight {
        SendRight(None)
    }

    /// The right that lasts while `holds` says so.
    pub fn while_(holds: impl Fn() -> bool + Send + Sync + 'static) -> SendRight {
        SendRight(Some(Arc::new(holds)))
    }

    pub fn holds(&self) -> bool {
        self.0.as_ref().is_none_or(|holds| holds())
    }
}
