//! What admins do with players, their devices and their sessions: list, rename, ban, revoke.
//! Bans and revocations drop every node's cached grants at once.

use serde::{Deserialize, Serialize};

use super::Clients;
use crate::auth::Principal;
use crate::error::{FieldErrors, ServiceError, ServiceResult};
use crate::id::{AccountId, DeviceId, GameId, IdentityId, SessionId};
use crate::model::{Device, DeviceStatus, Identity, IdentitySession, IdentityStatus, Name, TrustTier};
use crate::page::{ListParams, Page, PageRequest, SortValue, Sortable};
use crate::service::Patch;
use crate::store::{DeviceFilter, IdentityFilter, SessionFilter};
use crate::time::{now, to_micros};

/// Filters of `GET /v1/identities`.
#[derive(Debug, Clone, Default)]
pub struct IdentityListQuery {
    /// Required for a superadmin.
    pub account_id: Option<AccountId>,
    /// Only this game's.
    pub game_id: Option<GameId>,
    /// Only with this status.
    pub status: Option<IdentityStatus>,
}

/// `PATCH /v1/identities/{id}`
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateIdentity {
    /// New display name, or null for none.
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub display_name: Patch<String>,
    /// An admin override of the derived tier, or null to derive it again.
    #[serde(default)]
    #[schema(value_type = Option<TrustTier>)]
    pub trust_tier: Patch<TrustTier>,
    /// `banned` kills the player's tokens at once; `active` lifts the ban.
    #[serde(default)]
    #[schema(value_type = IdentityStatus)]
    pub status: Patch<IdentityStatus>,
}

/// A device as admins see it: what its client sees, and whose it is.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct DeviceView {
    /// The device.
    #[serde(flatten)]
    pub device: Device,
    /// The owning account.
    pub account_id: AccountId,
    /// The game.
    pub game_id: GameId,
    /// The player it plays as.
    pub identity_id: IdentityId,
}

impl From<Device> for DeviceView {
    fn from(device: Device) -> Self {
        Self { account_id: device.account_id, game_id: device.game_id, identity_id: device.identity_id, device }
    }
}

/// Fields `GET /v1/devices` sorts by (besides `id`).
pub const DEVICE_SORTABLE: &[&str] = &["first_seen_at", "last_seen_at"];

impl Sortable for Device {
    fn sort_value(&self, field: &str) -> SortValue {
        match field {
            "first_seen_at" => SortValue::Int(to_micros(self.first_seen_at)),
            "last_seen_at" => SortValue::Int(to_micros(self.last_seen_at)),
            _ => SortValue::Text(self.id.to_string()),
        }
    }
}

/// Filters of `GET /v1/devices`.
#[derive(Debug, Clone, Default)]
pub struct DeviceListQuery {
    /// Required for a superadmin.
    pub account_id: Option<AccountId>,
    /// Only this game's.
    pub game_id: Option<GameId>,
    /// Only this player's.
    pub identity_id: Option<IdentityId>,
    /// Only with this status.
    pub status: Option<DeviceStatus>,
}

/// `PATCH /v1/devices/{id}`
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateDevice {
    /// `banned` revokes the device's sessions at once and refuses new ones; `active` lifts
    /// the ban.
    #[serde(default)]
    #[schema(value_type = DeviceStatus)]
    pub status: Patch<DeviceStatus>,
}

/// Filters of `GET /v1/identity-sessions`.
#[derive(Debug, Clone, Default)]
pub struct SessionListQuery {
    /// Required for a superadmin.
    pub account_id: Option<AccountId>,
    /// Only this game's.
    pub game_id: Option<GameId>,
    /// Only this player's.
    pub identity_id: Option<IdentityId>,
    /// Only this device's.
    pub device_id: Option<DeviceId>,
    /// Only revoked (or unrevoked) sessions.
    pub revoked: Option<bool>,
}

/// `PATCH /v1/identity-sessions/{id}`
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateSession {
    /// `true` revokes the session for good: its tokens answer 401 at once.
    #[serde(default)]
    #[schema(value_type = bool)]
    pub revoked: Patch<bool>,
}

impl Clients {
    /// One identity the principal can see.
    pub async fn get_identity(&self, p: &Principal, id: IdentityId) -> ServiceResult<Identity> {
        let identity = self.admin.store().get_identity(id).await?.ok_or_else(|| ServiceError::not_found("identity"))?;
        if p.can_see(identity.account_id) { Ok(identity) } else { Err(ServiceError::not_found("identity")) }
    }

    /// Identities of one account, filtered.
    pub async fn list_identities(
        &self,
        p: &Principal,
        q: IdentityListQuery,
        params: &ListParams,
    ) -> ServiceResult<Page<Identity>> {
        let account_id = self.admin.list_scope(p, q.account_id)?;
        let scope = format!("identities|{account_id}|{:?}|{:?}", q.game_id, q.status);
        let cursors = self.admin.cursors();
        let req = PageRequest::prepare(params, &["created_at", "updated_at"], "created_at:desc", &scope, cursors)?;
        let filter = IdentityFilter { account_id, game_id: q.game_id, status: q.status };
        let rows = self.admin.store().list_identities(&filter, &req).await?;
        Ok(req.finish(rows, cursors))
    }

