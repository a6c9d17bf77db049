//! Accounts: the tenants. Everything else belongs to exactly one account.

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::{Name, Slug};
use crate::id::AccountId;
use crate::page::{SortValue, Sortable};
use crate::time::to_micros;

crate::wire_enum!(
    /// Whether an account may use the API.
    AccountStatus {
        /// Normal operation.
        Active => "active",
        /// Its keys and clients get 403 `account_suspended`.
        Suspended => "suspended",
    }
);

/// A tenant.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Account {
    /// `acc_…`
    pub id: AccountId,
    /// Display name.
    pub name: Name,
    /// Unique among live accounts.
    pub slug: Slug,
    /// `active` or `suspended`.
    pub status: AccountStatus,
    /// Creation time.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
    /// When it was soft-deleted (only ever seen in the answer to the deleting `PATCH`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deleted_at: Option<DateTime<Utc>>,
}

impl Account {
    /// Fields `GET /v1/accounts` can sort by (besides `id`).
    pub const SORTABLE: &'static [&'static str] = &["name", "slug", "status", "created_at", "updated_at"];
}

impl Sortable for Account {
    fn sort_value(&self, field: &str) -> SortValue {
        match field {
            "name" => SortValue::Text(self.name.to_string()),
            "slug" => SortValue::Text(self.slug.to_string()),
            "status" => SortValue::Text(self.status.as_str().into()),
            "created_at" => SortValue::Int(to_micros(self.created_at)),
            "updated_at" => SortValue::Int(to_micros(self.updated_at)),
            _ => SortValue::Text(self.id.to_string()),
        }
    }
}
