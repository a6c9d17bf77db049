//! Leaderboards (one game's or one competition's boards on the community site) and the
//! appointments of their moderators.

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::id::{LeaderboardId, MemberId, ModshipId};
use crate::model::{Name, Slug, Text};
use crate::page::{SortValue, Sortable};
use crate::time::to_micros;

/// A leaderboard; also its wire view.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Leaderboard {
    /// `lbd_…`
    pub id: LeaderboardId,
    /// Display name, 1–100 characters.
    pub name: Name,
    /// Unique slug (`a-z`, `0-9`, single inner hyphens).
    pub slug: Slug,
    /// The rules, free text up to 10 000 characters (may be empty).
    #[schema(value_type = String)]
    pub rules: Text<10000>,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
}

impl Leaderboard {
    /// Fields a list can sort by.
    pub const SORTABLE: &'static [&'static str] = &["name", "slug", "created_at"];
}

impl Sortable for Leaderboard {
    fn sort_value(&self, field: &str) -> SortValue {
        match field {
            "name" => SortValue::Text(self.name.to_string()),
            "slug" => SortValue::Text(self.slug.to_string()),
            "created_at" => SortValue::Int(to_micros(self.created_at)),
            _ => SortValue::Text(self.id.to_string()),
        }
    }
}

/// A member's appointment as moderator of one leaderboard; also its wire view. Removing one is
/// a hard delete (community spec).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Modship {
    /// `mod_…`
    pub id: ModshipId,
    /// The moderator.
    pub user_id: MemberId,
    /// The leaderboard.
    pub leaderboard_id: LeaderboardId,
    /// When the appointment was made.
    pub created_at: DateTime<Utc>,
}
