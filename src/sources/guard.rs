//! Which addresses kabar may fetch from. A feed URL, a page link or a redirect must never make
//! kabar reach inside the machine or its network (cloud metadata services live at link-local
//! addresses), so every DNS answer, every IP literal and every redirect hop is checked.

use std::{
    net::{IpAddr, SocketAddr},
    sync::Arc,
    time::Duration,
};

use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use url::Url;

use crate::text::is_web_link;

/// How long [`AddressGuard::check_url`] waits for a name to resolve; a name that takes longer
/// counts as unresolvable.
const RESOLVE_TIMEOUT: Duration = Duration::from_secs(5);
/// How much of a refused URL a message quotes: a `data:` URL can be megabytes long.
const QUOTED_URL_CHARS: usize = 100;

/// Why a URL from outside is neither fetched nor handed to a chat platform.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct Refusal(String);

/// The address policy of kabar's fetches.
#[derive(Debug, Clone, Copy)]
pub struct AddressGuard {
    /// Private ranges: 10/8, 172.16/12, 192.168/16, 100.64/10, fc00::/7.
    pub allow_private: bool,
    /// This machine: 127/8, ::1.
    pub allow_loopback: bool,
}

/// The policy `[fetch]` asks for.
impl From<&crate::config::FetchSettings> for AddressGuard {
    fn from(settings: &crate::config::FetchSettings) -> Self {
        AddressGuard { allow_private: settings.allow_private_addresses, allow_loopback: settings.allow_loopback }
    }
}

impl AddressGuard {
    /// Why `ip` may not be fetched from, or None when it may.
    pub fn refusal(&self, ip: IpAddr) -> Option<&'static str> {
        let ip = match ip {
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(IpAddr::V6(v6), IpAddr::V4),
            v4 => v4,
        };
        if ip.is_unspecified() || ip.is_multicast() || is_link_local(ip) || ip == IpAddr::from([255, 255, 255, 255]) {
            return Some("a link-local, multicast or unspecified address");
        }
        if !self.allow_loopback && ip.is_loopback() {
            return Some("a loopback address (set fetch.allow_loopback to allow it)");
        }
        if !self.allow_private && is_private(ip) {
            return Some("a private address (set fetch.allow_private_addresses to allow it)");
        }
        None
    }

    /// The refusal for a URL whose host is an IP literal; names are checked when resolved.
    pub fn refusal_for_url(&self, url: &url::Url) -> Option<String> {
        let ip = match url.host()? {
            url::Host::Ipv4(v4) => IpAddr::V4(v4),
            url::Host::Ipv6(v6) => IpAddr::V6(v6),
            url::Host::Domain(_) => return None,
        };
        self.refusal(ip).map(|why| format!("{url} is {why}"))
    }

    /// The one check every URL from outside passes before kabar fetches it or hands it to a chat
    /// platform (which fetches photos and link previews itself, perhaps from a self-hosted Bot
    /// API server beside kabar): an absolute http(s) link whose host is neither an address the
    /// guard refuses nor a name that resolves to one. A name is refused when any of its
    /// addresses is, since whoever fetches it may pick that one; a name that does not resolve
    /// passes, as fetching it fails anyway.
    pub async fn check_url(&self, raw: &str) -> Result<Url, Refusal> {
        let raw = raw.trim();
        let Some(url) = Url::parse(raw).ok().filter(|_| is_web_link(raw)) else {
            let quoted: String = raw.chars().take(QUOTED_URL_CHARS).collect();
            return Err(Refusal(format!("`{quoted}` is not an absolute http(s) link")));
        };
        if let Some(refusal) = self.refusal_for_url(&url) {
            return Err(Refusal(refusal));
        }
        if let Some(url::Host::Domain(name)) = url.host() {
            let port = url.port_or_known_default().unwrap_or(80);
            let resolved = tokio::time::timeout(RESOLVE_TIMEOUT, tokio::net::lookup_host((name, port))).await;
            for address in resolved.into_iter().flatten().flatten() {
                if let Some(why) = self.refusal(address.ip()) {
                    return Err(Refusal(format!("{url}: {name} resolves to {why}")));
                }
            }
        }
        Ok(url)
    }
}

fn is_link_local(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => v4.is_link_local(),
        IpAddr::V6(v6) => (v6.segments()[0] & 0xffc0) == 0xfe80,
    }
}

fn is_private(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => v4.is_private() || v4.octets()[0] == 100 && (v4.octets()[1] & 0xc0) == 64,
        IpAddr::V6(v6) => (v6.segments()[0] & 0xfe00) == 0xfc00,
    }
}

/// A DNS resolver that drops the answers the guard refuses, so a name pointing inside the
/// network fails to connect instead of being fetched.
#[derive(Debug)]
pub struct GuardedResolver {
    pub guard: AddressGuard,
}

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let guard = self.guard;
        Box::pin(async move {
            let host = name.as_str().to_owned();
            let resolved: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let allowed: Vec<SocketAddr> =
                resolved.iter().copied().filter(|addr| guard.refusal(addr.ip()).is_none()).collect();
            if allowed.is_empty() {
                let why = resolved.first().and_then(|addr| guard.refusal(addr.ip())).unwrap_or("unresolvable");
                return Err(format!("refused: {host} resolves to {why}").into());
            }
            Ok(Box::new(allowed.into_iter()) as Addrs)
        })
    }
}

