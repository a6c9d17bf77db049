//! What the scores API takes and gives: submission bodies, entry views, list queries, and
//! the limits on submitted values.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::id::{AccountId, BoardId, GameId, IdentityId, ScoreId};
use crate::model::{ScoreEvent, ScoreStatus};

/// Largest absolute value accepted (beyond it doubles stop holding whole numbers exactly).
pub const MAX_ABS_VALUE: f64 = 1e15;
/// Largest metadata, serialised.
pub const MAX_METADATA_BYTES: usize = 1024;

/// `POST /v1/score-events`
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SubmitScore {
    /// The board.
    pub board_id: BoardId,
    /// The player, if known by id.
    #[serde(default)]
    pub identity_id: Option<IdentityId>,
    /// The game's own player identifier; podium finds or creates the identity.
    #[serde(default)]
    pub player_key: Option<String>,
    /// 1–64 characters after trimming; defaults to the player's last name.
    #[serde(default)]
    pub player_name: Option<String>,
    /// The value (a delta on COUNTER boards); finite, |value| ≤ 1e15.
    pub value: f64,
    /// Display form, up to 64 characters.
    #[serde(default)]
    pub value_display: Option<String>,
    /// Free-form JSON, at most 1 KiB serialised.
    #[serde(default)]
    pub metadata: Option<serde_json::Value>,
    /// Ranked apart from live entries (default false).
    #[serde(default)]
    pub is_test: Option<bool>,
    /// Client timezone.
    #[serde(default)]
    pub timezone: Option<String>,
    /// Client country.
    #[serde(default)]
    pub country: Option<String>,
    /// Client city.
    #[serde(default)]
    pub city: Option<String>,
}

/// Client geography, shown in admin views only.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Geo {
    /// Timezone.
    pub timezone: Option<String>,
    /// Country.
    pub country: Option<String>,
    /// City.
    pub city: Option<String>,
}

/// A ranked entry as answered.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct ScoreView {
    /// `scr_…` (all zeros for the placeholder).
    pub id: ScoreId,
    /// The owning account.
    pub account_id: AccountId,
    /// The game.
    pub game_id: GameId,
    /// The board.
    pub board_id: BoardId,
    /// The player (null for the placeholder).
    pub identity_id: Option<IdentityId>,
    /// The name shown.
    pub player_name: String,
    /// The ranked value; `null` when it is not finite (a RATIO entry whose denominator is
    /// zero on a board with `zero_denominator: INFINITY`).
    #[schema(value_type = Option<f64>)]
    pub value: f64,
    /// Display form.
    pub value_display: Option<String>,
    /// Metadata of the submission that set the value.
    pub metadata: Option<serde_json::Value>,
    /// 1-based, absolute across pages; null when the entry is not ranked.
    pub rank: Option<u64>,
    /// `active`, `under_review` or `rejected`.
    pub status: ScoreStatus,
    /// Test entries are ranked apart.
    pub is_test: bool,
    /// True only for the entry `around_score_value` inserts.
    pub is_placeholder: bool,
    /// Creation time.
    pub created_at: DateTime<Utc>,
    /// When the entry reached its value.
    pub updated_at: DateTime<Utc>,
    /// Admin views only.
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    pub geo: Option<Geo>,
}

/// The answer to `POST /v1/score-events`: the event and the entry it produced.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct SubmittedScore {
    /// The event.
    #[serde(flatten)]
    pub event: ScoreEvent,
    /// The resulting entry, with its rank.
    pub score: ScoreView,
}

/// Filters of `GET /v1/score-events`.
#[derive(Debug, Clone, Default)]
pub struct EventListQuery {
    /// Required for a superadmin.
    pub account_id: Option<AccountId>,
    /// Only this board's.
    pub board_id: Option<BoardId>,
    /// Only this player's.
    pub identity_id: Option<IdentityId>,
    /// Only test or live events.
    pub is_test: Option<bool>,
}

/// What `podium rebuild` did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RebuildReport {
    /// Events replayed.
    pub events: u64,
    /// Entries written.
    pub entries: u64,
    /// Events of boards that no longer exist at all.
    pub skipped_events: u64,
}

/// Which pool(s) a score list reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TestFilter {
    /// Live entries (default).
    #[default]
    Live,
    /// Test entries.
    Test,
    /// Both, each ranked within its own pool.
    All,
}

/// Parameters of `GET /v1/scores`.
#[derive(Debug, Clone, Default)]
pub struct ScoreListQuery {
    /// Required for a superadmin (admin lists); entries of another account's board are none.
    pub account_id: Option<AccountId>,
    /// Only entries of this game's boards (another game's board has none).
    pub game_id: Option<GameId>,
    /// Required.
    pub board_id: Option<BoardId>,
    /// Pool.
    pub is_test: TestFilter,
    /// Only this player's entries.
    pub identity_id: Option<IdentityId>,
    /// Window around this entry.
    pub around_score_id: Option<ScoreId>,
    /// Window around where this value would rank.
    pub around_score_value: Option<f64>,
}

/// Which fields a view shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Audience {
    /// Admin: with geography.
    Admin,
    /// Game client: without.
    Client,
}
