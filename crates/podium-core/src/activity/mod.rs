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

use chrono::NaiveDate;

use crate::model::activity::{Key, KeyMap, KeySet, Policy};

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
/// them. Events are stored with their batch; what derives from them is written in large
/// flushes (one random-keyed upsert per user and day costs far more than the event itself, and
/// a flush of many rows per page costs far less per row than many small ones), and start-up
/// replays the events above the stored watermark. A busy game's flush is taken at once, as of
/// one watermark, and written a slice of history entries at a time with the groups that follow
/// ([`Unflushed::slice`]): history entries may be written twice (the store ignores a repeat),
/// so only the last slice, which carries the days, the sums and the watermark, has to be whole.
#[derive(Debug, Default)]
pub struct Unflushed {
    /// Days that changed: (user, day).
    pub days: KeySet<(Key, NaiveDate)>,
    /// Users whose all-time sums changed.
    pub totals: KeySet<Key>,
    /// Per user, the events (`seq`, id) the stored history index lacks and no flush holds yet,
    /// oldest first.
    history: KeyMap<Key, Vec<(i64, Key)>>,
    /// Per user, the entries a flush holds (until it committed).
    writing: KeyMap<Key, Vec<(i64, Key)>>,
    /// When the oldest change not taken by a flush was made.
    pub since: Option<std::time::Instant>,
    /// When the last days and sums were noted (once a group; a replay of refused events alone
    /// leaves it unset).
    pub last: Option<std::time::Instant>,
    /// Entries in `history`.
    history_len: usize,
    /// The flush taken and not yet wholly handed out.
    pending: Option<Pending>,
    /// The watermark of the last flush taken.
    taken_through: i64,
}

/// A flush taken as of `through`: the history entries in `writing` of `users[next..]` with
/// `seq` in (`from`, `through`], then the days and sums as they were at `through`.
#[derive(Debug)]
struct Pending {
    users: Vec<Key>,
    next: usize,
    from: i64,
    through: i64,
    days: Vec<(Key, NaiveDate, UserDay)>,
    totals: Vec<(Key, [i64; 5])>,
}

