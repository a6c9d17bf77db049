//! `/v1/identities`, `/v1/devices` and `/v1/identity-sessions`: the players of an account's
//! games, their devices and their client sessions, for admins (rename, re-tier, ban a player
//! or one device; revoke a session).

use axum::Json;
use axum::extract::State;
use podium_core::id::{AccountId, DeviceId, GameId, IdentityId, SessionId};
use podium_core::model::{DeviceStatus, Identity, IdentitySession, IdentityStatus};
use podium_core::service::{
    DeviceListQuery, DeviceView, IdentityListQuery, SessionListQuery, UpdateDevice, UpdateIdentity, UpdateSession,
};
use serde::Deserialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::extract::{Admin, ApiJson, ApiQuery, IdPath};
use crate::list::{ListResponse, PageQuery};
use crate::problem::{ApiResult, Problem};
use crate::state::AppState;

/// The routes of these resources.
pub(super) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_identities))
        .routes(routes!(get_identity, update_identity))
        .routes(routes!(list_devices))
        .routes(routes!(get_device, update_device))
        .routes(routes!(list_sessions))
        .routes(routes!(get_session, update_session))
}

/// Filters of `GET /v1/identities`.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct IdentityFilters {
    /// Required for a superadmin; a regular key's own account otherwise.
    account_id: Option<AccountId>,
    /// Only this game's players.
    game_id: Option<GameId>,
    /// Only `active` or only `banned` players.
    status: Option<IdentityStatus>,
}

/// List the players of an account.
#[utoipa::path(get, path = "/v1/identities", tag = "identities", params(IdentityFilters, PageQuery),
    responses((status = 200, body = ListResponse<Identity>), (status = "4XX", body = Problem, content_type = "application/problem+json")))]
async fn list_identities(
    State(s): State<AppState>,
    Admin(p): Admin,
    ApiQuery(f): ApiQuery<IdentityFilters>,
    ApiQuery(page): ApiQuery<PageQuery>,
) -> ApiResult<Json<ListResponse<Identity>>> {
    let q = IdentityListQuery { account_id: f.account_id, game_id: f.game_id, status: f.status };
    Ok(Json(s.clients.list_identities(&p, q, &page.into()).await?.into()))
}

/// Get a player.
#[utoipa::path(get, path = "/v1/identities/{id}", tag = "identities", params(("id" = IdentityId, Path)),
    responses((status = 200, body = Identity), (status = "4XX", body = Problem, content_type = "application/problem+json")))]
async fn get_identity(
    State(s): State<AppState>,
    Admin(p): Admin,
    IdPath(id): IdPath<IdentityId>,
) -> ApiResult<Json<Identity>> {
    Ok(Json(s.clients.get_identity(&p, id).await?))
}

/// Rename, re-tier, ban or unban a player. A ban revokes every session of the player at once.
#[utoipa::path(patch, path = "/v1/identities/{id}", tag = "identities", params(("id" = IdentityId, Path)),
    request_body = UpdateIdentity,
    responses((status = 200, body = Identity), (status = "4XX", body = Problem, content_type = "application/problem+json")))]
async fn update_identity(
    State(s): State<AppState>,
    Admin(p): Admin,
    IdPath(id): IdPath<IdentityId>,
    ApiJson(cmd): ApiJson<UpdateIdentity>,
) -> ApiResult<Json<Identity>> {
    Ok(Json(s.clients.update_identity(&p, id, cmd).await?))
}

/// Filters of `GET /v1/devices`.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct DeviceFilters {
    /// Required for a superadmin; a regular key's own account otherwise.
    account_id: Option<AccountId>,
    /// Only this game's devices.
    game_id: Option<GameId>,
    /// Only this player's devices.
    identity_id: Option<IdentityId>,
    /// Only `active` or only `banned` devices.
    status: Option<DeviceStatus>,
}

/// List the devices of an account's players (sorts: `first_seen_at`, `last_seen_at`).
#[utoipa::path(get, path = "/v1/devices", tag = "identities", params(DeviceFilters, PageQuery),
    responses((status = 200, body = ListResponse<DeviceView>), (status = "4XX", body = Problem, content_type = "application/problem+json")))]
