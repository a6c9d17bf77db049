//! Storage of game scores: identities, score events, ranked entries, and anti-cheat's flags
//! and submission counts (written with score batches; read and reviewed here).

use async_trait::async_trait;

use super::StoreResult;
use crate::id::{AccountId, GameId};
use crate::model::Board;
use crate::page::PageRequest;

/// Filters for listing score events.
#[derive(Debug, Clone)]
pub struct ScoreEventFilter {
    /// The account whose events are listed.
    pub account_id: AccountId,
    /// Only this board's.
    pub board_id: Option<crate::id::BoardId>,
    /// Only this player's.
    pub identity_id: Option<crate::id::IdentityId>,
    /// Only test (or only live) events.
    pub is_test: Option<bool>,
}

/// Filters for listing ranked entries in a non-rank order.
#[derive(Debug, Clone)]
pub struct ScoreFilter {
    /// The board.
    pub board_id: crate::id::BoardId,
    /// Only test (or only live) entries; `None` for both.
    pub is_test: Option<bool>,
    /// Only this player's.
    pub identity_id: Option<crate::id::IdentityId>,
}

/// One ranked entry's key material, streamed when the engine is rebuilt.
#[derive(Debug, Clone, Copy)]
pub struct RankedRow {
    /// The board.
    pub board_id: crate::id::BoardId,
    /// The pool.
    pub is_test: bool,
    /// The value.
    pub value: f64,
    /// When it reached the value (microseconds).
    pub updated_at: i64,
    /// The entry.
    pub id: crate::id::ScoreId,
}

/// Computes the changes of a batch from the current entries it read.
pub type Planner<'a> = &'a (dyn Fn(Vec<crate::model::Score>) -> crate::scoring::Plan + Send + Sync);

/// Identities, score events and ranked entries.
#[async_trait]
pub trait ScoreStore: Send + Sync {
    /// Inserts a new identity.
    async fn insert_identity(&self, identity: &crate::model::Identity) -> StoreResult<()>;
    /// Inserts identities in one transaction, skipping any whose (game, player_key) exists, and
    /// returns the stored identity for every given (game, player_key).
    async fn insert_identities(
        &self,
        identities: &[crate::model::Identity],
    ) -> StoreResult<Vec<crate::model::Identity>>;
    /// An identity by id.
    async fn get_identity(&self, id: crate::id::IdentityId) -> StoreResult<Option<crate::model::Identity>>;
    /// The identity a game knows by `player_key`.
    async fn find_identity_by_player_key(
        &self,
        game: GameId,
        player_key: &str,
    ) -> StoreResult<Option<crate::model::Identity>>;
    /// One event.
    async fn get_score_event(&self, id: crate::id::ScoreEventId) -> StoreResult<Option<crate::model::ScoreEvent>>;
    /// A page of events.
    async fn list_score_events(
        &self,
        filter: &ScoreEventFilter,
        page: &PageRequest,
    ) -> StoreResult<Vec<crate::model::ScoreEvent>>;
    /// One entry.
    async fn get_score(&self, id: crate::id::ScoreId) -> StoreResult<Option<crate::model::Score>>;
    /// Entries by id (any order; missing ids are skipped).
    async fn get_scores(&self, ids: &[crate::id::ScoreId]) -> StoreResult<Vec<crate::model::Score>>;
    /// A page of a board's ranked (not rejected) entries in a non-rank order.
    async fn list_scores(&self, filter: &ScoreFilter, page: &PageRequest) -> StoreResult<Vec<crate::model::Score>>;
    /// In one transaction: reads the entries of `slots`, asks `plan` for the changes, appends
    /// `events` and writes the changes. Returns the plan once committed.
    async fn commit_events(
        &self,
        events: &[crate::model::ScoreEvent],
        slots: &[crate::scoring::Slot],
        plan: Planner<'_>,
    ) -> StoreResult<crate::scoring::Plan>;
    /// Streams the key material of every ranked entry; returns how many.
    async fn for_each_ranked(&self, f: &mut (dyn FnMut(RankedRow) + Send)) -> StoreResult<u64>;
    /// Streams every event in replay order (`created_at`, `id`); returns how many.
    async fn for_each_event(&self, f: &mut (dyn FnMut(crate::model::ScoreEvent) + Send)) -> StoreResult<u64>;
    /// Replaces every entry by `scores` in one transaction (rebuild).
    async fn replace_scores(&self, scores: &[crate::model::Score]) -> StoreResult<()>;
    /// Every board of every game, deleted ones included (rebuilds replay their events too).
    async fn all_boards(&self) -> StoreResult<Vec<Board>>;
    /// The live RATIO boards of a game.
    async fn ratio_boards(&self, game: GameId) -> StoreResult<Vec<Board>>;
}

/// Filters for listing flags.
#[derive(Debug, Clone)]
pub struct FlagFilter {
    /// The account whose flags are listed.
    pub account_id: AccountId,
    /// Only this board's.
    pub board_id: Option<crate::id::BoardId>,
    /// Only this game's.
    pub game_id: Option<GameId>,
    /// Only this player's.
    pub identity_id: Option<crate::id::IdentityId>,
    /// Only with this status.
    pub status: Option<crate::model::FlagStatus>,
    /// Only of this detection.
    pub flag_type: Option<crate::anticheat::FlagType>,
}

/// Filters for listing submission metadata.
#[derive(Debug, Clone)]
pub struct SubmissionMetaFilter {
    /// The account whose rows are listed.
    pub account_id: AccountId,
    /// Only this board's.
    pub board_id: Option<crate::id::BoardId>,
    /// Only this player's.
    pub identity_id: Option<crate::id::IdentityId>,
}

