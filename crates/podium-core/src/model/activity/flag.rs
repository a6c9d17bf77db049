//! What the activity rules record beyond points: fraud flags (a rule that fired on a user, with
//! the events it is about and the evidence, reviewed with the statuses and reviewer fields of
//! score flags) and badges (the top 3 of each ranking of a frozen day).

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::activity::ActivityFlagType;
use crate::id::{ActivityFlagId, GameId, UserId};
use crate::model::FlagStatus;

/// One raised flag.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct ActivityFlag {
    /// `afl_…`
    pub id: ActivityFlagId,
    /// The game.
    pub game_id: GameId,
    /// The user flagged (the app's id).
    pub user: String,
    /// `win_trading`, `rapid_join_leave` or `create_cancel`.
    pub flag_type: ActivityFlagType,
    /// `pending`, `confirmed_cheat` (the points of `events` were removed), `false_positive` or
    /// `dismissed`.
    pub status: FlagStatus,
    /// The events it is about (`event_id`s).
    pub events: Vec<String>,
    /// What was observed and the thresholds.
    #[schema(value_type = Object)]
    pub metadata: serde_json::Value,
    /// Who reviewed it.
    pub reviewer_id: Option<UserId>,
    /// The reviewer's note.
    pub reviewer_decision: Option<String>,
    /// When it was reviewed.
    pub reviewed_at: Option<DateTime<Utc>>,
    /// When it was raised.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
}

/// A badge: a place in the top 3 of one ranking of one frozen day.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct ActivityBadge {
    /// The game.
    pub game_id: GameId,
    /// The day (policy time zone).
    #[schema(value_type = String, format = Date)]
    pub day: chrono::NaiveDate,
    /// The ranking: `total`, `friends`, `meetups`, `games` or `popularity`.
    pub category: String,
    /// The user (the app's id).
    pub user: String,
    /// Their shared rank that day (1–3).
    pub rank: u32,
    /// Their points in that ranking.
    pub points: i64,
}

impl ActivityBadge {
    /// Its unique key: `day:category:user`.
    pub fn key(&self) -> String {
        format!("{}:{}:{}", self.day, self.category, self.user)
    }
}
