//! `/v1/community/variables`, `/v1/community/variable-values`, `/v1/community/categories/{id}/variables`

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use podium_core::id::{CategoryId, VariableId, VariableValueId};
use podium_core::model::community::{Variable, VariableValue};
use podium_core::service::community::{AssignVariable, CreateVariable, UpdateValue, UpdateVariable, ValueInput};
use serde::Deserialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::extract::{ApiJson, ApiQuery, IdPath, Member};
use crate::problem::{ApiError, ApiResult, Problem};
use crate::state::AppState;

/// What anyone may read.
pub(super) fn public() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(get_variable)).routes(routes!(list_variables)).routes(routes!(get_value))
}

/// What the leaderboard's moderators change.
pub(super) fn own() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_variable))
        .routes(routes!(update_variable, delete_variable))
        .routes(routes!(assign_variable))
        .routes(routes!(unassign_variable))
        .routes(routes!(add_value))
        .routes(routes!(update_value, delete_value))
}

/// Create a variable with its values and categories.
#[utoipa::path(post, path = "/v1/community/variables", tag = "community", request_body = CreateVariable,
    responses((status = 201, body = Variable), (status = "4XX", body = Problem, content_type = "application/problem+json")))]
async fn create_variable(
    State(s): State<AppState>,
    Member(p): Member,
    ApiJson(cmd): ApiJson<CreateVariable>,
) -> ApiResult<(StatusCode, Json<Variable>)> {
    Ok((StatusCode::CREATED, Json(s.community.create_variable(&p, cmd).await?)))
}

/// A variable with its values and categories.
#[utoipa::path(get, path = "/v1/community/variables/{id}", tag = "community", params(("id" = VariableId, Path)),
    responses((status = 200, body = Variable), (status = "4XX", body = Problem, content_type = "application/problem+json")))]
async fn get_variable(State(s): State<AppState>, IdPath(id): IdPath<VariableId>) -> ApiResult<Json<Variable>> {
    Ok(Json(s.community.get_variable(id).await?))
}

/// The variables assigned to a category.
#[utoipa::path(get, path = "/v1/community/categories/{id}/variables", tag = "community", params(("id" = CategoryId, Path)),
    responses((status = 200, body = Vec<Variable>), (status = "4XX", body = Problem, content_type = "application/problem+json")))]
async fn list_variables(State(s): State<AppState>, IdPath(id): IdPath<CategoryId>) -> ApiResult<Json<Vec<Variable>>> {
    Ok(Json(s.community.category_variables(id).await?))
}

/// Rename a variable.
#[utoipa::path(patch, path = "/v1/community/variables/{id}", tag = "community", params(("id" = VariableId, Path)), request_body = UpdateVariable,
    responses((status = 200, body = Variable), (status = "4XX", body = Problem, content_type = "application/problem+json")))]
async fn update_variable(
    State(s): State<AppState>,
    Member(p): Member,
    IdPath(id): IdPath<VariableId>,
    ApiJson(cmd): ApiJson<UpdateVariable>,
) -> ApiResult<Json<Variable>> {
    Ok(Json(s.community.update_variable(&p, id, cmd).await?))
}

/// Delete a variable (= unassign it everywhere).
#[utoipa::path(delete, path = "/v1/community/variables/{id}", tag = "community", params(("id" = VariableId, Path)),
    responses((status = 204), (status = "4XX", body = Problem, content_type = "application/problem+json")))]
async fn delete_variable(
    State(s): State<AppState>,
    Member(p): Member,
    IdPath(id): IdPath<VariableId>,
) -> ApiResult<StatusCode> {
    s.community.delete_variable(&p, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Assign a variable to a category, or change its flags there.
#[utoipa::path(post, path = "/v1/community/variables/{id}/categories", tag = "community", params(("id" = VariableId, Path)),
    request_body = AssignVariable,
    responses((status = 200, body = Variable), (status = "4XX", body = Problem, content_type = "application/problem+json")))]
