//! The community site's surface (community spec), under `/v1/community`: registration and
//! login without credentials, anonymous reads, member calls with the member's bearer token,
//! and the owner's appointments with the superadmin API key.

mod admins;
mod bans;
mod categories;
mod judgements;
mod leaderboards;
mod members;
mod participations;
mod runs;
mod variables;

use utoipa_axum::router::OpenApiRouter;

use super::security::{Scheme, require};
use crate::state::AppState;

/// The routes of this surface, each group with its authentication scheme.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .merge(require(members::public(), Scheme::None))
        .merge(require(members::own(), Scheme::MemberToken))
        .merge(require(leaderboards::public(), Scheme::None))
        .merge(require(leaderboards::own(), Scheme::MemberToken))
        .merge(require(categories::public(), Scheme::None))
        .merge(require(categories::own(), Scheme::MemberToken))
        .merge(require(variables::public(), Scheme::None))
        .merge(require(variables::own(), Scheme::MemberToken))
        .merge(require(runs::public(), Scheme::None))
        .merge(require(runs::own(), Scheme::MemberToken))
        .merge(require(participations::public(), Scheme::None))
        .merge(require(participations::own(), Scheme::MemberToken))
        .merge(require(judgements::public(), Scheme::None))
        .merge(require(judgements::own(), Scheme::MemberToken))
        .merge(require(bans::public(), Scheme::None))
        .merge(require(bans::own(), Scheme::MemberToken))
        .merge(require(admins::routes(), Scheme::ApiKey))
}
