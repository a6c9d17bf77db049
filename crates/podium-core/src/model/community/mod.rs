//! The community surface's domain types (community spec): members, leaderboards and their
//! moderators, categories and their metrics today; variables, runs, judgements and bans take
//! their files beside them.

pub mod category;
pub mod leaderboard;
pub mod member;

pub use category::{Category, Metric, MetricKind, MetricSort};
pub use leaderboard::{Leaderboard, Modship};
pub use member::{Member, MemberName, Password};
