//! WebSub (W3C): subscribing at the hub a feed announces, so that the hub pushes new items the
//! moment they are published instead of kabar finding them at its next poll; and checking that
//! what arrives was signed by the hub with the subscription's secret.

use hmac::{Hmac, Mac};
use rand::RngCore;

use super::guard::{AddressGuard, guarded_client};
use crate::{
    domain::{SourceRecord, WebSubState, now_ms},
    store::Store,
};

/// Subscriptions are asked for this long and renewed when less than a day is left.
const LEASE_SECONDS: u64 = 10 * 24 * 3600;
const RENEW_BEFORE_MS: i64 = 24 * 3_600_000;
/// A request the hub has not verified, or denied, is asked again after this long.
const ASK_AGAIN_AFTER_MS: i64 = 3_600_000;

/// kabar's side of WebSub, enabled when `http.public_url` tells hubs where to call back.
#[derive(Debug, Clone)]
pub struct WebSub {
    store: Store,
    client: reqwest::Client,
    public_url: url::Url,
    guard: AddressGuard,
}

impl WebSub {
    /// Hubs are named by feeds, so they are reached under the same address `guard` as feeds.
    pub fn new(store: Store, public_url: url::Url, guard: AddressGuard) -> WebSub {
        let client = guarded_client(guard, 5)
            .timeout(std::time::Duration::from_secs(15))
            .build()
            .expect("the HTTP client builds");
        WebSub { store, client, public_url, guard }
    }

    /// Where the hub calls back for `source_id`'s subscription under `secret`.
    pub fn callback_url(&self, source_id: i64, secret: &str) -> String {
        let base = self.public_url.as_str().trim_end_matches('/');
        format!("{base}/websub/{source_id}/{}", callback_token(secret))
    }

    /// Subscribes `source` at `hub` for `topic`, unless a live subscription (or a recent request)
    /// already covers it. The hub then verifies our intent at the callback.
    pub async fn ensure_subscribed(&self, source: &SourceRecord, hub: &str, topic: &str) -> anyhow::Result<()> {
        if let Some(current) = self.store.websub_subscription(source.id).await? {
            let same = current.hub == hub && current.topic == topic;
            let live = match current.state {
                WebSubState::Verified => current.lease_until.is_some_and(|until| until > now_ms() + RENEW_BEFORE_MS),
                _ => current.updated_at > now_ms() - ASK_AGAIN_AFTER_MS,
            };
            if same && live {
                return Ok(());
            }
        }
        let mut secret = [0_u8; 24];
        rand::rng().fill_bytes(&mut secret);
        let secret = hex::encode(secret);
        self.store.websub_requested(source.id, hub, topic, &secret).await?;
        let callback = self.callback_url(source.id, &secret);
        let lease = LEASE_SECONDS.to_string();
        let form = [
            ("hub.mode", "subscribe"),
            ("hub.topic", topic),
            ("hub.callback", callback.as_str()),
            ("hub.secret", secret.as_str()),
            ("hub.lease_seconds", lease.as_str()),
        ];
        let hub_url = url::Url::parse(hub)?;
        if let Some(refusal) = AddressGuard::refusal_for_url(&self.guard, &hub_url) {
            anyhow::bail!("refused: {refusal}");
        }
        let response = self.client.post(hub_url).form(&form).send().await?;
        anyhow::ensure!(response.status().is_success(), "the hub {hub} answered {}", response.status());
        tracing::info!(source = source.name, hub, topic, "WebSub subscription requested");
        Ok(())
    }
}

/// Whether `signature` (the `X-Hub-Signature` header, `sha256=<hex>`) is the HMAC of `body`
/// under `secret`. Compared in constant time.
pub fn signature_is_valid(secret: &str, body: &[u8], signature: &str) -> bool {
    let Some((method, digest)) = signature.trim().split_once('=') else { return false };
    let Ok(expected) = hex::decode(digest) else { return false };
    match method.to_ascii_lowercase().as_str() {
        "sha1" => verify::<Hmac<sha1::Sha1>>(secret, body, &expected),
        "sha256" => verify::<Hmac<sha2::Sha256>>(secret, body, &expected),
        "sha384" => verify::<Hmac<sha2::Sha384>>(secret, body, &expected),
        "sha512" => verify::<Hmac<sha2::Sha512>>(secret, body, &expected),
        _ => false,
    }
}

fn verify<M: Mac + hmac::digest::KeyInit>(secret: &str, body: &[u8], expected: &[u8]) -> bool {
    let Ok(mut mac) = <M as hmac::digest::KeyInit>::new_from_slice(secret.as_bytes()) else { return false };
    mac.update(body);
    mac.verify_slice(expected).is_ok()
}

/// The part of a subscription's callback URL only its hub knows. Verifications (which the hub
/// signs with nothing) count only at it, so that nobody else can confirm or deny the
/// subscription with a bare GET. Derived from the secret, so that nothing more is stored.
pub fn callback_token(secret: &str) -> String {
    use sha2::Digest;
    let digest = sha2::Sha256::new().chain_update("kabar websub callback\n").chain_update(secret).finalize();
    hex::encode(&digest[..16])
}

/// Whether `token` is the callback token of the subscription under `secret`, compared in
/// constant time.
pub fn is_callback_token(secret: &str, token: &str) -> bool {
    use subtle::ConstantTimeEq;
    bool::from(callback_token(secret).as_bytes().ct_eq(token.as_bytes()))
}

/// The `X-Hub-Signature` value a hub sends for `body` under `secret`, with SHA-256.
pub fn sign(secret: &str, body: &[u8]) -> String {
    let mut mac = <Hmac<sha2::Sha256> as hmac::digest::KeyInit>::new_from_slice(secret.as_bytes())
        .expect("HMAC takes a key of any length");
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_callback_token_is_the_secrets_alone() {
        let token = callback_token("rahasia");
        assert_eq!(token.len(), 32);
        assert!(is_callback_token("rahasia", &token));
        assert!(!is_callback_token("rahasia-lain", &token));
        assert!(!is_callback_token("rahasia", ""));
    }

    #[test]
    fn a_signature_made_with_the_secret_is_valid() {
        let signature = sign("rahasia", b"<rss/>");
        assert!(signature_is_valid("rahasia", b"<rss/>", &signature));
    }

    #[test]
    fn a_wrong_secret_a_changed_body_or_garbage_is_refused() {
        let signature = sign("rahasia", b"<rss/>");
        assert!(!signature_is_valid("lain", b"<rss/>", &signature));
        assert!(!signature_is_valid("rahasia", b"<rss>changed</rss>", &signature));
        assert!(!signature_is_valid("rahasia", b"<rss/>", "sha256=zz"));
        assert!(!signature_is_valid("rahasia", b"<rss/>", "md5=00"));
        assert!(!signature_is_valid("rahasia", b"<rss/>", ""));
    }
}
