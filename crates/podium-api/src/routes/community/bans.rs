//! `/v1/community/bans`, `/v1/community/users/{id}/bans`

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use podium_core::id::{BanId, LeaderboardId, MemberId};
use podium_core::model::community::Ban;
use podium_core::page::ListParams;
use podium_core::service::community::{BanQuery, GiveBan};
use serde::Deserialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::extract::{ApiJson, ApiQuery, IdPath, Member};
use crate::list::ListResponse;
use crate::problem::{ApiResult, Problem};
use crate::state::AppState;

/// What anyone may read.
pub(super) fn public() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list_bans)).routes(routes!(get_ban)).routes(routes!(member_bans))
}

/// What admins and moderators do.
pub(super) fn own() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(give_ban)).routes(routes!(lift_ban))
}

/// Ban list parameters.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct BanParams {
    /// Bans of this member.
    pub user_id: Option<MemberId>,
    /// Bans on this leaderboard.
    pub leaderboard_id: Option<LeaderboardId>,
    /// Lifted bans too (default `false`).
    pub include_lifted: Option<bool>,
    /// An opaque cursor from a previous page.
    pub cursor: Option<String>,
    /// Page size, 1–100 (default 20).
    #[param(value_type = Option<u32>, minimum = 1, maximum = 100)]
    pub limit: Option<String>,
    /// `created_at:asc|desc` (default `created_at:desc`).
    pub sort: Option<String>,
}

impl BanParams {
    fn split(self, user: Option<MemberId>) -> (BanQuery, ListParams) {
        (
            BanQuery {
                user_id: user.or(self.user_id),
                leaderboard_id: self.leaderboard_id,
                include_lifted: self.include_lifted.unwrap_or(false),
            },
            ListParams { cursor: self.cursor, limit: self.limit, sort: self.sort },
        )
    }
}

/// Ban a member site-wide (site admins) or on a leaderboard (its moderators).
#[utoipa::path(post, path = "/v1/community/bans", tag = "community", request_body = GiveBan,
    responses((status = 201, body = Ban), (status = "4XX", body = Problem, content_type = "application/problem+json")))]
async fn give_ban(
    State(s): State<AppState>,
    Member(p): Member,
    ApiJson(cmd): ApiJson<GiveBan>,
) -> ApiResult<(StatusCode, Json<Ban>)> {
    Ok((StatusCode::CREATED, Json(s.community.give_ban(&p, cmd).await?)))
}

/// Bans in force, newest first (`include_lifted=true` for lifted ones too).
#[utoipa::path(get, path = "/v1/community/bans", tag = "community", params(BanParams),
    responses((status = 200, body = ListResponse<Ban>), (status = "4XX", body = Problem, content_type = "application/problem+json")))]
async fn list_bans(State(s): State<AppState>, ApiQuery(q): ApiQuery<BanParams>) -> ApiResult<Json<ListResponse<Ban>>> {
    let (query, params) = q.split(None);
    Ok(Json(s.community.list_bans(&query, &params).await?.into()))
}

/// A member's bans in force, newest first (`include_lifted=true` for lifted ones too).
#[utoipa::path(get, path = "/v1/community/users/{id}/bans", tag = "community", params(("id" = MemberId, Path), BanParams),
    responses((status = 200, body = ListResponse<Ban>), (status = "4XX", body = Problem, content_type = "application/problem+json")))]
async fn member_bans(
    State(s): State<AppState>,
    IdPath(id): IdPath<MemberId>,
    ApiQuery(q): ApiQuery<BanParams>,
) -> ApiResult<Json<ListResponse<Ban>>> {
    s.community.get_member(id).await?;
    let (query, params) = q.split(Some(id));
    Ok(Json(s.community.list_bans(&query, &params).await?.into()))
}

/// A ban.
#[utoipa::path(get, path = "/v1/community/bans/{id}", tag = "community", params(("id" = BanId, Path)),
    responses((status = 200, body = Ban), (status = "4XX", body = Problem, content_type = "application/problem+json")))]
async fn get_ban(State(s): State<AppState>, IdPath(id): IdPath<BanId>) -> ApiResult<Json<Ban>> {
    Ok(Json(s.community.get_ban(id).await?))
}

/// Lift a ban (site admins for site bans; the leaderboard's moderators for its bans). Runs
/// and modships stay as they are.
#[utoipa::path(delete, path = "/v1/community/bans/{id}", tag = "community", params(("id" = BanId, Path)),
    responses((status = 200, body = Ban), (status = "4XX", body = Problem, content_type = "application/problem+json")))]
async fn lift_ban(State(s): State<AppState>, Member(p): Member, IdPath(id): IdPath<BanId>) -> ApiResult<Json<Ban>> {
    Ok(Json(s.community.lift_ban(&p, id).await?))
}
