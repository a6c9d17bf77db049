//! The game clients' surface: what game clients call (game-boards spec §3) — session start
//! and refresh without credentials, everything else with the session's access token — and
//! the admin side of players and their sessions, with an API key.

mod identities;
mod play;
mod sessions;

use axum::response::{IntoResponse, Response};
use podium_core::error::{ErrorCode, ServiceError};
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
    ApiError(
        ServiceError::new(ErrorCode::RateLimited, "too many requests from this address; retry later").retry_after(wait),
    )
    .into_response()
}
