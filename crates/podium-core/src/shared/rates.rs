//! Per-address rate limits behind one trait. [`LocalRates`] keeps token buckets in one
//! mutex-guarded map per limit (pruned of full buckets when it grows); 50 lines are simpler
//! than a dependency for two limits. [`FedRates`] is the same buckets fed by every node: each
//! token taken here is taken on the other nodes too, through the change feed, so an address
//! spreading requests over nodes gets no more than on one (within the feed's lag); so do the
//! failures counted against a key (failed logins), and their forgiving.

use std::collections::{HashMap, VecDeque};
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Which limit a request takes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Bucket {
    /// Client session starts.
    SessionStarts,
    /// Client nonce requests.
    Nonces,
}

/// The limits in force.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimits {
    /// Session starts per minute per address (0: unlimited); bursts of a minute's worth.
    pub session_starts_per_minute: u32,
    /// Nonce requests per minute per address (0: unlimited); bursts of ten seconds' worth, at
    /// least 20.
    pub nonces_per_minute: u32,
}

impl Default for RateLimits {
    fn default() -> Self {
        Self { session_starts_per_minute: 60, nonces_per_minute: 1200 }
    }
}

/// Which failures are counted, and their limit: at most `limit()` within `window()`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Failures {
    /// Failed logins of one community member (10 in 15 minutes).
    LoginByMember,
    /// Failed community logins from one address (30 in 15 minutes).
    LoginByAddress,
}

impl Failures {
    /// Failures allowed within the window.
    pub fn limit(self) -> usize {
        match self {
            Self::LoginByMember => 10,
            Self::LoginByAddress => 30,
        }
    }

    /// The sliding window.
    pub fn window(self) -> Duration {
        Duration::from_secs(15 * 60)
    }
}

/// Per-address buckets, and sliding windows of failures.
pub trait RateBuckets: Send + Sync {
    /// Takes one token from `address`'s bucket of `bucket`, or says how long until one is
    /// available.
    fn take(&self, bucket: Bucket, address: IpAddr) -> Result<(), Duration>;
    /// Counts an attempt of `key` as a failure in advance, in one step with the check — so
    /// that concurrent attempts cannot all pass it — or refuses with the wait when `key` has
    /// failed `failures.limit()` times within the last `failures.window()`.
    fn attempt(&self, failures: Failures, key: &str) -> Result<(), Duration>;
    /// Takes back the attempt last counted for `key` (it succeeded, or was refused for another
    /// reason).
    fn forgive(&self, failures: Failures, key: &str);
}

/// One node: the buckets in this process.
#[derive(Debug)]
pub struct LocalRates {
    session_starts: RateLimiter,
    nonces: RateLimiter,
    failures: FailureLog,
}

impl LocalRates {
    /// Buckets for the given limits.
    pub fn new(limits: RateLimits) -> Self {
        Self {
            session_starts: RateLimiter::new(limits.session_starts_per_minute, limits.session_starts_per_minute),
            nonces: RateLimiter::new(limits.nonces_per_minute, (limits.nonces_per_minute / 6).max(20)),
            failures: FailureLog::default(),
        }
    }
}

impl LocalRates {
    /// Takes a token another node took (never refused; a bucket may go below empty by as much
    /// as its burst, repaid by the refill, so concurrent takes on several nodes even out).
    pub fn spend(&self, bucket: Bucket, address: IpAddr) {
        match bucket {
            Bucket::SessionStarts => self.session_starts.spend(address),
            Bucket::Nonces => self.nonces.spend(address),
        }
    }
}

impl LocalRates {
    /// Counts a failure another node counted against `key` (never refused).
    pub fn record_failure(&self, failures: Failures, key: &str) {
        self.failures.record(failures, key, Instant::now());
    }
}

/// Several nodes: this node's buckets, fed with the tokens every node takes.
pub struct FedRates {
    local: LocalRates,
    feed: std::sync::Weak<dyn super::ChangeFeed>,
}

