//! The client's address behind trusted reverse proxies (issue 14, finding 10).
//!
//! Behind a reverse proxy every connection comes from the proxy, so every per-address decision
//! (the admin console's wrong-password lockout, the LinkHub token's IP binding) would treat all
//! clients as one. With `trusted_proxies` configured, a connection from a listed proxy is
//! attributed to the address the proxies name in `X-Forwarded-For`: read from the right (the
//! hop nearest to dojang), skipping addresses that are themselves trusted proxies, the first
//! other address is the client. From any other peer the header is ignored, so a client cannot
//! choose its own address by sending the header. Empty list (the default): the TCP peer always.
//!
//! Only `X-Forwarded-For` is read (not RFC 7239 `Forwarded`): configure the proxy to set it,
//! and to append to it rather than pass a client's own value through as the last entry.

use std::net::{IpAddr, SocketAddr};

use axum::http::HeaderMap;
use ipnet::IpNet;

/// The configured proxies: addresses or CIDR blocks.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrustedProxies(Vec<IpNet>);

impl TrustedProxies {
    /// Parse `["10.0.0.1", "192.168.0.0/16", "::1"]`; the error names the bad entry.
    pub fn parse(list: &[String]) -> Result<Self, String> {
        list.iter()
            .map(|s| {
                let s = s.trim();
                s.parse::<IpNet>()
                    .or_else(|_| s.parse::<IpAddr>().map(IpNet::from))
                    .map(|n| n.trunc())
                    .map_err(|_| {
                        format!("trusted_proxies: {s:?} is not an IP address or CIDR block")
                    })
            })
            .collect::<Result<Vec<_>, _>>()
            .map(Self)
    }

    /// Whether `ip` is a trusted proxy.
    pub fn contains(&self, ip: IpAddr) -> bool {
        let ip = ip.to_canonical();
        self.0.iter().any(|n| n.contains(&ip))
    }

    /// Whether any proxy is configured.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The client's address: the TCP `peer`, unless it is a trusted proxy, then the rightmost
    /// `X-Forwarded-For` entry that is not a trusted proxy (all of them trusted: the leftmost).
    /// An entry that is not an address ends the walk at the last trusted hop: what lies to its
    /// left was written by someone untrusted.
    pub fn client_ip(&self, peer: Option<IpAddr>, headers: &HeaderMap) -> Option<IpAddr> {
        let peer = peer?.to_canonical();
        if !self.contains(peer) {
            return Some(peer);
        }
        let entries: Vec<&str> = headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .map(str::trim)
            .filter(|e| !e.is_empty())
            .collect();
        let mut client = peer;
        for entry in entries.iter().rev() {
            let Some(ip) = parse_entry(entry) else {
                return Some(client);
            };
            client = ip;
            if !self.contains(ip) {
                return Some(ip);
            }
        }
        Some(client)
    }
}

/// An `X-Forwarded-For` entry: an address, optionally with a port (`1.2.3.4:5`, `[::1]:5`).
fn parse_entry(s: &str) -> Option<IpAddr> {
    s.parse::<IpAddr>()
        .or_else(|_| s.parse::<SocketAddr>().map(|a| a.ip()))
        .ok()
        .map(|ip| ip.to_canonical())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(values: &[&str]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for v in values {
            h.append("x-forwarded-for", v.parse().unwrap());
        }
        h
    }

    fn ip(s: &str) -> Option<IpAddr> {
        Some(s.parse().unwrap())
    }

    #[test]
    fn forwarded_addresses_count_only_from_trusted_proxies() {
        let none = TrustedProxies::default();
        let t = TrustedProxies::parse(&["127.0.0.1".into(), "10.0.0.0/8".into()]).unwrap();
        let h = headers(&["203.0.113.7"]);
        // Untrusted peers: the header is ignored, whoever sends it.
        assert_eq!(none.client_ip(ip("127.0.0.1"), &h), ip("127.0.0.1"));
        assert_eq!(t.client_ip(ip("198.51.100.1"), &h), ip("198.51.100.1"));
        // A trusted proxy: the client it names.
        assert_eq!(t.client_ip(ip("127.0.0.1"), &h), ip("203.0.113.7"));
        assert_eq!(t.client_ip(ip("::ffff:127.0.0.1"), &h), ip("203.0.113.7"));
        // A client's own value is to the left of what the proxies appended: not believed.
        let h = headers(&["1.2.3.4, 203.0.113.7, 10.1.1.1"]);
        assert_eq!(t.client_ip(ip("127.0.0.1"), &h), ip("203.0.113.7"));
        let h = headers(&["1.2.3.4", "203.0.113.7:5555"]);
        assert_eq!(t.client_ip(ip("127.0.0.1"), &h), ip("203.0.113.7"));
        // Garbage where the client was expected: the last trusted hop.
        let h = headers(&["203.0.113.7, garbage, 10.1.1.1"]);
        assert_eq!(t.client_ip(ip("127.0.0.1"), &h), ip("10.1.1.1"));
        // No header, or only proxies: the peer, or the leftmost proxy.
        assert_eq!(
            t.client_ip(ip("127.0.0.1"), &HeaderMap::new()),
            ip("127.0.0.1")
        );
        let h = headers(&["10.2.2.2, 10.1.1.1"]);
        assert_eq!(t.client_ip(ip("127.0.0.1"), &h), ip("10.2.2.2"));
        assert_eq!(t.client_ip(None, &h), None);
        assert!(TrustedProxies::parse(&["10.0.0.0/33".into()]).is_err());
        assert!(TrustedProxies::parse(&["proxy.example".into()]).is_err());
    }
}
