//! Operators signed in to the dashboard: their sessions and the login budget, kept in the
//! database, so that a restart signs nobody out and every instance behind a load balancer
//! answers the same.
//!
//! A session id is 32 random bytes; the database keeps only its SHA-256, so neither the table
//! nor a backup holds a usable cookie, and looking one up leaks nothing usable through timing.

use std::{net::IpAddr, time::Duration};

use sha2::{Digest, Sha256};

use super::Services;
use crate::{domain::now_ms, store::StoreResult};

/// How far back login attempts count.
const LOGIN_WINDOW: Duration = Duration::from_secs(60);

/// A session just opened: the id goes into the cookie, never anywhere else.
pub struct OpenedSession {
    pub id: String,
}

/// Dashboard sessions and logins.
pub struct Operators<'a>(pub(super) &'a Services);

impl Operators<'_> {
    /// Opens a session that lasts `lifetime`.
    pub async fn open_session(&self, lifetime: Duration) -> StoreResult<OpenedSession> {
        let (id, csrf) = (random_hex(), random_hex());
        let now = now_ms();
        let expires_at = now + i64::try_from(lifetime.as_millis()).unwrap_or(i64::MAX / 2);
        self.0.inner.store.open_dashboard_session(&digest(&id), &csrf, expires_at, now).await?;
        Ok(OpenedSession { id })
    }

    /// The CSRF token of session `id`, unless there is no such session or it expired.
    pub async fn session_csrf(&self, id: &str) -> StoreResult<Option<String>> {
        self.0.inner.store.dashboard_session(&digest(id), now_ms()).await
    }

    pub async fn close_session(&self, id: &str) -> StoreResult<()> {
        self.0.inner.store.close_dashboard_session(&digest(id)).await
    }

    /// Counts a login attempt from `client`, right or wrong; whether it is within `per_minute`.
    /// Past the budget even the right token is refused from that address, or a guesser would
    /// learn it from the one answer that differs.
    pub async fn login_allowed(&self, client: IpAddr, per_minute: u32) -> StoreResult<bool> {
        let now = now_ms();
        let since = now - LOGIN_WINDOW.as_millis() as i64;
        let attempts = self.0.inner.store.count_login_attempt(&client.to_string(), now, since).await?;
        Ok(attempts <= i64::from(per_minute))
    }
}

/// 32 random bytes from the thread's CSPRNG, as hex.
fn random_hex() -> String {
    hex::encode(rand::random::<[u8; 32]>())
}

fn digest(id: &str) -> String {
    hex::encode(Sha256::digest(id.as_bytes()))
}
