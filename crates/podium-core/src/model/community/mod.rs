//! The community surface's domain types (community spec): members today; leaderboards,
//! categories, variables, runs, judgements and bans take their files beside it.

pub mod member;

pub use member::{Member, MemberName, Password};