async fn list_devices(
    State(s): State<AppState>,
    Admin(p): Admin,
    ApiQuery(f): ApiQuery<DeviceFilters>,
    ApiQuery(page): ApiQuery<PageQuery>,
) -> ApiResult<Json<ListResponse<DeviceView>>> {
    let q =
        DeviceListQuery { account_id: f.account_id, game_id: f.game_id, identity_id: f.identity_id, status: f.status };
    Ok(Json(s.clients.list_devices(&p, q, &page.into()).await?.into()))
}

/// Get a device.
#[utoipa::path(get, path = "/v1/devices/{id}", tag = "identities", params(("id" = DeviceId, Path)),
    responses((status = 200, body = DeviceView), (status = "4XX", body = Problem, content_type = "application/problem+json")))]
async fn get_device(
    State(s): State<AppState>,
    Admin(p): Admin,
    IdPath(id): IdPath<DeviceId>,
) -> ApiResult<Json<DeviceView>> {
    Ok(Json(s.clients.get_device(&p, id).await?))
}

/// Ban or unban one device. A ban revokes its sessions at once and refuses new ones (403
/// `device_banned`); the player's other devices and entries are untouched.
#[utoipa::path(patch, path = "/v1/devices/{id}", tag = "identities", params(("id" = DeviceId, Path)),
    request_body = UpdateDevice,
    responses((status = 200, body = DeviceView), (status = "4XX", body = Problem, content_type = "application/problem+json")))]
async fn update_device(
    State(s): State<AppState>,
    Admin(p): Admin,
    IdPath(id): IdPath<DeviceId>,
    ApiJson(cmd): ApiJson<UpdateDevice>,
) -> ApiResult<Json<DeviceView>> {
    Ok(Json(s.clients.update_device(&p, id, cmd).await?))
}

/// Filters of `GET /v1/identity-sessions`.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct SessionFilters {
    /// Required for a superadmin; a regular key's own account otherwise.
    account_id: Option<AccountId>,
    /// Only this game's sessions.
    game_id: Option<GameId>,
    /// Only this player's sessions.
    identity_id: Option<IdentityId>,
    /// Only this device's sessions.
    device_id: Option<DeviceId>,
    /// Only revoked (`true`) or live (`false`) sessions.
    revoked: Option<bool>,
}

/// List client sessions (tokens are never shown).
#[utoipa::path(get, path = "/v1/identity-sessions", tag = "identities", params(SessionFilters, PageQuery),
    responses((status = 200, body = ListResponse<IdentitySession>), (status = "4XX", body = Problem, content_type = "application/problem+json")))]
async fn list_sessions(
    State(s): State<AppState>,
    Admin(p): Admin,
    ApiQuery(f): ApiQuery<SessionFilters>,
    ApiQuery(page): ApiQuery<PageQuery>,
) -> ApiResult<Json<ListResponse<IdentitySession>>> {
    let q = SessionListQuery {
        account_id: f.account_id,
        game_id: f.game_id,
        identity_id: f.identity_id,
        device_id: f.device_id,
        revoked: f.revoked,
    };
    Ok(Json(s.clients.list_sessions(&p, q, &page.into()).await?.into()))
}

/// Get a client session.
#[utoipa::path(get, path = "/v1/identity-sessions/{id}", tag = "identities", params(("id" = SessionId, Path)),
    responses((status = 200, body = IdentitySession), (status = "4XX", body = Problem, content_type = "application/problem+json")))]
async fn get_session(
    State(s): State<AppState>,
    Admin(p): Admin,
    IdPath(id): IdPath<SessionId>,
) -> ApiResult<Json<IdentitySession>> {
    Ok(Json(s.clients.get_session(&p, id).await?))
}

/// Revoke a client session (`{"revoked": true}`): its tokens answer 401 at once.
#[utoipa::path(patch, path = "/v1/identity-sessions/{id}", tag = "identities", params(("id" = SessionId, Path)),
    request_body = UpdateSession,
    responses((status = 200, body = IdentitySession), (status = "4XX", body = Problem, content_type = "application/problem+json")))]
async fn update_session(
    State(s): State<AppState>,
    Admin(p): Admin,
    IdPath(id): IdPath<SessionId>,
    ApiJson(cmd): ApiJson<UpdateSession>,
) -> ApiResult<Json<IdentitySession>> {
    Ok(Json(s.clients.update_session(&p, id, cmd).await?))
}
