//! Activity reads: a user's day (points per category, each counter against its cap, streak,
//! multiplier, total), the live rankings (per category or total, per day or all time, with
//! `around_user`, cursors and shared absolute ranks), and a user's judged events of the last
//! 30 days, refused ones included.

use chrono::{Duration, NaiveDate};
use serde::Serialize;

use super::{Activity, day_of, load};
use crate::activity::{Period, Scope};
use crate::auth::Principal;
use crate::error::{ErrorCode, FieldCode, ServiceError, ServiceResult};
use crate::id::GameId;
use crate::model::activity::{Key, Outcome};
use crate::page::{ListParams, Page, PageRequest, SortValue, Traversal};
use crate::ranking::RankKey;
use crate::ranking::activity::{Boundary, user_bits};
use crate::time::now;

/// Days of history kept readable.
const HISTORY_DAYS: i64 = 30;

/// One counter of a user's day.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CounterView {
    /// Counted today.
    pub count: u32,
    /// The daily cap.
    pub cap: u32,
}

/// `GET /v1/activity/users/{user}`
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct DayView {
    /// The user.
    pub user: String,
    /// The day (policy time zone), `YYYY-MM-DD`.
    pub day: String,
    /// Points per category: friends, meetups, games, popularity.
    pub points: std::collections::BTreeMap<String, i64>,
    /// Each daily counter against its cap (while the day is open; empty for older days).
    pub counters: std::collections::BTreeMap<String, CounterView>,
    /// Consecutive active days ending on this day (0 when it was not active).
    pub streak_days: u32,
    /// The streak multiplier of this day.
    pub multiplier: f64,
    /// The day's total: the sum of its category points × the multiplier, rounded half up.
    pub total: i64,
    /// All-time sums: each category and the total.
    pub all_time: std::collections::BTreeMap<String, i64>,
}

/// Filters of `GET /v1/activity/leaderboard`.
#[derive(Debug, Clone, Default)]
pub struct LeaderboardQuery {
    /// `total` (default), `friends`, `meetups`, `games`, `popularity`.
    pub category: Option<String>,
    /// `day` (default) or `all_time`.
    pub period: Option<String>,
    /// `YYYY-MM-DD` (default today, policy time zone) when `period=day`.
    pub day: Option<String>,
    /// A page centred on this user.
    pub around_user: Option<String>,
}

/// One ranked user.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct LeaderboardRow {
    /// Shared rank: 1 + how many have more points.
    pub rank: usize,
    /// The user.
    pub user: String,
    /// Points in this ranking.
    pub points: i64,
}

/// Filters of `GET /v1/activity/events`.
#[derive(Debug, Clone, Default)]
pub struct HistoryQuery {
    /// The user (required).
    pub user: Option<String>,
}

/// One judged event in a user's history.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct StoredEventView {
    /// The app's id.
    pub event_id: String,
    /// The type as given.
    pub r#type: Option<String>,
    /// When it happened.
    pub at: Option<chrono::DateTime<chrono::Utc>>,
    /// When podium judged it.
    pub received_at: chrono::DateTime<chrono::Utc>,
    /// Its fields.
    #[schema(value_type = Object)]
    pub fields: serde_json::Value,
    /// What it came to.
    pub outcome: Outcome,
    /// The answer given (users, points, reasons, errors).
    #[schema(value_type = Object)]
    pub result: serde_json::Value,
}

fn parse_day(s: &str) -> ServiceResult<NaiveDate> {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").map_err(|_| ServiceError::field("day", FieldCode::InvalidFormat))
}

fn parse_user(s: &str, field: &str) -> ServiceResult<Key> {
    Key::parse(s).map_err(|code| ServiceError::field(field, code))
}

impl Activity {
    /// A user's day (default today in the policy's time zone).
    pub async fn user_day(&self, p: &Principal, game: GameId, user: &str, day: Option<&str>) -> ServiceResult<DayView> {
        self.follow(game).await?;
        self.visible_game(p, game).await?;
        let user = parse_user(user, "user")?;
        let state = load(&self.admin, game).await?;
        let st = state.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let day = match day {
            Some(d) => parse_day(d)?,
            None => day_of(&st.policy, now()),
        };
        let standing = st.book.standing(&user);
        let value = standing.and_then(|s| s.days.get(&day)).copied().unwrap_or_default();
        let all = standing.map(|s| s.all_time).unwrap_or_default();
        let counters = st
            .counters
            .day_counts(&st.policy, day, &user)
            .into_iter()
            .map(|(name, count, cap)| (name.to_owned(), CounterView { count, cap }))
            .collect();
        Ok(DayView {
            user: user.to_string(),
            day: day.to_string(),
            points: Scope::ALL[1..].iter().map(|s| (s.as_str().to_owned(), value.value(*s))).collect(),
            counters,
            streak_days: value.streak,
            multiplier: if value.active { value.multiplier } else { 1.0 },
            total: value.total,
            all_time: Scope::ALL.iter().map(|s| (s.as_str().to_owned(), all[s.index()])).collect(),
        })
    }

