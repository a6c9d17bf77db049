//! The admin resources' routes — accounts, users, API keys, games, boards, board templates —
//! all with an admin API key.

mod accounts;
mod api_keys;
mod boards;
mod games;
mod templates;
mod users;

use utoipa_axum::router::OpenApiRouter;

use super::security::{Scheme, require};
use crate::state::AppState;

/// The routes of this surface.
pub fn routes() -> OpenApiRouter<AppState> {
    let routes = OpenApiRouter::new()
        .merge(accounts::routes())
        .merge(users::routes())
        .merge(api_keys::routes())
        .merge(games::routes())
        .merge(boards::routes())
        .merge(templates::routes());
    require(routes, Scheme::ApiKey)
}
