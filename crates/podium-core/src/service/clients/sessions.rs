//! Device sessions (game-boards spec §3): starting one (the same game and fingerprint are the
//! same device and identity), rotating its tokens, and authenticating every client call from
//! a cached grant.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::Clients;
use crate::auth::hash_secret;
use crate::error::FieldCode;
use crate::error::{ErrorCode, FieldErrors, ServiceError, ServiceResult};
use crate::id::{AccountId, DeviceId, GameId, IdentityId, SessionId};
use crate::model::{AccountStatus, Device, DeviceStatus, Identity, IdentityKind, IdentitySession, IdentityStatus};
use crate::shared::{Change, Invalidation};
use crate::store::{Rotation, SessionGrant, StoreError};
use crate::time::now;

const ACCESS_PREFIX: &str = "pdc_";
const REFRESH_PREFIX: &str = "pdr_";

/// `POST /v1/client/sessions`
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
pub struct StartSession {
    /// The game.
    pub game_id: GameId,
    /// The client's stable fingerprint (LEADR's SDKs send 64 hex characters or a UUID).
    #[serde(default)]
    pub client_fingerprint: Option<String>,
    /// Alias of `client_fingerprint` (older SDKs).
    #[serde(default)]
    pub device_id: Option<String>,
    /// What the client runs on.
    #[serde(default)]
    pub platform: Option<String>,
    /// Free-form JSON (accepted for compatibility, at most 1 KiB; not stored).
    #[serde(default)]
    pub metadata: Option<serde_json::Value>,
    /// Entries written through this session are test entries.
    #[serde(default)]
    pub test_mode: Option<bool>,
}

/// A session's tokens and who they act as (session start and refresh).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct SessionTokens {
    /// Bearer token for client calls.
    pub access_token: String,
    /// Token for `POST /v1/client/sessions/refresh`.
    pub refresh_token: String,
    /// Seconds until the access token expires.
    pub expires_in: u64,
    /// Seconds until the refresh token expires.
    pub refresh_expires_in: u64,
    /// Always `bearer`.
    #[schema(value_type = String, pattern = "^bearer$")]
    pub token_type: &'static str,
    /// The session.
    pub session_id: SessionId,
    /// The player.
    pub identity_id: IdentityId,
    /// The game.
    pub game_id: GameId,
    /// The owning account.
    pub account_id: AccountId,
    /// Whether entries are test entries.
    pub test_mode: bool,
    /// The device (also flattened below for SDKs that read it at the top level).
    pub device: Device,
    /// The device's id (LEADR's server answers the device flat).
    pub id: DeviceId,
    /// The device's fingerprint.
    pub client_fingerprint: String,
    /// The device's platform.
    pub platform: Option<String>,
    /// The device's status.
    pub status: DeviceStatus,
    /// First session start of the device.
    pub first_seen_at: DateTime<Utc>,
    /// Latest session start or refresh of the device.
    pub last_seen_at: DateTime<Utc>,
    /// The identity's kind (`device`).
    pub kind: IdentityKind,
    /// The identity's display name, if it has one.
    pub display_name: Option<String>,
}

/// Who a client call acts as: what a valid access token grants.
#[derive(Debug, Clone, PartialEq)]
pub struct ClientGrant {
    /// The session.
    pub session_id: SessionId,
    /// The device.
    pub device_id: DeviceId,
    /// The player.
    pub identity_id: IdentityId,
    /// The game.
    pub game_id: GameId,
    /// The owning account.
    pub account_id: AccountId,
    /// Entries are test entries.
    pub test_mode: bool,
    /// When the access token expires.
    pub expires_at: DateTime<Utc>,
}

/// Checks a client fingerprint: 1–128 characters of letters, digits and `-_.:` (LEADR's
/// Godot SDK sends 64 hex characters, its Unity SDK a hyphenated UUID; both pass).
fn fingerprint(raw: &str) -> Result<String, FieldCode> {
    let fp = raw.trim();
    if fp.is_empty() {
        Err(FieldCode::Blank)
    } else if fp.len() > 128 {
        Err(FieldCode::TooLong)
    } else if !fp.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_.:".contains(&b)) {
        Err(FieldCode::InvalidFormat)
    } else {
        Ok(fp.to_owned())
    }
}

