//! Who is calling: the client's address and whether it came over HTTPS.
//!
//! Behind a reverse proxy every connection comes from the proxy, so the proxy's
//! `X-Forwarded-For` and `X-Forwarded-Proto` are believed, but only when the peer
//! is one of `TRUSTED_PROXIES`; from anyone else those headers are ignored (a
//! client could otherwise pick the address its failed sign-ins count against).

use std::{net::IpAddr, net::SocketAddr, sync::Arc};

use app::services::ClientInfo;
use axum::{
    extract::{ConnectInfo, Request, State},
    http::HeaderMap,
    middleware::Next,
    response::Response,
};
use ipnet::IpNet;

#[derive(Clone)]
pub struct TrustedProxies(pub Arc<Vec<IpNet>>);

impl TrustedProxies {
    fn trusts(&self, address: IpAddr) -> bool {
        let address = canonical(address);
        self.0.iter().any(|net| net.contains(&address))
    }

    /// The client behind `peer`: from a trusted proxy, the right-most address of
    /// `X-Forwarded-For` that is not itself a trusted proxy (the left part of that
    /// header is whatever the client wrote, so it is never believed).
    pub fn client(&self, peer: IpAddr, headers: &HeaderMap, direct_https: bool) -> ClientInfo {
        let peer = canonical(peer);
        if !self.trusts(peer) {
            return ClientInfo {
                address: peer,
                https: direct_https,
            };
        }
        let mut address = peer;
        let forwarded = headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|value| value.to_str().ok())
            .flat_map(|value| value.split(','))
            .map(str::trim)
            .collect::<Vec<_>>();
        for hop in forwarded.iter().rev() {
            match hop.parse::<IpAddr>() {
                Ok(hop) if self.trusts(hop) => address = canonical(hop),
                Ok(hop) => {
                    address = canonical(hop);
                    break;
                }
                // A hop we cannot read ends what can be believed.
                Err(_) => break,
            }
        }
        let https = match headers
            .get("x-forwarded-proto")
            .and_then(|v| v.to_str().ok())
        {
            // The proxy nearest to us wrote the last value.
            Some(proto) => proto
                .rsplit(',')
                .next()
                .is_some_and(|p| p.trim().eq_ignore_ascii_case("https")),
            None => direct_https,
        };
        ClientInfo { address, https }
    }
}

/// IPv4 addresses arrive as `::ffff:a.b.c.d` on dual-stack sockets.
fn canonical(address: IpAddr) -> IpAddr {
    match address {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map(IpAddr::V4).unwrap_or(address),
        v4 => v4,
    }
}

/// Marks a connection that arrived over TLS (set by the listener).
#[derive(Clone, Copy)]
pub struct DirectTls;

/// Puts the [`ClientInfo`] of the request into its extensions.
pub async fn identify(
    State(proxies): State<TrustedProxies>,
    mut request: Request,
    next: Next,
) -> Response {
    let peer = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(addr)| addr.ip())
        .unwrap_or(IpAddr::from([127, 0, 0, 1]));
    let direct_https = request.extensions().get::<DirectTls>().is_some();
    let client = proxies.client(peer, request.headers(), direct_https);
    request.extensions_mut().insert(client);
    next.run(request).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn proxies(nets: &[&str]) -> TrustedProxies {
        TrustedProxies(Arc::new(nets.iter().map(|n| n.parse().unwrap()).collect()))
    }

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.append(*name, value.parse().unwrap());
        }
        map
    }

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    #[test]
    fn forwarded_headers_from_untrusted_peers_are_ignored() {
        let info = proxies(&[]).client(
            ip("203.0.113.9"),
            &headers(&[
                ("x-forwarded-for", "1.2.3.4"),
                ("x-forwarded-proto", "https"),
            ]),
            false,
        );
        assert_eq!(
            info,
            ClientInfo {
                address: ip("203.0.113.9"),
                https: false
            }
        );
        let info = proxies(&["10.0.0.0/8"]).client(
            ip("203.0.113.9"),
            &headers(&[("x-forwarded-for", "1.2.3.4")]),
            false,
        );
        assert_eq!(info.address, ip("203.0.113.9"));
    }

    #[test]
    fn a_trusted_proxy_names_the_client_and_the_scheme() {
        let p = proxies(&["10.0.0.0/8"]);
        let info = p.client(
            ip("10.0.0.2"),
            &headers(&[
                ("x-forwarded-for", "198.51.100.7"),
                ("x-forwarded-proto", "https"),
            ]),
            false,
        );
        assert_eq!(
            info,
            ClientInfo {
                address: ip("198.51.100.7"),
                https: true
            }
        );
        // What the client wrote on the left is not believed; chains of trusted proxies are walked.
        let info = p.client(
            ip("10.0.0.2"),
            &headers(&[("x-forwarded-for", "6.6.6.6, 198.51.100.7, 10.1.1.1")]),
            false,
        );
        assert_eq!(info.address, ip("198.51.100.7"));
        // Without the header the proxy itself is the client.
        assert_eq!(
            p.client(ip("10.0.0.2"), &HeaderMap::new(), false).address,
            ip("10.0.0.2")
        );
        // Garbage ends the walk at the last good hop.
        assert_eq!(
            p.client(
                ip("10.0.0.2"),
                &headers(&[("x-forwarded-for", "nonsense")]),
                false
            )
            .address,
            ip("10.0.0.2")
        );
    }

    #[test]
    fn mapped_ipv4_addresses_match_ipv4_networks() {
        let info = proxies(&["127.0.0.1/32"]).client(
            ip("::ffff:127.0.0.1"),
            &headers(&[("x-forwarded-for", "192.0.2.1")]),
            false,
        );
        assert_eq!(info.address, ip("192.0.2.1"));
    }
}
