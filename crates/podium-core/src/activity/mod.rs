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
    /// Holds counts of events that will not be stored (their group failed to commit): the
    /// next use builds the game afresh from the store.
    pub stale: bool,
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
            stale: false,
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
    /// Per user, the events (`seq`, id) the stored history index lacks and no write holds yet,
    /// oldest first.
    history: HashMap<Key, Vec<(i64, Key)>>,
    /// Per user, the entries a write on its way holds (until it committed).
    writing: HashMap<Key, Vec<(i64, Key)>>,
    /// When the oldest change not taken by a write was made.
    pub since: Option<std::time::Instant>,
    /// Entries in `history`.
    history_len: usize,
}

/// What one flush writes: the (user, day) and (user, all time) keys that changed, and the
/// history entries (user, `seq`, event id), in key order.
#[derive(Debug, Default)]
pub struct Taken {
    /// (user, day) keys.
    pub days: Vec<(Key, NaiveDate)>,
    /// Users whose sums changed.
    pub totals: Vec<Key>,
    /// History entries.
    pub history: Vec<(Key, i64, Key)>,
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

    /// Takes everything for a write; the history entries stay readable until
    /// [`Unflushed::flushed`].
    pub fn take(&mut self) -> Taken {
        let mut taken = Taken {
            days: self.days.drain().collect(),
            totals: self.totals.drain().collect(),
            history: Vec::with_capacity(self.history_len),
        };
        for (user, list) in self.history.drain() {
            taken.history.extend(list.iter().map(|(seq, id)| (user.clone(), *seq, id.clone())));
            self.writing.entry(user).or_default().extend(list);
        }
        taken.history.sort();
        taken.days.sort();
        taken.totals.sort();
        self.history_len = 0;
        self.since = None;
        taken
    }

    /// Forgets the history entries the store now holds (`seq` up to `through`).
    pub fn flushed(&mut self, through: i64) {
        self.writing.retain(|_, list| {
            list.retain(|(seq, _)| *seq > through);
            !list.is_empty()
        });
    }

    /// A user's entries the stored history index may lack, newest first.
    pub fn history_of(&self, user: &Key) -> Vec<(i64, Key)> {
        let mut all: Vec<(i64, Key)> =
            self.writing.get(user).into_iter().chain(self.history.get(user)).flatten().cloned().collect();
        all.sort_by_key(|(seq, _)| std::cmp::Reverse(*seq));
        all
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(s: &str) -> Key {
        Key::parse(s).unwrap()
    }

    #[test]
    fn taken_history_stays_readable_until_its_write_is_confirmed() {
        let mut u = Unflushed::default();
        u.note_event([&key("ann"), &key("bo")], 1, &key("e1"));
        u.note_event([&key("ann")], 2, &key("e2"));
        assert_eq!(u.len(), 3);
        let taken = u.take();
        assert_eq!(taken.history.len(), 3);
        assert!(u.is_empty() && u.since.is_none());
        u.note_event([&key("ann")], 3, &key("e3"));
        let ids = |u: &Unflushed| u.history_of(&key("ann")).into_iter().map(|(s, _)| s).collect::<Vec<_>>();
        assert_eq!(ids(&u), [3, 2, 1], "written or not, newest first");
        u.flushed(2);
        assert_eq!(ids(&u), [3]);
        let again = u.take();
        assert_eq!(again.history, vec![(key("ann"), 3, key("e3"))], "nothing taken twice");
    }
}
