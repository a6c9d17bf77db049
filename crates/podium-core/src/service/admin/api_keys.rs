//! API keys: the secret is generated here, returned once in the create answer, and only its
//! hash is stored. Revocation is permanent.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::Admin;
use crate::auth::{Principal, display_prefix, generate_api_key, hash_secret};
use crate::error::FieldCode;
use crate::error::FieldErrors;
use crate::error::{ErrorCode, ServiceError, ServiceResult};
use crate::id::{AccountId, ApiKeyId, UserId};
use crate::model::{ApiKey, ApiKeyStatus, Name, User};
use crate::page::{ListParams, Page, PageRequest};
use crate::service::Patch;
use crate::service::slugs::conflict;
use crate::store::ApiKeyFilter;
use crate::time::{now, truncate};

/// `POST /v1/api-keys`
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateApiKey {
    /// A label, 1–100 characters.
    pub name: String,
    /// The user the key belongs to; the caller's own user by default.
    #[serde(default)]
    pub user_id: Option<UserId>,
    /// Must match the user's account when given.
    #[serde(default)]
    pub account_id: Option<AccountId>,
    /// When the key stops working; must be in the future.
    #[serde(default)]
    pub expires_at: Option<DateTime<Utc>>,
}

/// `PATCH /v1/api-keys/{id}`
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateApiKey {
    /// New label.
    #[serde(default)]
    #[schema(value_type = String)]
    pub name: Patch<String>,
    /// `revoked` revokes for good; a revoked key cannot become active again.
    #[serde(default)]
    #[schema(value_type = ApiKeyStatus)]
    pub status: Patch<ApiKeyStatus>,
    /// New expiry, or null for none.
    #[serde(default)]
    #[schema(value_type = Option<DateTime<Utc>>)]
    pub expires_at: Patch<DateTime<Utc>>,
    /// `true` soft-deletes.
    #[serde(default)]
    #[schema(value_type = bool)]
    pub deleted: Patch<bool>,
}

/// The create answer: the key and, this once, its secret.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CreatedApiKey {
    /// The stored key.
    #[serde(flatten)]
    pub api_key: ApiKey,
    /// The secret. It is shown only here; store it now.
    pub key: String,
}

impl Admin {
    /// Creates a key for a user.
    pub async fn create_api_key(&self, p: &Principal, cmd: CreateApiKey) -> ServiceResult<CreatedApiKey> {
        let mut errors = FieldErrors::new();
        let name = errors.check("name", Name::parse(&cmd.name));
        let at = now();
        if cmd.expires_at.is_some_and(|e| e <= at) {
            errors.add("expires_at", FieldCode::InPast);
        }
        errors.into_result()?;
        let Some(name) = name else {
            return Err(ServiceError::field("name", FieldCode::Blank));
        };
        let user = self.key_owner(p, cmd.user_id, cmd.account_id).await?;
        let secret = generate_api_key();
        let key = ApiKey {
            id: ApiKeyId::generate(),
            account_id: user.account_id,
            user_id: user.id,
            name,
            prefix: display_prefix(&secret),
            status: ApiKeyStatus::Active,
            expires_at: cmd.expires_at.map(truncate),
            last_used_at: None,
            created_at: at,
            updated_at: at,
            key_hash: hash_secret(&secret),
            deleted_at: None,
        };
        self.store.insert_api_key(&key).await.map_err(conflict)?;
        Ok(CreatedApiKey { api_key: key, key: secret })
    }

    async fn key_owner(
        &self,
        p: &Principal,
        user_id: Option<UserId>,
        account_id: Option<AccountId>,
    ) -> ServiceResult<User> {
        if let Some(account) = account_id
            && !p.can_see(account)
        {
            return Err(ServiceError::forbidden("this key cannot reach that account"));
        }
        let user = match user_id {
            Some(id) => self.get_user(p, id).await?,
            None if account_id.is_some_and(|a| a != p.account_id) => {
                return Err(ServiceError::field("user_id", FieldCode::Required));
            }
            None => self.get_user(p, p.user_id).await?,
        };
        if account_id.is_some_and(|a| a != user.account_id) {
            return Err(ServiceError::field("account_id", FieldCode::DoesNotMatchUser));
        }
        Ok(user)
    }

    /// One key the principal can see (without its secret).
    pub async fn get_api_key(&self, p: &Principal, id: ApiKeyId) -> ServiceResult<ApiKey> {
        let key = self.store.get_api_key(id).await?.ok_or_else(|| ServiceError::not_found("api key"))?;
        let key = self.visible(p, key.account_id, key, "api key")?;
        Ok(self.with_pending_use(key))
    }

    fn with_pending_use(&self, mut key: ApiKey) -> ApiKey {
        if let Some(pending) = self.pending_last_use(key.id)
            && key.last_used_at.is_none_or(|t| t < pending)
        {
            key.last_used_at = Some(pending);
        }
        key
    }

    /// Keys of one account, optionally of one user or status.
    pub async fn list_api_keys(
        &self,
        p: &Principal,
        account_id: Option<AccountId>,
        user_id: Option<UserId>,
        status: Option<ApiKeyStatus>,
        params: &ListParams,
    ) -> ServiceResult<Page<ApiKey>> {
        let account_id = self.list_scope(p, account_id)?;
        let scope = format!(
            "api_keys|{account_id}|{}|{}",
            user_id.map(|u| u.to_string()).unwrap_or_default(),
            status.map(ApiKeyStatus::as_str).unwrap_or_default()
        );
        let req = PageRequest::prepare(params, ApiKey::SORTABLE, "created_at:desc", &scope, &self.cursors)?;
        let filter = ApiKeyFilter { account_id, user_id, status };
        let rows = self.store.list_api_keys(&filter, &req).await?;
        Ok(req.finish(rows, &self.cursors).map(|k| self.with_pending_use(k)))
    }

    /// Applies a patch: rename, revoke, change expiry, or soft-delete.
    pub async fn update_api_key(&self, p: &Principal, id: ApiKeyId, cmd: UpdateApiKey) -> ServiceResult<ApiKey> {
        let mut key = self.get_api_key(p, id).await?;
        let mut errors = FieldErrors::new();
        if let Some(name) = cmd.name.required("name", &mut errors) {
            key.name = errors.check("name", Name::parse(&name)).unwrap_or(key.name);
        }
        let status = cmd.status.required("status", &mut errors);
        let at = now();
        if let Some(expires_at) = cmd.expires_at.optional() {
            if expires_at.is_some_and(|e| e <= at) {
                errors.add("expires_at", FieldCode::InPast);
            }
            key.expires_at = expires_at.map(truncate);
        }
        let deleted = cmd.deleted.required("deleted", &mut errors).unwrap_or(false);
        errors.into_result()?;
        if let Some(status) = status {
            if key.status == ApiKeyStatus::Revoked && status == ApiKeyStatus::Active {
                return Err(ServiceError::new(ErrorCode::InvalidTransition, "a revoked key cannot be reactivated"));
            }
            key.status = status;
        }
        key.updated_at = at;
        if deleted {
            key.deleted_at = Some(at);
        }
        self.store.update_api_key(&key).await.map_err(conflict)?;
        self.grants_changed();
        Ok(key)
    }

    /// Soft-deletes a key; it stops working at once.
    pub async fn delete_api_key(&self, p: &Principal, id: ApiKeyId) -> ServiceResult<()> {
        let cmd = UpdateApiKey { deleted: Patch::Value(true), ..Default::default() };
        self.update_api_key(p, id, cmd).await.map(|_| ())
    }
}
