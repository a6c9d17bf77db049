//! The list envelope and the pagination query parameters shared by every list route.

use podium_core::page::{ListParams, Page, Pagination};
use serde::{Deserialize, Serialize};

/// `{"data": [...], "pagination": {...}}`
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ListResponse<T> {
    /// The items of this page.
    pub data: Vec<T>,
    /// Cursors and counts.
    pub pagination: Pagination,
}

impl<T> From<Page<T>> for ListResponse<T> {
    fn from(page: Page<T>) -> Self {
        Self { data: page.data, pagination: page.pagination }
    }
}

/// `cursor`, `limit` and `sort`.
#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    /// An opaque cursor from a previous page's `next_cursor` or `prev_cursor`.
    pub cursor: Option<String>,
    /// Page size, 1–100 (default 20).
    #[param(value_type = Option<u32>, minimum = 1, maximum = 100)]
    pub limit: Option<String>,
    /// `field:asc|desc[,field:dir…]`; `id` is always the last tie-breaker.
    pub sort: Option<String>,
}

impl From<PageQuery> for ListParams {
    fn from(q: PageQuery) -> Self {
        Self { cursor: q.cursor, limit: q.limit, sort: q.sort }
    }
}