impl Clients {
    /// Starts a session: the same game and fingerprint are the same device and identity.
    pub async fn start_session(&self, cmd: StartSession) -> ServiceResult<SessionTokens> {
        let mut errors = FieldErrors::new();
        let raw = match (&cmd.client_fingerprint, &cmd.device_id) {
            (Some(fp), _) => Some(("client_fingerprint", fp)),
            (None, Some(d)) => Some(("device_id", d)),
            (None, None) => None,
        };
        let fp = match raw {
            Some((field, raw)) => errors.check(field, fingerprint(raw)),
            None => {
                errors.add("client_fingerprint", FieldCode::Required);
                None
            }
        };
        let platform = cmd.platform.as_deref().map(str::trim).filter(|p| !p.is_empty()).map(str::to_owned);
        if platform.as_ref().is_some_and(|p| p.chars().count() > 64 || p.chars().any(char::is_control)) {
            errors.add("platform", FieldCode::InvalidFormat);
        }
        if let Some(m) = &cmd.metadata
            && serde_json::to_string(m).map_or(true, |s| s.len() > crate::service::scores::MAX_METADATA_BYTES)
        {
            errors.add("metadata", FieldCode::TooLarge);
        }
        errors.into_result()?;
        let Some(fp) = fp else { return Err(ServiceError::field("client_fingerprint", FieldCode::Required)) };
        let store = self.admin.store();
        let game = store.get_game(cmd.game_id).await?.ok_or_else(|| ServiceError::not_found("game"))?;
        let account = store.get_account(game.account_id).await?.ok_or_else(|| ServiceError::not_found("game"))?;
        if account.status != AccountStatus::Active {
            return Err(ServiceError::new(ErrorCode::AccountSuspended, "the game's account is suspended"));
        }
        let device = match store.find_device(game.id, &fp).await? {
            Some(d) => d,
            None => self.create_device(game.account_id, game.id, &fp, platform.clone()).await?,
        };
        let identity =
            store.get_identity(device.identity_id).await?.ok_or_else(|| ServiceError::not_found("identity"))?;
        if device.status == DeviceStatus::Banned || identity.status == IdentityStatus::Banned {
            return Err(ServiceError::new(ErrorCode::DeviceBanned, "this device or its player is banned"));
        }
        let at = now();
        store.touch_device(device.id, platform.as_deref(), at).await?;
        let device = Device { last_seen_at: at, platform: platform.or(device.platform), ..device };
        let (access, refresh) =
            (crate::auth::generate_secret(ACCESS_PREFIX), crate::auth::generate_secret(REFRESH_PREFIX));
        let session = IdentitySession {
            id: SessionId::generate(),
            account_id: game.account_id,
            game_id: game.id,
            identity_id: identity.id,
            device_id: device.id,
            test_mode: cmd.test_mode.unwrap_or(false),
            access_hash: hash_secret(&access),
            refresh_hash: hash_secret(&refresh),
            access_expires_at: at + self.config.access_ttl,
            refresh_expires_at: at + self.config.refresh_ttl,
            revoked: false,
            revoked_at: None,
            created_at: at,
            updated_at: at,
        };
        store.insert_session(&session).await?;
        self.grants.0.put(session.access_hash.clone(), grant_of(&session));
        Ok(self.tokens(access, refresh, &session, device, &identity))
    }

    async fn create_device(
        &self,
        account_id: AccountId,
        game_id: GameId,
        fp: &str,
        platform: Option<String>,
    ) -> ServiceResult<Device> {
        let at = now();
        let identity = Identity {
            id: IdentityId::generate(),
            account_id,
            game_id,
            player_key: None,
            display_name: None,
            kind: IdentityKind::Device,
            trust_tier: None,
            status: IdentityStatus::Active,
            created_at: at,
            updated_at: at,
        };
        let device = Device {
            id: DeviceId::generate(),
            account_id,
            game_id,
            identity_id: identity.id,
            client_fingerprint: fp.to_owned(),
            platform,
            status: DeviceStatus::Active,
            first_seen_at: at,
            last_seen_at: at,
        };
        let store = self.admin.store();
        match store.insert_device(&device, &identity).await {
            Ok(()) => Ok(device),
            // Two first starts raced: the other one created it.
            Err(StoreError::Conflict { .. }) => {
                store.find_device(game_id, fp).await?.ok_or_else(|| ServiceError::not_found("device"))
            }
            Err(e) => Err(e.into()),
        }
    }

    fn tokens(
        &self,
        access: String,
        refresh: String,
        s: &IdentitySession,
        device: Device,
        identity: &Identity,
    ) -> SessionTokens {
        SessionTokens {
            access_token: access,
            refresh_token: refresh,
            expires_in: self.config.access_ttl.as_secs(),
            refresh_expires_in: self.config.refresh_ttl.as_secs(),
            token_type: "bearer",
            session_id: s.id,
            identity_id: s.identity_id,
            game_id: s.game_id,
            account_id: s.account_id,
            test_mode: s.test_mode,
            id: device.id,
            client_fingerprint: device.client_fingerprint.clone(),
            platform: device.platform.clone(),
            status: device.status,
            first_seen_at: device.first_seen_at,
            last_seen_at: device.last_seen_at,
            kind: identity.kind,
            display_name: identity.display_name.clone(),
            device,
        }
    }

