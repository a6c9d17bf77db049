//! `/v1/games`

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use podium_core::id::{AccountId, GameId};
use podium_core::model::Game;
use podium_core::service::{CreateGame, UpdateGame};
use serde::Deserialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::extract::{Admin, ApiJson, ApiQuery, IdPath};
use crate::list::{ListResponse, PageQuery};
use crate::problem::{ApiResult, Problem};
use crate::state::AppState;

/// The routes of this resource.
pub(super) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(create_game, list_games)).routes(routes!(get_game, update_game, delete_game))
}

/// Filters of `GET /v1/games`.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct GameFilters {
    /// Required for a superadmin; a regular key's own account otherwise.
    account_id: Option<AccountId>,
}

/// Create a game.
#[utoipa::path(post, path = "/v1/games", tag = "games", request_body = CreateGame,
    responses((status = 201, body = Game), (status = "4XX", body = Problem, content_type = "application/problem+json")))]
async fn create_game(
    State(s): State<AppState>,
    Admin(p): Admin,
    ApiJson(cmd): ApiJson<CreateGame>,
) -> ApiResult<(StatusCode, Json<Game>)> {
    Ok((StatusCode::CREATED, Json(s.admin.create_game(&p, cmd).await?)))
}

/// List the games of an account.
#[utoipa::path(get, path = "/v1/games", tag = "games", params(GameFilters, PageQuery),
    responses((status = 200, body = ListResponse<Game>), (status = "4XX", body = Problem, content_type = "application/problem+json")))]
async fn list_games(
    State(s): State<AppState>,
    Admin(p): Admin,
    ApiQuery(f): ApiQuery<GameFilters>,
    ApiQuery(page): ApiQuery<PageQuery>,
) -> ApiResult<Json<ListResponse<Game>>> {
    Ok(Json(s.admin.list_games(&p, f.account_id, &page.into()).await?.into()))
}

/// Get a game.
#[utoipa::path(get, path = "/v1/games/{id}", tag = "games", params(("id" = GameId, Path)),
    responses((status = 200, body = Game), (status = "4XX", body = Problem, content_type = "application/problem+json")))]
async fn get_game(State(s): State<AppState>, Admin(p): Admin, IdPath(id): IdPath<GameId>) -> ApiResult<Json<Game>> {
    Ok(Json(s.admin.get_game(&p, id).await?))
}

/// Update a game; `{"deleted": true}` soft-deletes it and its boards.
#[utoipa::path(patch, path = "/v1/games/{id}", tag = "games", params(("id" = GameId, Path)), request_body = UpdateGame,
    responses((status = 200, body = Game), (status = "4XX", body = Problem, content_type = "application/problem+json")))]
async fn update_game(
    State(s): State<AppState>,
    Admin(p): Admin,
    IdPath(id): IdPath<GameId>,
    ApiJson(cmd): ApiJson<UpdateGame>,
) -> ApiResult<Json<Game>> {
    Ok(Json(s.admin.update_game(&p, id, cmd).await?))
}

/// Soft-delete a game and its boards.
#[utoipa::path(delete, path = "/v1/games/{id}", tag = "games", params(("id" = GameId, Path)),
    responses((status = 204), (status = "4XX", body = Problem, content_type = "application/problem+json")))]
async fn delete_game(State(s): State<AppState>, Admin(p): Admin, IdPath(id): IdPath<GameId>) -> ApiResult<StatusCode> {
    s.admin.delete_game(&p, id).await?;
    Ok(StatusCode::NO_CONTENT)
}
