//! The community surface's domain types (community spec): members, leaderboards and their
//! moderators, categories and their metrics, variables and their values, runs with their
//! participations and judgements, and bans.

pub mod ban;
pub mod category;
pub mod leaderboard;
pub mod member;
pub mod run;
pub mod variable;

pub use ban::Ban;
pub use category::{Category, Metric, MetricKind, MetricSort};
pub use leaderboard::{Leaderboard, Modship};
pub use member::{Member, MemberName, Password};
pub use run::{Judgement, Participation, Run, RunStatus, Runner, VodUrl, better};
pub use variable::{Assignment, Variable, VariableSlug, VariableValue};
