//! Categories of a leaderboard (Any%, 100%, …) and the metrics their runs are measured by.

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::id::{CategoryId, LeaderboardId, MetricId};
use crate::model::{Name, Slug, Text};

crate::wire_enum!(
    /// What a metric measures: `time` (integer milliseconds ≥ 0), `score` (a finite number) or
    /// `count` (an integer ≥ 0).
    MetricKind {
        /// A duration in milliseconds.
        Time => "time",
        /// Any finite number.
        Score => "score",
        /// A whole number of things.
        Count => "count",
    }
);

crate::wire_enum!(
    /// Which way a metric ranks: `asc` (less is better, as for times) or `desc`.
    MetricSort {
        /// Less is better.
        Asc => "asc",
        /// More is better.
        Desc => "desc",
    }
);

/// One thing a category's runs are measured by; also its wire view.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Metric {
    /// `met_…`
    pub id: MetricId,
    /// Display name, 1–100 characters.
    pub name: Name,
    /// Unique within its category.
    pub slug: Slug,
    /// `time`, `score` or `count`.
    pub kind: MetricKind,
    /// `asc` or `desc`.
    pub sort: MetricSort,
    /// Whether every run must give it.
    pub required: bool,
}

/// A category of a leaderboard, with its metrics in order; also its wire view.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Category {
    /// `cat_…`
    pub id: CategoryId,
    /// The leaderboard.
    pub leaderboard_id: LeaderboardId,
    /// Display name, 1–100 characters.
    pub name: Name,
    /// Unique within its leaderboard.
    pub slug: Slug,
    /// The rules, up to 10 000 characters (may be empty).
    #[schema(value_type = String)]
    pub rules: Text<10000>,
    /// Fewest runners in a run (≥ 1).
    pub players_min: u32,
    /// Most runners in a run (≥ `players_min`).
    pub players_max: u32,
    /// What runs are measured by: at least one, at least one of them required.
    pub metrics: Vec<Metric>,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
}
