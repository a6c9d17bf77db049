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

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};

pub use days::BadgeQuery;
pub use events::{BatchAnswer, EventResult, RecordEvents, RecordedEvents, UserResult};
pub use flags::{ActivityFlagQuery, ReviewActivityFlag};
pub use reads::{DayView, HistoryQuery, LeaderboardQuery, LeaderboardRow, StoredEventView};

use crate::activity::{GameActivity, Moved, Period, Scope};
use crate::batch::Batcher;
use crate::error::ServiceResult;
use crate::id::GameId;
use crate::model::activity::Category;
use crate::model::activity::{Event, Key, Outcome, Policy};
use crate::ranking::activity::ActivityRankings;
use crate::service::Admin;
use crate::shared::{ActivityChange, Change, Subscriber};
use crate::store::{ActivityDayRow, ActivityHistoryRow, ActivityTotalRow, ActivityWrite};
use crate::time::now;

/// Days of stored days kept in memory (the history window, and more than any streak needs to
/// look back for an open day).
pub(super) const DAYS_KEPT: i64 = 40;
/// How far back the start-up replay reads events at least: the default fraud windows plus a
/// day (a policy with longer windows replays those plus a day).
const REPLAY_DAYS: i64 = 8;

/// The lease the node serving activity scores holds when several nodes share a database.
const ACTIVITY_LEASE: i64 = 112111100105118; // "podiuv": beside the change log's key
/// How often the node holding the lease checks it, and the others try to take it.
const LEASE_CHECK: std::time::Duration = std::time::Duration::from_secs(1);

