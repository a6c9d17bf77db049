//! Accounts: only a superadmin creates, suspends or deletes them; a regular key sees and
//! renames its own.

use serde::Deserialize;

use super::Admin;
use crate::auth::Principal;
use crate::error::FieldCode;
use crate::error::FieldErrors;
use crate::error::{ErrorCode, ServiceError, ServiceResult};
use crate::id::AccountId;
use crate::model::{Account, AccountStatus, Name, Slug};
use crate::page::{ListParams, Page, PageRequest};
use crate::service::Patch;
use crate::service::slugs::{conflict, insert_with_slug, slug_or_derived};
use crate::time::now;

/// `POST /v1/accounts`
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateAccount {
    /// Display name, 1–100 characters.
    pub name: String,
    /// Unique slug; derived from the name when absent.
    #[serde(default)]
    pub slug: Option<String>,
    /// Defaults to `active`.
    #[serde(default)]
    pub status: Option<AccountStatus>,
}

/// `PATCH /v1/accounts/{id}`
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateAccount {
    /// New name.
    #[serde(default)]
    #[schema(value_type = String)]
    pub name: Patch<String>,
    /// New slug.
    #[serde(default)]
    #[schema(value_type = String)]
    pub slug: Patch<String>,
    /// `active` or `suspended` (superadmin only).
    #[serde(default)]
    #[schema(value_type = AccountStatus)]
    pub status: Patch<AccountStatus>,
    /// `true` soft-deletes (superadmin only).
    #[serde(default)]
    #[schema(value_type = bool)]
    pub deleted: Patch<bool>,
}

impl Admin {
    /// Creates an account (superadmin only).
    pub async fn create_account(&self, p: &Principal, cmd: CreateAccount) -> ServiceResult<Account> {
        if !p.super_admin {
            return Err(ServiceError::forbidden("only a superadmin can create accounts"));
        }
        let mut errors = FieldErrors::new();
        let name = errors.check("name", Name::parse(&cmd.name));
        let (slug, generated) = slug_or_derived(cmd.slug.as_deref(), &cmd.name, "account", &mut errors);
        errors.into_result()?;
        let (Some(name), Some(slug)) = (name, slug) else {
            return Err(ServiceError::field("name", FieldCode::Blank));
        };
        let at = now();
        let mut account = Account {
            id: AccountId::generate(),
            name,
            slug: slug.clone(),
            status: cmd.status.unwrap_or(AccountStatus::Active),
            created_at: at,
            updated_at: at,
            deleted_at: None,
        };
        account.slug = insert_with_slug(slug, generated, |slug| {
            let row = Account { slug, ..account.clone() };
            let store = self.store.clone();
            async move { store.insert_account(&row).await }
        })
        .await?;
        Ok(account)
    }

    /// One account the principal can see.
    pub async fn get_account(&self, p: &Principal, id: AccountId) -> ServiceResult<Account> {
        let account = self.store.get_account(id).await?.ok_or_else(|| ServiceError::not_found("account"))?;
        self.visible(p, account.id, account, "account")
    }

    /// Every account (superadmin) or the key's own.
    pub async fn list_accounts(&self, p: &Principal, params: &ListParams) -> ServiceResult<Page<Account>> {
        let only = (!p.super_admin).then_some(p.account_id);
        let scope = format!("accounts|{}", only.map(|a| a.to_string()).unwrap_or_default());
        let req = PageRequest::prepare(params, Account::SORTABLE, "created_at:desc", &scope, &self.cursors)?;
        let rows = self.store.list_accounts(only, &req).await?;
        Ok(req.finish(rows, &self.cursors))
    }

    /// Applies a patch; `deleted: true` soft-deletes.
    pub async fn update_account(&self, p: &Principal, id: AccountId, cmd: UpdateAccount) -> ServiceResult<Account> {
        let mut account = self.get_account(p, id).await?;
        let mut errors = FieldErrors::new();
        if let Some(name) = cmd.name.required("name", &mut errors) {
            account.name = errors.check("name", Name::parse(&name)).unwrap_or(account.name);
        }
        if let Some(slug) = cmd.slug.required("slug", &mut errors) {
            account.slug = errors.check("slug", Slug::parse(&slug)).unwrap_or(account.slug);
        }
        let status = cmd.status.required("status", &mut errors);
        let deleted = cmd.deleted.required("deleted", &mut errors).unwrap_or(false);
        errors.into_result()?;
        if (status.is_some() || deleted) && !p.super_admin {
            return Err(ServiceError::forbidden("only a superadmin can suspend or delete an account"));
        }
        if deleted && account.id == p.account_id {
            return Err(ServiceError::new(ErrorCode::BadRequest, "a key cannot delete its own account"));
        }
        if let Some(status) = status {
            account.status = status;
        }
        account.updated_at = now();
        if deleted {
            account.deleted_at = Some(account.updated_at);
        }
        self.store.update_account(&account).await.map_err(conflict)?;
        self.grants_changed();
        Ok(account)
    }

    /// Soft-deletes an account (superadmin only).
    pub async fn delete_account(&self, p: &Principal, id: AccountId) -> ServiceResult<()> {
        let cmd = UpdateAccount { deleted: Patch::Value(true), ..Default::default() };
        self.update_account(p, id, cmd).await.map(|_| ())
    }
}
