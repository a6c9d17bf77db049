//! Game scores (game-boards spec §2 score-events, §4 scores, §5 anti-cheat): the [`Scores`]
//! service, one file per part — request and response types (`wire`), player names,
//! start-up loading, the submission pipeline, reads in rank order, the batching score and
//! identity writers, anti-cheat's judging, flags and their reviews.

mod flags;
mod identity_writer;
mod judge;
mod loading;
mod names;
mod reads;
mod review;
mod submit;
mod wire;
mod writer;

use std::sync::Arc;

pub use flags::{FlagListQuery, SubmissionMetaQuery};
pub use names::{name_key, player_name};
pub use reads::EXPORT_MAX;
pub use review::ReviewFlag;
pub use wire::*;

use writer::{Between, Done, Job};

use crate::cache::TtlCache;
use crate::error::ServiceResult;
use crate::id::{BoardId, GameId, IdentityId};
use crate::model::Identity;
use crate::ranking::{Engine, PoolKey};
use crate::service::Admin;
use crate::shared::{AntiCheatCounters, Change, ChangeFeed, EntryState, Invalidation, Subscriber};

/// What the score writer and reviews write to: the store, and the change feed that carries
/// entry moves to every node's rankings and entry cache (this node's included).
pub(crate) struct Parts {
    pub(crate) store: Arc<dyn crate::store::Store>,
    pub(crate) changes: Arc<dyn ChangeFeed>,
}

/// Ranked entries by id, kept current from the change feed (write-through) so that reads of
/// ranked pages need no store round trip for hot entries.
pub(crate) type EntryCache = TtlCache<crate::id::ScoreId, crate::model::Score>;

/// This node's copies that follow entry moves: the rankings and the entry cache. The cache
/// learns first, then the rankings, so a rank read never finds an entry it cannot show.
struct RankedCopies {
    engine: Arc<Engine>,
    entries: Arc<EntryCache>,
}

impl Subscriber for RankedCopies {
    fn apply(&self, change: &Change) {
        let Change::Entries(moves) = change else { return };
        for m in moves {
            match &m.entry {
                EntryState::Stored(s) => self.entries.put(s.id, s.clone()),
                EntryState::Forgotten(id) => self.entries.remove(id),
                EntryState::Unchanged => {}
            }
        }
        for m in moves {
            match (&m.old, m.new) {
                (Some(old), Some(new)) => self.engine.write(m.pool, |r| {
                    r.remove(old);
                    r.insert(new);
                }),
                (Some(old), None) => {
                    self.engine.write(m.pool, |r| r.remove(old));
                }
                (None, Some(new)) => {
                    self.engine.write(m.pool, |r| r.insert(new));
                }
                (None, None) => {}
            }
        }
    }
}

/// Players by (game, player_key) and by id; they follow the change feed's identity
/// invalidations.
struct IdentityCaches {
    by_key: TtlCache<(GameId, String), Identity>,
    by_id: TtlCache<IdentityId, Identity>,
}

impl Subscriber for IdentityCaches {
    fn apply(&self, change: &Change) {
        if let Change::Invalidate(Invalidation::Identity { id, game, player_key }) = change {
            self.by_id.remove(id);
            if let Some(key) = player_key {
                self.by_key.remove(&(*game, key.clone()));
            }
        }
    }
}

/// The scores service; cheap to clone.
#[derive(Clone)]
pub struct Scores {
    pub(crate) admin: Admin,
    engine: Arc<Engine>,
    writer: writer::ScoreWriter,
    new_identities: identity_writer::IdentityWriter,
    identities: Arc<IdentityCaches>,
    /// Ranked entries by id (kept current from the change feed).
    entries: Arc<EntryCache>,
    /// Anti-cheat counters (shared by request tasks; filled at start-up).
    counters: Arc<dyn AntiCheatCounters>,
    /// Board statistics for the outlier detection, reused briefly.
    stats: Arc<judge::StatsCache>,
}

impl Scores {
    /// Starts the service (and its writer task) over the admin service's store and shared
    /// state: its rankings, entry cache and identity caches follow the change feed.
    pub fn start(admin: Admin) -> Self {
        let shared = admin.shared().clone();
        let engine = Arc::new(Engine::new());
        let entries = Arc::new(TtlCache::new(super::CACHE_TTL, 200_000));
        shared.changes.subscribe(Arc::new(RankedCopies { engine: engine.clone(), entries: entries.clone() }));
        let identities = Arc::new(IdentityCaches {
            by_key: TtlCache::new(super::CACHE_TTL, 1_000_000),
            by_id: TtlCache::new(super::CACHE_TTL, 1_000_000),
        });
        shared.changes.subscribe(identities.clone());
        let writer = writer::spawn(Parts { store: admin.store().clone(), changes: shared.changes.clone() });
        let new_identities = identity_writer::spawn(admin.store().clone());
        Self {
            admin,
            engine,
            writer,
            new_identities,
            identities,
            entries,
            counters: shared.counters.clone(),
            stats: Arc::new(judge::StatsCache::default()),
        }
    }

    /// Hides (ban) or shows again (unban) every entry of a player in the rankings, in order
    /// with submissions.
    pub(crate) async fn set_identity_visible(&self, identity: IdentityId, visible: bool) -> ServiceResult<()> {
        self.writer.submit(Job::Between(Between::Visibility { identity, visible })).await.map(drop)
    }

    /// Has the score writer carry out a review between batches.
    async fn review_in_writer(&self, job: review::ReviewJob) -> ServiceResult<()> {
        self.writer.submit(Job::Between(Between::Review(job))).await.map(drop)
    }

    /// Writes the writer's buffered submission counts (so that a read sees every submission
    /// answered before it).
    pub async fn flush_counts(&self) -> ServiceResult<()> {
        self.writer.submit(Job::Between(Between::FlushCounts)).await.map(drop)
    }

    /// Commits a submission through the score writer.
    async fn write_submission(
        &self,
        planned: crate::scoring::PlannedEvent,
        verdict: Option<crate::anticheat::Verdict>,
    ) -> ServiceResult<(crate::model::ScoreEvent, crate::model::Score)> {
        self.writer.submit(Job::Submit { planned, verdict }).await.and_then(Done::entry)
    }

    /// Forgets cached copies of an identity after an admin changed it.
    pub(crate) fn identity_changed(&self, identity: &Identity) {
        self.admin.publish(Change::Invalidate(Invalidation::Identity {
            id: identity.id,
            game: identity.game_id,
            player_key: identity.player_key.clone(),
        }));
    }

    /// The version of a pool's ranking (changes with every change to it).
    pub fn pool_version(&self, board: BoardId, is_test: bool) -> u64 {
        self.engine.read(PoolKey { board, is_test }, |r| r.version())
    }

    /// The rankings.
    pub fn engine(&self) -> &Arc<Engine> {
        &self.engine
    }
}
