//! `/v1/community/participations`, `/v1/community/me/participations`

use axum::Json;
use axum::extract::State;
use podium_core::id::ParticipationId;
use podium_core::model::community::Participation;
use podium_core::service::community::FillParticipation;
use serde::Deserialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::extract::{ApiJson, ApiQuery, IdPath, Member};
use crate::problem::{ApiResult, Problem};
use crate::state::AppState;

/// What anyone may read.
pub(super) fn public() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(get_participation))
}

/// What runners do.
pub(super) fn own() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(fill_participation)).routes(routes!(my_participations))
}

/// A participation.
#[utoipa::path(get, path = "/v1/community/participations/{id}", tag = "community", params(("id" = ParticipationId, Path)),
    responses((status = 200, body = Participation), (status = "4XX", body = Problem, content_type = "application/problem+json")))]
async fn get_participation(
    State(s): State<AppState>,
    IdPath(id): IdPath<ParticipationId>,
) -> ApiResult<Json<Participation>> {
    Ok(Json(s.community.get_participation(id).await?))
}

/// Fill in your own participation (once, while it is empty).
#[utoipa::path(patch, path = "/v1/community/participations/{id}", tag = "community", params(("id" = ParticipationId, Path)),
    request_body = FillParticipation,
    responses((status = 200, body = Participation), (status = "4XX", body = Problem, content_type = "application/problem+json")))]
async fn fill_participation(
    State(s): State<AppState>,
    Member(p): Member,
    IdPath(id): IdPath<ParticipationId>,
    ApiJson(cmd): ApiJson<FillParticipation>,
) -> ApiResult<Json<Participation>> {
    Ok(Json(s.community.fill_participation(&p, id, cmd).await?))
}

/// `GET /v1/community/me/participations?empty=`
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct MineParams {
    /// Only those still to fill in.
    #[serde(default)]
    pub empty: Option<bool>,
}

/// Your participations, newest run first (`empty=true`: what you still have to fill in).
#[utoipa::path(get, path = "/v1/community/me/participations", tag = "community", params(MineParams),
    responses((status = 200, body = Vec<Participation>), (status = "4XX", body = Problem, content_type = "application/problem+json")))]
async fn my_participations(
    State(s): State<AppState>,
    Member(p): Member,
    ApiQuery(q): ApiQuery<MineParams>,
) -> ApiResult<Json<Vec<Participation>>> {
    Ok(Json(s.community.my_participations(&p, q.empty.unwrap_or(false)).await?))
}
