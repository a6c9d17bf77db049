//! Score events (immutable facts) and scores (the ranked entries derived from them).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::id::{AccountId, BoardId, GameId, IdentityId, ScoreEventId, ScoreId};

crate::wire_enum!(
    /// What became of a submission.
    EventStatus {
        /// Applied to the board.
        Accepted => "accepted",
        /// Confirmed as a cheat by a review: left out of every entry.
        Rejected => "rejected",
    }
);

crate::wire_enum!(
    /// Whether an entry is ranked.
    ScoreStatus {
        /// Ranked.
        Active => "active",
        /// Ranked, flagged for review.
        UnderReview => "under_review",
        /// Not ranked.
        Rejected => "rejected",
    }
);

/// What was submitted.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct EventPayload {
    /// The value (a delta on COUNTER boards).
    pub value: f64,
    /// How to display the value, if the game gave a form.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value_display: Option<String>,
    /// The name submitted with the value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub player_name: Option<String>,
    /// Free-form JSON, at most 1 KiB serialised.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata: Option<serde_json::Value>,
}

/// The record of one accepted submission. What was submitted never changes; a review that
/// confirms it as a cheat marks it `rejected`, and every entry is recomputed without it.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct ScoreEvent {
    /// `sev_…`
    pub id: ScoreEventId,
    /// The owning account.
    pub account_id: AccountId,
    /// The game.
    pub game_id: GameId,
    /// The board.
    pub board_id: BoardId,
    /// The player.
    pub identity_id: IdentityId,
    /// What was submitted.
    pub event_payload: EventPayload,
    /// Test submissions are ranked apart.
    pub is_test: bool,
    /// Client timezone (admin only).
    pub timezone: Option<String>,
    /// Client country (admin only).
    pub country: Option<String>,
    /// Client city (admin only).
    pub city: Option<String>,
    /// `accepted`, or `rejected` once a review confirmed it as a cheat.
    pub status: EventStatus,
    /// When it was accepted; events replay in (`created_at`, `id`) order.
    pub created_at: DateTime<Utc>,
}

/// A ranked entry as stored (and as the change feed carries it to other nodes).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Score {
    /// `scr_…`
    pub id: ScoreId,
    /// The owning account.
    pub account_id: AccountId,
    /// The game.
    pub game_id: GameId,
    /// The board.
    pub board_id: BoardId,
    /// The player.
    pub identity_id: IdentityId,
    /// Test entries are ranked apart.
    pub is_test: bool,
    /// Whether this is the player's one entry on the board (every type but RUN_RUNS).
    pub one_per_player: bool,
    /// The name shown.
    pub player_name: String,
    /// The ranked value (a sum on COUNTER boards, a ratio on RATIO boards; infinite for a
    /// RATIO over zero with `zero_denominator: INFINITY`).
    #[serde(with = "crate::shared::wire::any_float")]
    pub value: f64,
    /// Display form.
    pub value_display: Option<String>,
    /// Metadata of the submission that set the value.
    pub metadata: Option<serde_json::Value>,
    /// `active`, `under_review` or `rejected`.
    pub status: ScoreStatus,
    /// Client timezone of that submission.
    pub timezone: Option<String>,
    /// Client country.
    pub country: Option<String>,
    /// Client city.
    pub city: Option<String>,
    /// The last event that changed the entry.
    pub event_id: ScoreEventId,
    /// Creation time.
    pub created_at: DateTime<Utc>,
    /// When the entry reached its value (ties rank the earlier first).
    pub updated_at: DateTime<Utc>,
}

impl Score {
    /// Whether the entry takes part in the ranking.
    pub fn is_ranked(&self) -> bool {
        self.status != ScoreStatus::Rejected
    }
}

impl crate::page::Sortable for ScoreEvent {
    fn sort_value(&self, field: &str) -> crate::page::SortValue {
        match field {
            "created_at" => crate::page::SortValue::Int(crate::time::to_micros(self.created_at)),
            _ => crate::page::SortValue::Text(self.id.to_string()),
        }
    }
}
