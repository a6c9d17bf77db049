//! `/v1/community/leaderboards`, `/v1/community/modships`, `/v1/community/users/{id}/moderates`

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use podium_core::id::{LeaderboardId, MemberId, ModshipId};
use podium_core::model::community::{Leaderboard, Modship};
use podium_core::service::community::{AppointModerator, CreateLeaderboard, MemberView, UpdateLeaderboard};
use serde::Deserialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::extract::{ApiJson, ApiQuery, IdPath, Member};
use crate::list::{ListResponse, PageQuery};
use crate::problem::{ApiResult, Problem};
use crate::state::AppState;

/// What anyone may read.
pub(super) fn public() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_leaderboards))
        .routes(routes!(get_leaderboard))
        .routes(routes!(list_moderators))
        .routes(routes!(list_moderated))
}

/// What members with a role change.
pub(super) fn own() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_leaderboard))
        .routes(routes!(update_leaderboard))
        .routes(routes!(appoint_moderator, remove_moderator_of))
        .routes(routes!(remove_moderator))
}

/// Create a leaderboard (site admins).
#[utoipa::path(post, path = "/v1/community/leaderboards", tag = "community", request_body = CreateLeaderboard,
    responses((status = 201, body = Leaderboard), (status = "4XX", body = Problem, content_type = "application/problem+json")))]
async fn create_leaderboard(
    State(s): State<AppState>,
    Member(p): Member,
    ApiJson(cmd): ApiJson<CreateLeaderboard>,
) -> ApiResult<(StatusCode, Json<Leaderboard>)> {
    Ok((StatusCode::CREATED, Json(s.community.create_leaderboard(&p, cmd).await?)))
}

/// List leaderboards (sortable by `name`, `slug`, `created_at`; default `name:asc`).
#[utoipa::path(get, path = "/v1/community/leaderboards", tag = "community", params(PageQuery),
    responses((status = 200, body = ListResponse<Leaderboard>), (status = "4XX", body = Problem, content_type = "application/problem+json")))]
async fn list_leaderboards(
    State(s): State<AppState>,
    ApiQuery(page): ApiQuery<PageQuery>,
) -> ApiResult<Json<ListResponse<Leaderboard>>> {
    Ok(Json(s.community.list_leaderboards(&page.into()).await?.into()))
}

/// A leaderboard by id (`lbd_…`) or by slug.
#[utoipa::path(get, path = "/v1/community/leaderboards/{id}", tag = "community", params(("id" = String, Path, description = "`lbd_…` or the slug")),
    responses((status = 200, body = Leaderboard), (status = "4XX", body = Problem, content_type = "application/problem+json")))]
async fn get_leaderboard(State(s): State<AppState>, Path(id): Path<String>) -> ApiResult<Json<Leaderboard>> {
    Ok(Json(s.community.get_leaderboard(&id).await?))
}

/// Edit a leaderboard: its moderators change the rules, site admins also the name and slug.
#[utoipa::path(patch, path = "/v1/community/leaderboards/{id}", tag = "community", params(("id" = String, Path, description = "`lbd_…` or the slug")),
    request_body = UpdateLeaderboard,
    responses((status = 200, body = Leaderboard), (status = "4XX", body = Problem, content_type = "application/problem+json")))]
async fn update_leaderboard(
    State(s): State<AppState>,
    Member(p): Member,
    Path(id): Path<String>,
    ApiJson(cmd): ApiJson<UpdateLeaderboard>,
) -> ApiResult<Json<Leaderboard>> {
    Ok(Json(s.community.update_leaderboard(&p, &id, cmd).await?))
}

/// The moderators of a leaderboard, by appointment.
#[utoipa::path(get, path = "/v1/community/leaderboards/{id}/moderators", tag = "community", params(("id" = String, Path, description = "`lbd_…` or the slug")),
    responses((status = 200, body = Vec<MemberView>), (status = "4XX", body = Problem, content_type = "application/problem+json")))]
async fn list_moderators(State(s): State<AppState>, Path(id): Path<String>) -> ApiResult<Json<Vec<MemberView>>> {
    Ok(Json(s.community.moderators(&id).await?))
}

/// The leaderboards a member moderates.
#[utoipa::path(get, path = "/v1/community/users/{id}/moderates", tag = "community", params(("id" = MemberId, Path)),
    responses((status = 200, body = Vec<Leaderboard>), (status = "4XX", body = Problem, content_type = "application/problem+json")))]
async fn list_moderated(State(s): State<AppState>, IdPath(id): IdPath<MemberId>) -> ApiResult<Json<Vec<Leaderboard>>> {
    Ok(Json(s.community.moderated_by(id).await?))
}

/// Appoint a moderator (site admins).
#[utoipa::path(post, path = "/v1/community/modships", tag = "community", request_body = AppointModerator,
    responses((status = 201, body = Modship), (status = "4XX", body = Problem, content_type = "application/problem+json")))]
async fn appoint_moderator(
    State(s): State<AppState>,
    Member(p): Member,
    ApiJson(cmd): ApiJson<AppointModerator>,
) -> ApiResult<(StatusCode, Json<Modship>)> {
    Ok((StatusCode::CREATED, Json(s.community.appoint_moderator(&p, cmd).await?)))
}

/// Remove a modship by id (site admins; a hard delete).
#[utoipa::path(delete, path = "/v1/community/modships/{id}", tag = "community", params(("id" = ModshipId, Path)),
    responses((status = 204), (status = "4XX", body = Problem, content_type = "application/problem+json")))]
async fn remove_moderator(
    State(s): State<AppState>,
    Member(p): Member,
    IdPath(id): IdPath<ModshipId>,
) -> ApiResult<StatusCode> {
    s.community.remove_moderator(&p, Some(id), None).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `DELETE /v1/community/modships?user_id=&leaderboard_id=`
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ModshipOf {
    /// The moderator.
    pub user_id: MemberId,
    /// The leaderboard.
    pub leaderboard_id: LeaderboardId,
}

/// Remove the modship of a member on a leaderboard (site admins; a hard delete).
#[utoipa::path(delete, path = "/v1/community/modships", tag = "community", params(ModshipOf),
    responses((status = 204), (status = "4XX", body = Problem, content_type = "application/problem+json")))]
async fn remove_moderator_of(
    State(s): State<AppState>,
    Member(p): Member,
    ApiQuery(of): ApiQuery<ModshipOf>,
) -> ApiResult<StatusCode> {
    s.community.remove_moderator(&p, None, Some((of.user_id, of.leaderboard_id))).await?;
    Ok(StatusCode::NO_CONTENT)
}
