//! Which address a request came from when reverse proxies stand in front:
//! `CALLREC_TRUSTED_PROXIES` names them, and only a request whose peer is
//! one of them may say who the client was (`Forwarded`, `X-Forwarded-For`).

use crate::ValidationError;
use std::net::IpAddr;

/// An address with a prefix length: `10.0.0.0/8`, `::1/128`, `192.0.2.7`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IpNet {
    addr: IpAddr,
    prefix: u8,
}

impl IpNet {
    pub fn parse(text: &str) -> Option<IpNet> {
        let text = text.trim();
        let (addr, prefix) = match text.split_once('/') {
            Some((addr, prefix)) => (addr, Some(prefix)),
            None => (text, None),
        };
        let addr: IpAddr = addr.parse().ok()?;
        let max = if addr.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            Some(p) if !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()) && p.len() <= 3 => {
                p.parse::<u8>().ok().filter(|p| *p <= max)?
            }
            Some(_) => return None,
            None => max,
        };
        // `::ffff:192.0.2.0/120` is `192.0.2.0/24`: kept as IPv4, as
        // addresses are compared.
        Some(match addr {
            IpAddr::V6(v6) if prefix >= 96 && v6.to_ipv4_mapped().is_some() => IpNet {
                addr: canonical(addr),
                prefix: prefix - 96,
            },
            _ => IpNet { addr, prefix },
        })
    }

    /// Whether the two networks share any address (one holds the other).
    pub fn overlaps(&self, other: &IpNet) -> bool {
        self.contains(other.addr) || other.contains(self.addr)
    }

    pub fn contains(&self, ip: IpAddr) -> bool {
        let ip = canonical(ip);
        match (self.addr, ip) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => {
                let mask = u32::MAX
                    .checked_shl(32 - u32::from(self.prefix))
                    .unwrap_or(0);
                u32::from(net) & mask == u32::from(ip) & mask
            }
            (IpAddr::V6(net), IpAddr::V6(ip)) => {
                let mask = u128::MAX
                    .checked_shl(128 - u32::from(self.prefix))
                    .unwrap_or(0);
                u128::from(net) & mask == u128::from(ip) & mask
            }
            _ => false,
        }
    }
}

/// The network's own form, host bits cleared: `10.0.0.0/8` for
/// `10.1.2.3/8`, `192.0.2.7/32` for `192.0.2.7`.
impl std::fmt::Display for IpNet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let network = match self.addr {
            IpAddr::V4(v4) => {
                let mask = u32::MAX
                    .checked_shl(32 - u32::from(self.prefix))
                    .unwrap_or(0);
                IpAddr::V4((u32::from(v4) & mask).into())
            }
            IpAddr::V6(v6) => {
                let mask = u128::MAX
                    .checked_shl(128 - u32::from(self.prefix))
                    .unwrap_or(0);
                IpAddr::V6((u128::from(v6) & mask).into())
            }
        };
        write!(f, "{network}/{}", self.prefix)
    }
}

/// `::ffff:192.0.2.1` is `192.0.2.1` (a dual-stack listener reports it so).
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    }
}

/// The proxies whose forwarding headers are believed. Empty by default:
/// then the peer is the client, whatever the headers say.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrustedProxies(Vec<IpNet>);

impl TrustedProxies {
    /// A comma-separated list of addresses and CIDR ranges.
    pub fn parse(text: &str) -> Result<TrustedProxies, ValidationError> {
        let mut nets = Vec::new();
        for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            nets.push(IpNet::parse(part).ok_or_else(|| {
                ValidationError::new(
                    "trusted_proxies",
                    format!("{part:?} is not an IP address or a CIDR range like 10.0.0.0/8"),
                )
            })?);
        }
        Ok(TrustedProxies(nets))
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn trusts(&self, ip: IpAddr) -> bool {
        self.0.iter().any(|net| net.contains(ip))
    }

