//! Storage of game clients: devices, client sessions, spent nonces, and the admin side of
//! identities.

use async_trait::async_trait;

use super::StoreResult;
use crate::id::{AccountId, GameId};
use crate::page::PageRequest;
use crate::time::Timestamp;

/// A session with the statuses that decide whether its tokens work, read in one query.
#[derive(Debug, Clone)]
pub struct SessionGrant {
    /// The session.
    pub session: crate::model::IdentitySession,
    /// Its device's status.
    pub device_status: crate::model::DeviceStatus,
    /// Its identity's status.
    pub identity_status: crate::model::IdentityStatus,
    /// Whether its account is active.
    pub account_active: bool,
    /// Whether its game still exists (not soft-deleted).
    pub game_live: bool,
}

/// A rotation of a session's tokens.
#[derive(Debug, Clone)]
pub struct Rotation {
    /// The session.
    pub session_id: crate::id::SessionId,
    /// The refresh token presented; the rotation happens only if it is still the current one.
    pub old_refresh_hash: String,
    /// The new access token's hash.
    pub access_hash: String,
    /// The new refresh token's hash.
    pub refresh_hash: String,
    /// New access expiry.
    pub access_expires_at: Timestamp,
    /// New refresh expiry.
    pub refresh_expires_at: Timestamp,
    /// Time of the rotation.
    pub at: Timestamp,
}

/// Filters for listing identities.
#[derive(Debug, Clone)]
pub struct IdentityFilter {
    /// The account whose identities are listed.
    pub account_id: AccountId,
    /// Only this game's.
    pub game_id: Option<GameId>,
    /// Only with this status.
    pub status: Option<crate::model::IdentityStatus>,
}

/// Filters for listing sessions.
#[derive(Debug, Clone)]
pub struct SessionFilter {
    /// The account whose sessions are listed.
    pub account_id: AccountId,
    /// Only this game's.
    pub game_id: Option<GameId>,
    /// Only this identity's.
    pub identity_id: Option<crate::id::IdentityId>,
    /// Only this device's.
    pub device_id: Option<crate::id::DeviceId>,
    /// Only revoked (or only unrevoked) sessions.
    pub revoked: Option<bool>,
}

/// Filters for listing devices.
#[derive(Debug, Clone)]
pub struct DeviceFilter {
    /// The account whose devices are listed.
    pub account_id: AccountId,
    /// Only this game's.
    pub game_id: Option<GameId>,
    /// Only this identity's.
    pub identity_id: Option<crate::id::IdentityId>,
    /// Only with this status.
    pub status: Option<crate::model::DeviceStatus>,
}

/// The admin side of devices: listing them and banning one on its own.
#[async_trait]
pub trait DeviceStore: Send + Sync {
    /// A page of devices.
    async fn list_devices(&self, filter: &DeviceFilter, page: &PageRequest) -> StoreResult<Vec<crate::model::Device>>;
    /// Sets a device's status; banning also revokes its unrevoked sessions, in the same
    /// transaction. Returns how many sessions it revoked; `NotFound` for an unknown device.
    async fn set_device_status(
        &self,
        id: crate::id::DeviceId,
        status: crate::model::DeviceStatus,
        at: Timestamp,
    ) -> StoreResult<u64>;
}

/// A nonce being spent: its id and when it expires (microseconds).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NonceClaim {
    /// The nonce's unique id.
    pub id: String,
    /// Its expiry; the claim is kept until then, so the nonce cannot be spent twice.
    pub expires_micros: i64,
}

/// Devices, client sessions, spent nonces, and the admin side of identities.
#[async_trait]
pub trait ClientStore: Send + Sync {
    /// The device a game knows by `fingerprint`.
    async fn find_device(&self, game: GameId, fingerprint: &str) -> StoreResult<Option<crate::model::Device>>;
    /// A device by id.
    async fn get_device(&self, id: crate::id::DeviceId) -> StoreResult<Option<crate::model::Device>>;
    /// Inserts a new device and its new identity in one transaction; `Conflict` if the game
    /// already has a device with that fingerprint.
    async fn insert_device(&self, device: &crate::model::Device, identity: &crate::model::Identity) -> StoreResult<()>;
    /// Records a session start or refresh on a device (and the platform it reported).
    async fn touch_device(&self, id: crate::id::DeviceId, platform: Option<&str>, at: Timestamp) -> StoreResult<()>;
    /// Inserts a new session.
    async fn insert_session(&self, session: &crate::model::IdentitySession) -> StoreResult<()>;
    /// A session by id.
    async fn get_session(&self, id: crate::id::SessionId) -> StoreResult<Option<crate::model::IdentitySession>>;
    /// The session whose current access token has this hash, with its statuses.
    async fn find_session_by_access(&self, access_hash: &str) -> StoreResult<Option<SessionGrant>>;
    /// The session whose current refresh token has this hash, with its statuses.
    async fn find_session_by_refresh(&self, refresh_hash: &str) -> StoreResult<Option<SessionGrant>>;
    /// Replaces a session's tokens if `old_refresh_hash` is still current and the session is not
    /// revoked; `NotFound` otherwise (a concurrent refresh won).
    async fn rotate_session(&self, rotation: &Rotation) -> StoreResult<()>;
    /// Revokes sessions: one by id, or every session of an identity. Returns how many.
    async fn revoke_sessions(
        &self,
        session: Option<crate::id::SessionId>,
        identity: Option<crate::id::IdentityId>,
        at: Timestamp,
    ) -> StoreResult<u64>;
    /// A page of sessions.
    async fn list_sessions(
        &self,
        filter: &SessionFilter,
        page: &PageRequest,
    ) -> StoreResult<Vec<crate::model::IdentitySession>>;
    /// A page of identities.
    async fn list_identities(
        &self,
        filter: &IdentityFilter,
        page: &PageRequest,
    ) -> StoreResult<Vec<crate::model::Identity>>;
    /// Replaces an identity's row.
    async fn update_identity(&self, identity: &crate::model::Identity) -> StoreResult<()>;
    /// Spends nonces in one transaction: for each, true if it was not spent before.
    async fn claim_nonces(&self, claims: &[NonceClaim]) -> StoreResult<Vec<bool>>;
    /// Forgets spent nonces that expired before `before_micros`; returns how many.
    async fn purge_nonces(&self, before_micros: i64) -> StoreResult<u64>;
    /// The boards among `boards` on which another identity than `except` has an entry whose
    /// normalised player name is `name_key`.
    async fn name_conflicts(
        &self,
        boards: &[crate::id::BoardId],
        name_key: &str,
        except: crate::id::IdentityId,
    ) -> StoreResult<Vec<crate::id::BoardId>>;
}