impl FedRates {
    /// Buckets for `limits` that share each token taken through `feed` and take the other
    /// nodes' (they subscribe to it).
    pub fn start(limits: RateLimits, feed: &std::sync::Arc<dyn super::ChangeFeed>) -> std::sync::Arc<Self> {
        let rates = std::sync::Arc::new(Self { local: LocalRates::new(limits), feed: std::sync::Arc::downgrade(feed) });
        feed.subscribe(rates.clone());
        rates
    }
}

impl RateBuckets for FedRates {
    fn take(&self, bucket: Bucket, address: IpAddr) -> Result<(), Duration> {
        self.local.take(bucket, address)?;
        if let Some(feed) = self.feed.upgrade() {
            feed.share(super::Change::Taken(std::sync::Arc::new(vec![(bucket, canonical_ip(address))])));
        }
        Ok(())
    }

    fn attempt(&self, failures: Failures, key: &str) -> Result<(), Duration> {
        self.local.attempt(failures, key)?;
        self.share_failure(failures, key, false);
        Ok(())
    }

    fn forgive(&self, failures: Failures, key: &str) {
        self.local.forgive(failures, key);
        self.share_failure(failures, key, true);
    }
}

impl FedRates {
    fn share_failure(&self, failures: Failures, key: &str, forgiven: bool) {
        if let Some(feed) = self.feed.upgrade() {
            let counted = super::FailureCount { failures, key: key.to_owned(), forgiven };
            feed.share(super::Change::Failures(std::sync::Arc::new(vec![counted])));
        }
    }
}

impl super::Subscriber for FedRates {
    fn apply(&self, change: &super::Change) {
        // Only other nodes' counts arrive here: this node's are shared, not published.
        match change {
            super::Change::Taken(taken) => {
                for (bucket, address) in taken.iter() {
                    self.local.spend(*bucket, *address);
                }
            }
            super::Change::Failures(counted) => {
                for c in counted.iter() {
                    if c.forgiven {
                        self.local.forgive(c.failures, &c.key);
                    } else {
                        self.local.record_failure(c.failures, &c.key);
                    }
                }
            }
            _ => {}
        }
    }
}

impl RateBuckets for LocalRates {
    fn take(&self, bucket: Bucket, address: IpAddr) -> Result<(), Duration> {
        match bucket {
            Bucket::SessionStarts => self.session_starts.check(address),
            Bucket::Nonces => self.nonces.check(address),
        }
    }

    fn attempt(&self, failures: Failures, key: &str) -> Result<(), Duration> {
        self.failures.attempt(failures, key, Instant::now())
    }

    fn forgive(&self, failures: Failures, key: &str) {
        self.failures.forgive(failures, key);
    }
}

/// Failure times per key, the last `limit` of each within its window: exact sliding windows
/// with at most `limit` instants per key (keys with no recent failure are dropped when the
/// map grows).
#[derive(Debug, Default)]
struct FailureLog {
    times: Mutex<HashMap<(Failures, String), VecDeque<Instant>>>,
}

impl FailureLog {
    /// Refuses with the wait when `limit` failures fall within the window; otherwise counts
    /// this attempt. One lock for both, so concurrent attempts are counted one by one.
    fn attempt(&self, failures: Failures, key: &str, now: Instant) -> Result<(), Duration> {
        let mut times = self.times.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if times.len() >= MAX_BUCKETS {
            times.retain(|(f, _), log| log.back().is_some_and(|t| now.duration_since(*t) < f.window()));
        }
        let log = times.entry((failures, key.to_owned())).or_default();
        while log.front().is_some_and(|t| now.duration_since(*t) >= failures.window()) {
            log.pop_front();
        }
        if log.len() >= failures.limit() {
            // Allowed again once the oldest counted failure leaves the window.
            let oldest = log[log.len() - failures.limit()];
            return Err(failures.window().saturating_sub(now.duration_since(oldest)));
        }
        log.push_back(now);
        Ok(())
    }

    fn forgive(&self, failures: Failures, key: &str) {
        let mut times = self.times.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(log) = times.get_mut(&(failures, key.to_owned())) {
            log.pop_back();
        }
    }

