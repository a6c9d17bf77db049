//! `/v1/boards`

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use podium_core::id::{AccountId, BoardId, GameId, TemplateId};
use podium_core::model::Board;
use podium_core::service::{BoardListQuery, CreateBoard, UpdateBoard};
use serde::Deserialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::extract::{Admin, ApiJson, ApiQuery, IdPath};
use crate::list::{ListResponse, PageQuery};
use crate::problem::{ApiResult, Problem};
use crate::state::AppState;

/// The routes of this resource.
pub(super) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(create_board, list_boards)).routes(routes!(
        get_board,
        update_board,
        delete_board
    ))
}

/// Filters of `GET /v1/boards`.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct BoardFilters {
    /// Required for a superadmin; a regular key's own account otherwise.
    account_id: Option<AccountId>,
    /// Only this game's boards.
    game_id: Option<GameId>,
    /// Only the board with this slug.
    slug: Option<String>,
    /// Only the board with this short code.
    code: Option<String>,
    /// Only active (`true`) or inactive (`false`) boards.
    is_active: Option<bool>,
    /// Only boards carrying this tag (exact match after trimming, case-sensitive; 1–32
    /// characters).
    tag: Option<String>,
    /// Only the boards this template stamped out: its seasons, newest first by default (and
    /// sortable by `series`).
    template_id: Option<TemplateId>,
}

/// Create a board.
#[utoipa::path(post, path = "/v1/boards", tag = "boards", request_body = CreateBoard,
    responses((status = 201, body = Board), (status = "4XX", body = Problem, content_type = "application/problem+json")))]
async fn create_board(
    State(s): State<AppState>,
    Admin(p): Admin,
    ApiJson(cmd): ApiJson<CreateBoard>,
) -> ApiResult<(StatusCode, Json<Board>)> {
    Ok((StatusCode::CREATED, Json(s.admin.create_board(&p, cmd).await?)))
}

/// List boards, filtered by game, slug, short code, activity, tag or template.
#[utoipa::path(get, path = "/v1/boards", tag = "boards", params(BoardFilters, PageQuery),
    responses((status = 200, body = ListResponse<Board>), (status = "4XX", body = Problem, content_type = "application/problem+json")))]
async fn list_boards(
    State(s): State<AppState>,
    Admin(p): Admin,
    ApiQuery(f): ApiQuery<BoardFilters>,
    ApiQuery(page): ApiQuery<PageQuery>,
) -> ApiResult<Json<ListResponse<Board>>> {
    let q = BoardListQuery {
        account_id: f.account_id,
        game_id: f.game_id,
        slug: f.slug,
        code: f.code,
        is_active: f.is_active,
        tag: f.tag,
        template_id: f.template_id,
    };
    Ok(Json(s.admin.list_boards(&p, q, &page.into()).await?.into()))
}

/// Get a board.
#[utoipa::path(get, path = "/v1/boards/{id}", tag = "boards", params(("id" = BoardId, Path)),
    responses((status = 200, body = Board), (status = "4XX", body = Problem, content_type = "application/problem+json")))]
async fn get_board(State(s): State<AppState>, Admin(p): Admin, IdPath(id): IdPath<BoardId>) -> ApiResult<Json<Board>> {
    Ok(Json(s.admin.get_board(&p, id).await?))
}

/// Update a board; `board_type` cannot change; `{"deleted": true}` soft-deletes it.
#[utoipa::path(patch, path = "/v1/boards/{id}", tag = "boards", params(("id" = BoardId, Path)), request_body = UpdateBoard,
    responses((status = 200, body = Board), (status = "4XX", body = Problem, content_type = "application/problem+json")))]
async fn update_board(
    State(s): State<AppState>,
    Admin(p): Admin,
    IdPath(id): IdPath<BoardId>,
    ApiJson(cmd): ApiJson<UpdateBoard>,
) -> ApiResult<Json<Board>> {
    Ok(Json(s.admin.update_board(&p, id, cmd).await?))
}

/// Soft-delete a board.
#[utoipa::path(delete, path = "/v1/boards/{id}", tag = "boards", params(("id" = BoardId, Path)),
    responses((status = 204), (status = "4XX", body = Problem, content_type = "application/problem+json")))]
async fn delete_board(
    State(s): State<AppState>,
    Admin(p): Admin,
    IdPath(id): IdPath<BoardId>,
) -> ApiResult<StatusCode> {
    s.admin.delete_board(&p, id).await?;
    Ok(StatusCode::NO_CONTENT)
}
