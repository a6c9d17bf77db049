//! `/v1/community/runs`, `/v1/community/categories/{id}/runs`, `/v1/community/categories/{id}/leaderboard`

use axum::Json;
use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use podium_core::id::{CategoryId, RunId};
use podium_core::model::community::{Judgement, Participation};
use podium_core::service::community::{
    QueueView, RankedRunView, RankingQuery, RecordView, RunQuery, RunView, SubmitRun,
};
use serde::Deserialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::extract::{ApiJson, ApiQuery, IdPath, Member};
use crate::list::ListResponse;
use crate::problem::{ApiResult, Problem};
use crate::state::AppState;

/// What anyone may read.
pub(super) fn public() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(get_run))
        .routes(routes!(list_runs))
        .routes(routes!(run_participations))
        .routes(routes!(run_judgements))
        .routes(routes!(ranking))
        .routes(routes!(records))
        .routes(routes!(queue))
}

/// What members do.
pub(super) fn own() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(submit_run))
}

/// The `var.<variable_slug>=<value_slug>[,…]` parameters of a query string, in order.
pub(super) fn variable_params(query: Option<&str>) -> Vec<(String, String)> {
    form_urlencoded::parse(query.unwrap_or_default().as_bytes())
        .filter_map(|(k, v)| k.strip_prefix("var.").map(|slug| (slug.to_owned(), v.into_owned())))
        .collect()
}

/// Submit a run: the caller is a runner and fills their participation now; the other runners
/// get empty ones to fill in.
#[utoipa::path(post, path = "/v1/community/runs", tag = "community", request_body = SubmitRun,
    responses((status = 201, body = RunView), (status = "4XX", body = Problem, content_type = "application/problem+json")))]
async fn submit_run(
    State(s): State<AppState>,
    Member(p): Member,
    ApiJson(cmd): ApiJson<SubmitRun>,
) -> ApiResult<(StatusCode, Json<RunView>)> {
    Ok((StatusCode::CREATED, Json(s.community.submit_run(&p, cmd).await?)))
}

/// A run with its runners, variables and metrics.
#[utoipa::path(get, path = "/v1/community/runs/{id}", tag = "community", params(("id" = RunId, Path)),
    responses((status = 200, body = RunView), (status = "4XX", body = Problem, content_type = "application/problem+json")))]
async fn get_run(State(s): State<AppState>, IdPath(id): IdPath<RunId>) -> ApiResult<Json<RunView>> {
    Ok(Json(s.community.get_run(id).await?.into()))
}

/// `GET /v1/community/categories/{id}/runs` parameters besides `var.…`.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RunsParams {
    /// `created`, `submitted`, `approved` or `rejected`.
    pub status: Option<String>,
    /// An opaque cursor from a previous page.
    pub cursor: Option<String>,
    /// Page size, 1–100 (default 20).
    #[param(value_type = Option<u32>, minimum = 1, maximum = 100)]
    pub limit: Option<String>,
    /// `submitted_at` or `played_on`, `:asc|desc` (default `submitted_at:desc`).
    pub sort: Option<String>,
}

/// A category's runs, filtered by status and by variables (`var.<variable_slug>=<value_slug>[,…]`,
/// several values each, any of them matching).
#[utoipa::path(get, path = "/v1/community/categories/{id}/runs", tag = "community",
    params(("id" = CategoryId, Path), RunsParams,
        ("var.{variable_slug}" = Option<String>, Query, description = "Comma-separated value slugs of that variable; a run matches any of them")),
    responses((status = 200, body = ListResponse<RunView>), (status = "4XX", body = Problem, content_type = "application/problem+json")))]
async fn list_runs(
    State(s): State<AppState>,
    IdPath(id): IdPath<CategoryId>,
    ApiQuery(q): ApiQuery<RunsParams>,
    RawQuery(raw): RawQuery,
) -> ApiResult<Json<ListResponse<RunView>>> {
    let query = RunQuery { status: q.status, variables: variable_params(raw.as_deref()) };
    let params = podium_core::page::ListParams { cursor: q.cursor, limit: q.limit, sort: q.sort };
    Ok(Json(s.community.list_runs(id, &query, &params).await?.into()))
}

/// A run's participations, the submitter's first.
#[utoipa::path(get, path = "/v1/community/runs/{id}/participations", tag = "community", params(("id" = RunId, Path)),
    responses((status = 200, body = Vec<Participation>), (status = "4XX", body = Problem, content_type = "application/problem+json")))]
async fn run_participations(
    State(s): State<AppState>,
    IdPath(id): IdPath<RunId>,
) -> ApiResult<Json<Vec<Participation>>> {
    Ok(Json(s.community.run_participations(id).await?))
}

/// A run's judgements, oldest first.
#[utoipa::path(get, path = "/v1/community/runs/{id}/judgements", tag = "community", params(("id" = RunId, Path)),
    responses((status = 200, body = Vec<Judgement>), (status = "4XX", body = Problem, content_type = "application/problem+json")))]
async fn run_judgements(State(s): State<AppState>, IdPath(id): IdPath<RunId>) -> ApiResult<Json<Vec<Judgement>>> {
    Ok(Json(s.community.run_judgements(id).await?))
}

