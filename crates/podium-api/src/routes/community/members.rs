//! `/v1/community/register`, `/login`, `/logout`, `/me`, `/users/…`

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use podium_core::id::MemberId;
use podium_core::service::community::{Login, MeView, MemberTokens, MemberView, Register, UpdateMe};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::edge::ClientIp;
use crate::extract::{ApiJson, IdPath, Member};
use crate::problem::{ApiResult, Problem};
use crate::state::AppState;

/// What anyone may call: registration, login, public profiles.
pub(super) fn public() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(register))
        .routes(routes!(login))
        .routes(routes!(get_user))
        .routes(routes!(get_user_by_name))
}

/// What a member calls with their token.
pub(super) fn own() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(get_me, update_me, delete_me)).routes(routes!(logout))
}

/// Register a member. A taken e-mail address answers the same 201 shape and stores nothing
/// (its id names nobody), so addresses cannot be discovered.
#[utoipa::path(post, path = "/v1/community/register", tag = "community", request_body = Register,
    responses((status = 201, body = MemberView), (status = "4XX", body = Problem, content_type = "application/problem+json")))]
async fn register(
    State(s): State<AppState>,
    ApiJson(cmd): ApiJson<Register>,
) -> ApiResult<(StatusCode, Json<MemberView>)> {
    Ok((StatusCode::CREATED, Json(s.community.register(cmd).await?)))
}

/// Log in by name or e-mail address: a bearer token. Failed logins are limited per member
/// (10 in 15 minutes) and per address (30 in 15 minutes): 429 with `Retry-After`.
#[utoipa::path(post, path = "/v1/community/login", tag = "community", request_body = Login,
    responses((status = 200, body = MemberTokens), (status = 429, body = Problem, content_type = "application/problem+json"),
        (status = "4XX", body = Problem, content_type = "application/problem+json")))]
async fn login(
    State(s): State<AppState>,
    ClientIp(ip): ClientIp,
    ApiJson(cmd): ApiJson<Login>,
) -> ApiResult<Json<MemberTokens>> {
    Ok(Json(s.community.login(cmd, ip).await?))
}

/// End the token used.
#[utoipa::path(post, path = "/v1/community/logout", tag = "community",
    responses((status = 204), (status = "4XX", body = Problem, content_type = "application/problem+json")))]
async fn logout(State(s): State<AppState>, Member(p): Member) -> ApiResult<StatusCode> {
    s.community.logout(&p).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The caller, with their e-mail address.
#[utoipa::path(get, path = "/v1/community/me", tag = "community",
    responses((status = 200, body = MeView), (status = "4XX", body = Problem, content_type = "application/problem+json")))]
async fn get_me(State(s): State<AppState>, Member(p): Member) -> Json<MeView> {
    Json(s.community.me(&p))
}

/// Change what the caller says about themselves.
#[utoipa::path(patch, path = "/v1/community/me", tag = "community", request_body = UpdateMe,
    responses((status = 200, body = MeView), (status = "4XX", body = Problem, content_type = "application/problem+json")))]
async fn update_me(
    State(s): State<AppState>,
    Member(p): Member,
    ApiJson(cmd): ApiJson<UpdateMe>,
) -> ApiResult<Json<MeView>> {
    Ok(Json(s.community.update_me(&p, cmd).await?))
}

/// Delete the caller's account: its tokens die at once; the name and address become free.
#[utoipa::path(delete, path = "/v1/community/me", tag = "community",
    responses((status = 204), (status = "4XX", body = Problem, content_type = "application/problem+json")))]
async fn delete_me(State(s): State<AppState>, Member(p): Member) -> ApiResult<StatusCode> {
    s.community.delete_me(&p).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A member's public profile (no e-mail address).
#[utoipa::path(get, path = "/v1/community/users/{id}", tag = "community", params(("id" = MemberId, Path)),
    responses((status = 200, body = MemberView), (status = "4XX", body = Problem, content_type = "application/problem+json")))]
async fn get_user(State(s): State<AppState>, IdPath(id): IdPath<MemberId>) -> ApiResult<Json<MemberView>> {
    Ok(Json(s.community.get_member(id).await?))
}

/// A member's public profile by name (any casing).
#[utoipa::path(get, path = "/v1/community/users/by-name/{name}", tag = "community", params(("name" = String, Path)),
    responses((status = 200, body = MemberView), (status = "4XX", body = Problem, content_type = "application/problem+json")))]
async fn get_user_by_name(State(s): State<AppState>, Path(name): Path<String>) -> ApiResult<Json<MemberView>> {
    Ok(Json(s.community.member_by_name(&name).await?))
}
