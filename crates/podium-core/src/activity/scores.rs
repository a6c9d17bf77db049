//! Users' points: per day and category, the streak, the day's total (category points × the
//! streak multiplier, rounded half up) and all-time sums (of daily totals). A change to one day
//! re-derives that day and the later days it holds (a late event can make yesterday active and
//! lengthen today's streak), and reports every value that moved so the rankings follow it.

use std::collections::BTreeMap;

use chrono::NaiveDate;

use crate::model::activity::{Category, Key, KeyMap, Policy};

/// What a ranking ranks: one category's points or the total.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Scope {
    /// Category points (no multiplier).
    Category(Category),
    /// The day's total (or, all time, the sum of daily totals).
    Total,
}

impl Scope {
    /// Every scope, total first.
    pub const ALL: [Scope; 5] = [
        Scope::Total,
        Scope::Category(Category::Friends),
        Scope::Category(Category::Meetups),
        Scope::Category(Category::Games),
        Scope::Category(Category::Popularity),
    ];

    /// The wire name (`total`, `friends`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            Scope::Total => "total",
            Scope::Category(c) => c.as_str(),
        }
    }

    /// Parses the wire name.
    pub fn parse(s: &str) -> Option<Self> {
        if s == "total" { Some(Scope::Total) } else { Category::parse(s).map(Scope::Category) }
    }

    /// Its index in a `[i64; 5]` of sums (friends, meetups, games, popularity, total).
    pub fn index(self) -> usize {
        match self {
            Scope::Total => 4,
            Scope::Category(c) => c.index(),
        }
    }
}

/// A day or all time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Period {
    /// One day of the policy's time zone.
    Day(NaiveDate),
    /// Every day.
    AllTime,
}

/// One user's day.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct UserDay {
    /// Points per category (friends, meetups, games, popularity).
    pub points: [i64; 4],
    /// At least one counted event.
    pub active: bool,
    /// Consecutive active days ending on this one (0 when inactive).
    pub streak: u32,
    /// The multiplier of that streak.
    pub multiplier: f64,
    /// Sum × multiplier, rounded half up.
    pub total: i64,
}

impl UserDay {
    /// The value a scope ranks by.
    pub fn value(&self, scope: Scope) -> i64 {
        match scope {
            Scope::Total => self.total,
            Scope::Category(c) => self.points[c.index()],
        }
    }
}

/// One user's standing.
#[derive(Debug, Clone, Default)]
pub struct Standing {
    /// The days held (open days, and frozen ones while they may still be read or recomputed).
    pub days: BTreeMap<NaiveDate, UserDay>,
    /// Sums over every day ever: category points and the total.
    pub all_time: [i64; 5],
}

/// A value that moved: who, where, from what to what (the rankings apply it).
#[derive(Debug, Clone, PartialEq)]
pub struct Moved {
    /// The user.
    pub user: Key,
    /// The ranking's scope.
    pub scope: Scope,
    /// Its period.
    pub period: Period,
    /// Before (`None`: not ranked yet).
    pub old: Option<i64>,
    /// After.
    pub new: i64,
}

/// Every user's standing in one game.
#[derive(Debug, Default)]
pub struct ScoreBook {
    users: KeyMap<Key, Standing>,
}

/// Rounds half up (points are never negative).
fn round_half_up(x: f64) -> i64 {
    (x + 0.5).floor() as i64
}

impl ScoreBook {
    /// A user's standing.
    pub fn standing(&self, user: &Key) -> Option<&Standing> {
        self.users.get(user)
    }

    /// Every user's standing.
    pub fn users(&self) -> impl Iterator<Item = (&Key, &Standing)> {
        self.users.iter()
    }

    /// Sets a stored day as it is (the start-up load, oldest first); all-time sums are set
    /// with [`ScoreBook::set_all_time`].
    pub fn load_day(&mut self, user: &Key, day: NaiveDate, value: UserDay) {
        self.users.entry(user.clone()).or_default().days.insert(day, value);
    }

    /// Sets a user's all-time sums (the start-up load).
    pub fn set_all_time(&mut self, user: &Key, all_time: [i64; 5]) {
        self.users.entry(user.clone()).or_default().all_time = all_time;
    }

