//! Users: created inside an account; only a superadmin may grant `super_admin`.

use serde::Deserialize;

use super::Admin;
use crate::auth::Principal;
use crate::error::FieldCode;
use crate::error::FieldErrors;
use crate::error::{ErrorCode, ServiceError, ServiceResult};
use crate::id::{AccountId, UserId};
use crate::model::{Email, Name, User};
use crate::page::{ListParams, Page, PageRequest};
use crate::service::Patch;
use crate::service::slugs::conflict;
use crate::store::UserFilter;
use crate::time::now;

/// `POST /v1/users`
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateUser {
    /// The account; a regular key's own by default (a superadmin must give it).
    #[serde(default)]
    pub account_id: Option<AccountId>,
    /// Unique e-mail address.
    pub email: String,
    /// Display name, 1–100 characters.
    pub display_name: String,
    /// Reaches every account (superadmin callers only; default false).
    #[serde(default)]
    pub super_admin: bool,
}

/// `PATCH /v1/users/{id}`
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateUser {
    /// New e-mail address.
    #[serde(default)]
    #[schema(value_type = String)]
    pub email: Patch<String>,
    /// New display name.
    #[serde(default)]
    #[schema(value_type = String)]
    pub display_name: Patch<String>,
    /// Grant or withdraw superadmin (superadmin callers only).
    #[serde(default)]
    #[schema(value_type = bool)]
    pub super_admin: Patch<bool>,
    /// `true` soft-deletes.
    #[serde(default)]
    #[schema(value_type = bool)]
    pub deleted: Patch<bool>,
}

impl Admin {
    /// Creates a user.
    pub async fn create_user(&self, p: &Principal, cmd: CreateUser) -> ServiceResult<User> {
        let account_id = self.create_scope(p, cmd.account_id)?;
        let mut errors = FieldErrors::new();
        let email = errors.check("email", Email::parse(&cmd.email));
        let display_name = errors.check("display_name", Name::parse(&cmd.display_name));
        errors.into_result()?;
        let (Some(email), Some(display_name)) = (email, display_name) else {
            return Err(ServiceError::field("email", FieldCode::InvalidFormat));
        };
        if cmd.super_admin && !p.super_admin {
            return Err(ServiceError::forbidden("only a superadmin can create superadmins"));
        }
        // The account must exist (and, by scope, be visible).
        self.get_account(p, account_id).await.map_err(|_| ServiceError::field("account_id", FieldCode::NotFound))?;
        let at = now();
        let user = User {
            id: UserId::generate(),
            account_id,
            email,
            display_name,
            super_admin: cmd.super_admin,
            created_at: at,
            updated_at: at,
            deleted_at: None,
        };
        self.store.insert_user(&user).await.map_err(conflict)?;
        Ok(user)
    }

    /// One user the principal can see.
    pub async fn get_user(&self, p: &Principal, id: UserId) -> ServiceResult<User> {
        let user = self.store.get_user(id).await?.ok_or_else(|| ServiceError::not_found("user"))?;
        self.visible(p, user.account_id, user, "user")
    }

    /// Users of one account.
    pub async fn list_users(
        &self,
        p: &Principal,
        account_id: Option<AccountId>,
        params: &ListParams,
    ) -> ServiceResult<Page<User>> {
        let account_id = self.list_scope(p, account_id)?;
        let scope = format!("users|{account_id}");
        let req = PageRequest::prepare(params, User::SORTABLE, "created_at:desc", &scope, &self.cursors)?;
        let rows = self.store.list_users(&UserFilter { account_id }, &req).await?;
        Ok(req.finish(rows, &self.cursors))
    }

    /// Applies a patch; `deleted: true` soft-deletes.
    pub async fn update_user(&self, p: &Principal, id: UserId, cmd: UpdateUser) -> ServiceResult<User> {
        let mut user = self.get_user(p, id).await?;
        let mut errors = FieldErrors::new();
        if let Some(email) = cmd.email.required("email", &mut errors) {
            user.email = errors.check("email", Email::parse(&email)).unwrap_or(user.email);
        }
        if let Some(name) = cmd.display_name.required("display_name", &mut errors) {
            user.display_name = errors.check("display_name", Name::parse(&name)).unwrap_or(user.display_name);
        }
        let super_admin = cmd.super_admin.required("super_admin", &mut errors);
        let deleted = cmd.deleted.required("deleted", &mut errors).unwrap_or(false);
        errors.into_result()?;
        if let Some(flag) = super_admin {
            if !p.super_admin {
                return Err(ServiceError::forbidden("only a superadmin can change super_admin"));
            }
            user.super_admin = flag;
        }
        if (deleted || super_admin == Some(false)) && user.id == p.user_id {
            return Err(ServiceError::new(ErrorCode::BadRequest, "a key cannot delete or demote its own user"));
        }
        user.updated_at = now();
        if deleted {
            user.deleted_at = Some(user.updated_at);
        }
        self.store.update_user(&user).await.map_err(conflict)?;
        self.grants_changed();
        Ok(user)
    }

    /// Soft-deletes a user; their keys stop working.
    pub async fn delete_user(&self, p: &Principal, id: UserId) -> ServiceResult<()> {
        let cmd = UpdateUser { deleted: Patch::Value(true), ..Default::default() };
        self.update_user(p, id, cmd).await.map(|_| ())
    }
}
