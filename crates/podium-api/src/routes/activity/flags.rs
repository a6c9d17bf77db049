//! `/v1/activity/flags`: fraud flags of activity scores, listed and reviewed by admins.

use axum::Json;
use axum::extract::State;
use podium_core::activity::ActivityFlagType;
use podium_core::id::{ActivityFlagId, GameId};
use podium_core::model::FlagStatus;
use podium_core::model::activity::ActivityFlag;
use podium_core::service::activity::{ActivityFlagQuery, ReviewActivityFlag};
use serde::Deserialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::extract::{Admin, ApiJson, ApiQuery, IdPath};
use crate::list::{ListResponse, PageQuery};
use crate::problem::{ApiResult, Problem};
use crate::state::AppState;

/// The routes of this resource.
pub(super) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list_flags)).routes(routes!(get_flag, review_flag))
}

/// Filters of `GET /v1/activity/flags`.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct FlagFilters {
    /// The game (`gam_…`).
    game_id: GameId,
    /// Only this user's flags.
    user: Option<String>,
    /// `pending`, `confirmed_cheat`, `false_positive` or `dismissed`.
    status: Option<FlagStatus>,
    /// `win_trading`, `rapid_join_leave` or `create_cancel`.
    #[param(value_type = Option<String>)]
    flag_type: Option<ActivityFlagType>,
}

/// List a game's fraud flags, newest first.
#[utoipa::path(get, path = "/v1/activity/flags", tag = "activity", params(FlagFilters, PageQuery),
    responses((status = 200, body = ListResponse<ActivityFlag>), (status = "4XX", body = Problem, content_type = "application/problem+json"), (status = 503, description = "`store_unavailable`: the database cannot be reached", body = Problem, content_type = "application/problem+json")))]
async fn list_flags(
    State(s): State<AppState>,
    Admin(p): Admin,
    ApiQuery(f): ApiQuery<FlagFilters>,
    ApiQuery(page): ApiQuery<PageQuery>,
) -> ApiResult<Json<ListResponse<ActivityFlag>>> {
    let q = ActivityFlagQuery { user: f.user, status: f.status, flag_type: f.flag_type };
    Ok(Json(s.activity.list_flags(&p, f.game_id, &q, &page.into()).await?.into()))
}

/// One flag with its events and evidence.
#[utoipa::path(get, path = "/v1/activity/flags/{id}", tag = "activity", params(("id" = ActivityFlagId, Path)),
    responses((status = 200, body = ActivityFlag), (status = "4XX", body = Problem, content_type = "application/problem+json"), (status = 503, description = "`store_unavailable`: the database cannot be reached", body = Problem, content_type = "application/problem+json")))]
async fn get_flag(
    State(s): State<AppState>,
    Admin(p): Admin,
    IdPath(id): IdPath<ActivityFlagId>,
) -> ApiResult<Json<ActivityFlag>> {
    Ok(Json(s.activity.get_flag(&p, id).await?))
}

/// Review a flag: `{status, reviewer_decision?}`. `confirmed_cheat` removes the points the
/// flag's events earned the user, from frozen days too (days and rankings recomputed) and is
/// final; `false_positive` / `dismissed` keep them. The reviewer and the time are recorded.
#[utoipa::path(patch, path = "/v1/activity/flags/{id}", tag = "activity", params(("id" = ActivityFlagId, Path)),
    request_body = ReviewActivityFlag,
    responses((status = 200, body = ActivityFlag), (status = "4XX", body = Problem, content_type = "application/problem+json"), (status = 503, description = "`activity_elsewhere`: several nodes share the database and another one writes activity scores now (nothing was changed; send the request to it, or retry); `store_unavailable`: the database cannot be reached", body = Problem, content_type = "application/problem+json")))]
async fn review_flag(
    State(s): State<AppState>,
    Admin(p): Admin,
    IdPath(id): IdPath<ActivityFlagId>,
    ApiJson(cmd): ApiJson<ReviewActivityFlag>,
) -> ApiResult<Json<ActivityFlag>> {
    Ok(Json(s.activity.review_flag(&p, id, cmd).await?))
}
