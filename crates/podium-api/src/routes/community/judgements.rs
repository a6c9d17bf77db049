//! `/v1/community/judgements`

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use podium_core::id::JudgementId;
use podium_core::model::community::Judgement;
use podium_core::service::community::{Judge, JudgementOutcome};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::extract::{ApiJson, IdPath, Member};
use crate::problem::{ApiResult, Problem};
use crate::state::AppState;

/// What anyone may read.
pub(super) fn public() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(get_judgement))
}

/// What moderators do.
pub(super) fn own() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(judge))
}

/// Approve (`true`), reject (`false`) or comment on (`null`) a run of a leaderboard you moderate.
#[utoipa::path(post, path = "/v1/community/judgements", tag = "community", request_body = Judge,
    responses((status = 201, body = JudgementOutcome), (status = "4XX", body = Problem, content_type = "application/problem+json")))]
async fn judge(
    State(s): State<AppState>,
    Member(p): Member,
    ApiJson(cmd): ApiJson<Judge>,
) -> ApiResult<(StatusCode, Json<JudgementOutcome>)> {
    Ok((StatusCode::CREATED, Json(s.community.judge(&p, cmd).await?)))
}

/// A judgement.
#[utoipa::path(get, path = "/v1/community/judgements/{id}", tag = "community", params(("id" = JudgementId, Path)),
    responses((status = 200, body = Judgement), (status = "4XX", body = Problem, content_type = "application/problem+json")))]
async fn get_judgement(State(s): State<AppState>, IdPath(id): IdPath<JudgementId>) -> ApiResult<Json<Judgement>> {
    Ok(Json(s.community.get_judgement(id).await?))
}