    /// The client of a request from `peer` carrying these header values
    /// (each list joined in the order received). From a trusted peer, the
    /// chain is walked from the right: the first address that is not a
    /// trusted proxy is the client. Anything unreadable stops the walk at
    /// the last address known good.
    ///
    /// `X-Forwarded-For` wins when present: nginx and HAProxy append to it
    /// and pass a client's own `Forwarded` header through untouched, so
    /// preferring `Forwarded` would let clients behind them name any
    /// address. A proxy that writes only `Forwarded` must drop a client's
    /// `X-Forwarded-For` (docs/SECURITY.md).
    pub fn client(&self, peer: IpAddr, forwarded: &[&str], x_forwarded_for: &[&str]) -> IpAddr {
        let peer = canonical(peer);
        if !self.trusts(peer) {
            return peer;
        }
        let present = |values: &[&str]| values.iter().any(|v| !v.trim().is_empty());
        let chain: Vec<Option<IpAddr>> = if present(x_forwarded_for) {
            x_forwarded_for
                .iter()
                .flat_map(|value| value.split(','))
                .map(|hop| parse_hop(hop.trim()))
                .collect()
        } else {
            forwarded
                .iter()
                .flat_map(|value| value.split(','))
                .map(forwarded_for)
                .collect()
        };
        let mut client = peer;
        for hop in chain.into_iter().rev() {
            match hop {
                Some(ip) => {
                    client = canonical(ip);
                    if !self.trusts(client) {
                        break;
                    }
                }
                None => break,
            }
        }
        client
    }
}

/// The `for=` of one `Forwarded` element, if it is an address.
fn forwarded_for(element: &str) -> Option<IpAddr> {
    element.split(';').find_map(|pair| {
        let (name, value) = pair.split_once('=')?;
        name.trim()
            .eq_ignore_ascii_case("for")
            .then(|| parse_hop(value.trim().trim_matches('"')))
            .flatten()
    })
}

/// What the per-address sign-in limit counts: an IPv4 address, or the /64
/// an IPv6 address is in (one host usually holds a whole /64, and could
/// otherwise take a fresh allowance from each of its addresses).
pub fn throttle_key(ip: IpAddr) -> String {
    match canonical(ip) {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => {
            let prefix = u128::from(v6) & (u128::MAX << 64);
            format!("{}/64", std::net::Ipv6Addr::from(prefix))
        }
    }
}

