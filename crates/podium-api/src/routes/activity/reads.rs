//! Activity reads: `GET /v1/activity/users/{user}`, `/v1/activity/leaderboard`,
//! `/v1/activity/events`, `/v1/activity/badges`.

use axum::Json;
use axum::extract::{Path, State};
use podium_core::id::GameId;
use podium_core::model::activity::ActivityBadge;
use podium_core::service::activity::{
    BadgeQuery, DayView, HistoryQuery, LeaderboardQuery, LeaderboardRow, StoredEventView,
};
use serde::Deserialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::extract::{Admin, ApiQuery};
use crate::list::{ListResponse, PageQuery};
use crate::problem::{ApiResult, Problem};
use crate::state::AppState;

/// The routes of these reads.
pub(super) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(user_day))
        .routes(routes!(leaderboard))
        .routes(routes!(history))
        .routes(routes!(badges))
}

/// `?game_id=&day=`
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct DayQuery {
    /// The game (`gam_…`).
    game_id: GameId,
    /// `YYYY-MM-DD` (default today, in the policy's time zone).
    day: Option<String>,
}

/// A user's day: points per category, each counter against its cap, streak, multiplier, total.
#[utoipa::path(get, path = "/v1/activity/users/{user}", tag = "activity", params(("user" = String, Path), DayQuery),
    responses((status = 200, body = DayView), (status = "4XX", body = Problem, content_type = "application/problem+json"), (status = 503, description = "`store_unavailable`: the database cannot be reached", body = Problem, content_type = "application/problem+json")))]
async fn user_day(
    State(s): State<AppState>,
    Admin(p): Admin,
    Path(user): Path<String>,
    ApiQuery(q): ApiQuery<DayQuery>,
) -> ApiResult<Json<DayView>> {
    Ok(Json(s.activity.user_day(&p, q.game_id, &user, q.day.as_deref()).await?))
}

/// Filters of the leaderboard.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct BoardQuery {
    /// The game (`gam_…`).
    game_id: GameId,
    /// `total` (default), `friends`, `meetups`, `games`, `popularity`.
    category: Option<String>,
    /// `day` (default) or `all_time`.
    period: Option<String>,
    /// `YYYY-MM-DD` (default today) with `period=day`.
    day: Option<String>,
    /// A page centred on this user (excludes `cursor`).
    around_user: Option<String>,
}

/// A live ranking, most points first, with shared ranks; updated by every counted event.
#[utoipa::path(get, path = "/v1/activity/leaderboard", tag = "activity", params(BoardQuery, PageQuery),
    responses((status = 200, body = ListResponse<LeaderboardRow>), (status = "4XX", body = Problem, content_type = "application/problem+json"), (status = 503, description = "`store_unavailable`: the database cannot be reached", body = Problem, content_type = "application/problem+json")))]
async fn leaderboard(
    State(s): State<AppState>,
    Admin(p): Admin,
    ApiQuery(q): ApiQuery<BoardQuery>,
    ApiQuery(page): ApiQuery<PageQuery>,
) -> ApiResult<Json<ListResponse<LeaderboardRow>>> {
    let query = LeaderboardQuery { category: q.category, period: q.period, day: q.day, around_user: q.around_user };
    Ok(Json(s.activity.leaderboard(&p, q.game_id, &query, &page.into()).await?.into()))
}

/// Filters of the history.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct EventsQuery {
    /// The game (`gam_…`).
    game_id: GameId,
    /// The user (required).
    user: Option<String>,
}

/// A user's judged events of the last 30 days, newest first, refused ones included.
#[utoipa::path(get, path = "/v1/activity/events", tag = "activity", params(EventsQuery, PageQuery),
    responses((status = 200, body = ListResponse<StoredEventView>), (status = "4XX", body = Problem, content_type = "application/problem+json"), (status = 503, description = "`store_unavailable`: the database cannot be reached", body = Problem, content_type = "application/problem+json")))]
async fn history(
    State(s): State<AppState>,
    Admin(p): Admin,
    ApiQuery(q): ApiQuery<EventsQuery>,
    ApiQuery(page): ApiQuery<PageQuery>,
) -> ApiResult<Json<ListResponse<StoredEventView>>> {
    let query = HistoryQuery { user: q.user };
    Ok(Json(s.activity.history(&p, q.game_id, &query, &page.into()).await?.into()))
}

/// Filters of the badges.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct BadgesQuery {
    /// The game (`gam_…`).
    game_id: GameId,
    /// Only this user's badges.
    user: Option<String>,
}

/// Badges: the top 3 (shared ranks) of each ranking of every frozen day, newest day first.
#[utoipa::path(get, path = "/v1/activity/badges", tag = "activity", params(BadgesQuery, PageQuery),
    responses((status = 200, body = ListResponse<ActivityBadge>), (status = "4XX", body = Problem, content_type = "application/problem+json"), (status = 503, description = "`store_unavailable`: the database cannot be reached", body = Problem, content_type = "application/problem+json")))]
async fn badges(
    State(s): State<AppState>,
    Admin(p): Admin,
    ApiQuery(q): ApiQuery<BadgesQuery>,
    ApiQuery(page): ApiQuery<PageQuery>,
) -> ApiResult<Json<ListResponse<ActivityBadge>>> {
    let query = BadgeQuery { user: q.user };
    Ok(Json(s.activity.badges(&p, q.game_id, &query, &page.into()).await?.into()))
}
