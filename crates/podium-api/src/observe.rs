//! Request metrics and access logs, recorded once for every route: a counter and a latency
//! histogram labelled by method, route template and status, and one log line per request
//! (no headers, bodies or query strings, so no secrets).

use std::sync::OnceLock;
use std::time::Instant;

use axum::extract::{MatchedPath, Request};
use axum::middleware::Next;
use axum::response::Response;
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};

const LATENCY_BUCKETS: &[f64] = &[0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0];

/// The process-wide Prometheus recorder (installed on first use; every app in the process
/// shares it).
pub fn metrics_handle() -> PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE
        .get_or_init(|| {
            let builder = PrometheusBuilder::new();
            let builder = builder.set_buckets(LATENCY_BUCKETS).unwrap_or_else(|_| PrometheusBuilder::new());
            match builder.install_recorder() {
                Ok(handle) => handle,
                // Another recorder is installed (only possible when embedded): keep a private one.
                Err(_) => PrometheusBuilder::new().build_recorder().handle(),
            }
        })
        .clone()
}

/// Middleware recording the metrics and the access log line.
pub async fn track(req: Request, next: Next) -> Response {
    let start = Instant::now();
    let method = req.method().as_str().to_owned();
    let route = req.extensions().get::<MatchedPath>().map_or_else(|| "unmatched".to_owned(), |p| p.as_str().to_owned());
    let response = next.run(req).await;
    let elapsed = start.elapsed();
    let status = response.status().as_u16().to_string();
    let labels = [("method", method.clone()), ("route", route.clone()), ("status", status.clone())];
    metrics::counter!("podium_http_requests_total", &labels).increment(1);
    metrics::histogram!("podium_http_request_duration_seconds", &labels).record(elapsed.as_secs_f64());
    tracing::info!(
        target: "podium::http",
        method = %method,
        route = %route,
        status = %status,
        latency_ms = elapsed.as_secs_f64() * 1000.0,
        "request"
    );
    response
}