/// `192.0.2.1`, `192.0.2.1:4711`, `[2001:db8::1]:4711` or `2001:db8::1`.
fn parse_hop(hop: &str) -> Option<IpAddr> {
    if let Ok(ip) = hop.parse() {
        return Some(ip);
    }
    if let Some(rest) = hop.strip_prefix('[') {
        return rest.split_once(']')?.0.parse().ok();
    }
    let (addr, port) = hop.rsplit_once(':')?;
    port.parse::<u16>().ok()?;
    addr.parse::<std::net::Ipv4Addr>().ok().map(IpAddr::V4)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_network_is_written_with_its_host_bits_cleared() {
        let shown = |text: &str| IpNet::parse(text).unwrap().to_string();
        assert_eq!(shown("10.1.2.3/8"), "10.0.0.0/8");
        assert_eq!(shown("192.0.2.7"), "192.0.2.7/32");
        assert_eq!(shown("2001:db8::1/64"), "2001:db8::/64");
        assert_eq!(shown("::ffff:192.0.2.7"), "192.0.2.7/32");
        assert!(IpNet::parse(&shown("10.1.2.3/8"))
            .unwrap()
            .contains("10.9.9.9".parse().unwrap()));
        let net = |text: &str| IpNet::parse(text).unwrap();
        assert!(net("10.0.0.0/8").overlaps(&net("10.2.3.4")));
        assert!(net("10.2.3.0/24").overlaps(&net("10.0.0.0/8")));
        assert!(!net("10.2.3.0/24").overlaps(&net("10.2.4.0/24")));
        // A mapped network below /96 is an IPv6 one, and never panics.
        assert!(!IpNet::parse("::ffff:0.0.0.0/64")
            .unwrap()
            .contains("10.9.9.9".parse().unwrap()));
    }

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    #[test]
    fn ipv6_clients_are_limited_per_64() {
        assert_eq!(throttle_key(ip("192.0.2.7")), "192.0.2.7");
        assert_eq!(throttle_key(ip("::ffff:192.0.2.7")), "192.0.2.7");
        assert_eq!(
            throttle_key(ip("2001:db8:1:2:aaaa::1")),
            "2001:db8:1:2::/64"
        );
        assert_eq!(
            throttle_key(ip("2001:db8:1:2:ffff::9")),
            throttle_key(ip("2001:db8:1:2::1"))
        );
        assert_ne!(
            throttle_key(ip("2001:db8:1:3::1")),
            throttle_key(ip("2001:db8:1:2::1"))
        );
    }

    #[test]
    fn ranges_parse_and_match() {
        let proxies = TrustedProxies::parse("10.0.0.0/8, 192.0.2.7 ,::1, 2001:db8::/32").unwrap();
        for (addr, trusted) in [
            ("10.1.2.3", true),
            ("11.0.0.1", false),
            ("192.0.2.7", true),
            ("192.0.2.8", false),
            ("::1", true),
            ("2001:db8:1::5", true),
            ("2001:db9::5", false),
            ("::ffff:10.9.9.9", true),
        ] {
            assert_eq!(proxies.trusts(ip(addr)), trusted, "{addr}");
        }
        assert!(TrustedProxies::parse("").unwrap().is_empty());
        assert!(TrustedProxies::parse("0.0.0.0/0")
            .unwrap()
            .trusts(ip("8.8.8.8")));
        for bad in [
            "10.0.0.0/33",
            "10.0.0/8",
            "evil",
            "10.0.0.0/",
            "10.0.0.0/+8",
            "::1/129",
        ] {
            let err = TrustedProxies::parse(bad).unwrap_err();
            assert!(err.message.contains("CIDR"), "{bad}");
        }
    }

    #[test]
    fn the_client_is_the_rightmost_untrusted_hop_and_only_behind_a_trusted_peer() {
        let proxies = TrustedProxies::parse("10.0.0.0/8").unwrap();
        let client = |peer: &str, fwd: &[&str], xff: &[&str]| proxies.client(ip(peer), fwd, xff);
        // An untrusted peer's headers are ignored, however they are spoofed.
        assert_eq!(client("203.0.113.9", &[], &["1.2.3.4"]), ip("203.0.113.9"));
        assert_eq!(
            client("203.0.113.9", &["for=1.2.3.4"], &[]),
            ip("203.0.113.9")
        );
        // Behind a trusted proxy: the right-most address that is not a proxy.
        assert_eq!(
            client("10.0.0.2", &[], &["1.2.3.4, 198.51.100.7"]),
            ip("198.51.100.7")
        );
        assert_eq!(
            client("10.0.0.2", &[], &["1.2.3.4", "198.51.100.7, 10.0.0.9"]),
            ip("198.51.100.7")
        );
        assert_eq!(
            client("10.0.0.2", &[], &[]),
            ip("10.0.0.2"),
            "no header: the proxy itself"
        );
        assert_eq!(
            client("10.0.0.2", &[], &["10.0.0.5"]),
            ip("10.0.0.5"),
            "only proxies: the left-most"
        );
        // X-Forwarded-For wins: a client's own Forwarded passes nginx untouched.
        assert_eq!(
            client("10.0.0.2", &["for=6.6.6.6"], &["9.9.9.9"]),
            ip("9.9.9.9")
        );
        // Forwarded alone: ports, quotes and brackets.
        assert_eq!(
            client(
                "10.0.0.2",
                &["for=1.2.3.4;proto=https, for=\"[2001:db8::17]:4711\""],
                &[]
            ),
            ip("2001:db8::17")
        );
        assert_eq!(
            client("10.0.0.2", &["For=198.51.100.7:8080;by=10.0.0.2"], &[]),
            ip("198.51.100.7")
        );
        // Garbage stops the walk at the last good address.
        assert_eq!(
            client("10.0.0.2", &[], &["1.2.3.4, not-an-ip"]),
            ip("10.0.0.2")
        );
        assert_eq!(client("10.0.0.2", &["for=unknown"], &[]), ip("10.0.0.2"));
        assert_eq!(
            client("10.0.0.2", &[], &["1.2.3.4, 10.0.0.3, junk, 10.0.0.4"]),
            ip("10.0.0.4")
        );
    }
}