/// An HTTP client builder that holds to `guard` on every connection and every redirect hop,
/// following at most `max_redirects`. Everything kabar fetches from the outside uses it.
pub fn guarded_client(guard: AddressGuard, max_redirects: usize) -> reqwest::ClientBuilder {
    let redirects = reqwest::redirect::Policy::custom(move |attempt| {
        if attempt.previous().len() >= max_redirects {
            attempt.error(format!("too many redirects (more than {max_redirects})"))
        } else if let Some(refusal) = guard.refusal_for_url(attempt.url()) {
            attempt.error(format!("refused: {refusal}"))
        } else {
            attempt.follow()
        }
    });
    reqwest::Client::builder().dns_resolver(Arc::new(GuardedResolver { guard })).redirect(redirects)
}

#[cfg(test)]
mod tests {
    use super::*;

    const STRICT: AddressGuard = AddressGuard { allow_private: false, allow_loopback: false };
    const LOCAL_TESTING: AddressGuard = AddressGuard { allow_private: true, allow_loopback: true };

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    #[test]
    fn link_local_and_metadata_addresses_are_always_refused() {
        for address in ["169.254.169.254", "fe80::1", "0.0.0.0", "::", "224.0.0.1", "::ffff:169.254.169.254"] {
            assert!(LOCAL_TESTING.refusal(ip(address)).is_some(), "{address}");
        }
    }

    #[test]
    fn private_and_loopback_addresses_are_refused_unless_allowed() {
        for address in ["127.0.0.1", "10.1.2.3", "172.16.0.9", "192.168.1.1", "::1", "fd00::1", "100.64.0.1"] {
            assert!(STRICT.refusal(ip(address)).is_some(), "{address}");
            assert!(LOCAL_TESTING.refusal(ip(address)).is_none(), "{address}");
        }
    }

    #[test]
    fn the_default_refuses_the_network_inside_but_not_this_machine() {
        let default = AddressGuard::from(&crate::config::FetchSettings::default());
        assert!(default.refusal(ip("10.0.0.5")).is_some());
        assert!(default.refusal(ip("192.168.1.1")).is_some());
        assert!(default.refusal(ip("127.0.0.1")).is_none(), "kabar beside its news site, as in tests and demos");
    }

    #[test]
    fn public_addresses_are_fetched() {
        assert!(STRICT.refusal(ip("93.184.216.34")).is_none());
        assert!(STRICT.refusal(ip("2606:2800:220:1::1")).is_none());
    }

    async fn refusal_of(guard: AddressGuard, url: &str) -> Option<String> {
        guard.check_url(url).await.err().map(|refusal| refusal.to_string())
    }

    #[tokio::test]
    async fn only_absolute_web_links_pass_the_url_check() {
        for url in ["file:///etc/passwd", "javascript:alert(1)", "data:image/png;base64,AAAA", "/relative.jpg", ""] {
            let refusal = refusal_of(LOCAL_TESTING, url).await;
            assert!(
                refusal.as_deref().is_some_and(|r| r.contains("not an absolute http(s) link")),
                "{url}: {refusal:?}"
            );
        }
    }

    #[tokio::test]
    async fn the_url_check_refuses_the_addresses_the_guard_refuses() {
        let metadata = refusal_of(LOCAL_TESTING, "http://169.254.169.254/latest/meta-data/iam.jpg").await;
        assert!(metadata.is_some_and(|r| r.contains("link-local")));
        let loopback = refusal_of(STRICT, "http://[::1]:8080/feed").await;
        assert!(loopback.is_some_and(|r| r.contains("loopback")));
        let private = refusal_of(STRICT, "https://10.0.0.5/photo.jpg").await;
        assert!(private.is_some_and(|r| r.contains("private")));
        assert_eq!(refusal_of(LOCAL_TESTING, "http://[::1]:8080/feed").await, None, "when loopback is allowed");
    }

    #[tokio::test]
    async fn a_name_that_resolves_to_a_refused_address_is_refused() {
        let refusal = refusal_of(STRICT, "http://localhost:8080/story").await;
        assert!(refusal.is_some_and(|r| r.contains("localhost resolves to a loopback address")));
        assert_eq!(refusal_of(LOCAL_TESTING, "http://localhost:8080/story").await, None);
    }

    #[tokio::test]
    async fn a_public_web_link_passes_as_it_is() {
        let url = STRICT.check_url(" https://news.example/2024/11/story/?id=5 ").await.unwrap();
        assert_eq!(url.as_str(), "https://news.example/2024/11/story/?id=5");
        assert_eq!(refusal_of(STRICT, "http://93.184.216.34/a.jpg").await, None);
    }

    #[test]
    fn an_ip_literal_in_a_url_is_checked_before_any_request() {
        let url = url::Url::parse("http://169.254.169.254/latest/meta-data/").unwrap();
        assert!(LOCAL_TESTING.refusal_for_url(&url).is_some());
        assert!(LOCAL_TESTING.refusal_for_url(&url::Url::parse("https://news.example/feed").unwrap()).is_none());
    }
}
