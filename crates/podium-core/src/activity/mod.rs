//! Activity scores' rules engine (activity spec): [`rules`] judges each reported event against
//! a game's policy and the counts it keeps, [`scores`] turns the points into days, streaks and
//! totals. Both are plain in-memory state with no I/O, so the service can judge a whole batch
//! under one lock in microseconds, the simulator can drive them on a simulated clock, and the
//! tests can compare them with the seed's scenarios directly.

pub mod rules;
pub mod scores;
pub mod sim;

pub use rules::{ActivityFlagType, Award, Counters, RaisedFlag, Recorded, UserVerdict, Verdict};
pub use scores::{Moved, Period, Scope, ScoreBook, Standing, UserDay};

use std::sync::Arc;

use crate::model::activity::Policy;

/// What a node keeps of one game: its policy, the rules' counts, the users' days, and the next
/// `seq` to give an event.
#[derive(Debug)]
pub struct GameActivity {
    /// The policy in force (applies to events received after it was set).
    pub policy: Arc<Policy>,
    /// The rules' counts.
    pub counters: Counters,
    /// The users' days and sums.
    pub book: ScoreBook,
    /// The `seq` the next judged event gets.
    pub next_seq: i64,
    /// The last frozen day: events of it and before are `day_closed`.
    pub frozen_through: Option<chrono::NaiveDate>,
}

impl GameActivity {
    /// A game with nothing recorded yet.
    pub fn new(policy: Arc<Policy>, next_seq: i64) -> Self {
        Self { policy, counters: Counters::default(), book: ScoreBook::default(), next_seq, frozen_through: None }
    }
}
