//! `/v1/scores`: the ranked entries of a board, in rank order from the engine, around an entry
//! or a value, or in another sort; admin views include the client's geography. And
//! `/v1/boards/{id}/export`: a board's final standings as JSON or CSV, to archive a season.

use axum::Json;
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use podium_core::error::FieldCode;
use podium_core::error::FieldErrors;
use podium_core::error::ServiceError;
use podium_core::id::{AccountId, BoardId, GameId, IdentityId, ScoreId};
use podium_core::model::Board;
use podium_core::service::{Audience, EXPORT_MAX, ScoreListQuery, ScoreView, TestFilter};
use serde::{Deserialize, Serialize};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::extract::{Admin, ApiQuery, IdPath};
use crate::list::{ListResponse, PageQuery};
use crate::problem::{ApiError, ApiResult, Problem};
use crate::state::AppState;

/// The routes of this resource.
pub(super) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list_scores)).routes(routes!(get_score)).routes(routes!(export_board))
}

/// Parameters of `GET /v1/scores`.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ScoreFilters {
    /// Required for a superadmin; a regular key's own account otherwise (another is 403).
    pub account_id: Option<AccountId>,
    /// Only entries of this game's boards.
    pub game_id: Option<GameId>,
    /// The board (required).
    pub board_id: Option<BoardId>,
    /// `false` (default) for live entries, `true` for test entries, `all` for both (each ranked
    /// within its own pool).
    pub is_test: Option<String>,
    /// Only this player's entries.
    pub identity_id: Option<IdentityId>,
    /// A window of `limit` entries centred on this entry (not with `cursor`).
    pub around_score_id: Option<ScoreId>,
    /// A window centred on where this value would rank, with a placeholder entry there.
    pub around_score_value: Option<f64>,
}

impl ScoreFilters {
    /// The service query; `is_test` must be `true`, `false` or `all`.
    pub fn into_query(self) -> Result<ScoreListQuery, ApiError> {
        let is_test = match self.is_test.as_deref() {
            None | Some("false") => TestFilter::Live,
            Some("true") => TestFilter::Test,
            Some("all") => TestFilter::All,
            Some(_) => {
                return Err(ApiError(ServiceError::validation(FieldErrors::single("is_test", FieldCode::InvalidEnum))));
            }
        };
        Ok(ScoreListQuery {
            account_id: self.account_id,
            game_id: self.game_id,
            board_id: self.board_id,
            is_test,
            identity_id: self.identity_id,
            around_score_id: self.around_score_id,
            around_score_value: self.around_score_value,
        })
    }
}

/// List a board's entries: rank order by default, ranks absolute across pages.
#[utoipa::path(get, path = "/v1/scores", tag = "scores", params(ScoreFilters, PageQuery),
    responses((status = 200, body = ListResponse<ScoreView>), (status = "4XX", body = Problem, content_type = "application/problem+json")))]
async fn list_scores(
    State(s): State<AppState>,
    Admin(p): Admin,
    ApiQuery(f): ApiQuery<ScoreFilters>,
    ApiQuery(page): ApiQuery<PageQuery>,
) -> ApiResult<Json<ListResponse<ScoreView>>> {
    let q = f.into_query()?;
    Ok(Json(s.scores.list_scores(&p, q, &page.into(), Audience::Admin).await?.into()))
}

/// Get one entry with its rank.
#[utoipa::path(get, path = "/v1/scores/{id}", tag = "scores", params(("id" = ScoreId, Path)),
    responses((status = 200, body = ScoreView), (status = "4XX", body = Problem, content_type = "application/problem+json")))]
async fn get_score(
    State(s): State<AppState>,
    Admin(p): Admin,
    IdPath(id): IdPath<ScoreId>,
) -> ApiResult<Json<ScoreView>> {
    Ok(Json(s.scores.get_score(&p, id, Audience::Admin).await?))
}

/// Parameters of `GET /v1/boards/{id}/export`.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ExportParams {
    /// `json` (default) or `csv`.
    pub format: Option<String>,
    /// How many of the best entries, 1–10000 (default 100).
    pub limit: Option<String>,
}

/// A board's standings as exported in JSON.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct BoardExport {
    /// The board, as it is now.
    pub board: Board,
    /// When the export was made.
    pub exported_at: DateTime<Utc>,
    /// The best live entries, best first, with their ranks.
    pub entries: Vec<ScoreView>,
}

/// The CSV columns, in order.
const CSV_HEADER: [&str; 7] =
    ["rank", "player_name", "value", "value_display", "identity_id", "score_id", "updated_at"];

/// A cell a spreadsheet would read as a formula (`=`, `+`, `-`, `@`, tab, carriage return
/// first) is prefixed with `'`: player names are player input.
fn csv_text(s: &str) -> String {
    if s.starts_with(['=', '+', '-', '@', '\t', '\r']) { format!("'{s}") } else { s.to_owned() }
}

fn to_csv(entries: &[ScoreView]) -> Result<Vec<u8>, csv::Error> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(CSV_HEADER)?;
    for e in entries {
        w.write_record([
            e.rank.map(|r| r.to_string()).unwrap_or_default(),
            csv_text(&e.player_name),
            e.value.to_string(),
            e.value_display.clone().unwrap_or_default(),
            e.identity_id.map(|i| i.to_string()).unwrap_or_default(),
            e.id.to_string(),
            e.updated_at.to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
        ])?;
    }
    w.into_inner().map_err(|e| e.into_error().into())
}

/// Export a board's best live entries with their ranks (a closed season's final standings),
/// as JSON or as CSV.
#[utoipa::path(get, path = "/v1/boards/{id}/export", tag = "boards", params(("id" = BoardId, Path), ExportParams),
    responses((status = 200, description = "JSON, or CSV with `format=csv` (columns: rank, player_name, value, value_display, identity_id, score_id, updated_at)",
            content((BoardExport = "application/json"), (String = "text/csv"))),
        (status = "4XX", body = Problem, content_type = "application/problem+json")))]
async fn export_board(
    State(s): State<AppState>,
    Admin(p): Admin,
    IdPath(id): IdPath<BoardId>,
    ApiQuery(q): ApiQuery<ExportParams>,
) -> ApiResult<Response> {
    let csv = match q.format.as_deref() {
        None | Some("json") => false,
        Some("csv") => true,
        Some(_) => return Err(ApiError(ServiceError::field("format", FieldCode::InvalidEnum))),
    };
    let limit = match q.limit.as_deref() {
        None => 100,
        Some(l) => match l.parse::<usize>() {
            Ok(n) if (1..=EXPORT_MAX).contains(&n) => n,
            _ => return Err(ApiError(ServiceError::field("limit", FieldCode::OutOfRange))),
        },
    };
    let (board, entries) = s.scores.export_top(&p, id, limit).await?;
    if !csv {
        return Ok(Json(BoardExport { board, exported_at: podium_core::time::now(), entries }).into_response());
    }
    let body = to_csv(&entries)
        .map_err(|e| ApiError(ServiceError::new(podium_core::error::ErrorCode::Internal, e.to_string())))?;
    let disposition = format!("attachment; filename=\"{}.csv\"", board.slug);
    Ok((
        [(header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()), (header::CONTENT_DISPOSITION, disposition)],
        body,
    )
        .into_response())
}