/// The activity service; cheap to clone.
#[derive(Clone)]
pub struct Activity {
    admin: Admin,
    rankings: Arc<ActivityRankings>,
    writer: Batcher<events::Job, events::Answer>,
    /// Held by the writer while it judges and commits, and by flag reviews.
    gate: Arc<tokio::sync::RwLock<()>>,
    /// Whether this node serves activity scores now: always on one node; with several, while
    /// it holds the activity lease (a game's counts and days are one node's memory).
    serving: Arc<AtomicBool>,
    /// On a node not serving activity scores: the version of each game's state it last
    /// loaded for a read (`ActivityStore::activity_version`).
    followed: Arc<Mutex<std::collections::HashMap<GameId, crate::store::ActivityVersion>>>,
    /// Asks the lease keeper to give the lease up (answered once it has).
    releasing: Arc<Mutex<Option<tokio::sync::mpsc::UnboundedSender<tokio::sync::oneshot::Sender<()>>>>>,
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
        let gate = Arc::new(tokio::sync::RwLock::new(()));
        let writer = events::spawn(admin.clone(), gate.clone());
        let several = admin.shared().changes.log_node().is_some();
        let activity = Self {
            admin,
            rankings,
            writer,
            gate,
            serving: Arc::new(AtomicBool::new(!several)),
            followed: Arc::new(Mutex::new(std::collections::HashMap::new())),
            releasing: Arc::new(Mutex::new(None)),
        };
        activity.spawn_freezer(std::time::Duration::from_secs(60));
        activity
    }

    /// Loads every game that has activity (start-up), so the rankings answer at once. With
    /// several nodes, only the node that takes the activity lease loads and writes; the others
    /// answer writes with 503 `activity_elsewhere`, answer reads from the database (a game's
    /// state loaded afresh whenever it changed), and try to take the lease every second, so
    /// that one of them takes over (loading afresh) when the holder ends.
    pub async fn load_all(&self) -> ServiceResult<usize> {
        if self.serving() {
            return self.load_games().await;
        }
        let lease = self.admin.store().try_lease(ACTIVITY_LEASE).await?;
        let loaded = match &lease {
            Some(taken) => {
                self.admin.shared().activity.set_fence(taken.fence());
                let n = self.load_games().await?;
                self.serving.store(true, Ordering::Release);
                n
            }
            None => 0,
        };
        self.spawn_lease_keeper(lease);
        Ok(loaded)
    }

    async fn load_games(&self) -> ServiceResult<usize> {
        let games = self.admin.store().activity_games().await?;
        for game in &games {
            load(&self.admin, *game).await?;
        }
        Ok(games.len())
    }

    /// Whether this node serves activity scores now.
    pub fn serving(&self) -> bool {
        self.serving.load(Ordering::Acquire)
    }

    /// Before a read of `game`'s state: nothing on the node serving activity scores; on
    /// another, the state is loaded afresh from the database whenever it holds writes this node
    /// has not loaded (a new event, a reviewed flag, a new policy), so every node answers
    /// reads with what the serving node acknowledged (one small query per read, a load per
    /// change).
    async fn follow(&self, game: GameId) -> ServiceResult<()> {
        if self.serving() {
            return Ok(());
        }
        let version = self.admin.store().activity_version(game).await?;
        let seen = self.followed.lock().unwrap_or_else(std::sync::PoisonError::into_inner).get(&game).copied();
        if seen == Some(version) && self.admin.shared().activity.game(game).is_some() {
            return Ok(());
        }
        // Loaded after the version was read: at least that new (a later write reloads again).
        self.admin.shared().activity.forget(game);
        load(&self.admin, game).await?;
        self.followed.lock().unwrap_or_else(std::sync::PoisonError::into_inner).insert(game, version);
        Ok(())
    }

    /// 503 `activity_elsewhere` unless this node serves activity scores now.
    fn serves(&self) -> ServiceResult<()> {
        if self.serving() {
            return Ok(());
        }
        Err(crate::error::ServiceError::new(
            crate::error::ErrorCode::ActivityElsewhere,
            "another node writes activity scores now (it holds the activity lease); send the request to it, or retry",
        ))
    }

    /// Stops serving activity scores and gives the activity lease up, so that another node
    /// takes it at once (a node stopping; tests that start the next node beside this one).
    /// Does nothing on one node.
    pub async fn release_lease(&self) {
        let ask = self.releasing.lock().unwrap_or_else(std::sync::PoisonError::into_inner).take();
        if let Some(ask) = ask {
            let (done, released) = tokio::sync::oneshot::channel();
            if ask.send(done).is_ok() {
                let _ = tokio::time::timeout(std::time::Duration::from_secs(5), released).await;
            }
        }
    }

    /// Checks the held lease every second (a lost one stops this node serving) or tries to
    /// take it (then this node loads every game afresh and serves).
    fn spawn_lease_keeper(&self, mut lease: Option<Box<dyn crate::store::Lease>>) {
        let activity = self.clone();
        let (ask, mut asked) = tokio::sync::mpsc::unbounded_channel::<tokio::sync::oneshot::Sender<()>>();
        *self.releasing.lock().unwrap_or_else(std::sync::PoisonError::into_inner) = Some(ask);
        tokio::spawn(async move {
            loop {
                tokio::select! {
                    () = tokio::time::sleep(LEASE_CHECK) => {}
                    done = asked.recv() => {
                        activity.serving.store(false, Ordering::Release);
                        if let Some(mut held) = lease.take() {
                            held.release().await;
                        }
                        if let Some(done) = done {
                            let _ = done.send(());
                        }
                        return;
                    }
                }
                match lease.as_mut() {
                    Some(held) => {
                        if !held.held().await {
                            activity.serving.store(false, Ordering::Release);
                            activity.admin.shared().activity.forget_all();
                            activity.followed.lock().unwrap_or_else(std::sync::PoisonError::into_inner).clear();
                            lease = None;
                            // Its fence stays: whatever this node still tries to write is refused.
                            tracing::warn!(
                                "lost the activity lease (its database connection ended); activity scores are served by the node that takes it"
                            );
                        }
                    }
                    None => match activity.admin.store().try_lease(ACTIVITY_LEASE).await {
                        Ok(Some(taken)) => {
                            // What this node may hold from before is older than the holder's writes.
                            activity.admin.shared().activity.forget_all();
                            activity.admin.shared().activity.set_fence(taken.fence());
                            match activity.load_games().await {
                                Ok(games) => {
                                    activity.serving.store(true, Ordering::Release);
                                    lease = Some(taken);
                                    tracing::info!(
                                        games,
                                        "took the activity lease: this node serves activity scores now"
                                    );
                                }
                                Err(e) => {
                                    tracing::warn!(error = %e, "took the activity lease but could not load activity scores; will retry");
                                }
                            }
                        }
                        Ok(None) => {}
                        Err(e) => tracing::debug!(error = %e, "could not try the activity lease; will retry"),
                    },
                }
            }
        });
    }
}

