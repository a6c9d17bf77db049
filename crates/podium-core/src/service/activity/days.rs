//! The day-end job: once a day of a game's policy time zone has been over for an hour, its
//! standings freeze (later events of it are `day_closed`) and the top 3 of each of its
//! rankings (total and each category; ties share a rank, so a tie at 3 gives more than three)
//! earn a badge, read from the stored days, so the badges do not depend on what a node holds
//! in memory. The job runs every minute and at start-up, freezes every day that closed since
//! the last frozen one (so it catches up after downtime), and is idempotent: a day is frozen
//! once, in one transaction with its badges, whatever node or run gets there first. It takes
//! the activity writer's gate, so no batch lands in a day while it freezes. A confirmed flag
//! that changes a frozen day replaces that day's badges.

use chrono::{DateTime, Duration, NaiveDate, Utc};

use super::{Activity, DAYS_KEPT, closes_at, day_of, flush_game, load};
use crate::activity::Scope;
use crate::auth::Principal;
use crate::error::{ServiceError, ServiceResult};
use crate::id::GameId;
use crate::model::activity::{ActivityBadge, Key};
use crate::page::{ListParams, Page, PageRequest, SortValue, Sortable};
use crate::store::ActivityDayRow;
use crate::time::{now, to_day_number};

/// Badges go to ranks 1 to this.
const PODIUM: usize = 3;

/// Filters of `GET /v1/activity/badges`.
#[derive(Debug, Clone, Default)]
pub struct BadgeQuery {
    /// Only this user's.
    pub user: Option<String>,
}

impl Sortable for ActivityBadge {
    fn sort_value(&self, field: &str) -> SortValue {
        match field {
            "day" => SortValue::Int(to_day_number(self.day)),
            _ => SortValue::Text(self.key()),
        }
    }
}

/// The badges of one day, from its stored rows.
pub(super) fn badges_of(game: GameId, day: NaiveDate, rows: &[ActivityDayRow]) -> Vec<ActivityBadge> {
    let mut badges = Vec::new();
    for scope in Scope::ALL {
        let mut values: Vec<(i64, &Key)> =
            rows.iter().map(|r| (r.value.value(scope), &r.user)).filter(|(v, _)| *v > 0).collect();
        values.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| a.1.cmp(b.1)));
        for (points, user) in &values {
            let rank = values.iter().filter(|(v, _)| v > points).count() + 1;
            if rank > PODIUM {
                break;
            }
            badges.push(ActivityBadge {
                game_id: game,
                day,
                category: scope.as_str().to_owned(),
                user: user.to_string(),
                rank: rank as u32,
                points: *points,
            });
        }
    }
    badges
}

impl Activity {
    /// Starts the job that freezes closed days every `period`.
    pub(super) fn spawn_freezer(&self, period: std::time::Duration) {
        let activity = self.clone();
        tokio::spawn(async move {
            let mut ticks = tokio::time::interval(period);
            ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                ticks.tick().await;
                if let Err(e) = activity.freeze_due(now()).await {
                    tracing::warn!(error = %e, "the activity day-end job failed; it runs again in a minute");
                }
            }
        });
    }

    /// Freezes, as of `at`, every day of every game that closed and is not frozen yet, with
    /// its badges; returns how many days it froze. `at` is the clock (tests pass a simulated
    /// one).
    pub async fn freeze_due(&self, at: DateTime<Utc>) -> ServiceResult<usize> {
        if !self.serving() {
            return Ok(0);
        }
        let mut frozen = 0;
        for game in self.admin.store().activity_games().await? {
            let _gate = self.gate.write().await;
            // The days are read back from the store: write what it lacks first (loaded under
            // the gate, so no group is on its way and a stale state is built afresh).
            flush_game(&self.admin, game).await?;
            let state = load(&self.admin, game).await?;
            let (policy, earliest) = {
                let st = state.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
                let earliest = st.book.users().filter_map(|(_, s)| s.days.keys().next().copied()).min();
                (st.policy.clone(), earliest)
            };
            let mut latest = day_of(&policy, at);
            while closes_at(&policy, latest) > at {
                let Some(before) = latest.pred_opt() else { break };
                latest = before;
            }
            let start = match self.admin.store().last_frozen_activity_day(game).await? {
                Some(last) => last.succ_opt().unwrap_or(last),
                None => earliest.unwrap_or(latest.succ_opt().unwrap_or(latest)),
            };
            let mut day = start;
            while day <= latest {
                let rows = self.admin.store().activity_day(game, day).await?;
                if self.admin.store().freeze_activity_day(game, day, &badges_of(game, day, &rows), at).await? {
                    frozen += 1;
                }
                state.lock().unwrap_or_else(std::sync::PoisonError::into_inner).frozen_through = Some(day);
                let Some(next) = day.succ_opt() else { break };
                day = next;
            }
            // Memory follows the real clock: what no event accepted from now on can read goes.
            let real = now();
            let mut st = state.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            let policy = st.policy.clone();
            let kept_from = day_of(&policy, real) - Duration::days(DAYS_KEPT);
            st.counters.prune(&policy, real, day_of(&policy, real - Duration::hours(24)));
            st.book.prune(kept_from);
            drop(st);
            self.rankings.prune_days(game, kept_from);
        }
        Ok(frozen)
    }

    /// Replaces the badges of the frozen days among `days` (after a confirmed flag).
    pub(super) async fn rebadge(&self, game: GameId, days: &[NaiveDate]) -> ServiceResult<()> {
        for day in self.admin.store().frozen_activity_days(game, days).await? {
            let rows = self.admin.store().activity_day(game, day).await?;
            self.admin.store().replace_activity_badges(game, day, &badges_of(game, day, &rows)).await?;
        }
        Ok(())
    }

    /// A game's badges (one user's when given), newest day first.
    pub async fn badges(
        &self,
        p: &Principal,
        game: GameId,
        query: &BadgeQuery,
        params: &ListParams,
    ) -> ServiceResult<Page<ActivityBadge>> {
        self.visible_game(p, game).await?;
        let user =
            query.user.as_deref().map(Key::parse).transpose().map_err(|code| ServiceError::field("user", code))?;
        let scope = format!("activity-badges:{game}:{:?}", user.as_ref().map(Key::as_str));
        let codec = self.admin.cursors();
        let req = PageRequest::prepare(params, &["day"], "day:desc", &scope, codec)?;
        let rows = self.admin.store().list_activity_badges(game, user.as_ref(), &req).await?;
        Ok(req.finish(rows, codec))
    }
}
