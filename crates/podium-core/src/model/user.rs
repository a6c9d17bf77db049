//! Users of the admin API. A user belongs to one account; `super_admin` users reach every
//! account.

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::{Email, Name};
use crate::id::{AccountId, UserId};
use crate::page::{SortValue, Sortable};
use crate::time::to_micros;

/// A person (or service) that holds API keys.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct User {
    /// `usr_…`
    pub id: UserId,
    /// The owning account.
    pub account_id: AccountId,
    /// Unique among live users; stored lower-case.
    pub email: Email,
    /// Display name.
    pub display_name: Name,
    /// Reaches every account.
    pub super_admin: bool,
    /// Creation time.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
    /// When it was soft-deleted (only ever seen in the answer to the deleting `PATCH`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deleted_at: Option<DateTime<Utc>>,
}

impl User {
    /// Fields `GET /v1/users` can sort by (besides `id`).
    pub const SORTABLE: &'static [&'static str] = &["email", "display_name", "created_at", "updated_at"];
}

impl Sortable for User {
    fn sort_value(&self, field: &str) -> SortValue {
        match field {
            "email" => SortValue::Text(self.email.to_string()),
            "display_name" => SortValue::Text(self.display_name.to_string()),
            "created_at" => SortValue::Int(to_micros(self.created_at)),
            "updated_at" => SortValue::Int(to_micros(self.updated_at)),
            _ => SortValue::Text(self.id.to_string()),
        }
    }
}