    /// Rotates both tokens of the session a refresh token belongs to; the old pair dies.
    pub async fn refresh(&self, refresh_token: &str) -> ServiceResult<SessionTokens> {
        let dead = || ServiceError::unauthorized("the refresh token is unknown, used, expired or revoked");
        if !refresh_token.starts_with(REFRESH_PREFIX) || refresh_token.len() > 128 {
            return Err(dead());
        }
        let store = self.admin.store();
        let grant = store.find_session_by_refresh(&hash_secret(refresh_token)).await?.ok_or_else(dead)?;
        let at = now();
        let s = &grant.session;
        if s.revoked || s.refresh_expires_at <= at || !grant.game_live {
            return Err(dead());
        }
        check_statuses(&grant)?;
        let (access, refresh) =
            (crate::auth::generate_secret(ACCESS_PREFIX), crate::auth::generate_secret(REFRESH_PREFIX));
        let rotation = Rotation {
            session_id: s.id,
            old_refresh_hash: s.refresh_hash.clone(),
            access_hash: hash_secret(&access),
            refresh_hash: hash_secret(&refresh),
            access_expires_at: at + self.config.access_ttl,
            refresh_expires_at: at + self.config.refresh_ttl,
            at,
        };
        store.rotate_session(&rotation).await.map_err(|e| match e {
            StoreError::NotFound => dead(),
            other => other.into(),
        })?;
        self.admin.publish(Change::Invalidate(Invalidation::AccessToken { hash: s.access_hash.clone() }));
        store.touch_device(s.device_id, None, at).await?;
        let session = IdentitySession {
            access_hash: rotation.access_hash,
            refresh_hash: rotation.refresh_hash,
            access_expires_at: rotation.access_expires_at,
            refresh_expires_at: rotation.refresh_expires_at,
            updated_at: at,
            ..grant.session
        };
        self.grants.0.put(session.access_hash.clone(), grant_of(&session));
        let device = store.get_device(session.device_id).await?.ok_or_else(dead)?;
        let identity = store.get_identity(session.identity_id).await?.ok_or_else(dead)?;
        Ok(self.tokens(access, refresh, &session, device, &identity))
    }

    /// What an access token grants; 401 for anything but a live token of a live session.
    pub async fn authenticate(&self, access_token: &str) -> ServiceResult<ClientGrant> {
        let dead = || ServiceError::unauthorized("the access token is unknown, expired or revoked");
        if !access_token.starts_with(ACCESS_PREFIX) || access_token.len() > 128 {
            return Err(dead());
        }
        let hash = hash_secret(access_token);
        let at = now();
        if let Some(grant) = self.grants.0.get(&hash) {
            return if grant.expires_at > at { Ok(grant) } else { Err(dead()) };
        }
        let found = self.admin.store().find_session_by_access(&hash).await?.ok_or_else(dead)?;
        if found.session.revoked || found.session.access_expires_at <= at || !found.game_live {
            return Err(dead());
        }
        check_statuses(&found)?;
        let grant = grant_of(&found.session);
        self.grants.0.put(hash, grant.clone());
        Ok(grant)
    }

    /// Drops cached grants of a session or an identity (after a revocation or a ban).
    pub(crate) fn forget_grants(&self, session: Option<SessionId>, identity: Option<IdentityId>) {
        self.admin.publish(Change::Invalidate(Invalidation::ClientGrants { session, identity }));
    }
}

/// 403 for banned devices or players and suspended accounts.
fn check_statuses(grant: &SessionGrant) -> ServiceResult<()> {
    if grant.device_status == DeviceStatus::Banned || grant.identity_status == IdentityStatus::Banned {
        return Err(ServiceError::new(ErrorCode::DeviceBanned, "this device or its player is banned"));
    }
    if !grant.account_active {
        return Err(ServiceError::new(ErrorCode::AccountSuspended, "the game's account is suspended"));
    }
    Ok(())
}

fn grant_of(s: &IdentitySession) -> ClientGrant {
    ClientGrant {
        session_id: s.id,
        device_id: s.device_id,
        identity_id: s.identity_id,
        game_id: s.game_id,
        account_id: s.account_id,
        test_mode: s.test_mode,
        expires_at: s.access_expires_at,
    }
}
