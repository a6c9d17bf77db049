//! `/v1/client/sessions`: starting and refreshing a device session — the only client calls
//! that carry no access token (the refresh token is in the body).

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use podium_core::error::ServiceError;
use podium_core::service::{SessionTokens, StartSession};
use podium_core::shared::Bucket;
use serde::Deserialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::too_many;
use crate::edge::ClientIp;
use crate::extract::{bearer, parse_json};
use crate::problem::{ApiError, ApiResult, Problem};
use crate::state::AppState;

/// The routes of this resource.
pub(super) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(start_session)).routes(routes!(refresh_session))
}

/// Start (or resume) a device session: the same game and fingerprint are the same device and
/// player every time. Rate limited per client address.
#[utoipa::path(post, path = "/v1/client/sessions", tag = "client", request_body = StartSession,
    responses((status = 201, body = SessionTokens), (status = 429, body = Problem, content_type = "application/problem+json"),
        (status = "4XX", body = Problem, content_type = "application/problem+json")))]
async fn start_session(State(s): State<AppState>, ClientIp(ip): ClientIp, body: Bytes) -> Response {
    if let Some(ip) = ip
        && let Err(wait) = s.edge.rates.take(Bucket::SessionStarts, ip)
    {
        return too_many(wait);
    }
    let cmd: StartSession = match parse_json(&body) {
        Ok(cmd) => cmd,
        Err(e) => return e.into_response(),
    };
    match s.clients.start_session(cmd).await {
        Ok(tokens) => (StatusCode::CREATED, Json(tokens)).into_response(),
        Err(e) => ApiError(e).into_response(),
    }
}

/// `{"refresh_token": …}`, optional when the token is sent as `authorization: Bearer`.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
pub struct RefreshBody {
    /// The refresh token.
    #[serde(default)]
    pub refresh_token: Option<String>,
}

/// Rotate both tokens of a session; the old pair stops working. The refresh token goes in
/// `authorization: Bearer` (the body may then be empty) or in the body.
#[utoipa::path(post, path = "/v1/client/sessions/refresh", tag = "client", request_body(content = Option<RefreshBody>),
    responses((status = 200, body = SessionTokens), (status = "4XX", body = Problem, content_type = "application/problem+json")))]
async fn refresh_session(State(s): State<AppState>, headers: HeaderMap, body: Bytes) -> ApiResult<Json<SessionTokens>> {
    // LEADR's Unity SDK posts no body (or `null`) with `content-type: application/json`.
    let text = std::str::from_utf8(&body).unwrap_or_default().trim();
    let from_body =
        if text.is_empty() || text == "null" { None } else { parse_json::<RefreshBody>(&body)?.refresh_token };
    let from_header = bearer(&headers).map(str::to_owned);
    let Some(token) = from_body.or(from_header).filter(|t| !t.is_empty()) else {
        return Err(ApiError(ServiceError::unauthorized(
            "send the refresh token as `authorization: Bearer` or in the body as `refresh_token`",
        )));
    };
    Ok(Json(s.clients.refresh(&token).await?))
}
