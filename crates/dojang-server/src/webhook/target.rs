//! Where a webhook may point: the guard against server-side request forgery.
//!
//! A relying party chooses the URL, and dojang POSTs to it from inside the operator's network.
//! Unless `insecure_allow_private_webhooks` is on, a target must be `https://`, carry no
//! credentials, and every address its host resolves to must be public: in no block of the IANA
//! IPv4 and IPv6 Special-Purpose Address Registries (loopback, private, shared/CGNAT,
//! link-local — which includes cloud metadata services —, documentation, benchmarking,
//! Teredo, 6to4, local-use NAT64, ORCHID, AS112, reserved, …), not multicast, and for IPv6
//! within global unicast 2000::/3; IPv4-mapped and NAT64 (64:ff9b::/96) addresses are judged
//! by the IPv4 address they carry. The registries are tables below, one row per registry row.
//!
//! The check runs when the URL is set *and* at every delivery, inside the HTTP client's
//! resolver ([`GuardedResolver`]): the addresses checked are the addresses connected to, so
//! a name that resolves to a public address when set and to 127.0.0.1 later (DNS rebinding)
//! is refused. Redirects are never followed.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use reqwest::Url;

/// Longest accepted URL.
pub const MAX_URL_LEN: usize = 2000;

/// Why a target is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TargetError {
    /// Not a URL, or longer than 2000 characters.
    #[error("not a valid URL: {0}")]
    Invalid(String),
    /// Not `https://` (or `http://` when private targets are allowed).
    #[error("webhook URLs must use https://")]
    Scheme,
    /// `user:password@` in the URL.
    #[error("webhook URLs must not contain credentials")]
    Credentials,
    /// The host is, or resolves to, an address that is not public.
    #[error("{0} is not a public address (insecure_allow_private_webhooks is off)")]
    NotPublic(IpAddr),
    /// The host did not resolve.
    #[error("cannot resolve {0}")]
    Unresolved(String),
}

/// Check a URL's form, and its host when it is an IP literal. Names are checked when they are
/// resolved, at delivery.
pub fn check_url(url: &str, allow_private: bool) -> Result<Url, TargetError> {
    if url.len() > MAX_URL_LEN {
        return Err(TargetError::Invalid(format!(
            "longer than {MAX_URL_LEN} characters"
        )));
    }
    let parsed = Url::parse(url).map_err(|e| TargetError::Invalid(e.to_string()))?;
    match parsed.scheme() {
        "https" => {}
        "http" if allow_private => {}
        _ => return Err(TargetError::Scheme),
    }
    if !parsed.username().is_empty() || parsed.password().is_some() {
        return Err(TargetError::Credentials);
    }
    let host = parsed
        .host_str()
        .filter(|h| !h.is_empty())
        .ok_or_else(|| TargetError::Invalid("no host".into()))?;
    let ip = host
        .trim_start_matches('[')
        .trim_end_matches(']')
        .parse::<IpAddr>()
        .ok();
    if let Some(ip) = ip
        && !allow_private
        && !is_public(ip)
    {
        return Err(TargetError::NotPublic(ip));
    }
    Ok(parsed)
}

/// True for addresses on the public internet: not in any block of the IANA IPv4 and IPv6
/// Special-Purpose Address Registries ([`V4_SPECIAL`], [`V6_SPECIAL`]), not multicast, and for
/// IPv6 inside global unicast (2000::/3, the only block the IPv6 Address Space registry
/// allocates for it). IPv4 addresses carried in IPv4-mapped (`::ffff:0:0/96`) and NAT64
/// well-known-prefix (`64:ff9b::/96`) addresses are judged as the IPv4 address they reach.
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => is_public_v6(v6),
    }
}

/// One row of a special-purpose registry: the block, its prefix length, its name and RFC.
pub type Block<A> = (A, u8, &'static str, &'static str);

