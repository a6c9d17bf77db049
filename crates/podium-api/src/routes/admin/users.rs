//! `/v1/users`

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use podium_core::id::{AccountId, UserId};
use podium_core::model::User;
use podium_core::service::{CreateUser, UpdateUser};
use serde::Deserialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::extract::{Admin, ApiJson, ApiQuery, IdPath};
use crate::list::{ListResponse, PageQuery};
use crate::problem::{ApiResult, Problem};
use crate::state::AppState;

/// The routes of this resource.
pub(super) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(create_user, list_users)).routes(routes!(get_user, update_user, delete_user))
}

/// Filters of `GET /v1/users`.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct UserFilters {
    /// Required for a superadmin; a regular key's own account otherwise.
    account_id: Option<AccountId>,
}

/// Create a user.
#[utoipa::path(post, path = "/v1/users", tag = "users", request_body = CreateUser,
    responses((status = 201, body = User), (status = "4XX", body = Problem, content_type = "application/problem+json")))]
async fn create_user(
    State(s): State<AppState>,
    Admin(p): Admin,
    ApiJson(cmd): ApiJson<CreateUser>,
) -> ApiResult<(StatusCode, Json<User>)> {
    Ok((StatusCode::CREATED, Json(s.admin.create_user(&p, cmd).await?)))
}

/// List the users of an account.
#[utoipa::path(get, path = "/v1/users", tag = "users", params(UserFilters, PageQuery),
    responses((status = 200, body = ListResponse<User>), (status = "4XX", body = Problem, content_type = "application/problem+json")))]
async fn list_users(
    State(s): State<AppState>,
    Admin(p): Admin,
    ApiQuery(f): ApiQuery<UserFilters>,
    ApiQuery(page): ApiQuery<PageQuery>,
) -> ApiResult<Json<ListResponse<User>>> {
    Ok(Json(s.admin.list_users(&p, f.account_id, &page.into()).await?.into()))
}

/// Get a user.
#[utoipa::path(get, path = "/v1/users/{id}", tag = "users", params(("id" = UserId, Path)),
    responses((status = 200, body = User), (status = "4XX", body = Problem, content_type = "application/problem+json")))]
async fn get_user(State(s): State<AppState>, Admin(p): Admin, IdPath(id): IdPath<UserId>) -> ApiResult<Json<User>> {
    Ok(Json(s.admin.get_user(&p, id).await?))
}

/// Update a user; `{"deleted": true}` soft-deletes them.
#[utoipa::path(patch, path = "/v1/users/{id}", tag = "users", params(("id" = UserId, Path)), request_body = UpdateUser,
    responses((status = 200, body = User), (status = "4XX", body = Problem, content_type = "application/problem+json")))]
async fn update_user(
    State(s): State<AppState>,
    Admin(p): Admin,
    IdPath(id): IdPath<UserId>,
    ApiJson(cmd): ApiJson<UpdateUser>,
) -> ApiResult<Json<User>> {
    Ok(Json(s.admin.update_user(&p, id, cmd).await?))
}

/// Soft-delete a user; their keys stop working.
#[utoipa::path(delete, path = "/v1/users/{id}", tag = "users", params(("id" = UserId, Path)),
    responses((status = 204), (status = "4XX", body = Problem, content_type = "application/problem+json")))]
async fn delete_user(State(s): State<AppState>, Admin(p): Admin, IdPath(id): IdPath<UserId>) -> ApiResult<StatusCode> {
    s.admin.delete_user(&p, id).await?;
    Ok(StatusCode::NO_CONTENT)
}
