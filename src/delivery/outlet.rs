//! The platforms one instance sends to: each one's transport with its pacer.

use std::{collections::HashMap, sync::Arc};

use super::{Pacer, Transport};
use crate::domain::{ChatKind, Platform};

/// A platform as the engine sends to it.
#[derive(Clone)]
pub struct Outlet {
    pub transport: Arc<dyn Transport>,
    pub pacer: Arc<Pacer>,
}

impl Outlet {
    pub fn new(transport: Arc<dyn Transport>, pacer: Arc<Pacer>) -> Outlet {
        Outlet { transport, pacer }
    }

    /// Waits until a message may go to the chat at `address` ahead of every push: replies,
    /// menus, edits and deletions are paced like every send.
    pub async fn admit_reply(&self, address: &str, kind: ChatKind) {
        self.pacer.admit(address, self.transport.pace_class(kind)).await;
    }
}

/// Every platform this instance sends to, by platform. Cheap to clone.
#[derive(Clone, Default)]
pub struct Outlets(Arc<HashMap<Platform, Outlet>>);

impl Outlets {
    pub fn new(outlets: impl IntoIterator<Item = Outlet>) -> Outlets {
        Outlets(Arc::new(outlets.into_iter().map(|outlet| (outlet.transport.platform(), outlet)).collect()))
    }

    /// The outlet of `platform`, when this instance sends there.
    pub fn get(&self, platform: Platform) -> Option<&Outlet> {
        self.0.get(&platform)
    }

    /// Every outlet, in no particular order.
    pub fn iter(&self) -> impl Iterator<Item = &Outlet> {
        self.0.values()
    }
}
