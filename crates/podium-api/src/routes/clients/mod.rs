//! The game clients' surface: what game clients call (game-boards spec §3) — session start
//! and refresh without credentials, everything else with the session's access token — and
//! the admin side of players and their sessions, with an API key.

mod identities;
mod play;
mod sessions;

use axum::http::HeaderValue;
use axum::http::header::RETRY_AFTER;
use axum::response::{IntoResponse, Response};
use podium_core::error::ErrorCode;
use utoipa_axum::router::OpenApiRouter;

use super::security::{Scheme, require};
use crate::problem::ApiError;
use crate::state::AppState;

/// The routes of this surface, each group with its authentication scheme.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .merge(require(sessions::routes(), Scheme::None))
        .merge(require(play::routes(), Scheme::ClientToken))
        .merge(require(identities::routes(), Scheme::ApiKey))
}

/// 429 with `Retry-After` (whole seconds, at least 1).
pub(super) fn too_many(wait: std::time::Duration) -> Response {
    let mut response =
        ApiError::new(ErrorCode::RateLimited, "too many requests from this address; retry later").into_response();
    let secs = wait.as_secs_f64().ceil().max(1.0) as u64;
    if let Ok(v) = HeaderValue::from_str(&secs.to_string()) {
        response.headers_mut().insert(RETRY_AFTER, v);
    }
    response
}
