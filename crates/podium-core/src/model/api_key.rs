//! API keys: random secrets shown once and stored as SHA-256 hashes, identified afterwards by
//! their non-secret `prefix`.

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::Name;
use crate::id::{AccountId, ApiKeyId, UserId};
use crate::page::{SortValue, Sortable};
use crate::time::to_micros;

crate::wire_enum!(
    /// Whether a key authenticates.
    ApiKeyStatus {
        /// Usable until `expires_at`.
        Active => "active",
        /// Permanently unusable.
        Revoked => "revoked",
    }
);

/// An API key (without its secret).
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct ApiKey {
    /// `key_…`
    pub id: ApiKeyId,
    /// The account the key acts for.
    pub account_id: AccountId,
    /// The user the key belongs to.
    pub user_id: UserId,
    /// A label.
    pub name: Name,
    /// The first characters of the secret, safe to display.
    pub prefix: String,
    /// `active` or `revoked`.
    pub status: ApiKeyStatus,
    /// When the key stops working, if ever.
    pub expires_at: Option<DateTime<Utc>>,
    /// Last successful authentication (kept in memory and flushed periodically).
    pub last_used_at: Option<DateTime<Utc>>,
    /// Creation time.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
    /// Hex SHA-256 of the secret.
    #[serde(skip)]
    pub key_hash: String,
    /// When it was soft-deleted (only ever seen in the answer to the deleting `PATCH`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deleted_at: Option<DateTime<Utc>>,
}

impl ApiKey {
    /// Fields `GET /v1/api-keys` can sort by (besides `id`).
    pub const SORTABLE: &'static [&'static str] = &["name", "status", "created_at", "updated_at"];
}

impl Sortable for ApiKey {
    fn sort_value(&self, field: &str) -> SortValue {
        match field {
            "name" => SortValue::Text(self.name.to_string()),
            "status" => SortValue::Text(self.status.as_str().into()),
            "created_at" => SortValue::Int(to_micros(self.created_at)),
            "updated_at" => SortValue::Int(to_micros(self.updated_at)),
            _ => SortValue::Text(self.id.to_string()),
        }
    }
}
