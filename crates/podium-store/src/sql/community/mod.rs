//! The community surface's tables: members and their tokens, leaderboards and their
//! moderators, categories and their metrics, variables with their values and assignments, runs
//! with their parts, and bans.

mod bans;
mod categories;
mod leaderboards;
mod members;
mod runs;
mod variables;

pub(crate) use bans::impl_ban_store;
pub(crate) use categories::impl_category_store;
pub(crate) use leaderboards::impl_leaderboard_store;
pub(crate) use members::impl_member_store;
pub(crate) use runs::impl_run_store;
pub(crate) use variables::impl_variable_store;
