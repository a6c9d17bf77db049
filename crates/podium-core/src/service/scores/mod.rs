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
pub use review::ReviewFlag;
pub use wire::*;

use writer::{Between, Done, Job};

use crate::cache::TtlCache;
use crate::error::ServiceResult;
use crate::id::{BoardId, GameId, IdentityId};
use crate::model::Identity;
use crate::ranking::{Engine, PoolKey};
use crate::service::Admin;

/// What the score writer and reviews write to: the store, the rankings and the entry cache.
pub(crate) struct Parts {
    pub(crate) store: Arc<dyn crate::store::Store>,
    pub(crate) engine: Arc<Engine>,
    pub(crate) entries: Arc<EntryCache>,
}

/// Ranked entries by id, kept current by the writer (write-through) so that reads of ranked
/// pages need no store round trip for hot entries.
pub(crate) type EntryCache = TtlCache<crate::id::ScoreId, crate::model::Score>;

/// The scores service; cheap to clone.
#[derive(Clone)]
pub struct Scores {
    pub(crate) admin: Admin,
    engine: Arc<Engine>,
    writer: writer::ScoreWriter,
    new_identities: identity_writer::IdentityWriter,
    /// Identities by (game, player_key) and by id.
    identities: Arc<TtlCache<(GameId, String), Identity>>,
    identities_by_id: Arc<TtlCache<IdentityId, Identity>>,
    /// Ranked entries by id (kept current by the writer).
    entries: Arc<EntryCache>,
    /// Anti-cheat counters (shared by request tasks; filled at start-up).
    detector: Arc<std::sync::Mutex<crate::anticheat::Detector>>,
    /// Board statistics for the outlier detection, reused briefly.
    stats: Arc<judge::StatsCache>,
}

impl Scores {
    /// Starts the service (and its writer task) over the admin service's store.
    pub fn start(admin: Admin) -> Self {
        let engine = Arc::new(Engine::new());
        let entries = Arc::new(TtlCache::new(super::CACHE_TTL, 200_000));
        let detector = Arc::new(std::sync::Mutex::new(crate::anticheat::Detector::new()));
        let writer =
            writer::spawn(Parts { store: admin.store().clone(), engine: engine.clone(), entries: entries.clone() });
        let new_identities = identity_writer::spawn(admin.store().clone());
        Self {
            admin,
            engine,
            writer,
            new_identities,
            identities: Arc::new(TtlCache::new(super::CACHE_TTL, 1_000_000)),
            identities_by_id: Arc::new(TtlCache::new(super::CACHE_TTL, 1_000_000)),
            entries,
            detector,
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
        self.identities_by_id.remove(&identity.id);
        if let Some(key) = &identity.player_key {
            self.identities.remove(&(identity.game_id, key.clone()));
        }
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
