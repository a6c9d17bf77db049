//! What every handler can reach: the services, the client edge (addresses, GeoIP, rate
//! limits), the store (for health) and the metrics handle.

use std::sync::Arc;

use metrics_exporter_prometheus::PrometheusHandle;
use podium_core::service::activity::Activity;
use podium_core::service::community::Community;
use podium_core::service::{Admin, Clients, Scores};
use podium_core::store::Store;

use crate::edge::Edge;

/// Shared application state: one pointer, so the clone every extractor makes is one atomic
/// increment. Fields are reached through `Deref` (`state.admin`).
#[derive(Clone)]
pub struct AppState(Arc<Services>);

impl AppState {
    /// Wraps the services.
    pub fn new(services: Services) -> Self {
        Self(Arc::new(services))
    }
}

impl std::ops::Deref for AppState {
    type Target = Services;

    fn deref(&self) -> &Services {
        &self.0
    }
}

/// What handlers reach through [`AppState`].
pub struct Services {
    /// The admin services.
    pub admin: Admin,
    /// Score submissions and rankings.
    pub scores: Scores,
    /// Game clients: sessions, nonces, client reads and writes.
    pub clients: Clients,
    /// The community site.
    pub community: Community,
    /// Activity scores.
    pub activity: Activity,
    /// Client addresses, GeoIP and rate limits.
    pub edge: Arc<Edge>,
    /// The store, for health checks.
    pub store: Arc<dyn Store>,
    /// Renders `/metrics`.
    pub metrics: PrometheusHandle,
    /// Serialised first pages of client score lists, with the ranking version they were
    /// rendered at (reused while the version is unchanged).
    pub first_pages: FirstPages,
    /// Serialised first pages of community rankings, reused while the category's ranking
    /// version is unchanged.
    pub community_pages: CommunityPages,
}

/// Serialised first pages of community rankings. Key: category and the query string as sent.
/// Value: the category's ranking version and the JSON body.
pub type CommunityPages = podium_core::cache::TtlCache<(podium_core::id::CategoryId, String), (u64, axum::body::Bytes)>;

/// An empty community first-page cache (bounded; entries live at most the cache TTL).
pub fn community_pages() -> CommunityPages {
    podium_core::cache::TtlCache::new(podium_core::service::CACHE_TTL, 10_000)
}

/// Key: board, test pool, `limit` as sent. Value: ranking version and the JSON body.
pub type FirstPages = podium_core::cache::TtlCache<(podium_core::id::BoardId, bool, String), (u64, axum::body::Bytes)>;

/// An empty first-page cache (bounded; entries live at most the cache TTL).
pub fn first_pages() -> FirstPages {
    podium_core::cache::TtlCache::new(podium_core::service::CACHE_TTL, 10_000)
}
