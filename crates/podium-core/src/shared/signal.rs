//! The signal between nodes, apart from the store: something other than the database that
//! tells a node's follower "another node logged changes, read the log now" (Redis pub/sub in
//! the binary). With one, the store's own doorbell (PostgreSQL `NOTIFY`, which takes a lock
//! every committing transaction queues behind) is switched off; without one, it rings.
//!
//! A signal only wakes: what changed is always read from the change log, so a ring lost in a
//! failure delays a change by at most the poll interval and loses nothing. That is why a
//! signal that is down degrades a deployment (answers up to one poll interval late) and never
//! stops it.

use async_trait::async_trait;

use crate::store::{Doorbell, StoreResult};

/// Wakes the other nodes' followers when this node appended to the change log.
#[async_trait]
pub trait Signal: Send + Sync {
    /// Tells the other nodes that `from` (this node's name in the log) appended changes. Never
    /// waits: rings close together may be sent as one, and one that cannot be sent is dropped
    /// (the poll finds the change).
    fn ring(&self, from: &str);
    /// A doorbell that rings when a node other than `me` rang; an error when the signal cannot
    /// be reached (the follower polls and asks again).
    async fn listen(&self, me: &str) -> StoreResult<Box<dyn Doorbell>>;
    /// Why the signal cannot reach the other nodes right now, if it cannot.
    fn degraded(&self) -> Option<String>;
    /// The name of the shared state a feed woken by this signal gives, for the start-up log and
    /// `/v1/health` (`change log (several nodes), woken by Redis`).
    fn name(&self) -> &'static str;
}
