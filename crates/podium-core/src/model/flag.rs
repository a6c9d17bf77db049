//! What anti-cheat records: flags (a detection on a submission, with its evidence and its
//! review) and submission metadata (per player and board: how many submissions were accepted
//! and refused, and the last one).

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::id::{AccountId, BoardId, FlagId, GameId, IdentityId, ScoreEventId, ScoreId, SubmissionMetaId, UserId};

crate::wire_enum!(
    /// The eight detections.
    FlagType {
        /// Too many accepted submissions in a sliding hour.
        RateLimit => "rate_limit",
        /// A value that cannot be real.
        ImpossibleValue => "impossible_value",
        /// Submissions too close together.
        Velocity => "velocity",
        /// The same value again within a window.
        Duplicate => "duplicate",
        /// A value far out of the board's distribution.
        Outlier => "outlier",
        /// An implausible jump over the player's previous best.
        Progression => "progression",
        /// A machine-made history (round numbers, exact sequences).
        Pattern => "pattern",
        /// Several players submitting the identical value at once.
        Cluster => "cluster",
    }
);

crate::wire_enum!(
    /// How sure a detection is.
    Confidence {
        /// Certain: the submission is rejected.
        High => "HIGH",
        /// Likely: accepted, put under review.
        Medium => "MEDIUM",
        /// Weak: accepted, recorded for analysis.
        Low => "LOW",
    }
);

crate::wire_enum!(
    /// Where a flag's review stands.
    FlagStatus {
        /// Not reviewed yet (a MEDIUM flag holds its entry under review).
        Pending => "pending",
        /// A cheat: the submission is rejected and leaves the rankings.
        ConfirmedCheat => "confirmed_cheat",
        /// Not a cheat.
        FalsePositive => "false_positive",
        /// Not worth acting on.
        Dismissed => "dismissed",
    }
);

/// One detection on one submission (or, for refused submissions, on every refused attempt of
/// one player on one board for that detection: `attempts` counts them).
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct ScoreFlag {
    /// `flg_…`
    pub id: FlagId,
    /// The owning account.
    pub account_id: AccountId,
    /// The game.
    pub game_id: GameId,
    /// The board.
    pub board_id: BoardId,
    /// The player.
    pub identity_id: IdentityId,
    /// The accepted submission it is about (null for refused attempts).
    pub score_event_id: Option<ScoreEventId>,
    /// The entry that submission produced (null for refused attempts).
    pub score_id: Option<ScoreId>,
    /// Which detection.
    pub flag_type: FlagType,
    /// `HIGH`, `MEDIUM` or `LOW`.
    pub confidence: Confidence,
    /// Review status.
    pub status: FlagStatus,
    /// The evidence: what was observed, the threshold, the window.
    pub metadata: serde_json::Value,
    /// Attempts this flag stands for (1 except for refused attempts, which share one flag).
    pub attempts: u64,
    /// Who reviewed it.
    pub reviewer_id: Option<UserId>,
    /// The reviewer's note.
    pub reviewer_decision: Option<String>,
    /// When it was reviewed.
    pub reviewed_at: Option<DateTime<Utc>>,
    /// When it was raised.
    pub created_at: DateTime<Utc>,
    /// Last change (a new refused attempt, a review).
    pub updated_at: DateTime<Utc>,
    /// Soft delete.
    #[serde(skip)]
    pub deleted_at: Option<DateTime<Utc>>,
}

/// Per player and board: the submissions anti-cheat has seen.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct SubmissionMeta {
    /// `sub_…`
    pub id: SubmissionMetaId,
    /// The owning account.
    pub account_id: AccountId,
    /// The game.
    pub game_id: GameId,
    /// The board.
    pub board_id: BoardId,
    /// The player.
    pub identity_id: IdentityId,
    /// Accepted submissions.
    pub submission_count: u64,
    /// Refused submissions.
    pub rejected_count: u64,
    /// Time of the last submission, accepted or not.
    pub last_submission_at: DateTime<Utc>,
    /// Value of the last accepted submission.
    pub last_score_value: Option<f64>,
    /// The last accepted submission.
    pub score_event_id: Option<ScoreEventId>,
    /// When the player first submitted to the board.
    pub created_at: DateTime<Utc>,
    /// When the counts last changed.
    pub updated_at: DateTime<Utc>,
}