    /// Adds `points` in `category` (and, with `active`, marks the day active) for `user` on
    /// `day`, then re-derives that day and the later ones held. Returns what moved.
    pub fn add(
        &mut self,
        policy: &Policy,
        user: &Key,
        day: NaiveDate,
        category: Option<(Category, i64)>,
        active: bool,
    ) -> Vec<Moved> {
        let existed = self.users.contains_key(user);
        let standing = self.users.entry(user.clone()).or_default();
        let before: Vec<(NaiveDate, UserDay)> = standing.days.range(day..).map(|(d, v)| (*d, *v)).collect();
        let all_before = standing.all_time;
        let entry = standing.days.entry(day).or_default();
        if let Some((c, p)) = category {
            entry.points[c.index()] += p;
        }
        entry.active |= active;
        Self::derive(policy, standing, day);
        let mut moved = Vec::new();
        let after: Vec<(NaiveDate, UserDay)> = standing.days.range(day..).map(|(d, v)| (*d, *v)).collect();
        for (d, now) in &after {
            let was = before.iter().find(|(b, _)| b == d).map(|(_, v)| *v);
            // A day whose streak alone changed is reported too (as its total), so its stored
            // row follows.
            let changed = was != Some(*now);
            for scope in Scope::ALL {
                let old = was.map(|w| w.value(scope));
                let new = now.value(scope);
                let report = old != Some(new) || (changed && scope == Scope::Total);
                if report && (old.is_some() || new != 0 || now.active) {
                    moved.push(Moved { user: user.clone(), scope, period: Period::Day(*d), old, new });
                }
                let delta = new - old.unwrap_or(0);
                standing.all_time[scope.index()] += delta;
            }
        }
        for scope in Scope::ALL {
            let (old, new) = (all_before[scope.index()], standing.all_time[scope.index()]);
            if old != new || !existed {
                moved.push(Moved {
                    user: user.clone(),
                    scope,
                    period: Period::AllTime,
                    old: existed.then_some(old),
                    new,
                });
            }
        }
        moved
    }

    /// Re-derives streaks, multipliers and totals from `from` on.
    fn derive(policy: &Policy, standing: &mut Standing, from: NaiveDate) {
        let mut previous = from.pred_opt().and_then(|p| standing.days.get(&p)).map_or(0, |d| d.streak);
        let mut expected = from;
        let days: Vec<NaiveDate> = standing.days.range(from..).map(|(d, _)| *d).collect();
        for d in days {
            if d != expected {
                previous = 0; // a gap: the streak starts over
            }
            let Some(day) = standing.days.get_mut(&d) else { continue };
            day.streak = if day.active { previous + 1 } else { 0 };
            day.multiplier = if day.active { policy.multiplier(day.streak) } else { 1.0 };
            let sum: i64 = day.points.iter().sum();
            day.total = round_half_up(sum as f64 * day.multiplier);
            previous = day.streak;
            expected = d.succ_opt().unwrap_or(d);
        }
    }

    /// Forgets days before `oldest` (their totals stay in the all-time sums).
    pub fn prune(&mut self, oldest: NaiveDate) {
        for standing in self.users.values_mut() {
            standing.days = standing.days.split_off(&oldest);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(n: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 1, 1).unwrap() + chrono::Duration::days(i64::from(n))
    }

    #[test]
    fn totals_carry_the_streak_multiplier_rounded_half_up_and_all_time_sums_daily_totals() {
        let policy = Policy::default();
        let mut book = ScoreBook::default();
        let ada = Key::parse("ada").unwrap();
        for d in 0..30 {
            book.add(&policy, &ada, day(d), Some((Category::Games, 100)), true);
        }
        let s = book.standing(&ada).unwrap();
        assert_eq!(s.days[&day(0)].total, 100);
        assert_eq!(s.days[&day(14)].streak, 15);
        assert_eq!(s.days[&day(14)].total, round_half_up(100.0 * (1.0 + 0.5 * 14.0 / 29.0)));
        assert_eq!(s.days[&day(29)].total, 150);
        let sum: i64 = s.days.values().map(|d| d.total).sum();
        assert_eq!(s.all_time[4], sum);
        assert_eq!(s.all_time[Category::Games.index()], 3000);
    }

    #[test]
    fn a_late_event_that_makes_yesterday_active_lengthens_todays_streak() {
        let policy = Policy {
            streak: crate::model::activity::policy::Streak { max_multiplier: 2.0, days_to_max: 2 },
            ..Policy::default()
        };
        let mut book = ScoreBook::default();
        let ada = Key::parse("ada").unwrap();
        book.add(&policy, &ada, day(2), Some((Category::Friends, 10)), true);
        assert_eq!(book.standing(&ada).unwrap().days[&day(2)].total, 10);
        let moved = book.add(&policy, &ada, day(1), Some((Category::Friends, 1)), true);
        let s = book.standing(&ada).unwrap();
        assert_eq!((s.days[&day(1)].total, s.days[&day(2)].streak, s.days[&day(2)].total), (1, 2, 20));
        assert_eq!(s.all_time[4], 21);
        assert!(moved.contains(&Moved {
            user: ada.clone(),
            scope: Scope::Total,
            period: Period::Day(day(2)),
            old: Some(10),
            new: 20
        }));
        assert!(moved.contains(&Moved {
            user: ada,
            scope: Scope::Total,
            period: Period::AllTime,
            old: Some(10),
            new: 21
        }));
    }
}
