//! The shared-state seam: everything a node keeps in memory that another node's writes can
//! change goes through the traits here, so that running several nodes means choosing another
//! implementation in the binary's `app.rs` — the way the storage backend is chosen — and not
//! rewriting the services.
//!
//! - [`ChangeFeed`]: committed changes — entries moving in the rankings (accepted submissions,
//!   reviews, bans and unbans) and cache invalidations. The node that commits a change
//!   publishes it; every node's subscribers (its rankings, entry cache and TTL caches) apply it.
//! - [`AntiCheatCounters`]: the detections' counters (sliding hours, last attempts, duplicate
//!   windows, clusters, accepted totals).
//! - [`RateBuckets`]: per-address token buckets of the network edge, and sliding windows of
//!   failures (community logins per member and per address), checked and counted in one step.
//! - [`NonceClaims`]: single use of client nonces.
//! - [`ActivityState`]: activity scores' rules counts and users' days, per game.
//!
//! [`SharedState::in_memory`] is one node: the feed delivered to this node's subscribers before
//! `publish` returns, counters and buckets in this process's memory, nonce claims decided by the
//! store. [`SharedState::on_store`] is the same with the feed carried through the store's change
//! log ([`StoreFeed`]), so that several nodes on one PostgreSQL database follow each other's
//! writes, woken by a [`Signal`] (Redis) or the store's own doorbell.

mod activity;
mod changes;
mod claims;
mod counters;
mod feed;
mod rates;
mod signal;
pub mod wire;

use std::sync::Arc;

pub use activity::{ActivityState, LocalActivity};
pub use changes::{
    ActivityChange, Change, ChangeFeed, EntryMove, EntryState, FailureCount, Invalidation, LocalFeed, Reference,
    Resolver, RunChange, Subscriber,
};
pub use claims::{LocalClaims, NonceClaims};
pub use counters::{AntiCheatCounters, FedCounters, LocalCounters};
pub use feed::StoreFeed;
pub use rates::{Bucket, Failures, FedRates, LocalRates, RateBuckets, RateLimiter, RateLimits, canonical_ip};
pub use signal::Signal;

/// The shared-state implementations a node runs with; cheap to clone.
#[derive(Clone)]
pub struct SharedState {
    /// Committed changes, to every node's in-memory copies.
    pub changes: Arc<dyn ChangeFeed>,
    /// Anti-cheat's counters.
    pub counters: Arc<dyn AntiCheatCounters>,
    /// The edge's rate-limit buckets.
    pub rates: Arc<dyn RateBuckets>,
    /// Nonce single use.
    pub claims: Arc<dyn NonceClaims>,
    /// Activity scores' per-game state.
    pub activity: Arc<dyn ActivityState>,
}

impl SharedState {
    /// One node: everything in this process, nonce claims decided by `store`.
    pub fn in_memory(store: Arc<dyn crate::store::Store>, limits: RateLimits) -> Self {
        Self {
            changes: Arc::new(LocalFeed::default()),
            counters: Arc::new(LocalCounters::default()),
            rates: Arc::new(LocalRates::new(limits)),
            claims: Arc::new(LocalClaims::start(store)),
            activity: Arc::new(LocalActivity::default()),
        }
    }

    /// Several nodes on one database: [`Self::in_memory`] with the change feed carried through
    /// the store's change log, read at least every `poll` and whenever `signal` (or, without
    /// one, the store's doorbell) rings, and the anti-cheat counters and rate-limit buckets fed
    /// by every node's attempts and tokens through it.
    pub fn on_store(
        store: Arc<dyn crate::store::Store>,
        limits: RateLimits,
        poll: std::time::Duration,
        signal: Option<Arc<dyn Signal>>,
    ) -> Self {
        let changes: Arc<dyn ChangeFeed> = StoreFeed::start(store.clone(), poll, signal);
        let counters = FedCounters::start(&changes);
        let rates = FedRates::start(limits, &changes);
        Self { changes, counters, rates, ..Self::in_memory(store, limits) }
    }

    /// The implementation's name, for the start-up log and `/v1/health`.
    pub fn name(&self) -> &'static str {
        self.changes.name()
    }
}
