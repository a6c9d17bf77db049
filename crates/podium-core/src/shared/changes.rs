//! The change feed: what one node committed, for every node's in-memory copies. Ranking
//! updates travel as [`EntryMove`]s (an entry's place before and after, and its stored state
//! for the entry cache); cache invalidations as [`Invalidation`]s; community runs and
//! category layouts as [`RunChange`]s. The services never touch
//! their rankings or caches after a write except through [`ChangeFeed::publish`], so a feed
//! that also reaches other nodes makes their copies follow without any other change.

use std::sync::{Arc, RwLock};

use chrono::{DateTime, Utc};

use crate::id::{CategoryId, GameId, IdentityId, MemberId, ScoreId, SessionId};
use crate::model::Score;
use crate::model::community::Run;
use crate::ranking::community::{Layout, Shape};
use crate::ranking::{PoolKey, RankKey};
use crate::store::StoreResult;

/// One committed change.
#[derive(Debug, Clone)]
pub enum Change {
    /// Entries moved: applied to the entry cache first, then to the rankings, in order.
    Entries(Vec<EntryMove>),
    /// Cached copies that are now stale.
    Invalidate(Invalidation),
    /// Community runs or categories whose rankings changed.
    Runs(RunChange),
    /// Activity points that moved.
    Activity(ActivityChange),
    /// Submissions judged by another node, for this node's anti-cheat counters (see
    /// [`ChangeFeed::share`]).
    Attempts(Arc<Vec<crate::anticheat::Attempt>>),
    /// Rate-limit tokens taken by another node, per bucket and (canonical) address.
    Taken(Arc<Vec<(super::Bucket, std::net::IpAddr)>>),
    /// Failures another node counted (or forgave) against keys.
    Failures(Arc<Vec<FailureCount>>),
}

/// One failure counted, or forgiven, against a key (a member, an address).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct FailureCount {
    /// Which failures.
    pub failures: super::Failures,
    /// Against what.
    pub key: String,
    /// Whether it was taken back (the attempt succeeded).
    pub forgiven: bool,
}

/// Activity values that moved in one game (a judged batch, a reviewed flag).
#[derive(Debug, Clone)]
pub struct ActivityChange {
    /// The game.
    pub game: GameId,
    /// What moved.
    pub moved: Arc<Vec<crate::activity::Moved>>,
    /// When (ties are listed by who reached their points first).
    pub at_micros: i64,
}

/// A change to the community rankings.
#[derive(Debug, Clone)]
pub enum RunChange {
    /// A category's rankings rebuilt over its layout and its approved runs as read at
    /// `read_at` (a new category, an edited one, a variable edit).
    Reset {
        /// The category's metrics and variables, as the index sees them.
        layout: Arc<Layout>,
        /// The category and its variables.
        shape: Arc<Shape>,
        /// Its approved runs.
        runs: Arc<Vec<Arc<Run>>>,
        /// When they were read (changes after it are kept).
        read_at: DateTime<Utc>,
    },
    /// Runs in their state after a commit (a judgement, a ban, a deleted account).
    Runs(Arc<Vec<Arc<Run>>>),
    /// A deleted category.
    Dropped(CategoryId),
}

/// An entry's move in one pool's ranking.
#[derive(Debug, Clone)]
pub struct EntryMove {
    /// The ranking (board and test/live pool).
    pub pool: PoolKey,
    /// Its place before, if it was ranked (removed).
    pub old: Option<RankKey>,
    /// Its place after, if it is ranked now (inserted).
    pub new: Option<RankKey>,
    /// What the entry cache learns.
    pub entry: EntryState,
}

/// What the entry cache learns from a move.
#[derive(Debug, Clone)]
#[allow(clippy::large_enum_variant)] // nearly every move stores an entry; boxing would allocate for each
pub enum EntryState {
    /// The entry as now stored.
    Stored(Score),
    /// The entry is gone (or replaced under another id).
    Forgotten(ScoreId),
    /// Only its place changed (a ban or an unban).
    Unchanged,
}

/// Cached copies that a write made stale.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Invalidation {
    /// API keys, users or accounts changed: every cached key grant.
    KeyGrants,
    /// Boards or games changed: every cached board, game and RATIO board list.
    Boards,
    /// A player changed (name, status, trust tier).
    Identity {
        /// The player.
        id: IdentityId,
        /// Its game.
        game: GameId,
        /// Its player key, if any (the other cache key).
        player_key: Option<String>,
    },
    /// One access token's grant (refreshed or revoked).
    AccessToken {
        /// The token's hash.
        hash: String,
    },
    /// Every grant of a session or of a player (revoked, banned).
    ClientGrants {
        /// The session, if one.
        session: Option<SessionId>,
        /// The player, if all of theirs.
        identity: Option<IdentityId>,
    },
    /// Every cached token of a community member (a logout, a role or profile change, a site
    /// ban, a deleted account).
    Member {
        /// The member.
        id: MemberId,
    },
}