/// What a review writes.
#[derive(Debug, Clone)]
pub struct ReviewWrite {
    /// The flag, as reviewed.
    pub flag: crate::model::ScoreFlag,
    /// The player.
    pub identity_id: crate::id::IdentityId,
    /// The pool.
    pub is_test: bool,
    /// The boards whose entries are replaced.
    pub boards: Vec<crate::id::BoardId>,
    /// Events that are rejected now.
    pub rejected_events: Vec<crate::id::ScoreEventId>,
    /// Events that are accepted now.
    pub accepted_events: Vec<crate::id::ScoreEventId>,
    /// The player's entries on `boards`, replacing the stored ones (None: entries unchanged).
    pub entries: Option<Vec<crate::model::Score>>,
}

/// What a review recomputes from.
#[derive(Debug, Clone, Default)]
pub struct ReviewInputs {
    /// The player's events on the boards, in replay order.
    pub events: Vec<crate::model::ScoreEvent>,
    /// The player's stored entries on the boards.
    pub entries: Vec<crate::model::Score>,
    /// Flags on those events.
    pub flags: Vec<crate::model::ScoreFlag>,
}

/// Plans a review inside its transaction: from what it recomputes from and whether the player
/// is banned, what it writes and the change to log with it (none without a change log).
pub type ReviewPlanner<'a> =
    &'a (dyn Fn(ReviewInputs, bool) -> (ReviewWrite, Option<super::LoggedChange>) + Send + Sync);

/// Plans a ban's or an unban's ranking moves inside its transaction, from the player's entries:
/// the change to log (none without a change log).
pub type VisibilityPlanner<'a> = &'a (dyn Fn(Vec<crate::model::Score>) -> Option<super::LoggedChange> + Send + Sync);

/// Anti-cheat flags and submission metadata (written with score batches; read and reviewed
/// here).
#[async_trait]
pub trait FlagStore: Send + Sync {
    /// A page of flags.
    async fn list_flags(&self, filter: &FlagFilter, page: &PageRequest) -> StoreResult<Vec<crate::model::ScoreFlag>>;
    /// One flag.
    async fn get_flag(&self, id: crate::id::FlagId) -> StoreResult<Option<crate::model::ScoreFlag>>;
    /// One flag, soft-deleted or not (to restore it).
    async fn get_flag_even_deleted(&self, id: crate::id::FlagId) -> StoreResult<Option<crate::model::ScoreFlag>>;
    /// Records a review in one transaction: the flag, the statuses of the player's events on
    /// the boards concerned, and (when given) the player's recomputed entries on them.
    async fn apply_review(&self, review: &ReviewWrite) -> StoreResult<()>;
    /// What a review recomputes from: the player's events (replay order), entries and event
    /// flags on the given boards, in one pool.
    async fn review_inputs(
        &self,
        identity: crate::id::IdentityId,
        boards: &[crate::id::BoardId],
        is_test: bool,
    ) -> StoreResult<ReviewInputs>;
    /// A review in the change log's order, in one transaction that locks the player's entries
    /// and then the log (every change logged before it is committed, none after it until it
    /// commits, and no batch of this player runs meanwhile, so it reads and writes as if it
    /// were alone, as the score writer of one node does): reads
    /// [`Self::review_inputs`] and whether the player is banned, asks `plan` for the writes and
    /// the change to log, writes them as [`Self::apply_review`] does and logs the change.
    /// Returns the change's number, if one was logged.
    async fn review_in_log_order(
        &self,
        identity: crate::id::IdentityId,
        boards: &[crate::id::BoardId],
        is_test: bool,
        plan: ReviewPlanner<'_>,
    ) -> StoreResult<Option<i64>>;
    /// A ban's or an unban's ranking moves in the change log's order (the player's entries and
    /// the log locked, as by [`Self::review_in_log_order`]): reads every entry of the player, asks `plan` for the
    /// change and logs it. Returns its number, if one was logged.
    async fn visibility_in_log_order(
        &self,
        identity: crate::id::IdentityId,
        plan: VisibilityPlanner<'_>,
    ) -> StoreResult<Option<i64>>;
    /// Adds submission counts per player and board (one transaction).
    async fn add_submission_meta(&self, metas: &[crate::model::SubmissionMeta]) -> StoreResult<()>;
    /// A page of submission metadata.
    async fn list_submission_meta(
        &self,
        filter: &SubmissionMetaFilter,
        page: &PageRequest,
    ) -> StoreResult<Vec<crate::model::SubmissionMeta>>;
    /// One submission metadata row.
    async fn get_submission_meta(
        &self,
        id: crate::id::SubmissionMetaId,
    ) -> StoreResult<Option<crate::model::SubmissionMeta>>;
    /// Accepted submissions per identity (for trust tiers after a restart).
    async fn accepted_totals(&self) -> StoreResult<Vec<(crate::id::IdentityId, u64)>>;
    /// The events whose entry a pending MEDIUM flag holds under review, and the events
    /// rejected by a review (a rebuild replays the first as held and skips the second).
    async fn review_state(&self) -> StoreResult<(Vec<crate::id::ScoreEventId>, Vec<crate::id::ScoreEventId>)>;
    /// Every entry of one identity, or (with `None`) of every banned identity.
    async fn scores_of_identity(
        &self,
        identity: Option<crate::id::IdentityId>,
    ) -> StoreResult<Vec<crate::model::Score>>;
    /// The events accepted since a time, in replay order (to rebuild anti-cheat counters).
    async fn events_since(&self, since_micros: i64) -> StoreResult<Vec<crate::model::ScoreEvent>>;
}
