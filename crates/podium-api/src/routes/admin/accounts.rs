//! `/v1/accounts`

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use podium_core::id::AccountId;
use podium_core::model::Account;
use podium_core::service::{CreateAccount, UpdateAccount};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::extract::{Admin, ApiJson, ApiQuery, IdPath};
use crate::list::{ListResponse, PageQuery};
use crate::problem::{ApiResult, Problem};
use crate::state::AppState;

/// The routes of this resource.
pub(super) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(create_account, list_accounts)).routes(routes!(
        get_account,
        update_account,
        delete_account
    ))
}

/// Create an account (superadmin only).
#[utoipa::path(post, path = "/v1/accounts", tag = "accounts", request_body = CreateAccount,
    responses((status = 201, body = Account), (status = "4XX", body = Problem, content_type = "application/problem+json")))]
async fn create_account(
    State(s): State<AppState>,
    Admin(p): Admin,
    ApiJson(cmd): ApiJson<CreateAccount>,
) -> ApiResult<(StatusCode, Json<Account>)> {
    Ok((StatusCode::CREATED, Json(s.admin.create_account(&p, cmd).await?)))
}

/// List accounts: every account for a superadmin, the key's own otherwise.
#[utoipa::path(get, path = "/v1/accounts", tag = "accounts", params(PageQuery),
    responses((status = 200, body = ListResponse<Account>), (status = "4XX", body = Problem, content_type = "application/problem+json")))]
async fn list_accounts(
    State(s): State<AppState>,
    Admin(p): Admin,
    ApiQuery(page): ApiQuery<PageQuery>,
) -> ApiResult<Json<ListResponse<Account>>> {
    Ok(Json(s.admin.list_accounts(&p, &page.into()).await?.into()))
}

/// Get an account.
#[utoipa::path(get, path = "/v1/accounts/{id}", tag = "accounts", params(("id" = AccountId, Path)),
    responses((status = 200, body = Account), (status = "4XX", body = Problem, content_type = "application/problem+json")))]
async fn get_account(
    State(s): State<AppState>,
    Admin(p): Admin,
    IdPath(id): IdPath<AccountId>,
) -> ApiResult<Json<Account>> {
    Ok(Json(s.admin.get_account(&p, id).await?))
}

/// Update an account; `{"deleted": true}` soft-deletes it (superadmin only).
#[utoipa::path(patch, path = "/v1/accounts/{id}", tag = "accounts", params(("id" = AccountId, Path)), request_body = UpdateAccount,
    responses((status = 200, body = Account), (status = "4XX", body = Problem, content_type = "application/problem+json")))]
async fn update_account(
    State(s): State<AppState>,
    Admin(p): Admin,
    IdPath(id): IdPath<AccountId>,
    ApiJson(cmd): ApiJson<UpdateAccount>,
) -> ApiResult<Json<Account>> {
    Ok(Json(s.admin.update_account(&p, id, cmd).await?))
}

/// Soft-delete an account (superadmin only).
#[utoipa::path(delete, path = "/v1/accounts/{id}", tag = "accounts", params(("id" = AccountId, Path)),
    responses((status = 204), (status = "4XX", body = Problem, content_type = "application/problem+json")))]
async fn delete_account(
    State(s): State<AppState>,
    Admin(p): Admin,
    IdPath(id): IdPath<AccountId>,
) -> ApiResult<StatusCode> {
    s.admin.delete_account(&p, id).await?;
    Ok(StatusCode::NO_CONTENT)
}