    /// A page of a live ranking.
    pub async fn leaderboard(
        &self,
        p: &Principal,
        game: GameId,
        query: &LeaderboardQuery,
        params: &ListParams,
    ) -> ServiceResult<Page<LeaderboardRow>> {
        self.follow(game).await?;
        self.visible_game(p, game).await?;
        let scope = match query.category.as_deref() {
            None => Scope::Total,
            Some(s) => Scope::parse(s).ok_or_else(|| ServiceError::field("category", FieldCode::InvalidEnum))?,
        };
        let state = load(&self.admin, game).await?;
        let policy = state.lock().unwrap_or_else(std::sync::PoisonError::into_inner).policy.clone();
        let period = match query.period.as_deref() {
            None | Some("day") => Period::Day(match query.day.as_deref() {
                Some(d) => parse_day(d)?,
                None => day_of(&policy, now()),
            }),
            Some("all_time") if query.day.is_some() => return Err(ServiceError::field("day", FieldCode::InvalidValue)),
            Some("all_time") => Period::AllTime,
            Some(_) => return Err(ServiceError::field("period", FieldCode::InvalidEnum)),
        };
        let fingerprint = format!("activity-leaderboard:{game}:{}:{period:?}", scope.as_str());
        let codec = self.admin.cursors();
        let req = PageRequest::prepare(params, &["rank"], "rank:asc", &fingerprint, codec)?;
        if req.sort.keys().first().is_some_and(|k| k.direction == crate::page::Direction::Desc) {
            return Err(ServiceError::new(ErrorCode::InvalidSort, "rank sorts ascending only (most points first)"));
        }
        let invalid = || ServiceError::new(ErrorCode::InvalidCursor, "the cursor is malformed or was modified");
        let boundary = match (&req.keyset, query.around_user.as_deref()) {
            (Some(_), Some(_)) => {
                return Err(ServiceError::new(ErrorCode::AroundConflict, "around_user and cursor exclude each other"));
            }
            (None, Some(u)) => Boundary::Around(user_bits(&parse_user(u, "around_user")?)),
            (None, None) => Boundary::Start,
            (Some(k), None) => {
                let (Some(SortValue::Text(key)), Some(SortValue::Text(bits))) = (k.values.first(), k.values.get(1))
                else {
                    return Err(invalid());
                };
                let bits: u128 = bits.parse().map_err(|_| invalid())?;
                let key = RankKey::from_cursor_text(key, bits).ok_or_else(invalid)?;
                match k.traversal {
                    Traversal::Forward => Boundary::After(key),
                    Traversal::Backward => Boundary::Before(key),
                }
            }
        };
        let page = self.rankings.page(game, scope, period, boundary, req.limit as usize);
        let cursor = |key: RankKey, traversal| {
            req.sign(vec![SortValue::Text(key.cursor_text()), SortValue::Text(key.id().to_string())], traversal, codec)
        };
        let next = page.users.last().filter(|_| page.has_next).map(|u| cursor(u.key, Traversal::Forward));
        let prev = page.users.first().filter(|_| page.has_prev).map(|u| cursor(u.key, Traversal::Backward));
        let data = page
            .users
            .into_iter()
            .map(|u| LeaderboardRow { rank: u.rank, user: u.user.to_string(), points: u.points })
            .collect();
        Ok(Page::with_cursors(data, next, prev))
    }

    /// A user's judged events of the last 30 days, newest first.
    pub async fn history(
        &self,
        p: &Principal,
        game: GameId,
        query: &HistoryQuery,
        params: &ListParams,
    ) -> ServiceResult<Page<StoredEventView>> {
        self.follow(game).await?;
        self.visible_game(p, game).await?;
        let Some(user) = query.user.as_deref() else { return Err(ServiceError::field("user", FieldCode::Required)) };
        let user = parse_user(user, "user")?;
        let fingerprint = format!("activity-history:{game}:{user}");
        let codec = self.admin.cursors();
        let req = PageRequest::prepare(params, &["received_at"], "received_at:desc", &fingerprint, codec)?;
        if req.sort.keys().first().is_some_and(|k| k.direction == crate::page::Direction::Asc) {
            return Err(ServiceError::new(ErrorCode::InvalidSort, "the history lists newest first only"));
        }
        let invalid = || ServiceError::new(ErrorCode::InvalidCursor, "the cursor is malformed or was modified");
        let before = match &req.keyset {
            None => None,
            Some(k) if k.traversal == Traversal::Forward => match k.values.first() {
                Some(SortValue::Int(seq)) => Some(*seq),
                _ => return Err(invalid()),
            },
            Some(_) => return Err(ServiceError::new(ErrorCode::InvalidCursor, "the history pages forward only")),
        };
        let limit = req.limit as usize;
        let since = now() - Duration::days(HISTORY_DAYS);
        // The events the stored history index lacks yet (read first: a flush between the two
        // reads then leaves them in the store's answer).
        let unflushed: Vec<String> = {
            let state = load(&self.admin, game).await?;
            let st = state.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            st.unflushed
                .history_of(&user)
                .into_iter()
                .filter(|(seq, _)| before.is_none_or(|b| *seq < b))
                .map(|(_, id)| id.as_str().to_owned())
                .collect()
        };
        let mut rows = self.admin.store().user_activity_events(game, &user, since, before, limit + 1).await?;
        if !unflushed.is_empty() {
            let ids: Vec<&str> = unflushed.iter().map(String::as_str).collect();
            let recent = self.admin.store().activity_events_by_id(game, &ids).await?;
            rows.extend(recent.into_iter().filter(|e| e.received_at >= since));
            rows.sort_by_key(|e| std::cmp::Reverse(e.seq));
            rows.dedup_by_key(|e| e.seq);
            rows.truncate(limit + 1);
        }
        let has_next = rows.len() > limit;
        rows.truncate(limit);
        let next = rows.last().filter(|_| has_next).map(|r| {
            req.sign(vec![SortValue::Int(r.seq), SortValue::Text(r.event_id.to_string())], Traversal::Forward, codec)
        });
        let data = rows
            .into_iter()
            .map(|r| StoredEventView {
                event_id: r.event_id.to_string(),
                r#type: r.event_type,
                at: r.at,
                received_at: r.received_at,
                fields: r.fields,
                outcome: r.outcome,
                result: r.result,
            })
            .collect();
        Ok(Page::with_cursors(data, next, None))
    }
}
