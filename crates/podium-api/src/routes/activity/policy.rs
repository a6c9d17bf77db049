//! `GET/PUT /v1/activity/policy?game_id=`: a game's activity policy document.

use axum::Json;
use axum::extract::State;
use podium_core::id::GameId;
use serde::Deserialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::extract::{Admin, ApiJson, ApiQuery};
use crate::problem::{ApiResult, Problem};
use crate::state::AppState;

/// The routes of this resource.
pub(super) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(get_policy, put_policy))
}

/// `?game_id=`
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct GameQuery {
    /// The game (`gam_…`).
    game_id: GameId,
}

/// A game's policy: every field written out (the seed's defaults until one was set).
#[utoipa::path(get, path = "/v1/activity/policy", tag = "activity", params(GameQuery),
    responses((status = 200, body = Object), (status = "4XX", body = Problem, content_type = "application/problem+json"), (status = 503, description = "`store_unavailable`: the database cannot be reached", body = Problem, content_type = "application/problem+json")))]
async fn get_policy(
    State(s): State<AppState>,
    Admin(p): Admin,
    ApiQuery(q): ApiQuery<GameQuery>,
) -> ApiResult<Json<serde_json::Value>> {
    Ok(Json(s.activity.policy(&p, q.game_id).await?))
}

/// Replace a game's policy. Omitted groups and fields take the seed's defaults; the document
/// is checked as a whole (422 naming every bad field, e.g. `daily_caps.dms`); it applies to
/// events received after it.
#[utoipa::path(put, path = "/v1/activity/policy", tag = "activity", params(GameQuery), request_body = Object,
    responses((status = 200, body = Object), (status = "4XX", body = Problem, content_type = "application/problem+json"), (status = 503, description = "`activity_elsewhere`: several nodes share the database and another one writes activity scores now (nothing was changed; send the request to it, or retry); `store_unavailable`: the database cannot be reached", body = Problem, content_type = "application/problem+json")))]
async fn put_policy(
    State(s): State<AppState>,
    Admin(p): Admin,
    ApiQuery(q): ApiQuery<GameQuery>,
    ApiJson(doc): ApiJson<serde_json::Value>,
) -> ApiResult<Json<serde_json::Value>> {
    Ok(Json(s.activity.put_policy(&p, q.game_id, &doc).await?))
}
