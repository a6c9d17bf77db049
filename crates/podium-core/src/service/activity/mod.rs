//! Activity scores (activity spec): an app's backend reports what its users did, in batches;
//! podium judges each event against the game's policy at once, commits the batch (events,
//! outcomes, changed days) in one group-committed transaction, and keeps live daily and
//! all-time rankings that the answer already reflects. Auth is an admin API key of the account
//! that owns the game.
//!
//! Each game's counts and users' days live in memory behind the shared-state seam
//! ([`ActivityState`](crate::shared::ActivityState)), built on first use (or at start-up) from
//! the stored days, sums and the events of the last eight days, replayed with their recorded
//! outcomes. Policy, batch and reads take their files beside this one.

mod days;
mod events;
mod flags;
mod policy;
mod reads;

use std::sync::{Arc, Mutex};

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};

pub use days::BadgeQuery;
pub use events::{EventResult, RecordEvents, RecordedEvents, UserResult};
pub use flags::{ActivityFlagQuery, ReviewActivityFlag};
pub use reads::{DayView, HistoryQuery, LeaderboardQuery, LeaderboardRow, StoredEventView};

use crate::activity::{GameActivity, Moved, Period, Scope};
use crate::batch::Batcher;
use crate::error::ServiceResult;
use crate::id::GameId;
use crate::model::activity::{Event, Key, Outcome, Policy};
use crate::ranking::activity::ActivityRankings;
use crate::service::Admin;
use crate::shared::{ActivityChange, Change, Subscriber};
use crate::store::{ActivityDayRow, ActivityTotalRow};
use crate::time::now;

/// Days of stored days kept in memory (the history window, and more than any streak needs to
/// look back for an open day).
pub(super) const DAYS_KEPT: i64 = 40;
/// How far back the start-up replay reads events at least: the default fraud windows plus a
/// day (a policy with longer windows replays those plus a day).
const REPLAY_DAYS: i64 = 8;

/// The activity service; cheap to clone.
#[derive(Clone)]
pub struct Activity {
    admin: Admin,
    rankings: Arc<ActivityRankings>,
    writer: Batcher<events::Job, Vec<EventResult>>,
    /// Held by the writer while it judges and commits, and by flag reviews.
    gate: Arc<tokio::sync::Mutex<()>>,
}

/// This node's rankings, following the change feed.
struct RankingCopies(Arc<ActivityRankings>);

impl Subscriber for RankingCopies {
    fn apply(&self, change: &Change) {
        if let Change::Activity(c) = change {
            self.0.apply(c.game, &c.moved, c.at_micros);
        }
    }
}

/// The day `at` falls on in the policy's time zone.
pub fn day_of(policy: &Policy, at: DateTime<Utc>) -> NaiveDate {
    at.with_timezone(&policy.time_zone).date_naive()
}

/// When `day` starts in the policy's time zone (the first instant of that date: after a
/// daylight-saving gap at midnight, the first existing time).
pub fn day_start(policy: &Policy, day: NaiveDate) -> DateTime<Utc> {
    let tz = policy.time_zone;
    let midnight = day.and_hms_opt(0, 0, 0).unwrap_or_default();
    for hour in 0..4 {
        if let Some(t) = tz.from_local_datetime(&(midnight + Duration::hours(hour))).earliest() {
            return t.with_timezone(&Utc);
        }
    }
    Utc.from_utc_datetime(&midnight)
}

/// When `day` freezes: one hour after it ends.
pub fn closes_at(policy: &Policy, day: NaiveDate) -> DateTime<Utc> {
    day_start(policy, day.succ_opt().unwrap_or(day)) + Duration::hours(1)
}

impl Activity {
    /// Starts the service over the admin service's store; its rankings follow the change feed.
    pub fn start(admin: Admin) -> Self {
        let rankings = Arc::new(ActivityRankings::default());
        admin.shared().changes.subscribe(Arc::new(RankingCopies(rankings.clone())));
        let gate = Arc::new(tokio::sync::Mutex::new(()));
        let writer = events::spawn(admin.clone(), gate.clone());
        let activity = Self { admin, rankings, writer, gate };
        activity.spawn_freezer(std::time::Duration::from_secs(60));
        activity
    }

    /// Loads every game that has activity (start-up), so the rankings answer at once.
    pub async fn load_all(&self) -> ServiceResult<usize> {
        let games = self.admin.store().activity_games().await?;
        for game in &games {
            load(&self.admin, *game).await?;
        }
        Ok(games.len())
    }
}

