//! The client's network edge: which address a request comes from (forwarded-for headers are
//! believed only from trusted proxies), where that address is (GeoIP, behind a trait so tests
//! and nodes without a database plug in their own), and per-address rate limits for the calls
//! that cost the server work before any credential is checked (the buckets themselves are
//! shared state: `podium_core::shared::RateBuckets`).

use std::net::{IpAddr, SocketAddr};
use std::str::FromStr;
use std::sync::Arc;

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use podium_core::service::Geo;
use podium_core::shared::{RateBuckets, RateLimits, canonical_ip as canonical};

/// Looks up where an address is.
pub trait GeoLookup: Send + Sync {
    /// Timezone, country and city of `ip`, as far as known.
    fn lookup(&self, ip: IpAddr) -> Geo;
}

/// No GeoIP database: every field stays null.
#[derive(Debug, Default)]
pub struct NoGeo;

impl GeoLookup for NoGeo {
    fn lookup(&self, _ip: IpAddr) -> Geo {
        Geo { timezone: None, country: None, city: None }
    }
}

/// An address block such as `10.0.0.0/8` or a single address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cidr {
    addr: IpAddr,
    prefix: u8,
}

impl FromStr for Cidr {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim();
        let (addr, prefix) = match s.split_once('/') {
            Some((a, p)) => (a, Some(p)),
            None => (s, None),
        };
        let addr: IpAddr = addr.parse().map_err(|_| format!("`{s}` is not an address or address block"))?;
        let max = if addr.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            Some(p) => p.parse::<u8>().ok().filter(|p| *p <= max).ok_or_else(|| format!("`{s}` has a bad prefix"))?,
            None => max,
        };
        Ok(Self { addr, prefix })
    }
}

impl Cidr {
    /// Whether `ip` is inside the block (IPv4-mapped IPv6 addresses count as IPv4).
    pub fn contains(&self, ip: IpAddr) -> bool {
        let ip = canonical(ip);
        match (self.addr, ip) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => {
                let mask = u32::MAX.checked_shl(32 - u32::from(self.prefix)).unwrap_or(0);
                u32::from(net) & mask == u32::from(ip) & mask
            }
            (IpAddr::V6(net), IpAddr::V6(ip)) => {
                let mask = u128::MAX.checked_shl(128 - u32::from(self.prefix)).unwrap_or(0);
                u128::from(net) & mask == u128::from(ip) & mask
            }
            _ => false,
        }
    }
}

/// Edge settings.
#[derive(Debug, Clone)]
pub struct EdgeConfig {
    /// Peers whose `X-Forwarded-For` is believed.
    pub trusted_proxies: Vec<Cidr>,
    /// Session starts per minute per address (0: unlimited).
    pub session_starts_per_minute: u32,
    /// Nonce requests per minute per address (0: unlimited).
    pub nonces_per_minute: u32,
}

impl EdgeConfig {
    /// The rate limits these settings name.
    pub fn limits(&self) -> RateLimits {
        RateLimits {
            session_starts_per_minute: self.session_starts_per_minute,
            nonces_per_minute: self.nonces_per_minute,
        }
    }
}

impl Default for EdgeConfig {
    fn default() -> Self {
        let limits = RateLimits::default();
        Self {
            trusted_proxies: Vec::new(),
            session_starts_per_minute: limits.session_starts_per_minute,
            nonces_per_minute: limits.nonces_per_minute,
        }
    }
}

/// The edge services a node shares between requests.
pub struct Edge {
    /// Trusted proxies.
    pub trusted_proxies: Vec<Cidr>,
    /// GeoIP.
    pub geo: Arc<dyn GeoLookup>,
    /// Per-address limits (session starts, nonces), from the shared state.
    pub rates: Arc<dyn RateBuckets>,
}

impl Edge {
    /// Builds the edge from its settings and the shared state's rate buckets.
    pub fn new(config: &EdgeConfig, geo: Arc<dyn GeoLookup>, rates: Arc<dyn RateBuckets>) -> Self {
        Self { trusted_proxies: config.trusted_proxies.clone(), geo, rates }
    }

    fn trusted(&self, ip: IpAddr) -> bool {
        self.trusted_proxies.iter().any(|c| c.contains(ip))
    }

    /// The client's address: the peer, or — when the peer is a trusted proxy — the right-most
    /// address in `X-Forwarded-For` that is not itself a trusted proxy.
    pub fn client_ip(&self, peer: Option<IpAddr>, forwarded_for: &[&str]) -> Option<IpAddr> {
        let peer = peer.map(canonical)?;
        if !self.trusted(peer) {
            return Some(peer);
        }
        let hops: Vec<IpAddr> = forwarded_for
            .iter()
            .flat_map(|h| h.split(','))
            .filter_map(|a| a.trim().parse::<IpAddr>().ok().map(canonical))
            .collect();
        Some(hops.into_iter().rev().find(|ip| !self.trusted(*ip)).unwrap_or(peer))
    }
}

/// The client's address as [`Edge::client_ip`] decides (`None` only when the server was not
/// given connection info, which `podium serve` always is).
#[derive(Debug, Clone, Copy)]
pub struct ClientIp(pub Option<IpAddr>);

impl FromRequestParts<crate::AppState> for ClientIp {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, state: &crate::AppState) -> Result<Self, Self::Rejection> {
        let peer = parts.extensions.get::<ConnectInfo<SocketAddr>>().map(|c| c.0.ip());
        let forwarded: Vec<&str> =
            parts.headers.get_all("x-forwarded-for").iter().filter_map(|v| v.to_str().ok()).collect();
        Ok(Self(state.edge.client_ip(peer, &forwarded)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use podium_core::shared::LocalRates;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn blocks_contain_their_addresses_only() {
        let c: Cidr = "10.1.0.0/16".parse().unwrap();
        assert!(c.contains(ip("10.1.200.3")));
        assert!(!c.contains(ip("10.2.0.1")));
        assert!(c.contains(ip("::ffff:10.1.0.9")));
        let one: Cidr = "192.168.1.1".parse().unwrap();
        assert!(one.contains(ip("192.168.1.1")) && !one.contains(ip("192.168.1.2")));
        let v6: Cidr = "fd00::/8".parse().unwrap();
        assert!(v6.contains(ip("fd12::1")) && !v6.contains(ip("fe80::1")));
        let all: Cidr = "0.0.0.0/0".parse().unwrap();
        assert!(all.contains(ip("8.8.8.8")));
        for bad in ["10.0.0.0/33", "nonsense", "10.0.0/8", "::/129"] {
            assert!(bad.parse::<Cidr>().is_err(), "{bad}");
        }
    }

    #[test]
    fn forwarded_for_is_believed_only_from_trusted_proxies() {
        let config = EdgeConfig { trusted_proxies: vec!["10.0.0.0/8".parse().unwrap()], ..EdgeConfig::default() };
        let edge = Edge::new(&config, Arc::new(NoGeo), Arc::new(LocalRates::new(config.limits())));
        // An untrusted peer's header is ignored.
        assert_eq!(edge.client_ip(Some(ip("203.0.113.9")), &["1.2.3.4"]), Some(ip("203.0.113.9")));
        // A trusted peer: the right-most untrusted hop (a client cannot spoof by prepending).
        assert_eq!(edge.client_ip(Some(ip("10.0.0.2")), &["6.6.6.6, 1.2.3.4, 10.0.0.7"]), Some(ip("1.2.3.4")));
        // A trusted peer without a usable header is the client itself.
        assert_eq!(edge.client_ip(Some(ip("10.0.0.2")), &["garbage"]), Some(ip("10.0.0.2")));
    }
}
