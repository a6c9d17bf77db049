//! Game clients: devices (one per game and client fingerprint, each tied to one identity) and
//! the sessions whose tokens a client presents. Tokens are random secrets stored as hashes.

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::id::{AccountId, DeviceId, GameId, IdentityId, SessionId};

crate::wire_enum!(
    /// Whether a device may start sessions.
    DeviceStatus {
        /// May start sessions.
        Active => "active",
        /// Refused (403).
        Banned => "banned",
    }
);

/// A game client installation, known by its fingerprint.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Device {
    /// `dev_…`
    pub id: DeviceId,
    /// The owning account.
    #[serde(skip)]
    pub account_id: AccountId,
    /// The game.
    #[serde(skip)]
    pub game_id: GameId,
    /// The player this device plays as.
    #[serde(skip)]
    pub identity_id: IdentityId,
    /// 64 lower-case hex characters, chosen by the client.
    pub client_fingerprint: String,
    /// What the client said it runs on.
    pub platform: Option<String>,
    /// `active` or `banned`.
    pub status: DeviceStatus,
    /// First session start.
    pub first_seen_at: DateTime<Utc>,
    /// Latest session start or refresh.
    pub last_seen_at: DateTime<Utc>,
}

/// One client session: the current access and refresh tokens (as hashes) of a device.
/// Refreshing replaces both hashes, so the previous pair stops working at once.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct IdentitySession {
    /// `ses_…`
    pub id: SessionId,
    /// The owning account.
    pub account_id: AccountId,
    /// The game.
    pub game_id: GameId,
    /// The player.
    pub identity_id: IdentityId,
    /// The device.
    pub device_id: DeviceId,
    /// Entries written through this session are test entries.
    pub test_mode: bool,
    /// SHA-256 of the current access token.
    #[serde(skip)]
    pub access_hash: String,
    /// SHA-256 of the current refresh token.
    #[serde(skip)]
    pub refresh_hash: String,
    /// When the current access token stops working.
    pub access_expires_at: DateTime<Utc>,
    /// When the current refresh token stops working.
    pub refresh_expires_at: DateTime<Utc>,
    /// Whether an admin revoked the session.
    pub revoked: bool,
    /// When it was revoked.
    pub revoked_at: Option<DateTime<Utc>>,
    /// Start of the session.
    pub created_at: DateTime<Utc>,
    /// Last rotation or change.
    pub updated_at: DateTime<Utc>,
}

impl crate::page::Sortable for IdentitySession {
    fn sort_value(&self, field: &str) -> crate::page::SortValue {
        match field {
            "created_at" => crate::page::SortValue::Int(crate::time::to_micros(self.created_at)),
            "updated_at" => crate::page::SortValue::Int(crate::time::to_micros(self.updated_at)),
            _ => crate::page::SortValue::Text(self.id.to_string()),
        }
    }
}
