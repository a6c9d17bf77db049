//! Activity scores' routes (activity spec) — the policy, event batches, a user's day, the
//! live rankings and the event history — all with an admin API key of the game's account.

mod events;
mod flags;
mod policy;
mod reads;

use utoipa_axum::router::OpenApiRouter;

use super::security::{Scheme, require};
use crate::state::AppState;

/// The routes of this surface.
pub fn routes() -> OpenApiRouter<AppState> {
    let routes = OpenApiRouter::new()
        .merge(policy::routes())
        .merge(events::routes())
        .merge(flags::routes())
        .merge(reads::routes());
    require(routes, Scheme::ApiKey)
}
