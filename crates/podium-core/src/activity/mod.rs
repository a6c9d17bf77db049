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

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use chrono::NaiveDate;

use crate::model::activity::{Key, Policy};

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
    /// What the store's days, sums and history index do not hold yet.
    pub unflushed: Unflushed,
}

impl GameActivity {
    /// A game with nothing recorded yet.
    pub fn new(policy: Arc<Policy>, next_seq: i64) -> Self {
        Self {
            policy,
            counters: Counters::default(),
            book: ScoreBook::default(),
            next_seq,
            frozen_through: None,
            unflushed: Unflushed::default(),
        }
    }
}

/// The changes to a game's days, sums and per-user history since the store last received
/// them. Events are stored with their batch; what derives from them is written a second at a
/// time (one random-keyed upsert per user and day costs far more than the event itself), and
/// start-up replays the events above the stored watermark.
#[derive(Debug, Default)]
pub struct Unflushed {
    /// Days that changed: (user, day).
    pub days: HashSet<(Key, NaiveDate)>,
    /// Users whose all-time sums changed.
    pub totals: HashSet<Key>,
    /// Per user, the events (`seq`, id) the stored history index lacks, oldest first.
    pub history: HashMap<Key, Vec<(i64, Key)>>,
    /// When the oldest of these changes was made.
    pub since: Option<std::time::Instant>,
    /// Entries in `history`.
    history_len: usize,
}

impl Unflushed {
    /// Notes the days and sums that moved.
    pub fn note(&mut self, moved: &[Moved]) {
        for m in moved {
            match m.period {
                Period::Day(day) => {
                    if !self.days.contains(&(m.user.clone(), day)) {
                        self.days.insert((m.user.clone(), day));
                    }
                }
                Period::AllTime => {
                    if !self.totals.contains(&m.user) {
                        self.totals.insert(m.user.clone());
                    }
                }
            }
        }
        self.touch();
    }

    /// Notes an event for its users' history.
    pub fn note_event<'a>(&mut self, users: impl IntoIterator<Item = &'a Key>, seq: i64, event_id: &Key) {
        for user in users {
            self.history.entry(user.clone()).or_default().push((seq, event_id.clone()));
            self.history_len += 1;
        }
        self.touch();
    }

    fn touch(&mut self) {
        self.since.get_or_insert_with(std::time::Instant::now);
    }

    /// How many rows a flush would write.
    pub fn len(&self) -> usize {
        self.days.len() + self.totals.len() + self.history_len
    }

    /// Nothing to write.
    pub fn is_empty(&self) -> bool {
        self.days.is_empty() && self.totals.is_empty() && self.history.is_empty()
    }

    /// Forgets the history entries the store now holds (`seq` up to `through`).
    pub fn flushed(&mut self, through: i64) {
        self.history.retain(|_, list| {
            list.retain(|(seq, _)| *seq > through);
            !list.is_empty()
        });
        self.history_len = self.history.values().map(Vec::len).sum();
        if self.is_empty() {
            self.since = None;
        }
    }
}
