//! What every handler can reach: the services, the store (for health) and the metrics handle.

use std::sync::Arc;

use metrics_exporter_prometheus::PrometheusHandle;
use podium_core::service::{Admin, Scores};
use podium_core::store::Store;

/// Shared application state; cheap to clone.
#[derive(Clone)]
pub struct AppState {
    /// The admin services.
    pub admin: Admin,
    /// Score submissions and rankings.
    pub scores: Scores,
    /// The store, for health checks.
    pub store: Arc<dyn Store>,
    /// Renders `/metrics`.
    pub metrics: PrometheusHandle,
}
