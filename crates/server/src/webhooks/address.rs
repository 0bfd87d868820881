//! Where webhooks may go: `https` URLs whose host resolves only to public
//! addresses (no loopback, private, link-local, shared, multicast or reserved
//! ones: server-side request forgery), unless `WEBHOOK_ALLOW_PRIVATE=1` (which
//! also allows `http`). Checked when an endpoint is registered and again at
//! every delivery, by the resolver the delivery connects with, so a name that
//! resolves elsewhere later is refused too.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use reqwest::Url;

/// Longer URLs are refused.
pub const MAX_URL_CHARS: usize = 2_000;

/// Whether a webhook may be sent to this address.
pub fn public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => public_v4(v4),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => public_v4(v4),
            None => public_v6(v6),
        },
    }
}

fn public_v4(ip: Ipv4Addr) -> bool {
    let [a, b, ..] = ip.octets();
    !(ip.is_unspecified()
        || ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local()
        || ip.is_broadcast()
        || ip.is_multicast()
        || ip.is_documentation()
        || a == 0
        // 100.64.0.0/10: carrier-grade NAT (shared address space).
        || (a == 100 && (64..128).contains(&b))
        // 192.0.0.0/24 (protocol assignments), 198.18.0.0/15 (benchmarks), 240.0.0.0/4 (reserved).
        || (a == 192 && b == 0 && ip.octets()[2] == 0)
        || (a == 198 && (18..20).contains(&b))
        || a >= 240)
}

fn public_v6(ip: Ipv6Addr) -> bool {
    let first = ip.segments()[0];
    !(ip.is_unspecified()
        || ip.is_loopback()
        || ip.is_multicast()
        // fc00::/7 unique local, fe80::/10 link-local.
        || (first & 0xfe00) == 0xfc00
        || (first & 0xffc0) == 0xfe80
        // 2001:db8::/32 documentation; 64:ff9b::/96 can reach IPv4 of any kind.
        || (first == 0x2001 && ip.segments()[1] == 0x0db8)
        || (first == 0x0064 && ip.segments()[1] == 0xff9b))
}

/// Why a URL is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refused {
    #[error("{0}")]
    Malformed(String),
    #[error("the URL's host resolves to {0}, a loopback, private or link-local address: webhooks go to public addresses (WEBHOOK_ALLOW_PRIVATE=1 allows these)")]
    Private(IpAddr),
    #[error("the URL's host does not resolve: {0}")]
    Unresolved(String),
}

/// The URL parsed, if its form is one webhooks may use: `https` (or `http`
/// when private addresses are allowed), a host, no user or password, and, when
/// the host is an address, a public one.
pub fn parse(url: &str, allow_private: bool) -> Result<Url, Refused> {
    if url.chars().count() > MAX_URL_CHARS {
        return Err(Refused::Malformed(format!(
            "the URL is longer than {MAX_URL_CHARS} characters"
        )));
    }
    let parsed = Url::parse(url)
        .map_err(|error| Refused::Malformed(format!("the URL is not one: {error}")))?;
    match parsed.scheme() {
        "https" => {}
        "http" if allow_private => {}
        _ => {
            return Err(Refused::Malformed(
                "webhook URLs are https (WEBHOOK_ALLOW_PRIVATE=1 allows http)".into(),
            ))
        }
    }
    if !parsed.username().is_empty() || parsed.password().is_some() {
        return Err(Refused::Malformed(
            "the URL may not carry a user or password".into(),
        ));
    }
    match parsed.host() {
        None => return Err(Refused::Malformed("the URL names no host".into())),
        Some(url::Host::Ipv4(ip)) if !allow_private && !public(ip.into()) => {
            return Err(Refused::Private(ip.into()))
        }
        Some(url::Host::Ipv6(ip)) if !allow_private && !public(ip.into()) => {
            return Err(Refused::Private(ip.into()))
        }
        Some(_) => {}
    }
    Ok(parsed)
}

/// Resolves `host` and refuses it when any of its addresses is not public.
pub async fn resolve(
    host: &str,
    port: u16,
    allow_private: bool,
) -> Result<Vec<SocketAddr>, Refused> {
    let addresses: Vec<SocketAddr> = tokio::net::lookup_host((host, port))
        .await
        .map_err(|error| Refused::Unresolved(error.to_string()))?
        .collect();
    if addresses.is_empty() {
        return Err(Refused::Unresolved("no address".into()));
    }
    if !allow_private {
        if let Some(private) = addresses.iter().find(|a| !public(a.ip())) {
            return Err(Refused::Private(private.ip()));
        }
    }
    Ok(addresses)
}

/// The resolver deliveries connect with: what it hands the client has passed [`resolve`].
pub struct Guarded {
    pub allow_private: bool,
}

impl reqwest::dns::Resolve for Guarded {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let allow_private = self.allow_private;
        Box::pin(async move {
            let addresses = resolve(name.as_str(), 0, allow_private)
                .await
                .map_err(|refused| Box::new(refused) as Box<dyn std::error::Error + Send + Sync>)?;
            Ok(Box::new(addresses.into_iter()) as reqwest::dns::Addrs)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn private_and_special_addresses_are_not_public() {
        for ip in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "0.0.0.0",
            "100.64.0.1",
            "255.255.255.255",
            "224.0.0.1",
            "::1",
            "::",
            "fe80::1",
            "fd00::1",
            "::ffff:127.0.0.1",
            "::ffff:10.0.0.1",
            "64:ff9b::7f00:1",
        ] {
            assert!(!public(ip.parse().unwrap()), "{ip}");
        }
        for ip in ["93.184.215.14", "1.1.1.1", "2606:4700:4700::1111"] {
            assert!(public(ip.parse().unwrap()), "{ip}");
        }
    }

    #[test]
    fn urls_are_https_to_a_public_host() {
        assert!(parse("https://hooks.example.com/in", false).is_ok());
        assert!(matches!(
            parse("http://hooks.example.com/in", false),
            Err(Refused::Malformed(_))
        ));
        assert!(parse("http://127.0.0.1:8080/in", true).is_ok());
        assert!(matches!(
            parse("https://127.0.0.1/in", false),
            Err(Refused::Private(_))
        ));
        assert!(matches!(
            parse("https://[::1]/in", false),
            Err(Refused::Private(_))
        ));
        // 127.0.0.1 written as one number, and in hex.
        assert!(matches!(
            parse("https://2130706433/", false),
            Err(Refused::Private(_))
        ));
        assert!(matches!(
            parse("https://0x7f.1/", false),
            Err(Refused::Private(_))
        ));
        assert!(matches!(
            parse("https://[::ffff:a00:1]/", false),
            Err(Refused::Private(_))
        ));
        assert!(matches!(
            parse("https://user:pw@example.com/", false),
            Err(Refused::Malformed(_))
        ));
        assert!(matches!(
            parse("ftp://example.com/", true),
            Err(Refused::Malformed(_))
        ));
        assert!(matches!(
            parse("not a url", true),
            Err(Refused::Malformed(_))
        ));
        let long = format!("https://example.com/{}", "a".repeat(5_000));
        assert!(matches!(parse(&long, true), Err(Refused::Malformed(_))));
    }

    #[tokio::test]
    async fn a_name_of_a_loopback_address_is_refused_when_resolved() {
        assert!(matches!(
            resolve("localhost", 443, false).await,
            Err(Refused::Private(_))
        ));
        assert!(resolve("localhost", 443, true).await.is_ok());
    }
}
