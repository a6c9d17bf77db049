//! The community surface's domain types (community spec): members, leaderboards and their
//! moderators today; categories, variables, runs, judgements and bans take their files beside
//! them.

pub mod leaderboard;
pub mod member;

pub use leaderboard::{Leaderboard, Modship};
pub use member::{Member, MemberName, Password};
