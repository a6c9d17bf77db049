//! `/v1/score-flags` and `/v1/score-submission-metadata`: what anti-cheat recorded, for admins.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use podium_core::anticheat::FlagType;
use podium_core::id::{AccountId, BoardId, FlagId, GameId, IdentityId, SubmissionMetaId};
use podium_core::model::{FlagStatus, ScoreFlag, SubmissionMeta};
use podium_core::service::{FlagListQuery, ReviewFlag, SubmissionMetaQuery};
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
        .routes(routes!(list_flags))
        .routes(routes!(get_flag, review_flag, delete_flag))
        .routes(routes!(list_meta))
        .routes(routes!(get_meta))
}

/// Filters of `GET /v1/score-flags`.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct FlagFilters {
    /// Required for a superadmin; a regular key's own account otherwise.
    account_id: Option<AccountId>,
    /// Only this board's flags.
    board_id: Option<BoardId>,
    /// Only this game's flags.
    game_id: Option<GameId>,
    /// Only this player's flags.
    identity_id: Option<IdentityId>,
    /// `pending`, `confirmed_cheat`, `false_positive` or `dismissed`.
    status: Option<FlagStatus>,
    /// One of the eight detections (`rate_limit`, `velocity`, …).
    #[param(value_type = Option<String>)]
    flag_type: Option<FlagType>,
}

/// List anti-cheat flags, newest first.
#[utoipa::path(get, path = "/v1/score-flags", tag = "anti-cheat", params(FlagFilters, PageQuery),
    responses((status = 200, body = ListResponse<ScoreFlag>), (status = "4XX", body = Problem, content_type = "application/problem+json")))]
async fn list_flags(
    State(s): State<AppState>,
    Admin(p): Admin,
    ApiQuery(f): ApiQuery<FlagFilters>,
    ApiQuery(page): ApiQuery<PageQuery>,
) -> ApiResult<Json<ListResponse<ScoreFlag>>> {
    let q = FlagListQuery {
        account_id: f.account_id,
        board_id: f.board_id,
        game_id: f.game_id,
        identity_id: f.identity_id,
        status: f.status,
        flag_type: f.flag_type,
    };
    Ok(Json(s.scores.list_flags(&p, q, &page.into()).await?.into()))
}

/// Get one flag with its evidence.
#[utoipa::path(get, path = "/v1/score-flags/{id}", tag = "anti-cheat", params(("id" = FlagId, Path)),
    responses((status = 200, body = ScoreFlag), (status = "4XX", body = Problem, content_type = "application/problem+json")))]
async fn get_flag(
    State(s): State<AppState>,
    Admin(p): Admin,
    IdPath(id): IdPath<FlagId>,
) -> ApiResult<Json<ScoreFlag>> {
    Ok(Json(s.scores.get_flag(&p, id).await?))
}

/// Review a flag: `{status, reviewer_decision?, deleted?}`. `confirmed_cheat` rejects the
/// submission and recomputes the player's entry from the remaining events (rankings change at
/// once); `false_positive` / `dismissed` release the entry unless another pending flag holds
/// it; `pending` puts it back under review. The reviewer and the time are recorded.
#[utoipa::path(patch, path = "/v1/score-flags/{id}", tag = "anti-cheat", params(("id" = FlagId, Path)),
    request_body = ReviewFlag,
    responses((status = 200, body = ScoreFlag), (status = "4XX", body = Problem, content_type = "application/problem+json")))]
async fn review_flag(
    State(s): State<AppState>,
    Admin(p): Admin,
    IdPath(id): IdPath<FlagId>,
    ApiJson(cmd): ApiJson<ReviewFlag>,
) -> ApiResult<Json<ScoreFlag>> {
    Ok(Json(s.scores.review_flag(&p, id, cmd).await?))
}

/// Soft-delete a flag: it holds nothing from now on (an entry it held under review is released
/// unless another pending flag holds it) and leaves lists and `GET`; `PATCH {"deleted": false}`
/// restores it.
#[utoipa::path(delete, path = "/v1/score-flags/{id}", tag = "anti-cheat", params(("id" = FlagId, Path)),
    responses((status = 204), (status = "4XX", body = Problem, content_type = "application/problem+json")))]
async fn delete_flag(State(s): State<AppState>, Admin(p): Admin, IdPath(id): IdPath<FlagId>) -> ApiResult<StatusCode> {
    s.scores.delete_flag(&p, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Filters of `GET /v1/score-submission-metadata`.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct MetaFilters {
    /// Required for a superadmin; a regular key's own account otherwise.
    account_id: Option<AccountId>,
    /// Only this board's.
    board_id: Option<BoardId>,
    /// Only this player's.
    identity_id: Option<IdentityId>,
}

/// List submission counts per player and board, most recent first.
#[utoipa::path(get, path = "/v1/score-submission-metadata", tag = "anti-cheat", params(MetaFilters, PageQuery),
    responses((status = 200, body = ListResponse<SubmissionMeta>), (status = "4XX", body = Problem, content_type = "application/problem+json")))]
async fn list_meta(
    State(s): State<AppState>,
    Admin(p): Admin,
    ApiQuery(f): ApiQuery<MetaFilters>,
    ApiQuery(page): ApiQuery<PageQuery>,
) -> ApiResult<Json<ListResponse<SubmissionMeta>>> {
    let q = SubmissionMetaQuery { account_id: f.account_id, board_id: f.board_id, identity_id: f.identity_id };
    Ok(Json(s.scores.list_submission_meta(&p, q, &page.into()).await?.into()))
}

/// Get one player's submission counts on one board.
#[utoipa::path(get, path = "/v1/score-submission-metadata/{id}", tag = "anti-cheat", params(("id" = SubmissionMetaId, Path)),
    responses((status = 200, body = SubmissionMeta), (status = "4XX", body = Problem, content_type = "application/problem+json")))]
async fn get_meta(
    State(s): State<AppState>,
    Admin(p): Admin,
    IdPath(id): IdPath<SubmissionMetaId>,
) -> ApiResult<Json<SubmissionMeta>> {
    Ok(Json(s.scores.get_submission_meta(&p, id).await?))
}
