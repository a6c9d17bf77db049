//! Activity scores' storage: each game's policy document, the judged events (with the answer
//! given for each, which the start-up rebuild replays and the history lists), the users' days
//! and all-time sums. One batch of events is written in one transaction
//! ([`ActivityStore::insert_activity_batch`]), so an answered batch is durable as a whole.
//! Days, sums and the per-user history index derive from the events; the service writes them
//! in flushes with a watermark (the highest `seq` they hold; history entries may come twice and
//! the repeat is ignored), and start-up replays the events above it.

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};

use crate::activity::UserDay;
use crate::error::StoreResult;
use crate::id::{ActivityFlagId, GameId};
use crate::model::FlagStatus;
use crate::model::activity::{ActivityBadge, ActivityFlag, Key, Outcome};
use crate::page::PageRequest;

/// One judged event as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredActivityEvent {
    /// The game.
    pub game_id: GameId,
    /// The app's idempotency key.
    pub event_id: Key,
    /// Arrival order within the game (the order the rules judged it in).
    pub seq: i64,
    /// The type as given (absent when the event named none).
    pub event_type: Option<String>,
    /// When it happened, when given and well-formed.
    pub at: Option<DateTime<Utc>>,
    /// When podium judged it.
    pub received_at: DateTime<Utc>,
    /// Its type-specific fields, as judged (`{}` for an invalid event).
    pub fields: serde_json::Value,
    /// What it came to.
    pub outcome: Outcome,
    /// The users it names or paid, for the history read.
    pub users: Vec<Key>,
    /// The answer given for it (`users`, `points`, `reasons`, `errors`).
    pub result: serde_json::Value,
}

/// One judged event to store: a [`StoredActivityEvent`] with its fields and answer already
/// serialised (the writer serialises the answer straight to text; a JSON tree per event cost
/// more than writing the row).
#[derive(Debug, Clone, PartialEq)]
pub struct NewActivityEvent {
    /// The game.
    pub game_id: GameId,
    /// The app's idempotency key.
    pub event_id: Key,
    /// Arrival order within the game.
    pub seq: i64,
    /// The type as given.
    pub event_type: Option<String>,
    /// When it happened.
    pub at: Option<DateTime<Utc>>,
    /// When podium judged it.
    pub received_at: DateTime<Utc>,
    /// Its type-specific fields, JSON.
    pub fields: String,
    /// What it came to.
    pub outcome: Outcome,
    /// The answer given for it, JSON (the very text sent in the answer).
    pub result: std::sync::Arc<str>,
}

impl From<&StoredActivityEvent> for NewActivityEvent {
    fn from(e: &StoredActivityEvent) -> Self {
        Self {
            game_id: e.game_id,
            event_id: e.event_id.clone(),
            seq: e.seq,
            event_type: e.event_type.clone(),
            at: e.at,
            received_at: e.received_at,
            fields: e.fields.to_string(),
            outcome: e.outcome,
            result: e.result.to_string().into(),
        }
    }
}

/// One user's stored day.
#[derive(Debug, Clone, PartialEq)]
pub struct ActivityDayRow {
    /// The game.
    pub game_id: GameId,
    /// The user.
    pub user: Key,
    /// The day (policy time zone).
    pub day: NaiveDate,
    /// Points, streak, total.
    pub value: UserDay,
}

/// One user's all-time sums: friends, meetups, games, popularity, total.
#[derive(Debug, Clone, PartialEq)]
pub struct ActivityTotalRow {
    /// The game.
    pub game_id: GameId,
    /// The user.
    pub user: Key,
    /// The sums.
    pub sums: [i64; 5],
}

/// One entry of the per-user history index: `user` is named by (or was paid by) the event.
#[derive(Debug, Clone, PartialEq)]
pub struct ActivityHistoryRow {
    /// The game.
    pub game_id: GameId,
    /// The user.
    pub user: Key,
    /// The event's `seq`.
    pub seq: i64,
    /// The event's id.
    pub event_id: Key,
}

/// What a game's activity state was built from: its highest event `seq`, its flags' latest
/// `updated_at` and its policy's `updated_at` (0 for none).
pub type ActivityVersion = (i64, i64, i64);

/// What one group of batches writes, in one transaction.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ActivityWrite {
    /// The judged events.
    pub events: Vec<NewActivityEvent>,
    /// Days that changed, as they are now.
    pub days: Vec<ActivityDayRow>,
    /// All-time sums that changed, as they are now.
    pub totals: Vec<ActivityTotalRow>,
    /// History index entries of events stored earlier (or in this write).
    pub history: Vec<ActivityHistoryRow>,
    /// Per game, the new watermark: the days, sums and history stored hold every event up to
    /// this `seq`.
    pub flushed: Vec<(GameId, i64)>,
    /// Fraud flags raised.
    pub flags: Vec<ActivityFlag>,
    /// The activity lease this write needs its node to hold (several nodes), checked in its
    /// transaction: a node that lost the lease stores nothing more.
    pub fence: Option<super::Fence>,
}

/// A flag's review: the flag as it is after it, and (when confirmed) the points it removed.
#[derive(Debug, Clone, PartialEq)]
pub struct ActivityReview {
    /// The flag, reviewed.
    pub flag: ActivityFlag,
    /// The events whose points the flagged user lost.
    pub removed: Vec<Key>,
    /// Days that changed, as they are now.
    pub days: Vec<ActivityDayRow>,
    /// All-time sums that changed, as they are now.
    pub totals: Vec<ActivityTotalRow>,
    /// The activity lease the review needs its node to hold, as [`ActivityWrite::fence`].
    pub fence: Option<super::Fence>,
}

