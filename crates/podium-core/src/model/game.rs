//! Games: a game owns boards, identities (players) and the anti-cheat settings for them.

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::{AntiCheatSettings, Name, Slug};
use crate::id::{AccountId, GameId};
use crate::page::{SortValue, Sortable};
use crate::time::to_micros;

/// A game.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Game {
    /// `gam_…`
    pub id: GameId,
    /// The owning account.
    pub account_id: AccountId,
    /// Display name.
    pub name: Name,
    /// Unique per account among live games.
    pub slug: Slug,
    /// Whether submissions run the anti-cheat detections (default true).
    pub anti_cheat_enabled: bool,
    /// Per-game overrides of the detection thresholds; absent keys use the defaults.
    pub anti_cheat: AntiCheatSettings,
    /// Creation time.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
    /// When it was soft-deleted (only ever seen in the answer to the deleting `PATCH`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deleted_at: Option<DateTime<Utc>>,
}

impl Game {
    /// Fields `GET /v1/games` can sort by (besides `id`).
    pub const SORTABLE: &'static [&'static str] = &["name", "slug", "created_at", "updated_at"];
}

impl Sortable for Game {
    fn sort_value(&self, field: &str) -> SortValue {
        match field {
            "name" => SortValue::Text(self.name.to_string()),
            "slug" => SortValue::Text(self.slug.to_string()),
            "created_at" => SortValue::Int(to_micros(self.created_at)),
            "updated_at" => SortValue::Int(to_micros(self.updated_at)),
            _ => SortValue::Text(self.id.to_string()),
        }
    }
}