    /// Renames, re-tiers, bans or unbans a player. A ban revokes every session of the player
    /// (its tokens answer 401 at once) and new sessions are refused (403) until it is lifted.
    pub async fn update_identity(&self, p: &Principal, id: IdentityId, cmd: UpdateIdentity) -> ServiceResult<Identity> {
        let mut identity = self.get_identity(p, id).await?;
        let mut errors = FieldErrors::new();
        if let Some(name) = cmd.display_name.optional() {
            identity.display_name = match name {
                Some(n) => errors.check("display_name", Name::parse(&n)).map(|n| n.to_string()),
                None => None,
            };
        }
        if let Some(tier) = cmd.trust_tier.optional() {
            identity.trust_tier = tier;
        }
        let status = cmd.status.required("status", &mut errors);
        errors.into_result()?;
        let at = now();
        let banned = status == Some(IdentityStatus::Banned) && identity.status != IdentityStatus::Banned;
        let unbanned = status == Some(IdentityStatus::Active) && identity.status == IdentityStatus::Banned;
        if let Some(status) = status {
            identity.status = status;
        }
        identity.updated_at = at;
        let store = self.admin.store();
        store.update_identity(&identity).await?;
        if banned {
            store.revoke_sessions(None, Some(identity.id), at).await?;
        }
        self.forget_grants(None, Some(identity.id));
        self.scores.identity_changed(&identity);
        if banned || unbanned {
            self.scores.set_identity_visible(identity.id, unbanned).await?;
        }
        Ok(identity)
    }

    /// One device the principal can see.
    pub async fn get_device(&self, p: &Principal, id: DeviceId) -> ServiceResult<DeviceView> {
        let device = self.admin.store().get_device(id).await?.ok_or_else(|| ServiceError::not_found("device"))?;
        if p.can_see(device.account_id) { Ok(device.into()) } else { Err(ServiceError::not_found("device")) }
    }

    /// Devices of one account, filtered.
    pub async fn list_devices(
        &self,
        p: &Principal,
        q: DeviceListQuery,
        params: &ListParams,
    ) -> ServiceResult<Page<DeviceView>> {
        let account_id = self.admin.list_scope(p, q.account_id)?;
        let scope = format!("devices|{account_id}|{:?}|{:?}|{:?}", q.game_id, q.identity_id, q.status);
        let cursors = self.admin.cursors();
        let req = PageRequest::prepare(params, DEVICE_SORTABLE, "last_seen_at:desc", &scope, cursors)?;
        let filter = DeviceFilter { account_id, game_id: q.game_id, identity_id: q.identity_id, status: q.status };
        let rows = self.admin.store().list_devices(&filter, &req).await?;
        Ok(req.finish(rows, cursors).map(DeviceView::from))
    }

    /// Bans or unbans one device, as a player ban does for all of a player's: a ban revokes
    /// the device's sessions (their tokens answer 401 at once, on every node) and new sessions
    /// from it are refused (403 `device_banned`) until it is lifted. The player's entries and
    /// other devices are untouched.
    pub async fn update_device(&self, p: &Principal, id: DeviceId, cmd: UpdateDevice) -> ServiceResult<DeviceView> {
        let device = self.get_device(p, id).await?;
        let mut errors = FieldErrors::new();
        let status = cmd.status.required("status", &mut errors);
        errors.into_result()?;
        let Some(status) = status.filter(|s| *s != device.device.status) else {
            return Ok(device);
        };
        self.admin.store().set_device_status(id, status, now()).await?;
        self.forget_grants(None, Some(device.identity_id));
        self.get_device(p, id).await
    }

    /// One session the principal can see.
    pub async fn get_session(&self, p: &Principal, id: SessionId) -> ServiceResult<IdentitySession> {
        let session = self.admin.store().get_session(id).await?.ok_or_else(|| ServiceError::not_found("session"))?;
        if p.can_see(session.account_id) { Ok(session) } else { Err(ServiceError::not_found("session")) }
    }

    /// Sessions of one account, filtered.
    pub async fn list_sessions(
        &self,
        p: &Principal,
        q: SessionListQuery,
        params: &ListParams,
    ) -> ServiceResult<Page<IdentitySession>> {
        let account_id = self.admin.list_scope(p, q.account_id)?;
        let scope =
            format!("sessions|{account_id}|{:?}|{:?}|{:?}|{:?}", q.game_id, q.identity_id, q.device_id, q.revoked);
        let cursors = self.admin.cursors();
        let req = PageRequest::prepare(params, &["created_at", "updated_at"], "created_at:desc", &scope, cursors)?;
        let filter = SessionFilter {
            account_id,
            game_id: q.game_id,
            identity_id: q.identity_id,
            device_id: q.device_id,
            revoked: q.revoked,
        };
        let rows = self.admin.store().list_sessions(&filter, &req).await?;
        Ok(req.finish(rows, cursors))
    }

    /// Revokes a session (for good; `revoked: false` on a revoked session is 400).
    pub async fn update_session(
        &self,
        p: &Principal,
        id: SessionId,
        cmd: UpdateSession,
    ) -> ServiceResult<IdentitySession> {
        let session = self.get_session(p, id).await?;
        let mut errors = FieldErrors::new();
        let revoked = cmd.revoked.required("revoked", &mut errors);
        errors.into_result()?;
        match revoked {
            Some(true) if !session.revoked => {
                self.admin.store().revoke_sessions(Some(id), None, now()).await?;
                self.forget_grants(Some(id), None);
                self.get_session(p, id).await
            }
            Some(false) if session.revoked => Err(ServiceError::new(
                crate::error::ErrorCode::InvalidTransition,
                "a revoked session cannot be restored; the client starts a new one",
            )),
            _ => Ok(session),
        }
    }
}