/// A game's state, loaded from the store on first use.
pub(super) async fn load(admin: &Admin, game: GameId) -> ServiceResult<Arc<Mutex<GameActivity>>> {
    if let Some(state) = admin.shared().activity.game(game)
        && !state.lock().unwrap_or_else(std::sync::PoisonError::into_inner).stale
    {
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
    let flushed = store.activity_flushed_seq(game).await?;
    for row in store.activity_days(game, oldest).await? {
        state.book.load_day(&row.user, row.day, row.value);
    }
    for row in store.activity_totals(game).await? {
        state.book.set_all_time(&row.user, row.sums);
    }
    let fraud = &state.policy.fraud;
    let window = i64::from(fraud.win_trade_window_days.max(fraud.create_cancel_window_days)) + 1;
    let since = at - Duration::days(window.max(REPLAY_DAYS));
    for stored in store.activity_events_since(game, since, flushed).await? {
        let first_reason = stored.result["reasons"][0].as_str().unwrap_or_default();
        let unjudged = stored.outcome == Outcome::Duplicate
            || (stored.outcome == Outcome::Invalid && events::UNJUDGED.contains(&first_reason));
        if stored.seq > flushed {
            // Its days, sums and history entries were not written yet: add them as the writer did.
            state.unflushed.note_event(&stored.users, stored.seq, &stored.event_id);
            if !unjudged {
                let policy = state.policy.clone();
                let moved = add_recorded_points(&policy, &mut state.book, &stored.result);
                state.unflushed.note(&moved);
            }
        }
        let (Some(event_type), Some(at)) =
            (stored.event_type.as_deref().and_then(crate::model::activity::EventType::parse), stored.at)
        else {
            continue;
        };
        if unjudged || stored.received_at < since {
            continue;
        }
        let Some(event) = Event::from_stored(stored.event_id.clone(), event_type, at, &stored.fields) else { continue };
        let recorded = events::recorded_outcomes(&stored.result);
        let policy = state.policy.clone();
        state.counters.replay(&policy, &event, &recorded);
    }
    let mut moved = Vec::new();
    for (user, standing) in state.book.users() {
        for (day, value) in standing.days.range(oldest..) {
            for scope in Scope::ALL {
                moved.push(Moved {
                    user: user.clone(),
                    scope,
                    period: Period::Day(*day),
                    old: None,
                    new: value.value(scope),
                });
            }
        }
        for scope in Scope::ALL {
            let new = standing.all_time[scope.index()];
            moved.push(Moved { user: user.clone(), scope, period: Period::AllTime, old: None, new });
        }
    }
    let built = Arc::new(Mutex::new(state));
    let kept = admin.shared().activity.insert(game, built.clone());
    // Another load got there first: its rankings stand (ours could be older than its writes).
    if Arc::ptr_eq(&kept, &built) && !moved.is_empty() {
        admin.publish(Change::Activity(ActivityChange { game, moved: Arc::new(moved), at_micros: 0 }));
    }
    Ok(kept)
}

/// Adds to the book what a stored answer says an event earned (the day it recorded; counted
/// users' days marked active), as the writer did when it judged the event.
fn add_recorded_points(
    policy: &Policy,
    book: &mut crate::activity::ScoreBook,
    result: &serde_json::Value,
) -> Vec<Moved> {
    let mut moved = Vec::new();
    let Some(day) = result["day"].as_str().and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok()) else {
        return moved;
    };
    let Some(users) = result["users"].as_object() else { return moved };
    for (user, r) in users {
        let user = Key::from_trusted(user.clone());
        if r["outcome"].as_str() == Some(Outcome::Counted.as_str()) {
            moved.extend(book.add(policy, &user, day, None, true));
        }
        for (name, points) in r["categories"].as_object().into_iter().flatten() {
            if let (Some(category), Some(points)) = (Category::parse(name), points.as_i64()) {
                moved.extend(book.add(policy, &user, day, Some((category, points)), true));
            }
        }
    }
    moved
}

/// The stored rows of what moved: each touched day and all-time sum as the book holds it now
/// (what a flag review writes).
pub(super) fn rows_of(
    game: GameId,
    book: &crate::activity::ScoreBook,
    moved: &[Moved],
) -> (Vec<ActivityDayRow>, Vec<ActivityTotalRow>) {
    let touched = moved.iter().map(|m| {
        let day = match m.period {
            Period::Day(d) => Some(d),
            Period::AllTime => None,
        };
        (&m.user, day)
    });
    rows_at(game, book, touched)
}

