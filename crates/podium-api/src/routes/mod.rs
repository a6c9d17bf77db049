//! The routers, one folder per surface — [`admin`], [`scores`], [`clients`], [`community`],
//! [`activity`] — plus [`health`]; each module exposes `routes()` with its handlers and their
//! OpenAPI descriptions, and each surface declares its authentication scheme ([`security`]).

pub mod activity;
pub mod admin;
pub mod clients;
pub mod community;
pub mod health;
pub mod scores;
pub mod security;

use utoipa_axum::router::OpenApiRouter;

use crate::state::AppState;

/// Every surface's routes.
pub fn all() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .merge(security::require(health::routes(), security::Scheme::None))
        .merge(admin::routes())
        .merge(scores::routes())
        .merge(clients::routes())
        .merge(community::routes())
        .merge(activity::routes())
}