/// Part of a flush, for one write: history entries (user, `seq`, event id) in key order, and
/// with the last part the days and sums and the watermark.
#[derive(Debug, Default, PartialEq)]
pub struct Slice {
    /// History entries.
    pub history: Vec<(Key, i64, Key)>,
    /// (user, day, value), with the last part.
    pub days: Vec<(Key, NaiveDate, UserDay)>,
    /// (user, sums), with the last part.
    pub totals: Vec<(Key, [i64; 5])>,
    /// With the last part: once it is committed, the store holds every event's days, sums and
    /// history up to this `seq`.
    pub through: Option<i64>,
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
        self.since.get_or_insert_with(std::time::Instant::now);
    }

    /// Notes when the last change was made (once a group: the events' history entries come
    /// with it, and reading the clock per event is work the writer need not do).
    fn touch(&mut self) {
        let now = std::time::Instant::now();
        self.since.get_or_insert(now);
        self.last = Some(now);
    }

    /// How many rows the changes not taken yet would write.
    pub fn len(&self) -> usize {
        self.days.len() + self.totals.len() + self.history_len
    }

    /// Nothing to write: no change noted and no flush on its way.
    pub fn is_empty(&self) -> bool {
        self.days.is_empty() && self.totals.is_empty() && self.history.is_empty() && self.pending.is_none()
    }

    /// A flush is taken and not wholly handed out.
    pub fn flushing(&self) -> bool {
        self.pending.is_some()
    }

    /// Takes every change noted so far as one flush, as of `through` (every event judged so
    /// far), with the days and sums as `book` holds them now — unless a flush is on its way.
    pub fn start(&mut self, book: &ScoreBook, through: i64) {
        if self.pending.is_some() {
            return;
        }
        let mut users: Vec<Key> = Vec::with_capacity(self.history.len());
        for (user, list) in self.history.drain() {
            self.writing.entry(user.clone()).or_default().extend(list);
            users.push(user);
        }
        users.sort();
        let mut days: Vec<(Key, NaiveDate)> = self.days.drain().collect();
        days.sort();
        let mut totals: Vec<Key> = self.totals.drain().collect();
        totals.sort();
        let days = days
            .into_iter()
            .filter_map(|(user, day)| {
                let value = *book.standing(&user)?.days.get(&day)?;
                Some((user, day, value))
            })
            .collect();
        let totals = totals
            .into_iter()
            .filter_map(|user| {
                let sums = book.standing(&user)?.all_time;
                Some((user, sums))
            })
            .collect();
        self.pending = Some(Pending { users, next: 0, from: self.taken_through, through, days, totals });
        self.taken_through = through;
        self.history_len = 0;
        self.since = None;
    }

    /// The next part of the flush on its way: the history entries of the next users, about
    /// `rows` of them (a user's entries are never split), or, once they are all handed out,
    /// the rest with the days, sums and watermark. `None` when no flush is on its way.
    pub fn slice(&mut self, rows: usize) -> Option<Slice> {
        let p = self.pending.as_mut()?;
        let mut history = Vec::new();
        while p.next < p.users.len() && history.len() < rows {
            let user = &p.users[p.next];
            if let Some(list) = self.writing.get(user) {
                let (from, through) = (p.from, p.through);
                history.extend(
                    list.iter()
                        .filter(|(seq, _)| *seq > from && *seq <= through)
                        .map(|(seq, id)| (user.clone(), *seq, id.clone())),
                );
            }
            p.next += 1;
        }
        if p.next < p.users.len() {
            return Some(Slice { history, ..Slice::default() });
        }
        let p = self.pending.take()?;
        Some(Slice { history, days: p.days, totals: p.totals, through: Some(p.through) })
    }

    /// Everything in one part, as of `through`: the rest of the flush on its way and every
    /// change noted since, with the days and sums as `book` holds them now.
    pub fn take_all(&mut self, book: &ScoreBook, through: i64) -> Slice {
        let mut history = Vec::new();
        if let Some(p) = self.pending.take() {
            // Its days and sums are written as they are now, with the newer watermark.
            self.days.extend(p.days.into_iter().map(|(user, day, _)| (user, day)));
            self.totals.extend(p.totals.into_iter().map(|(user, _)| user));
            self.pending = Some(Pending { days: Vec::new(), totals: Vec::new(), ..p });
            history = self.slice(usize::MAX).map(|s| s.history).unwrap_or_default();
        }
        self.start(book, through);
        let mut rest = self.slice(usize::MAX).unwrap_or_default();
        history.append(&mut rest.history);
        history.sort();
        Slice { history, ..rest }
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

    fn seqs(slice: &Slice) -> Vec<(String, i64)> {
        slice.history.iter().map(|(u, s, _)| (u.to_string(), *s)).collect()
    }

    #[test]
    fn taken_history_stays_readable_until_its_write_is_confirmed() {
        let book = ScoreBook::default();
        let mut u = Unflushed::default();
        u.note_event([&key("ann"), &key("bo")], 1, &key("e1"));
        u.note_event([&key("ann")], 2, &key("e2"));
        assert_eq!(u.len(), 3);
        let taken = u.take_all(&book, 2);
        assert_eq!(seqs(&taken), [("ann".into(), 1), ("ann".into(), 2), ("bo".into(), 1)]);
        assert_eq!(taken.through, Some(2));
        assert!(u.is_empty() && u.since.is_none());
        u.note_event([&key("ann")], 3, &key("e3"));
        let ids = |u: &Unflushed| u.history_of(&key("ann")).into_iter().map(|(s, _)| s).collect::<Vec<_>>();
        assert_eq!(ids(&u), [3, 2, 1], "written or not, newest first");
        u.flushed(2);
        assert_eq!(ids(&u), [3]);
        let again = u.take_all(&book, 3);
        assert_eq!(again.history, vec![(key("ann"), 3, key("e3"))], "nothing taken twice");
    }

    #[test]
    fn a_flush_is_handed_out_a_few_users_at_a_time_and_the_last_part_carries_the_watermark() {
        let book = ScoreBook::default();
        let mut u = Unflushed::default();
        for (seq, user) in ["cy", "ann", "bo", "ann", "dee"].iter().enumerate() {
            u.note_event([&key(user)], seq as i64 + 1, &key(&format!("e{seq}")));
        }
        u.start(&book, 5);
        assert!(u.flushing());
        assert_eq!(u.len(), 0, "taken: nothing noted is left");
        // Noted while the flush is on its way: left for the next one.
        u.note_event([&key("ann")], 6, &key("e6"));
        u.start(&book, 6);
        let first = u.slice(2).unwrap();
        assert_eq!(seqs(&first), [("ann".into(), 2), ("ann".into(), 4)], "a user's entries stay together");
        assert_eq!(first.through, None);
        let second = u.slice(2).unwrap();
        assert_eq!(seqs(&second), [("bo".into(), 3), ("cy".into(), 1)]);
        let last = u.slice(2).unwrap();
        assert_eq!(seqs(&last), [("dee".into(), 5)]);
        assert_eq!(last.through, Some(5));
        assert!(u.slice(2).is_none() && !u.is_empty());
        u.start(&book, 6);
        let next = u.slice(10).unwrap();
        assert_eq!(seqs(&next), [("ann".into(), 6)], "only what the first flush did not hold");
        assert_eq!(next.through, Some(6));
    }

    #[test]
    fn taking_everything_finishes_the_flush_on_its_way_and_adds_what_came_since() {
        let book = ScoreBook::default();
        let mut u = Unflushed::default();
        for seq in 1..=4 {
            u.note_event([&key(&format!("u{seq}"))], seq, &key(&format!("e{seq}")));
        }
        u.start(&book, 4);
        assert_eq!(seqs(&u.slice(1).unwrap()), [("u1".into(), 1)]);
        u.note_event([&key("u0")], 5, &key("e5"));
        let all = u.take_all(&book, 5);
        assert_eq!(
            seqs(&all),
            [("u0".into(), 5), ("u2".into(), 2), ("u3".into(), 3), ("u4".into(), 4)],
            "the rest of the first flush and the new entry, in key order"
        );
        assert_eq!(all.through, Some(5));
        assert!(u.is_empty());
    }
}
