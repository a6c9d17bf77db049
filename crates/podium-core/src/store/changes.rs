//! The change log: what each node committed, numbered in commit order, so that every other
//! node can apply it to its in-memory copies (`shared::StoreFeed`). A node appends what it
//! publishes before it answers; the others read everything above the last number they applied
//! whenever the store's doorbell rings (PostgreSQL `NOTIFY`) and at least every poll interval,
//! so a lost notification delays a change by one interval and loses nothing.

use async_trait::async_trait;

use crate::error::StoreResult;

/// One logged change.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredChange {
    /// Its number: dense and in commit order (an append holds the log's lock until it commits).
    pub seq: i64,
    /// The node that committed it.
    pub node: String,
    /// Whether that node applied it before logging it (it skips it when reading); otherwise it
    /// was logged in its data's own transaction and every node applies it in number order.
    pub committer_applied: bool,
    /// When it was appended (microseconds).
    pub at_micros: i64,
    /// The change in its wire form (JSON).
    pub body: String,
}

/// Wakes a follower when another node may have appended changes.
#[async_trait]
pub trait Doorbell: Send {
    /// Returns when the doorbell rang, or with an error when its connection failed (the
    /// follower then polls until a new doorbell can be had).
    async fn rung(&mut self) -> StoreResult<()>;
}

/// The log of committed changes.
#[async_trait]
pub trait ChangeStore: Send + Sync {
    /// Appends changes committed (and applied) by `node`, numbered after every change already
    /// in the log, and rings the doorbell; returns the last number given.
    async fn append_changes(&self, node: &str, at_micros: i64, bodies: &[String]) -> StoreResult<i64>;
    /// Up to `limit` changes numbered above `after`, in order.
    async fn changes_after(&self, after: i64, limit: u32) -> StoreResult<Vec<StoredChange>>;
    /// The last number in the log (0 when empty).
    async fn last_change(&self) -> StoreResult<i64>;
    /// Removes changes appended before `before_micros`, keeping the last one (its number is
    /// where the next append continues); returns how many went.
    async fn prune_changes(&self, before_micros: i64) -> StoreResult<u64>;
    /// Whether appends ring this store's doorbell (on unless another signal wakes the nodes:
    /// PostgreSQL's `NOTIFY` takes a lock every committing transaction queues behind).
    fn set_doorbell(&self, ring: bool);
    /// A doorbell for changes appended from now on, if this backend has one (SQLite has none:
    /// it is one node).
    async fn change_doorbell(&self) -> StoreResult<Option<Box<dyn Doorbell>>>;
    /// Takes the lease numbered `key` unless another node holds it (PostgreSQL: a session
    /// advisory lock on a connection of its own, released by the server however the node ends;
    /// SQLite — one node — always has it). Returns once every write fenced by the previous
    /// holder's lease has finished (they hold `key + 1` shared; this waits for it alone).
    async fn try_lease(&self, key: i64) -> StoreResult<Option<Box<dyn Lease>>>;
}

/// What a write checks to be sure its node still holds a lease (PostgreSQL: the lease's
/// advisory key and the database session holding it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fence {
    /// The lease.
    pub key: i64,
    /// The session that must hold it (`pg_backend_pid()` of the lease's connection).
    pub holder: i32,
}

/// A lease one node holds at a time; dropped, it is released.
#[async_trait]
pub trait Lease: Send + Sync {
    /// What writes made under this lease check (none on a store that is one node).
    fn fence(&self) -> Option<Fence>;
    /// Whether it is still held (false once its connection was lost: the server released it).
    async fn held(&mut self) -> bool;
    /// Gives it up now, so that another node can take it at once.
    async fn release(&mut self);
}

/// A change to log in the transaction of the data it describes.
#[derive(Debug, Clone, PartialEq)]
pub struct LoggedChange {
    /// The committing node.
    pub node: String,
    /// When (microseconds).
    pub at_micros: i64,
    /// Its wire form, then any counts this node shares with the others (logged in the same
    /// transaction rather than in one of their own).
    pub bodies: Vec<String>,
}
