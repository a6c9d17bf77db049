//! `/v1/score-events`: submissions (admin seeding and server-authoritative games) and the
//! immutable event log. Events cannot be changed or deleted (405).

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use podium_core::id::{AccountId, BoardId, IdentityId, ScoreEventId};
use podium_core::model::ScoreEvent;
use podium_core::service::{EventListQuery, SubmitScore, SubmittedScore};
use serde::Deserialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::extract::{Admin, ApiJson, ApiQuery, IdPath};
use crate::list::{ListResponse, PageQuery};
use crate::problem::{ApiResult, Problem};
use crate::state::AppState;

/// The routes of this resource.
pub(super) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(submit, list_events)).routes(routes!(get_event))
}

/// Filters of `GET /v1/score-events`.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct EventFilters {
    /// Required for a superadmin; a regular key's own account otherwise.
    account_id: Option<AccountId>,
    /// Only this board's events.
    board_id: Option<BoardId>,
    /// Only this player's events.
    identity_id: Option<IdentityId>,
    /// Only test (`true`) or live (`false`) events.
    is_test: Option<bool>,
}

/// Submit a score: finds or creates the identity by `player_key`, appends the immutable event,
/// updates the ranked entry, and answers once both are committed, with the entry and its rank.
#[utoipa::path(post, path = "/v1/score-events", tag = "scores", request_body = SubmitScore,
    responses((status = 201, body = SubmittedScore), (status = "4XX", body = Problem, content_type = "application/problem+json")))]
async fn submit(
    State(s): State<AppState>,
    Admin(p): Admin,
    ApiJson(cmd): ApiJson<SubmitScore>,
) -> ApiResult<(StatusCode, Json<SubmittedScore>)> {
    Ok((StatusCode::CREATED, Json(s.scores.submit(&p, cmd).await?)))
}

/// List score events, newest first.
#[utoipa::path(get, path = "/v1/score-events", tag = "scores", params(EventFilters, PageQuery),
    responses((status = 200, body = ListResponse<ScoreEvent>), (status = "4XX", body = Problem, content_type = "application/problem+json")))]
async fn list_events(
    State(s): State<AppState>,
    Admin(p): Admin,
    ApiQuery(f): ApiQuery<EventFilters>,
    ApiQuery(page): ApiQuery<PageQuery>,
) -> ApiResult<Json<ListResponse<ScoreEvent>>> {
    let q = EventListQuery {
        account_id: f.account_id,
        board_id: f.board_id,
        identity_id: f.identity_id,
        is_test: f.is_test,
    };
    Ok(Json(s.scores.list_events(&p, q, &page.into()).await?.into()))
}

/// Get one score event.
#[utoipa::path(get, path = "/v1/score-events/{id}", tag = "scores", params(("id" = ScoreEventId, Path)),
    responses((status = 200, body = ScoreEvent), (status = "4XX", body = Problem, content_type = "application/problem+json")))]
async fn get_event(
    State(s): State<AppState>,
    Admin(p): Admin,
    IdPath(id): IdPath<ScoreEventId>,
) -> ApiResult<Json<ScoreEvent>> {
    Ok(Json(s.scores.get_event(&p, id).await?))
}
