//! Health checks and metrics: `/v1/health` (the store answers), `/v1/health/live` (the process
//! answers) and `/metrics` (Prometheus text).

use axum::Json;
use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use serde::Serialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::problem::{ApiResult, Problem};
use crate::state::AppState;

/// The routes of this module.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(health)).routes(routes!(live)).routes(routes!(metrics))
}

/// A health answer.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Health {
    /// `ok`, or on `/v1/health` `degraded` when the node serves but cannot reach the other
    /// nodes (see `degraded`).
    pub status: &'static str,
    /// The store's backend (`sqlite`, `postgres`), on `/v1/health` only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub store: Option<&'static str>,
    /// How the node shares its in-memory state with other nodes, on `/v1/health` only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub shared_state: Option<&'static str>,
    /// Why the node is degraded, if it is.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub degraded: Option<String>,
}

/// Readiness: 200 when the store answers (`degraded` when it cannot reach the other nodes, as
/// when the change log cannot be read), 503 `store_unavailable` otherwise.
#[utoipa::path(get, path = "/v1/health", tag = "operations",
    responses((status = 200, body = Health), (status = 503, body = Problem, content_type = "application/problem+json")))]
async fn health(State(s): State<AppState>) -> ApiResult<Json<Health>> {
    s.store.ping().await.map_err(podium_core::ServiceError::from)?;
    let shared = s.admin.shared();
    let degraded = shared.changes.degraded();
    Ok(Json(Health {
        status: if degraded.is_some() { "degraded" } else { "ok" },
        store: Some(s.store.backend()),
        shared_state: Some(shared.name()),
        degraded,
    }))
}

/// Liveness: 200 while the process serves requests.
#[utoipa::path(get, path = "/v1/health/live", tag = "operations", responses((status = 200, body = Health)))]
async fn live() -> Json<Health> {
    Json(Health { status: "ok", store: None, shared_state: None, degraded: None })
}

/// Prometheus metrics: `podium_http_requests_total` and `podium_http_request_duration_seconds`
/// by method, route and status.
#[utoipa::path(get, path = "/metrics", tag = "operations",
    responses((status = 200, body = String, content_type = "text/plain; version=0.0.4")))]
async fn metrics(State(s): State<AppState>) -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")], s.metrics.render())
}
