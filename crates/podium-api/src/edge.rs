//! The client's network edge: which address a request comes from (forwarded-for headers are
//! believed only from trusted proxies), where that address is (GeoIP, behind a trait so tests
//! and nodes without a database plug in their own), and per-address rate limits for the calls
//! that cost the server work before any credential is checked.
//!
//! The limiter is a token bucket per address in one mutex-guarded map (pruned of full buckets
//! when it grows); 50 lines here are simpler than a dependency for two limits.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::str::FromStr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use podium_core::service::Geo;

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

fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    }
}

/// A per-address token bucket: `per_minute` sustained, bursts up to `burst`.
#[derive(Debug)]
pub struct RateLimiter {
    per_second: f64,
    burst: f64,
    buckets: Mutex<HashMap<IpAddr, (f64, Instant)>>,
}

/// Buckets kept before full (idle) ones are dropped.
const MAX_BUCKETS: usize = 100_000;

impl RateLimiter {
    /// A limiter; `per_minute == 0` disables it.
    pub fn new(per_minute: u32, burst: u32) -> Self {
        Self {
            per_second: f64::from(per_minute) / 60.0,
            burst: f64::from(burst.max(1)),
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// Takes one token for `ip`, or says how long until one is available.
    pub fn check(&self, ip: IpAddr) -> Result<(), Duration> {
        if self.per_second <= 0.0 {
            return Ok(());
        }
        let now = Instant::now();
        let mut buckets = self.buckets.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if buckets.len() >= MAX_BUCKETS {
            let (rate, burst) = (self.per_second, self.burst);
            buckets.retain(|_, (tokens, at)| *tokens + now.duration_since(*at).as_secs_f64() * rate < burst);
        }
        let (tokens, at) = buckets.entry(canonical(ip)).or_insert((self.burst, now));
        *tokens = (*tokens + now.duration_since(*at).as_secs_f64() * self.per_second).min(self.burst);
        *at = now;
        if *tokens >= 1.0 {
            *tokens -= 1.0;
            Ok(())
        } else {
            Err(Duration::from_secs_f64((1.0 - *tokens) / self.per_second))
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

impl Default for EdgeConfig {
    fn default() -> Self {
        Self { trusted_proxies: Vec::new(), session_starts_per_minute: 60, nonces_per_minute: 1200 }
    }
}

/// The edge services a node shares between requests.
pub struct Edge {
    /// Trusted proxies.
    pub trusted_proxies: Vec<Cidr>,
    /// GeoIP.
    pub geo: Arc<dyn GeoLookup>,
    /// Session starts.
    pub session_starts: RateLimiter,
    /// Nonce requests.
    pub nonces: RateLimiter,
}

impl Edge {
    /// Builds the edge from its settings. Bursts: a minute's worth of session starts, and
    /// ten seconds' worth of nonces (at least 20).
    pub fn new(config: &EdgeConfig, geo: Arc<dyn GeoLookup>) -> Self {
        Self {
            trusted_proxies: config.trusted_proxies.clone(),
            geo,
            session_starts: RateLimiter::new(config.session_starts_per_minute, config.session_starts_per_minute),
            nonces: RateLimiter::new(config.nonces_per_minute, (config.nonces_per_minute / 6).max(20)),
        }
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
        let edge = Edge::new(&config, Arc::new(NoGeo));
        // An untrusted peer's header is ignored.
        assert_eq!(edge.client_ip(Some(ip("203.0.113.9")), &["1.2.3.4"]), Some(ip("203.0.113.9")));
        // A trusted peer: the right-most untrusted hop (a client cannot spoof by prepending).
        assert_eq!(edge.client_ip(Some(ip("10.0.0.2")), &["6.6.6.6, 1.2.3.4, 10.0.0.7"]), Some(ip("1.2.3.4")));
        // A trusted peer without a usable header is the client itself.
        assert_eq!(edge.client_ip(Some(ip("10.0.0.2")), &["garbage"]), Some(ip("10.0.0.2")));
    }

    #[test]
    fn a_bucket_allows_its_burst_then_says_when_to_retry() {
        let limiter = RateLimiter::new(60, 3);
        let a = ip("198.51.100.1");
        for _ in 0..3 {
            assert!(limiter.check(a).is_ok());
        }
        let wait = limiter.check(a).unwrap_err();
        assert!(wait > Duration::ZERO && wait <= Duration::from_secs(1), "{wait:?}");
        // Another address has its own bucket.
        assert!(limiter.check(ip("198.51.100.2")).is_ok());
        // Disabled limiter.
        let off = RateLimiter::new(0, 0);
        for _ in 0..1000 {
            assert!(off.check(a).is_ok());
        }
    }
}
