//! Bans: a member barred from the whole site or from one leaderboard, by whom, why, and when
//! (and, once lifted, by whom and when — a lifted ban stays on record).

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::id::{BanId, LeaderboardId, MemberId};
use crate::model::Text;

/// A ban; also its wire view.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Ban {
    /// `ban_…`
    pub id: BanId,
    /// The banned member.
    pub user_id: MemberId,
    /// The leaderboard, or `null` for a site-wide ban.
    pub leaderboard_id: Option<LeaderboardId>,
    /// Why, 1–2 000 characters.
    #[schema(value_type = String)]
    pub reason: Text<2000>,
    /// Who gave it.
    pub banned_by: MemberId,
    /// When it was given.
    pub created_at: DateTime<Utc>,
    /// When it was lifted (`null` while in force).
    pub lifted_at: Option<DateTime<Utc>>,
    /// Who lifted it.
    pub lifted_by: Option<MemberId>,
}

impl Ban {
    /// Whether it is in force.
    pub fn active(&self) -> bool {
        self.lifted_at.is_none()
    }
}

impl Ban {
    /// Fields a ban list can sort by.
    pub const SORTABLE: &'static [&'static str] = &["created_at"];
}

impl crate::page::Sortable for Ban {
    fn sort_value(&self, field: &str) -> crate::page::SortValue {
        match field {
            "created_at" => crate::page::SortValue::Int(crate::time::to_micros(self.created_at)),
            _ => crate::page::SortValue::Text(self.id.to_string()),
        }
    }
}
