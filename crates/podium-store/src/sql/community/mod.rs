//! The community surface's tables: members and their tokens, leaderboards and their
//! moderators.

mod leaderboards;
mod members;

pub(crate) use leaderboards::impl_leaderboard_store;
pub(crate) use members::impl_member_store;