/// Filters of a flag list.
#[derive(Debug, Clone, Default)]
pub struct ActivityFlagFilter {
    /// The game.
    pub game_id: Option<GameId>,
    /// Only this user's.
    pub user: Option<Key>,
    /// Only in this status.
    pub status: Option<FlagStatus>,
    /// Only of this rule.
    pub flag_type: Option<crate::activity::ActivityFlagType>,
}

/// Activity scores' tables.
#[async_trait]
pub trait ActivityStore: Send + Sync {
    /// A game's policy document and when it was set.
    async fn get_activity_policy(&self, game: GameId) -> StoreResult<Option<(serde_json::Value, DateTime<Utc>)>>;
    /// Sets a game's policy document.
    async fn put_activity_policy(
        &self,
        game: GameId,
        document: &serde_json::Value,
        at: DateTime<Utc>,
    ) -> StoreResult<()>;
    /// Which of `ids` the game has stored events for (duplicates).
    async fn known_activity_events(&self, game: GameId, ids: &[&str]) -> StoreResult<Vec<String>>;
    /// Writes a group of judged batches in one transaction.
    async fn insert_activity_batch(&self, write: &ActivityWrite) -> StoreResult<()>;
    /// The highest `seq` stored for a game (0 when none).
    async fn last_activity_seq(&self, game: GameId) -> StoreResult<i64>;
    /// What a game's activity state is built from has changed when this has: its highest
    /// `seq`, its flags' latest `updated_at` and its policy's `updated_at` (0 for none).
    async fn activity_version(&self, game: GameId) -> StoreResult<ActivityVersion>;
    /// A game's events received at or after `since` or with a `seq` above `after_seq`, in
    /// `seq` order (the start-up replay).
    async fn activity_events_since(
        &self,
        game: GameId,
        since: DateTime<Utc>,
        after_seq: i64,
    ) -> StoreResult<Vec<StoredActivityEvent>>;
    /// The watermark of a game's days, sums and history (0 when nothing was written).
    async fn activity_flushed_seq(&self, game: GameId) -> StoreResult<i64>;
    /// A user's events received at or after `since`, newest first, at most `limit`, before
    /// `before_seq` when given (the history read).
    async fn user_activity_events(
        &self,
        game: GameId,
        user: &Key,
        since: DateTime<Utc>,
        before_seq: Option<i64>,
        limit: usize,
    ) -> StoreResult<Vec<StoredActivityEvent>>;
    /// A game's stored days from `since` on.
    async fn activity_days(&self, game: GameId, since: NaiveDate) -> StoreResult<Vec<ActivityDayRow>>;
    /// A game's stored rows of one day.
    async fn activity_day(&self, game: GameId, day: NaiveDate) -> StoreResult<Vec<ActivityDayRow>>;
    /// A game's all-time sums.
    async fn activity_totals(&self, game: GameId) -> StoreResult<Vec<ActivityTotalRow>>;
    /// Games with a policy or events (loaded at start-up).
    async fn activity_games(&self) -> StoreResult<Vec<GameId>>;
    /// One flag.
    async fn get_activity_flag(&self, id: ActivityFlagId) -> StoreResult<Option<ActivityFlag>>;
    /// A game's flags, filtered, one page.
    async fn list_activity_flags(
        &self,
        filter: &ActivityFlagFilter,
        page: &PageRequest,
    ) -> StoreResult<Vec<ActivityFlag>>;
    /// A game's stored events by id.
    async fn activity_events_by_id(&self, game: GameId, ids: &[&str]) -> StoreResult<Vec<StoredActivityEvent>>;
    /// Which of `ids` already had their points removed from `user` (by an earlier flag).
    async fn activity_removed(&self, game: GameId, user: &Key, ids: &[&str]) -> StoreResult<Vec<String>>;
    /// Writes a review (the flag, the removals, the changed days and sums) in one transaction.
    async fn review_activity_flag(&self, review: &ActivityReview) -> StoreResult<()>;
    /// The last frozen day of a game.
    async fn last_frozen_activity_day(&self, game: GameId) -> StoreResult<Option<NaiveDate>>;
    /// Freezes a day with its badges, in one transaction; `false` when it was frozen already
    /// (nothing written: the job is idempotent).
    async fn freeze_activity_day(
        &self,
        game: GameId,
        day: NaiveDate,
        badges: &[ActivityBadge],
        at: DateTime<Utc>,
    ) -> StoreResult<bool>;
    /// Replaces a frozen day's badges (after a confirmed flag moved its standings).
    async fn replace_activity_badges(&self, game: GameId, day: NaiveDate, badges: &[ActivityBadge]) -> StoreResult<()>;
    /// Which of `days` are frozen.
    async fn frozen_activity_days(&self, game: GameId, days: &[NaiveDate]) -> StoreResult<Vec<NaiveDate>>;
    /// A game's badges (one user's when given), one page.
    async fn list_activity_badges(
        &self,
        game: GameId,
        user: Option<&Key>,
        page: &PageRequest,
    ) -> StoreResult<Vec<ActivityBadge>>;
}