async fn assign_variable(
    State(s): State<AppState>,
    Member(p): Member,
    IdPath(id): IdPath<VariableId>,
    ApiJson(cmd): ApiJson<AssignVariable>,
) -> ApiResult<Json<Variable>> {
    Ok(Json(s.community.assign_variable(&p, id, cmd).await?))
}

/// Unassign a variable from a category; unassigned from its last one, it is deleted.
#[utoipa::path(delete, path = "/v1/community/variables/{id}/categories/{category_id}", tag = "community",
    params(("id" = VariableId, Path), ("category_id" = CategoryId, Path)),
    responses((status = 204), (status = "4XX", body = Problem, content_type = "application/problem+json")))]
async fn unassign_variable(
    State(s): State<AppState>,
    Member(p): Member,
    Path((id, category)): Path<(String, String)>,
) -> ApiResult<StatusCode> {
    let id: VariableId = id.parse().map_err(|_| ApiError(podium_core::error::ServiceError::not_found("variable")))?;
    let category: CategoryId =
        category.parse().map_err(|_| ApiError(podium_core::error::ServiceError::not_found("assignment")))?;
    s.community.unassign_variable(&p, id, category).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Add a value to a variable.
#[utoipa::path(post, path = "/v1/community/variables/{id}/values", tag = "community", params(("id" = VariableId, Path)), request_body = ValueInput,
    responses((status = 201, body = VariableValue), (status = "4XX", body = Problem, content_type = "application/problem+json")))]
async fn add_value(
    State(s): State<AppState>,
    Member(p): Member,
    IdPath(id): IdPath<VariableId>,
    ApiJson(cmd): ApiJson<ValueInput>,
) -> ApiResult<(StatusCode, Json<VariableValue>)> {
    Ok((StatusCode::CREATED, Json(s.community.add_value(&p, id, cmd).await?)))
}

/// A variable value.
#[utoipa::path(get, path = "/v1/community/variable-values/{id}", tag = "community", params(("id" = VariableValueId, Path)),
    responses((status = 200, body = VariableValue), (status = "4XX", body = Problem, content_type = "application/problem+json")))]
async fn get_value(State(s): State<AppState>, IdPath(id): IdPath<VariableValueId>) -> ApiResult<Json<VariableValue>> {
    Ok(Json(s.community.get_value(id).await?))
}

/// Rename a value.
#[utoipa::path(patch, path = "/v1/community/variable-values/{id}", tag = "community", params(("id" = VariableValueId, Path)), request_body = UpdateValue,
    responses((status = 200, body = VariableValue), (status = "4XX", body = Problem, content_type = "application/problem+json")))]
async fn update_value(
    State(s): State<AppState>,
    Member(p): Member,
    IdPath(id): IdPath<VariableValueId>,
    ApiJson(cmd): ApiJson<UpdateValue>,
) -> ApiResult<Json<VariableValue>> {
    Ok(Json(s.community.update_value(&p, id, cmd).await?))
}

/// `DELETE /v1/community/variable-values/{id}?replacement=`
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct Replacement {
    /// Another value of the same variable for the runs that use this one.
    #[serde(default)]
    pub replacement: Option<VariableValueId>,
}

/// Delete a value (a variable keeps at least two).
#[utoipa::path(delete, path = "/v1/community/variable-values/{id}", tag = "community", params(("id" = VariableValueId, Path), Replacement),
    responses((status = 204), (status = "4XX", body = Problem, content_type = "application/problem+json")))]
async fn delete_value(
    State(s): State<AppState>,
    Member(p): Member,
    IdPath(id): IdPath<VariableValueId>,
    ApiQuery(q): ApiQuery<Replacement>,
) -> ApiResult<StatusCode> {
    s.community.delete_value(&p, id, q.replacement).await?;
    Ok(StatusCode::NO_CONTENT)
}
