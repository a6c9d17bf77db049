//! `/v1/community/admins`: the owner (the superadmin API key) appoints and removes site admins.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use podium_core::id::MemberId;
use podium_core::service::community::MemberView;
use serde::Deserialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::extract::{Admin, ApiJson, IdPath};
use crate::problem::{ApiResult, Problem};
use crate::state::AppState;

/// The routes of this resource.
pub(super) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(appoint_admin)).routes(routes!(remove_admin))
}

/// `POST /v1/community/admins`
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AppointAdmin {
    /// The member to appoint.
    pub user_id: MemberId,
}

/// Appoint a site admin (the owner only).
#[utoipa::path(post, path = "/v1/community/admins", tag = "community", request_body = AppointAdmin,
    responses((status = 201, body = MemberView), (status = "4XX", body = Problem, content_type = "application/problem+json")))]
async fn appoint_admin(
    State(s): State<AppState>,
    Admin(p): Admin,
    ApiJson(cmd): ApiJson<AppointAdmin>,
) -> ApiResult<(StatusCode, Json<MemberView>)> {
    Ok((StatusCode::CREATED, Json(s.community.set_admin(&p, cmd.user_id, true).await?)))
}

/// Remove a site admin (the owner only); their existing tokens lose the role at once.
#[utoipa::path(delete, path = "/v1/community/admins/{user_id}", tag = "community", params(("user_id" = MemberId, Path)),
    responses((status = 204), (status = "4XX", body = Problem, content_type = "application/problem+json")))]
async fn remove_admin(
    State(s): State<AppState>,
    Admin(p): Admin,
    IdPath(id): IdPath<MemberId>,
) -> ApiResult<StatusCode> {
    s.community.set_admin(&p, id, false).await?;
    Ok(StatusCode::NO_CONTENT)
}
