//! The community surface's domain types (community spec): members, leaderboards and their
//! moderators, categories and their metrics, variables and their values today; runs,
//! judgements and bans take their files beside them.

pub mod category;
pub mod leaderboard;
pub mod member;
pub mod variable;

pub use category::{Category, Metric, MetricKind, MetricSort};
pub use leaderboard::{Leaderboard, Modship};
pub use member::{Member, MemberName, Password};
pub use variable::{Assignment, Variable, VariableSlug, VariableValue};
