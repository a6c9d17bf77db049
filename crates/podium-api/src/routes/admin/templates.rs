//! `/v1/board-templates`: recurring boards' defaults and schedules, and each template's
//! current board.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use podium_core::id::{AccountId, GameId, TemplateId};
use podium_core::model::{Board, BoardTemplate};
use podium_core::service::{CreateTemplate, TemplateListQuery, UpdateTemplate};
use serde::Deserialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::extract::{Admin, ApiJson, ApiQuery, IdPath};
use crate::list::{ListResponse, PageQuery};
use crate::problem::{ApiResult, Problem};
use crate::state::AppState;

/// The routes of this resource.
pub(super) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_template, list_templates))
        .routes(routes!(get_template, update_template, delete_template))
        .routes(routes!(current_board))
}

/// Filters of `GET /v1/board-templates`.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct TemplateFilters {
    /// Required for a superadmin; a regular key's own account otherwise.
    account_id: Option<AccountId>,
    /// Only this game's templates.
    game_id: Option<GameId>,
    /// Only the template with this slug.
    slug: Option<String>,
}

/// Create a board template: the board every period gets, the schedule that cuts time into
/// periods, and the patterns each period's board is named by.
#[utoipa::path(post, path = "/v1/board-templates", tag = "board-templates", request_body = CreateTemplate,
    responses((status = 201, body = BoardTemplate), (status = "4XX", body = Problem, content_type = "application/problem+json")))]
async fn create_template(
    State(s): State<AppState>,
    Admin(p): Admin,
    ApiJson(cmd): ApiJson<CreateTemplate>,
) -> ApiResult<(StatusCode, Json<BoardTemplate>)> {
    Ok((StatusCode::CREATED, Json(s.admin.create_template(&p, cmd).await?)))
}

/// List board templates, filtered by game or slug.
#[utoipa::path(get, path = "/v1/board-templates", tag = "board-templates", params(TemplateFilters, PageQuery),
    responses((status = 200, body = ListResponse<BoardTemplate>), (status = "4XX", body = Problem, content_type = "application/problem+json")))]
async fn list_templates(
    State(s): State<AppState>,
    Admin(p): Admin,
    ApiQuery(f): ApiQuery<TemplateFilters>,
    ApiQuery(page): ApiQuery<PageQuery>,
) -> ApiResult<Json<ListResponse<BoardTemplate>>> {
    let q = TemplateListQuery { account_id: f.account_id, game_id: f.game_id, slug: f.slug };
    Ok(Json(s.admin.list_templates(&p, q, &page.into()).await?.into()))
}

/// Get a board template.
#[utoipa::path(get, path = "/v1/board-templates/{id}", tag = "board-templates", params(("id" = TemplateId, Path)),
    responses((status = 200, body = BoardTemplate), (status = "4XX", body = Problem, content_type = "application/problem+json")))]
async fn get_template(
    State(s): State<AppState>,
    Admin(p): Admin,
    IdPath(id): IdPath<TemplateId>,
) -> ApiResult<Json<BoardTemplate>> {
    Ok(Json(s.admin.get_template(&p, id).await?))
}

/// Update a board template (from its next period on); `{"deleted": true}` soft-deletes it.
#[utoipa::path(patch, path = "/v1/board-templates/{id}", tag = "board-templates", params(("id" = TemplateId, Path)), request_body = UpdateTemplate,
    responses((status = 200, body = BoardTemplate), (status = "4XX", body = Problem, content_type = "application/problem+json")))]
async fn update_template(
    State(s): State<AppState>,
    Admin(p): Admin,
    IdPath(id): IdPath<TemplateId>,
    ApiJson(cmd): ApiJson<UpdateTemplate>,
) -> ApiResult<Json<BoardTemplate>> {
    Ok(Json(s.admin.update_template(&p, id, cmd).await?))
}

/// Soft-delete a board template; the boards it stamped out stay.
#[utoipa::path(delete, path = "/v1/board-templates/{id}", tag = "board-templates", params(("id" = TemplateId, Path)),
    responses((status = 204), (status = "4XX", body = Problem, content_type = "application/problem+json")))]
async fn delete_template(
    State(s): State<AppState>,
    Admin(p): Admin,
    IdPath(id): IdPath<TemplateId>,
) -> ApiResult<StatusCode> {
    s.admin.delete_template(&p, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The board of the template's latest period (404 before its first).
#[utoipa::path(get, path = "/v1/board-templates/{id}/current", tag = "board-templates", params(("id" = TemplateId, Path)),
    responses((status = 200, body = Board), (status = "4XX", body = Problem, content_type = "application/problem+json")))]
async fn current_board(
    State(s): State<AppState>,
    Admin(p): Admin,
    IdPath(id): IdPath<TemplateId>,
) -> ApiResult<Json<Board>> {
    Ok(Json(s.admin.current_board(&p, id).await?))
}