/// `GET /v1/community/categories/{id}/leaderboard` parameters besides `var.…`.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RankingParams {
    /// The metric ranked by (id or slug; default the category's first required metric).
    pub metric: Option<String>,
    /// List obsolete runs too (a better run of the same runners and obsoleting values exists).
    pub include_obsolete: Option<bool>,
    /// Only runs with a video (ranks counted among them).
    pub video_only: Option<bool>,
    /// Only the first N places (ties may carry it past N runs).
    #[param(minimum = 1)]
    pub top: Option<u64>,
    /// The ranking as it was on this day (`YYYY-MM-DD`): today's approved runs played by then.
    #[param(value_type = Option<String>, format = Date)]
    pub as_of: Option<chrono::NaiveDate>,
    /// An opaque cursor from a previous page.
    pub cursor: Option<String>,
    /// Page size, 1–100 (default 20).
    #[param(value_type = Option<u32>, minimum = 1, maximum = 100)]
    pub limit: Option<String>,
    /// Only `rank:asc` (the default).
    pub sort: Option<String>,
}

/// A category's ranking by one metric: approved runs, the best per runner set and obsoleting
/// values (obsolete ones on request), ties sharing a rank, filtered by variables
/// (`var.<variable_slug>=<value_slug>[,…]`).
#[utoipa::path(get, path = "/v1/community/categories/{id}/leaderboard", tag = "community",
    params(("id" = CategoryId, Path), RankingParams,
        ("var.{variable_slug}" = Option<String>, Query, description = "Comma-separated value slugs of that variable; a run matches any of them")),
    responses((status = 200, body = ListResponse<RankedRunView>), (status = "4XX", body = Problem, content_type = "application/problem+json")))]
async fn ranking(
    State(s): State<AppState>,
    IdPath(id): IdPath<CategoryId>,
    ApiQuery(q): ApiQuery<RankingParams>,
    RawQuery(raw): RawQuery,
) -> ApiResult<axum::response::Response> {
    // A first page is served from its serialised form while the category's ranking version is
    // unchanged (the same query string, the same answer).
    let cache = match (q.cursor.as_deref(), s.community.ranking_version(id)) {
        (None | Some(""), Some(version)) => {
            let key = (id, raw.clone().unwrap_or_default());
            if let Some((v, body)) = s.community_pages.get(&key)
                && v == version
            {
                return Ok(json_body(body));
            }
            Some((key, version))
        }
        _ => None,
    };
    let query = RankingQuery {
        metric: q.metric,
        include_obsolete: q.include_obsolete.unwrap_or(false),
        video_only: q.video_only.unwrap_or(false),
        top: q.top,
        as_of: q.as_of,
        variables: variable_params(raw.as_deref()),
    };
    let params = podium_core::page::ListParams { cursor: q.cursor, limit: q.limit, sort: q.sort };
    let list: ListResponse<RankedRunView> = s.community.ranking(id, &query, &params).await?.into();
    let body = axum::body::Bytes::from(serde_json::to_vec(&list).map_err(|_| {
        crate::problem::ApiError::new(podium_core::error::ErrorCode::Internal, "the page could not be rendered")
    })?);
    if let Some((key, version)) = cache {
        s.community_pages.put(key, (version, body.clone()));
    }
    Ok(json_body(body))
}

fn json_body(body: axum::body::Bytes) -> axum::response::Response {
    use axum::response::IntoResponse;
    let json = axum::http::HeaderValue::from_static("application/json");
    ([(axum::http::header::CONTENT_TYPE, json)], body).into_response()
}

/// `GET /v1/community/categories/{id}/records` parameters besides `var.…`.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RecordParams {
    /// The metric (id or slug; default the category's first required metric).
    pub metric: Option<String>,
    /// Only runs with a video.
    pub video_only: Option<bool>,
}

/// The record history of a category: each approved run that beat the record (among the runs
/// the `var.…` filter selects), in the order played, with the record it beat and by how much.
#[utoipa::path(get, path = "/v1/community/categories/{id}/records", tag = "community",
    params(("id" = CategoryId, Path), RecordParams,
        ("var.{variable_slug}" = Option<String>, Query, description = "Comma-separated value slugs of that variable; a run matches any of them")),
    responses((status = 200, body = Vec<RecordView>), (status = "4XX", body = Problem, content_type = "application/problem+json")))]
async fn records(
    State(s): State<AppState>,
    IdPath(id): IdPath<CategoryId>,
    ApiQuery(q): ApiQuery<RecordParams>,
    RawQuery(raw): RawQuery,
) -> ApiResult<Json<Vec<RecordView>>> {
    let query = RankingQuery {
        metric: q.metric,
        video_only: q.video_only.unwrap_or(false),
        variables: variable_params(raw.as_deref()),
        ..RankingQuery::default()
    };
    Ok(Json(s.community.records(id, &query).await?))
}

/// A leaderboard's moderation queue: the runs of all its categories awaiting judgement,
/// oldest submission first, with how many in all and per category.
#[utoipa::path(get, path = "/v1/community/leaderboards/{id}/queue", tag = "community",
    params(("id" = String, Path, description = "`lbd_…` or the slug"), crate::list::PageQuery),
    responses((status = 200, body = QueueView), (status = "4XX", body = Problem, content_type = "application/problem+json")))]
async fn queue(
    State(s): State<AppState>,
    axum::extract::Path(id): axum::extract::Path<String>,
    ApiQuery(page): ApiQuery<crate::list::PageQuery>,
) -> ApiResult<Json<QueueView>> {
    Ok(Json(s.community.queue(&id, &page.into()).await?))
}