/// The IANA IPv4 Special-Purpose Address Registry (iana-ipv4-special-registry, as updated
/// 2025), every row, plus multicast (its own registry, RFC 5771), which a webhook never needs.
/// Every row is refused, including the few marked globally reachable: they are anycast
/// infrastructure (PCP, TURN, AS112, AMT) where no webhook receiver lives.
pub const V4_SPECIAL: &[Block<u32>] = &[
    (0x0000_0000, 8, "\"This network\"", "RFC 791"),
    (0x0000_0000, 32, "\"This host on this network\"", "RFC 1122"),
    (0x0a00_0000, 8, "Private-Use", "RFC 1918"),
    (0x6440_0000, 10, "Shared Address Space", "RFC 6598"),
    (0x7f00_0000, 8, "Loopback", "RFC 1122"),
    (0xa9fe_0000, 16, "Link Local", "RFC 3927"),
    (0xac10_0000, 12, "Private-Use", "RFC 1918"),
    (0xc000_0000, 24, "IETF Protocol Assignments", "RFC 6890"),
    (
        0xc000_0000,
        29,
        "IPv4 Service Continuity Prefix",
        "RFC 7335",
    ),
    (0xc000_0008, 32, "IPv4 dummy address", "RFC 7600"),
    (0xc000_0009, 32, "Port Control Protocol Anycast", "RFC 7723"),
    (
        0xc000_000a,
        32,
        "Traversal Using Relays around NAT Anycast",
        "RFC 8155",
    ),
    (0xc000_00aa, 32, "NAT64/DNS64 Discovery", "RFC 8880"),
    (0xc000_00ab, 32, "NAT64/DNS64 Discovery", "RFC 8880"),
    (0xc000_0200, 24, "Documentation (TEST-NET-1)", "RFC 5737"),
    (0xc01f_c400, 24, "AS112-v4", "RFC 7535"),
    (0xc034_c100, 24, "AMT", "RFC 7450"),
    (
        0xc058_6300,
        24,
        "Deprecated (6to4 Relay Anycast)",
        "RFC 7526",
    ),
    (0xc058_6302, 32, "6a44-relay anycast address", "RFC 6751"),
    (0xc0a8_0000, 16, "Private-Use", "RFC 1918"),
    (
        0xc0af_3000,
        24,
        "Direct Delegation AS112 Service",
        "RFC 7534",
    ),
    (0xc612_0000, 15, "Benchmarking", "RFC 2544"),
    (0xc633_6400, 24, "Documentation (TEST-NET-2)", "RFC 5737"),
    (0xcb00_7100, 24, "Documentation (TEST-NET-3)", "RFC 5737"),
    (
        0xe000_0000,
        4,
        "Multicast (IPv4 Multicast Address Space registry)",
        "RFC 5771",
    ),
    (0xf000_0000, 4, "Reserved", "RFC 1112"),
    (0xffff_ffff, 32, "Limited Broadcast", "RFC 8190"),
];

/// The IANA IPv6 Special-Purpose Address Registry (iana-ipv6-special-registry, as updated
/// 2025), every row but the two whose IPv4 address is judged instead (IPv4-mapped
/// `::ffff:0:0/96` and the NAT64 well-known prefix `64:ff9b::/96`), plus multicast and the
/// deprecated site-local and IPv4-compatible blocks. Addresses outside 2000::/3 are refused
/// anyway; the rows inside it are what matter (Teredo, ORCHID, AS112, documentation, …).
pub const V6_SPECIAL: &[Block<u128>] = &[
    (0, 128, "Unspecified Address", "RFC 4291"),
    (1, 128, "Loopback Address", "RFC 4291"),
    (0, 96, "IPv4-compatible (deprecated)", "RFC 4291"),
    (
        0x0064_ff9b_0001 << 80,
        48,
        "IPv4-IPv6 Translat. (local-use)",
        "RFC 8215",
    ),
    (0x0100 << 112, 64, "Discard-Only Address Block", "RFC 6666"),
    (
        0x0100_0000_0000_0001 << 64,
        64,
        "Dummy IPv6 Prefix",
        "RFC 9780",
    ),
    (0x2001 << 112, 23, "IETF Protocol Assignments", "RFC 2928"),
    (0x2001 << 112, 32, "TEREDO", "RFC 4380"),
    (
        0x2001_0001 << 96 | 1,
        128,
        "Port Control Protocol Anycast",
        "RFC 7723",
    ),
    (0x2001_0001 << 96 | 2, 128, "TURN Anycast", "RFC 8155"),
    (
        0x2001_0001 << 96 | 3,
        128,
        "DNS-SD Service Registration Protocol Anycast",
        "RFC 9665",
    ),
    (0x2001_0002 << 96, 48, "Benchmarking", "RFC 5180"),
    (0x2001_0003 << 96, 32, "AMT", "RFC 7450"),
    (0x2001_0004_0112 << 80, 48, "AS112-v6", "RFC 7535"),
    (
        0x2001_0010 << 96,
        28,
        "Deprecated (previously ORCHID)",
        "RFC 4843",
    ),
    (0x2001_0020 << 96, 28, "ORCHIDv2", "RFC 7343"),
    (
        0x2001_0030 << 96,
        28,
        "Drone Remote ID Protocol Entity Tags (DETs) Prefix",
        "RFC 9374",
    ),
    (0x2001_0db8 << 96, 32, "Documentation", "RFC 3849"),
    (0x2002 << 112, 16, "6to4", "RFC 3056"),
    (
        0x2620_004f_8000 << 80,
        48,
        "Direct Delegation AS112 Service",
        "RFC 7534",
    ),
    (0x3fff << 112, 20, "Documentation", "RFC 9637"),
    (0x5f00 << 112, 16, "Segment Routing (SRv6) SIDs", "RFC 9602"),
    (0xfc00 << 112, 7, "Unique-Local", "RFC 4193"),
    (0xfe80 << 112, 10, "Link-Local Unicast", "RFC 4291"),
    (0xfec0 << 112, 10, "Site-Local (deprecated)", "RFC 3879"),
    (
        0xff00 << 112,
        8,
        "Multicast (IPv6 Multicast Address Space registry)",
        "RFC 4291",
    ),
];

