//! Activity scores' rules engine (activity spec): [`rules`] judges each reported event against
//! a game's policy and the counts it keeps, [`scores`] turns the points into days, streaks and
//! totals. Both are plain in-memory state with no I/O, so the service can judge a whole batch
//! under one lock in microseconds, the simulator can drive them on a simulated clock, and the
//! tests can compare them with the seed's scenarios directly.

pub mod rules;
pub mod scores;

pub use rules::{ActivityFlagType, Award, Counters, RaisedFlag, Recorded, UserVerdict, Verdict};
pub use scores::{Moved, Period, Scope, ScoreBook, Standing, UserDay};
