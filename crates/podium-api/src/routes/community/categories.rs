//! `/v1/community/categories`, `/v1/community/leaderboards/{id}/categories`

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use podium_core::id::CategoryId;
use podium_core::model::community::Category;
use podium_core::service::community::{CreateCategory, UpdateCategory};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::extract::{ApiJson, IdPath, Member};
use crate::problem::{ApiResult, Problem};
use crate::state::AppState;

/// What anyone may read.
pub(super) fn public() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(get_category)).routes(routes!(list_categories))
}

/// What the leaderboard's moderators change.
pub(super) fn own() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(create_category)).routes(routes!(update_category, delete_category))
}

/// Create a category with its metrics (the leaderboard's moderators and site admins).
#[utoipa::path(post, path = "/v1/community/categories", tag = "community", request_body = CreateCategory,
    responses((status = 201, body = Category), (status = "4XX", body = Problem, content_type = "application/problem+json")))]
async fn create_category(
    State(s): State<AppState>,
    Member(p): Member,
    ApiJson(cmd): ApiJson<CreateCategory>,
) -> ApiResult<(StatusCode, Json<Category>)> {
    Ok((StatusCode::CREATED, Json(s.community.create_category(&p, cmd).await?)))
}

/// A category with its metrics.
#[utoipa::path(get, path = "/v1/community/categories/{id}", tag = "community", params(("id" = CategoryId, Path)),
    responses((status = 200, body = Category), (status = "4XX", body = Problem, content_type = "application/problem+json")))]
async fn get_category(State(s): State<AppState>, IdPath(id): IdPath<CategoryId>) -> ApiResult<Json<Category>> {
    Ok(Json(s.community.get_category(id).await?))
}

/// The categories of a leaderboard, by creation.
#[utoipa::path(get, path = "/v1/community/leaderboards/{id}/categories", tag = "community", params(("id" = String, Path, description = "`lbd_…` or the slug")),
    responses((status = 200, body = Vec<Category>), (status = "4XX", body = Problem, content_type = "application/problem+json")))]
async fn list_categories(State(s): State<AppState>, Path(id): Path<String>) -> ApiResult<Json<Vec<Category>>> {
    Ok(Json(s.community.categories(&id).await?))
}

/// Edit a category; `metrics`, when given, replaces the list (an entry with an `id` keeps
/// that metric).
#[utoipa::path(patch, path = "/v1/community/categories/{id}", tag = "community", params(("id" = CategoryId, Path)), request_body = UpdateCategory,
    responses((status = 200, body = Category), (status = "4XX", body = Problem, content_type = "application/problem+json")))]
async fn update_category(
    State(s): State<AppState>,
    Member(p): Member,
    IdPath(id): IdPath<CategoryId>,
    ApiJson(cmd): ApiJson<UpdateCategory>,
) -> ApiResult<Json<Category>> {
    Ok(Json(s.community.update_category(&p, id, cmd).await?))
}

/// Delete a category and its metrics.
#[utoipa::path(delete, path = "/v1/community/categories/{id}", tag = "community", params(("id" = CategoryId, Path)),
    responses((status = 204), (status = "4XX", body = Problem, content_type = "application/problem+json")))]
async fn delete_category(
    State(s): State<AppState>,
    Member(p): Member,
    IdPath(id): IdPath<CategoryId>,
) -> ApiResult<StatusCode> {
    s.community.delete_category(&p, id).await?;
    Ok(StatusCode::NO_CONTENT)
}
