//! `/v1/api-keys`

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use podium_core::id::{AccountId, ApiKeyId, UserId};
use podium_core::model::{ApiKey, ApiKeyStatus};
use podium_core::service::{CreateApiKey, CreatedApiKey, UpdateApiKey};
use serde::Deserialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::extract::{Admin, ApiJson, ApiQuery, IdPath};
use crate::list::{ListResponse, PageQuery};
use crate::problem::{ApiResult, Problem};
use crate::state::AppState;

/// The routes of this resource.
pub(super) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(create_api_key, list_api_keys)).routes(routes!(
        get_api_key,
        update_api_key,
        delete_api_key
    ))
}

/// Filters of `GET /v1/api-keys`.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct ApiKeyFilters {
    /// Required for a superadmin; a regular key's own account otherwise.
    account_id: Option<AccountId>,
    /// Only this user's keys.
    user_id: Option<UserId>,
    /// Only keys with this status.
    status: Option<ApiKeyStatus>,
}

/// Create an API key. The answer holds the secret `key`; it is never shown again.
#[utoipa::path(post, path = "/v1/api-keys", tag = "api-keys", request_body = CreateApiKey,
    responses((status = 201, body = CreatedApiKey), (status = "4XX", body = Problem, content_type = "application/problem+json")))]
async fn create_api_key(
    State(s): State<AppState>,
    Admin(p): Admin,
    ApiJson(cmd): ApiJson<CreateApiKey>,
) -> ApiResult<(StatusCode, Json<CreatedApiKey>)> {
    Ok((StatusCode::CREATED, Json(s.admin.create_api_key(&p, cmd).await?)))
}

/// List the keys of an account.
#[utoipa::path(get, path = "/v1/api-keys", tag = "api-keys", params(ApiKeyFilters, PageQuery),
    responses((status = 200, body = ListResponse<ApiKey>), (status = "4XX", body = Problem, content_type = "application/problem+json")))]
async fn list_api_keys(
    State(s): State<AppState>,
    Admin(p): Admin,
    ApiQuery(f): ApiQuery<ApiKeyFilters>,
    ApiQuery(page): ApiQuery<PageQuery>,
) -> ApiResult<Json<ListResponse<ApiKey>>> {
    Ok(Json(s.admin.list_api_keys(&p, f.account_id, f.user_id, f.status, &page.into()).await?.into()))
}

/// Get a key (without its secret).
#[utoipa::path(get, path = "/v1/api-keys/{id}", tag = "api-keys", params(("id" = ApiKeyId, Path)),
    responses((status = 200, body = ApiKey), (status = "4XX", body = Problem, content_type = "application/problem+json")))]
async fn get_api_key(
    State(s): State<AppState>,
    Admin(p): Admin,
    IdPath(id): IdPath<ApiKeyId>,
) -> ApiResult<Json<ApiKey>> {
    Ok(Json(s.admin.get_api_key(&p, id).await?))
}

/// Update a key: rename, revoke (`{"status": "revoked"}`), change expiry, or soft-delete.
#[utoipa::path(patch, path = "/v1/api-keys/{id}", tag = "api-keys", params(("id" = ApiKeyId, Path)), request_body = UpdateApiKey,
    responses((status = 200, body = ApiKey), (status = "4XX", body = Problem, content_type = "application/problem+json")))]
async fn update_api_key(
    State(s): State<AppState>,
    Admin(p): Admin,
    IdPath(id): IdPath<ApiKeyId>,
    ApiJson(cmd): ApiJson<UpdateApiKey>,
) -> ApiResult<Json<ApiKey>> {
    Ok(Json(s.admin.update_api_key(&p, id, cmd).await?))
}

/// Soft-delete a key; it stops working at once.
#[utoipa::path(delete, path = "/v1/api-keys/{id}", tag = "api-keys", params(("id" = ApiKeyId, Path)),
    responses((status = 204), (status = "4XX", body = Problem, content_type = "application/problem+json")))]
async fn delete_api_key(
    State(s): State<AppState>,
    Admin(p): Admin,
    IdPath(id): IdPath<ApiKeyId>,
) -> ApiResult<StatusCode> {
    s.admin.delete_api_key(&p, id).await?;
    Ok(StatusCode::NO_CONTENT)
}