/// Whether `addr` lies in the block `net/len` (`BITS` wide).
fn in_block<const BITS: u32>(addr: u128, net: u128, len: u8) -> bool {
    let len = u32::from(len).min(BITS);
    if len == 0 {
        return true;
    }
    let shift = BITS - len;
    (addr >> shift) == (net >> shift)
}

/// The registry row `ip` falls in, if any (IPv4: the most specific is not needed, any will do).
pub fn special_v4(ip: Ipv4Addr) -> Option<&'static Block<u32>> {
    let a = u128::from(u32::from(ip));
    V4_SPECIAL
        .iter()
        .find(|(net, len, _, _)| in_block::<32>(a, u128::from(*net), *len))
}

/// The registry row `ip` falls in, if any.
pub fn special_v6(ip: Ipv6Addr) -> Option<&'static Block<u128>> {
    let a = u128::from(ip);
    V6_SPECIAL
        .iter()
        .find(|(net, len, _, _)| in_block::<128>(a, *net, *len))
}

fn is_public_v4(ip: Ipv4Addr) -> bool {
    special_v4(ip).is_none()
}

fn is_public_v6(ip: Ipv6Addr) -> bool {
    if let Some(v4) = embedded_v4(ip) {
        return is_public_v4(v4);
    }
    // Global unicast is 2000::/3; everything else is reserved, special or multicast.
    let global_unicast = (ip.segments()[0] & 0xe000) == 0x2000;
    global_unicast && special_v6(ip).is_none()
}

/// The IPv4 address inside an IPv4-mapped (`::ffff:a.b.c.d`) or NAT64 well-known-prefix
/// (`64:ff9b::a.b.c.d`) address: these reach that IPv4 address, so it is what is judged. 6to4
/// and Teredo are refused whole (their relays are operated by anyone), as is the deprecated
/// IPv4-compatible form.
fn embedded_v4(ip: Ipv6Addr) -> Option<Ipv4Addr> {
    if let Some(v4) = ip.to_ipv4_mapped() {
        return Some(v4);
    }
    let s = ip.segments();
    if s[0] == 0x0064 && s[1] == 0xff9b && s[2..6] == [0, 0, 0, 0] {
        let [.., a, b, c, d] = ip.octets();
        return Some(Ipv4Addr::new(a, b, c, d));
    }
    None
}

/// The HTTP client's resolver for webhooks: resolves with the system resolver and refuses a
/// name when any of its addresses is not public (unless private targets are allowed).
#[derive(Debug, Clone, Copy)]
pub struct GuardedResolver {
    /// `insecure_allow_private_webhooks`.
    pub allow_private: bool,
}