    /// Counts a failure without the check (another node checked it), keeping at most `limit`.
    fn record(&self, failures: Failures, key: &str, now: Instant) {
        let mut times = self.times.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let log = times.entry((failures, key.to_owned())).or_default();
        log.push_back(now);
        while log.len() > failures.limit() {
            log.pop_front();
        }
    }
}

/// An IPv4 address mapped into IPv6 is the IPv4 address: one client, one bucket.
pub fn canonical_ip(ip: IpAddr) -> IpAddr {
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

    /// Takes one token for `ip` whatever the bucket holds (down to minus its burst): a token
    /// another node took.
    pub fn spend(&self, ip: IpAddr) {
        if self.per_second <= 0.0 {
            return;
        }
        let now = Instant::now();
        let mut buckets = self.buckets.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let (tokens, at) = buckets.entry(canonical_ip(ip)).or_insert((self.burst, now));
        *tokens = (*tokens + now.duration_since(*at).as_secs_f64() * self.per_second).min(self.burst);
        *at = now;
        *tokens = (*tokens - 1.0).max(-self.burst);
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
        let (tokens, at) = buckets.entry(canonical_ip(ip)).or_insert((self.burst, now));
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

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
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

    #[test]
    fn a_key_that_failed_its_limit_within_the_window_waits_until_the_oldest_failure_leaves_it() {
        let log = FailureLog::default();
        let start = Instant::now();
        let minute = Duration::from_secs(60);
        for i in 0..10 {
            assert!(log.attempt(Failures::LoginByMember, "mbr_a", start + minute * i).is_ok());
        }
        // Ten failures at minutes 0..9: refused until minute 15, when the first leaves.
        let wait = log.attempt(Failures::LoginByMember, "mbr_a", start + minute * 10).unwrap_err();
        assert_eq!(wait, minute * 5);
        assert!(log.attempt(Failures::LoginByMember, "mbr_b", start + minute * 10).is_ok());
        assert!(log.attempt(Failures::LoginByAddress, "mbr_a", start + minute * 10).is_ok());
        assert!(log.attempt(Failures::LoginByMember, "mbr_a", start + minute * 15).is_ok());
        // Addresses may fail thirty times; a forgiven attempt does not count.
        for _ in 0..29 {
            log.attempt(Failures::LoginByAddress, "198.51.100.1", start).unwrap();
        }
        log.attempt(Failures::LoginByAddress, "198.51.100.1", start).unwrap();
        log.forgive(Failures::LoginByAddress, "198.51.100.1");
        assert!(log.attempt(Failures::LoginByAddress, "198.51.100.1", start).is_ok());
        assert!(log.attempt(Failures::LoginByAddress, "198.51.100.1", start).is_err());
    }

    #[test]
    fn a_token_another_node_took_is_taken_here_too_and_a_bucket_overdrawn_waits_longer() {
        let limiter = RateLimiter::new(60, 2);
        let a = ip("198.51.100.3");
        limiter.spend(a);
        assert!(limiter.check(a).is_ok());
        assert!(limiter.check(a).is_err(), "one of the two was taken elsewhere");
        // Overdrawn by concurrent takes elsewhere: the wait covers the debt (at most a burst).
        for _ in 0..5 {
            limiter.spend(a);
        }
        let wait = limiter.check(a).unwrap_err();
        assert!(wait > Duration::from_secs(2) && wait <= Duration::from_secs(3), "{wait:?}");
    }

    #[test]
    fn each_limit_has_its_own_buckets_and_a_mapped_address_shares_its_ipv4_bucket() {
        let rates = LocalRates::new(RateLimits { session_starts_per_minute: 2, nonces_per_minute: 0 });
        let a = ip("198.51.100.7");
        assert!(rates.take(Bucket::SessionStarts, a).is_ok());
        assert!(rates.take(Bucket::SessionStarts, ip("::ffff:198.51.100.7")).is_ok());
        assert!(rates.take(Bucket::SessionStarts, a).is_err());
        for _ in 0..100 {
            assert!(rates.take(Bucket::Nonces, a).is_ok());
        }
    }
}
