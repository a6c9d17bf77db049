//! Identities: the players of a game. An identity is found or created by the game's own
//! `player_key` (server-side submissions) or by a device (client sessions).

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::id::{AccountId, GameId, IdentityId};

crate::wire_enum!(
    /// How the identity came to be.
    IdentityKind {
        /// Named by the game's server with a `player_key`.
        External => "external",
        /// Created by a game client's device session.
        Device => "device",
    }
);

crate::wire_enum!(
    /// Trust tier (anti-cheat thresholds depend on it).
    TrustTier {
        /// Trusted (set by an admin).
        A => "A",
        /// Established.
        B => "B",
        /// New.
        C => "C",
    }
);

crate::wire_enum!(
    /// Whether the identity's entries are ranked.
    IdentityStatus {
        /// Ranked.
        Active => "active",
        /// Hidden from rankings, tokens dead.
        Banned => "banned",
    }
);

/// A player.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Identity {
    /// `ide_…`
    pub id: IdentityId,
    /// The owning account.
    pub account_id: AccountId,
    /// The game.
    pub game_id: GameId,
    /// The game's own stable player identifier, if it gave one.
    pub player_key: Option<String>,
    /// Last name the player submitted under.
    pub display_name: Option<String>,
    /// How the identity came to be.
    pub kind: IdentityKind,
    /// An admin's override of the derived tier, if any.
    pub trust_tier: Option<TrustTier>,
    /// `active` or `banned`.
    pub status: IdentityStatus,
    /// Creation time.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
}

impl crate::page::Sortable for Identity {
    fn sort_value(&self, field: &str) -> crate::page::SortValue {
        match field {
            "created_at" => crate::page::SortValue::Int(crate::time::to_micros(self.created_at)),
            "updated_at" => crate::page::SortValue::Int(crate::time::to_micros(self.updated_at)),
            _ => crate::page::SortValue::Text(self.id.to_string()),
        }
    }
}