/// A change that travels between nodes by reference: the node that follows it reads the
/// current state from the store, so references applied in any order leave the newest state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reference {
    /// Community runs whose state changed (a judgement, a ban, a deleted account).
    Runs(Vec<crate::id::RunId>),
    /// A community category whose shape changed or that was deleted.
    Category(CategoryId),
}

/// Turns a reference another node logged into this node's changes, reading the store.
#[async_trait::async_trait]
pub trait Resolver: Send + Sync {
    /// The changes `reference` stands for now (none for a kind this resolver does not hold).
    async fn resolve(&self, reference: &Reference) -> StoreResult<Vec<Change>>;
}

/// Applies changes to one part of a node's in-memory state.
pub trait Subscriber: Send + Sync {
    /// Applies one change (ignoring the kinds it does not hold).
    fn apply(&self, change: &Change);
}

/// Carries committed changes to every node's subscribers.
#[async_trait::async_trait]
pub trait ChangeFeed: Send + Sync {
    /// Publishes a change this node has committed. This node's subscribers have applied it
    /// when `publish` returns, so a node reads its own writes at once; other nodes' within the
    /// implementation's bound.
    fn publish(&self, change: Change);
    /// Registers a part of this node's state that follows the feed.
    fn subscribe(&self, subscriber: Arc<dyn Subscriber>);
    /// Registers what turns other nodes' references into changes (a feed that reaches no
    /// other node has none to resolve).
    fn resolve_with(&self, resolver: Arc<dyn Resolver>) {
        let _ = resolver;
    }
    /// The implementation's name.
    fn name(&self) -> &'static str;
    /// Called before the node loads its copies from the store: a feed that follows other
    /// nodes notes where it stands, so that what they commit during the load is applied after.
    async fn open(&self) -> StoreResult<()> {
        Ok(())
    }
    /// Called once every copy is loaded and subscribed: applies what other nodes committed
    /// since [`Self::open`], then keeps following them. Returns once caught up.
    async fn follow(self: Arc<Self>) -> StoreResult<()> {
        Ok(())
    }
    /// Returns once everything this node has published so far has reached the other nodes'
    /// reach (a write is answered after it), or after the implementation's bound.
    async fn settle(&self) {}
    /// Why the feed cannot reach the other nodes right now, if it cannot.
    fn degraded(&self) -> Option<String> {
        None
    }
    /// Carries a change to the other nodes only: this node has applied it already, in a form
    /// of its own (anti-cheat counts judged here). A feed that reaches no other node drops it.
    fn share(&self, change: Change) {
        let _ = change;
    }
    /// The wire forms of what [`Self::share`] gathered and has not logged yet, taken to be
    /// logged in a commit's own transaction (none for a feed that reaches no other node).
    fn take_shared(&self) -> Vec<String> {
        Vec::new()
    }
    /// The node name to log order-sensitive changes under in the transaction of the data they
    /// describe, if this feed follows a change log (then pass them to [`Self::committed`]
    /// instead of [`Self::publish`]).
    fn log_node(&self) -> Option<&str> {
        None
    }
    /// A change this node logged in its data's transaction as number `seq`: returns once this
    /// node has applied it, after every change numbered before it.
    async fn committed(&self, seq: i64, change: Change) {
        let _ = seq;
        self.publish(change);
    }
}

/// One node: a change reaches this process's subscribers, synchronously, and nothing else.
#[derive(Default)]
pub struct LocalFeed {
    subscribers: RwLock<Vec<Arc<dyn Subscriber>>>,
}

impl ChangeFeed for LocalFeed {
    fn publish(&self, change: Change) {
        let subscribers = self.subscribers.read().unwrap_or_else(std::sync::PoisonError::into_inner);
        for s in subscribers.iter() {
            s.apply(&change);
        }
    }

    fn subscribe(&self, subscriber: Arc<dyn Subscriber>) {
        self.subscribers.write().unwrap_or_else(std::sync::PoisonError::into_inner).push(subscriber);
    }

    fn name(&self) -> &'static str {
        "in-memory (one node)"
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use super::*;

    struct Recorder(Mutex<Vec<Invalidation>>);

    impl Subscriber for Recorder {
        fn apply(&self, change: &Change) {
            if let Change::Invalidate(i) = change {
                self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner).push(i.clone());
            }
        }
    }

    #[test]
    fn a_published_change_has_reached_every_subscriber_when_publish_returns() {
        let feed = LocalFeed::default();
        let (a, b) = (Arc::new(Recorder(Mutex::new(Vec::new()))), Arc::new(Recorder(Mutex::new(Vec::new()))));
        feed.subscribe(a.clone());
        feed.subscribe(b.clone());
        feed.publish(Change::Invalidate(Invalidation::Boards));
        feed.publish(Change::Invalidate(Invalidation::KeyGrants));
        for r in [a, b] {
            let seen = r.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner).clone();
            assert_eq!(seen, vec![Invalidation::Boards, Invalidation::KeyGrants]);
        }
    }
}
