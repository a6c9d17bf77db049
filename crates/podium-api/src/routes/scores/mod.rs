//! Game scores' admin routes — score events, ranked entries, anti-cheat flags and submission
//! counts — all with an admin API key.

mod entries;
mod flags;
mod score_events;

use utoipa_axum::router::OpenApiRouter;

use super::security::{Scheme, require};
use crate::state::AppState;

/// The routes of this surface.
pub fn routes() -> OpenApiRouter<AppState> {
    let routes = OpenApiRouter::new().merge(score_events::routes()).merge(entries::routes()).merge(flags::routes());
    require(routes, Scheme::ApiKey)
}
