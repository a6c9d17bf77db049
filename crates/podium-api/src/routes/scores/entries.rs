//! `/v1/scores`: the ranked entries of a board, in rank order from the engine, around an entry
//! or a value, or in another sort; admin views include the client's geography.

use axum::Json;
use axum::extract::State;
use podium_core::error::FieldCode;
use podium_core::error::FieldErrors;
use podium_core::error::ServiceError;
use podium_core::id::{BoardId, IdentityId, ScoreId};
use podium_core::service::{Audience, ScoreListQuery, ScoreView, TestFilter};
use serde::Deserialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::extract::{Admin, ApiQuery, IdPath};
use crate::list::{ListResponse, PageQuery};
use crate::problem::{ApiError, ApiResult, Problem};
use crate::state::AppState;

/// The routes of this resource.
pub(super) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list_scores)).routes(routes!(get_score))
}

/// Parameters of `GET /v1/scores`.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ScoreFilters {
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