impl reqwest::dns::Resolve for GuardedResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let allow_private = self.allow_private;
        let host = name.as_str().to_owned();
        Box::pin(async move {
            let addrs: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0))
                .await
                .map_err(|_| TargetError::Unresolved(host.clone()))?
                .collect();
            if addrs.is_empty() {
                return Err(TargetError::Unresolved(host).into());
            }
            if !allow_private && let Some(bad) = addrs.iter().find(|a| !is_public(a.ip())) {
                return Err(TargetError::NotPublic(bad.ip()).into());
            }
            let addrs: reqwest::dns::Addrs = Box::new(addrs.into_iter());
            Ok(addrs)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn private_loopback_link_local_and_reserved_addresses_are_not_public() {
        for ip in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "0.0.0.0",
            "0.1.2.3",
            "100.64.0.1",
            "192.0.0.8",
            "192.0.2.1",
            "198.18.0.1",
            "224.0.0.1",
            "240.0.0.1",
            "255.255.255.255",
            "::",
            "::1",
            "fc00::1",
            "fd12:3456::1",
            "fe80::1",
            "ff02::1",
            "2001:db8::1",
            "::ffff:127.0.0.1",
            "::ffff:169.254.169.254",
            "::10.0.0.1",
            "64:ff9b::a00:1",
            "2002:c0a8:0101::1",
            // 6to4 is refused whole now, whatever IPv4 address it names.
            "2002:0808:0808::1",
            // Inside 2000::/3 but special (issue 14 #6): local-use NAT64, Teredo, ORCHIDv2,
            // AS112, the newer documentation prefix; and outside global unicast.
            "64:ff9b:1::a00:1",
            "64:ff9b:1::808:808",
            "2001::1",
            "2001:0:4136:e378:8000:63bf:3fff:fdd2",
            "2001:20::1",
            "2620:4f:8000::1",
            "3fff::1",
            "5f00::1",
            "4000::1",
            "::8.8.8.8",
        ] {
            let ip: IpAddr = ip.parse().unwrap();
            assert!(!is_public(ip), "{ip} must not be public");
        }
        for ip in [
            "1.1.1.1",
            "8.8.8.8",
            "211.45.27.1",
            "100.128.0.1",
            "2606:4700:4700::1111",
            "::ffff:8.8.8.8",
            "64:ff9b::808:808",
            "2001:4860:4860::8888",
            "2400:cb00::1",
        ] {
            let ip: IpAddr = ip.parse().unwrap();
            assert!(is_public(ip), "{ip} must be public");
        }
    }

    /// Every row of both registries: its first and last address are special and not public,
    /// and the addresses just outside it are not judged by that row.
    #[test]
    fn every_registry_row_is_refused_from_its_first_to_its_last_address() {
        for &(net, len, name, rfc) in V4_SPECIAL {
            let size = 1u64 << (32 - u32::from(len));
            let last = u32::try_from(u64::from(net) + size - 1).unwrap();
            for a in [net, last] {
                let ip = Ipv4Addr::from(a);
                assert!(special_v4(ip).is_some(), "{ip} ({name}, {rfc})");
                assert!(!is_public(IpAddr::V4(ip)), "{ip} ({name}, {rfc})");
                // Mapped into IPv6, the same.
                assert!(!is_public(IpAddr::V6(ip.to_ipv6_mapped())), "{ip}");
            }
        }
        for &(net, len, name, rfc) in V6_SPECIAL {
            let host_bits = 128 - u32::from(len);
            let last = if host_bits == 128 {
                u128::MAX
            } else {
                net | ((1u128 << host_bits) - 1)
            };
            for a in [net, last] {
                let ip = Ipv6Addr::from(a);
                assert!(special_v6(ip).is_some(), "{ip} ({name}, {rfc})");
                assert!(!is_public(IpAddr::V6(ip)), "{ip} ({name}, {rfc})");
            }
        }
        // Neighbours of special blocks stay public.
        for ip in [
            "100.63.255.255",
            "100.128.0.0",
            "192.0.1.0",
            "192.31.195.255",
            "198.17.255.255",
            "198.20.0.0",
            "223.255.255.255",
            "2001:200::1",
            "2001:db7:ffff::1",
            "2001:db9::1",
            "2620:4f:8001::1",
            "3ffe:ffff::1",
        ] {
            let ip: IpAddr = ip.parse().unwrap();
            assert!(is_public(ip), "{ip} must be public");
        }
    }

    #[test]
    fn urls_are_checked_for_scheme_credentials_and_literal_addresses() {
        assert!(check_url("https://hooks.example.com/dojang?x=1", false).is_ok());
        assert!(check_url("https://8.8.8.8/hook", false).is_ok());
        assert_eq!(
            check_url("http://hooks.example.com/", false),
            Err(TargetError::Scheme)
        );
        assert_eq!(check_url("ftp://x/", true), Err(TargetError::Scheme));
        assert_eq!(
            check_url("https://u:p@hooks.example.com/", false),
            Err(TargetError::Credentials)
        );
        assert!(matches!(
            check_url("https://127.0.0.1:9000/", false),
            Err(TargetError::NotPublic(_))
        ));
        assert!(matches!(
            check_url("https://[::ffff:10.0.0.1]/", false),
            Err(TargetError::NotPublic(_))
        ));
        assert!(matches!(
            check_url("https://169.254.169.254/latest", false),
            Err(TargetError::NotPublic(_))
        ));
        assert!(matches!(
            check_url("not a url", false),
            Err(TargetError::Invalid(_))
        ));
        let long = format!("https://a.example/{}", "x".repeat(MAX_URL_LEN));
        assert!(matches!(
            check_url(&long, false),
            Err(TargetError::Invalid(_))
        ));
        // Allowed in development.
        assert!(check_url("http://127.0.0.1:9000/hook", true).is_ok());
    }

    #[tokio::test]
    async fn the_resolver_refuses_names_of_private_addresses() {
        use reqwest::dns::Resolve;
        let guarded = GuardedResolver {
            allow_private: false,
        };
        let name: reqwest::dns::Name = "localhost".parse().unwrap();
        let refused = guarded.resolve(name).await;
        assert!(refused.is_err());
        let open = GuardedResolver {
            allow_private: true,
        };
        let name: reqwest::dns::Name = "localhost".parse().unwrap();
        let addrs: Vec<SocketAddr> = open.resolve(name).await.unwrap().collect();
        assert!(addrs.iter().all(|a| a.ip().is_loopback()));
    }
}
