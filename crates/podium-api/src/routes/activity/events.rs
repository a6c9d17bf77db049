//! `POST /v1/activity/events`: a batch of what users did, judged and committed before the
//! answer.

use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use podium_core::service::activity::{RecordEvents, RecordedEvents};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::extract::{Admin, ApiJson};
use crate::problem::{ApiResult, Problem};
use crate::state::AppState;

/// The routes of this resource.
pub(super) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(record))
}

/// Report 1–1 000 events. Each is judged against the game's policy in arrival order and
/// answered in input order with its outcome, per-user points and reasons; the answer comes
/// after the batch is committed, and a repeated `event_id` is `duplicate` and counts nothing.
/// A batch with an event lacking a usable `event_id` is refused as a whole (422).
#[utoipa::path(post, path = "/v1/activity/events", tag = "activity", request_body = RecordEvents,
    responses((status = 200, body = RecordedEvents), (status = "4XX", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "`store_unavailable`: the batch could not be committed and nothing of it counted; send it again. `activity_elsewhere`: several nodes share the database and another one writes activity scores now (nothing was counted; send the batch to it, or retry)", body = Problem, content_type = "application/problem+json")))]
async fn record(
    State(s): State<AppState>,
    Admin(p): Admin,
    ApiJson(cmd): ApiJson<RecordEvents>,
) -> ApiResult<Response> {
    // The results come serialised (the text stored with each event): they are joined, not
    // serialised again.
    let recorded = s.activity.record(&p, cmd).await?;
    Ok(([(header::CONTENT_TYPE, "application/json")], recorded.to_json()).into_response())
}