/// The rows of the given (user, day) and (user, all time) keys as the book holds them now.
fn rows_at<'a>(
    game: GameId,
    book: &crate::activity::ScoreBook,
    keys: impl Iterator<Item = (&'a Key, Option<NaiveDate>)>,
) -> (Vec<ActivityDayRow>, Vec<ActivityTotalRow>) {
    let mut touched: Vec<(&Key, Option<NaiveDate>)> = keys.collect();
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

/// How long the days, sums and history of a busy game may wait before a flush takes them:
/// the longer, the more changes to one row share one write and the more rows share a page (a
/// flush every second cost ~6.7 µs a row, one of 1.5 million rows ~2.4 µs; BENCHMARKS.md).
/// Start-up replays the events of the last days anyway, so the wait costs a restart nothing.
const FLUSH_EVERY: std::time::Duration = std::time::Duration::from_secs(30);
/// How many unwritten rows make a flush taken at once (bounds the memory they hold).
const FLUSH_AT: usize = 1_000_000;
/// About how many history entries one group carries of a flush on its way, so that no group
/// stalls the writer for long.
const FLUSH_SLICE: usize = 50_000;
/// A game with no change for this long is written whole by the idle writer: its store is never
/// more than a second or two behind its events once the load stops.
pub(super) const IDLE_AFTER: std::time::Duration = std::time::Duration::from_secs(1);

/// Whether the writer should write part of a game's unflushed rows with this group.
pub(super) fn flush_due(st: &GameActivity) -> bool {
    let u = &st.unflushed;
    u.flushing() || u.len() >= FLUSH_AT || u.since.is_some_and(|t| t.elapsed() >= FLUSH_EVERY)
}

/// Whether a game has been still long enough to be written whole.
pub(super) fn idle(st: &GameActivity) -> bool {
    let u = &st.unflushed;
    !u.is_empty() && u.last.or(u.since).is_some_and(|t| t.elapsed() >= IDLE_AFTER)
}

/// Adds the next part of a game's flush to `write`, taking a flush of every change so far (as
/// of every event judged) if none is on its way; returns the watermark once the last part is
/// in. The history entries stay readable in memory until
/// [`Unflushed::flushed`](crate::activity::Unflushed::flushed) after that part's commit.
pub(super) fn take_flush(game: GameId, st: &mut GameActivity, write: &mut ActivityWrite) -> Option<i64> {
    let through = st.next_seq - 1;
    st.unflushed.start(&st.book, through);
    let slice = st.unflushed.slice(FLUSH_SLICE)?;
    add_slice(game, slice, write)
}

/// Adds everything a game's store lacks to `write`; returns the watermark.
pub(super) fn take_all(game: GameId, st: &mut GameActivity, write: &mut ActivityWrite) -> i64 {
    let through = st.next_seq - 1;
    let slice = st.unflushed.take_all(&st.book, through);
    add_slice(game, slice, write).unwrap_or(through)
}

fn add_slice(game: GameId, slice: crate::activity::Slice, write: &mut ActivityWrite) -> Option<i64> {
    write.days.extend(slice.days.into_iter().map(|(user, day, value)| ActivityDayRow {
        game_id: game,
        user,
        day,
        value,
    }));
    write.totals.extend(slice.totals.into_iter().map(|(user, sums)| ActivityTotalRow { game_id: game, user, sums }));
    write.history.extend(slice.history.into_iter().map(|(user, seq, event_id)| ActivityHistoryRow {
        game_id: game,
        user,
        seq,
        event_id,
    }));
    if let Some(through) = slice.through {
        write.flushed.push((game, through));
    }
    slice.through
}

/// Writes a game's unflushed days, sums and history now (before anything reads them from the
/// store: the day-end job, a flag review). The caller holds the writer's gate.
pub(super) async fn flush_game(admin: &Admin, game: GameId) -> ServiceResult<()> {
    // Loaded under the gate: a state a failed group left stale is built afresh first.
    let state = load(admin, game).await?;
    let mut write = ActivityWrite::default();
    let through = {
        let mut st = state.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if st.unflushed.is_empty() {
            return Ok(());
        }
        take_all(game, &mut st, &mut write)
    };
    write.fence = admin.shared().activity.fence();
    if let Err(e) = admin.store().insert_activity_batch(&write).await {
        admin.shared().activity.forget(game);
        return Err(e.into());
    }
    state.lock().unwrap_or_else(std::sync::PoisonError::into_inner).unflushed.flushed(through);
    Ok(())
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