/// A game's state, loaded from the store on first use.
pub(super) async fn load(admin: &Admin, game: GameId) -> ServiceResult<Arc<Mutex<GameActivity>>> {
    if let Some(state) = admin.shared().activity.game(game) {
        return Ok(state);
    }
    let store = admin.store();
    let policy = match store.get_activity_policy(game).await? {
        Some((doc, _)) => Policy::parse(&doc).unwrap_or_default(),
        None => Policy::default(),
    };
    let at = now();
    let today = day_of(&policy, at);
    let oldest = today - Duration::days(DAYS_KEPT);
    let mut state = GameActivity::new(Arc::new(policy), store.last_activity_seq(game).await? + 1);
    state.frozen_through = store.last_frozen_activity_day(game).await?;
    let mut moved = Vec::new();
    for row in store.activity_days(game, oldest).await? {
        for scope in Scope::ALL {
            moved.push(Moved {
                user: row.user.clone(),
                scope,
                period: Period::Day(row.day),
                old: None,
                new: row.value.value(scope),
            });
        }
        state.book.load_day(&row.user, row.day, row.value);
    }
    for row in store.activity_totals(game).await? {
        for scope in Scope::ALL {
            let new = row.sums[scope.index()];
            moved.push(Moved { user: row.user.clone(), scope, period: Period::AllTime, old: None, new });
        }
        state.book.set_all_time(&row.user, row.sums);
    }
    let fraud = &state.policy.fraud;
    let window = i64::from(fraud.win_trade_window_days.max(fraud.create_cancel_window_days)) + 1;
    for stored in store.activity_events_since(game, at - Duration::days(window.max(REPLAY_DAYS))).await? {
        let (Some(event_type), Some(at)) =
            (stored.event_type.as_deref().and_then(crate::model::activity::EventType::parse), stored.at)
        else {
            continue;
        };
        let first_reason = stored.result["reasons"][0].as_str().unwrap_or_default();
        if stored.outcome == Outcome::Duplicate
            || (stored.outcome == Outcome::Invalid && events::UNJUDGED.contains(&first_reason))
        {
            continue;
        }
        let Some(event) = Event::from_stored(stored.event_id.clone(), event_type, at, &stored.fields) else { continue };
        let recorded = events::recorded_outcomes(&stored.result);
        let policy = state.policy.clone();
        state.counters.replay(&policy, &event, &recorded);
    }
    let built = Arc::new(Mutex::new(state));
    let kept = admin.shared().activity.insert(game, built.clone());
    // Another load got there first: its rankings stand (ours could be older than its writes).
    if Arc::ptr_eq(&kept, &built) && !moved.is_empty() {
        admin.publish(Change::Activity(ActivityChange { game, moved: Arc::new(moved), at_micros: 0 }));
    }
    Ok(kept)
}

/// The stored rows of what moved: each touched day and all-time sum as the book holds it now
/// (what the writer and a flag review write).
pub(super) fn rows_of(
    game: GameId,
    book: &crate::activity::ScoreBook,
    moved: &[Moved],
) -> (Vec<ActivityDayRow>, Vec<ActivityTotalRow>) {
    let mut touched: Vec<(&Key, Option<NaiveDate>)> = moved
        .iter()
        .map(|m| {
            let day = match m.period {
                Period::Day(d) => Some(d),
                Period::AllTime => None,
            };
            (&m.user, day)
        })
        .collect();
    touched.sort();
    touched.dedup();
    let (mut days, mut totals) = (Vec::new(), Vec::new());
    for (user, day) in touched {
        let Some(standing) = book.standing(user) else { continue };
        match day {
            Some(day) => {
                if let Some(value) = standing.days.get(&day) {
                    days.push(ActivityDayRow { game_id: game, user: user.clone(), day, value: *value });
                }
            }
            None => totals.push(ActivityTotalRow { game_id: game, user: user.clone(), sums: standing.all_time }),
        }
    }
    (days, totals)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(tz: &str) -> Policy {
        Policy::parse(&serde_json::json!({"time_zone": tz})).unwrap()
    }

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn days_follow_the_policy_time_zone_across_daylight_saving_changes() {
        let ny = policy("America/New_York");
        // 2026-03-08 loses an hour, 2026-11-01 gains one.
        assert_eq!(day_start(&ny, date(2026, 3, 9)) - day_start(&ny, date(2026, 3, 8)), Duration::hours(23));
        assert_eq!(day_start(&ny, date(2026, 11, 2)) - day_start(&ny, date(2026, 11, 1)), Duration::hours(25));
        // A day freezes an hour after its local midnight: 05:00 UTC in summer time, 06:00 in winter.
        assert_eq!(closes_at(&ny, date(2026, 3, 8)).to_rfc3339(), "2026-03-09T05:00:00+00:00");
        assert_eq!(closes_at(&ny, date(2026, 3, 7)).to_rfc3339(), "2026-03-08T06:00:00+00:00");
        let at = "2026-03-09T03:30:00Z".parse::<DateTime<Utc>>().unwrap();
        assert_eq!(day_of(&ny, at), date(2026, 3, 8), "23:30 local is still the 8th");
        // A zone whose midnight is skipped on its change day (Santiago, 2026-09-06).
        let cl = policy("America/Santiago");
        assert_eq!(day_start(&cl, date(2026, 9, 6)).to_rfc3339(), "2026-09-06T04:00:00+00:00");
        assert_eq!(closes_at(&policy("UTC"), date(2026, 1, 1)).to_rfc3339(), "2026-01-02T01:00:00+00:00");
    }
}
