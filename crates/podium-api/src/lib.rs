//! podium's HTTP surface: the routers per resource, the extractors that turn bad input into
//! problem documents, the list envelope, metrics and logs, and the OpenAPI document, which is
//! generated from the same handler annotations that build the router (so they cannot drift).

pub mod edge;
pub mod extract;
pub mod list;
pub mod observe;
pub mod problem;
pub mod routes;
pub mod state;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::response::{IntoResponse, Response};
use podium_core::error::ErrorCode;
use tower_http::catch_panic::CatchPanicLayer;
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;
use utoipa_swagger_ui::SwaggerUi;

pub use observe::metrics_handle;
pub use problem::{ApiError, Problem};
pub use state::AppState;

/// Default largest request body: 64 KiB.
pub const DEFAULT_BODY_LIMIT: usize = 64 * 1024;

/// HTTP settings.
#[derive(Debug, Clone)]
pub struct ApiConfig {
    /// Largest accepted request body in bytes; larger bodies get 413.
    pub body_limit_bytes: usize,
}

impl Default for ApiConfig {
    fn default() -> Self {
        Self { body_limit_bytes: DEFAULT_BODY_LIMIT }
    }
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "podium",
        description = "A self-hostable leaderboard server. Errors are application/problem+json with a stable `code`; \
lists use one envelope with opaque cursors. Admin routes take an API key in `leadr-api-key` or `authorization: Bearer`."
    ),
    tags(
        (name = "accounts", description = "Tenants"),
        (name = "users", description = "People and services that hold API keys"),
        (name = "api-keys", description = "Admin credentials"),
        (name = "games", description = "Games and their anti-cheat settings"),
        (name = "boards", description = "Leaderboards"),
        (name = "board-templates", description = "Recurring boards: defaults, a schedule, name patterns; each period gets its board"),
        (name = "scores", description = "Score events and ranked entries"),
        (name = "identities", description = "Players and their client sessions"),
        (name = "anti-cheat", description = "Flags raised by the detections, and submission counts"),
        (name = "client", description = "Game clients (LEADR SDK compatible): sessions, nonces, boards, scores"),
        (name = "activity", description = "Activity scores: policies, event batches, users' days, live rankings, history"),
        (name = "operations", description = "Health and metrics"),
    )
)]
struct ApiDoc;

fn api_router() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(ApiDoc::openapi()).merge(routes::all())
}

/// The OpenAPI 3.1 document of every route.
pub fn openapi() -> utoipa::openapi::OpenApi {
    api_router().split_for_parts().1
}

/// The complete application router.
pub fn router(state: AppState, config: &ApiConfig) -> Router {
    let (router, doc) = api_router().split_for_parts();
    router
        .merge(SwaggerUi::new("/docs").url("/openapi.json", doc))
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(DefaultBodyLimit::max(config.body_limit_bytes))
        .layer(axum::middleware::from_fn_with_state(state.clone(), settle))
        .layer(axum::middleware::from_fn(observe::track))
        .layer(CatchPanicLayer::custom(panic_response))
        .with_state(state)
}

/// A write is answered once the changes it published have reached the other nodes' reach
/// (on one node this returns at once; see `podium_core::shared::StoreFeed`).
async fn settle(
    axum::extract::State(s): axum::extract::State<AppState>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let write =
        !matches!(*request.method(), axum::http::Method::GET | axum::http::Method::HEAD | axum::http::Method::OPTIONS);
    let response = next.run(request).await;
    if write {
        s.admin.shared().changes.settle().await;
    }
    response
}

async fn not_found() -> ApiError {
    ApiError::new(ErrorCode::NotFound, "no such route")
}

async fn method_not_allowed() -> ApiError {
    ApiError::new(ErrorCode::MethodNotAllowed, "this method is not allowed on this path")
}

fn panic_response(_: Box<dyn std::any::Any + Send + 'static>) -> Response {
    tracing::error!("a request handler panicked");
    ApiError::new(ErrorCode::Internal, "an unexpected error occurred").into_response()
}
