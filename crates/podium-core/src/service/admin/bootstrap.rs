//! The first superadmin. `podium serve` calls [`Admin::bootstrap`] on start when the store
//! holds no superadmin; `podium bootstrap` calls it on demand, and then also issues a fresh key
//! for the existing superadmin (the way back in when the key is lost).

use super::Admin;
use crate::auth::{display_prefix, generate_api_key, hash_secret};
use crate::error::FieldCode;
use crate::error::{ServiceError, ServiceResult};
use crate::id::{AccountId, ApiKeyId, UserId};
use crate::model::{Account, AccountStatus, ApiKey, ApiKeyStatus, Email, Name, Slug};
use crate::time::now;

/// Shortest accepted `PODIUM_BOOTSTRAP_API_KEY`.
pub const MIN_BOOTSTRAP_KEY_LEN: usize = 16;

/// What bootstrapping did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BootstrapOutcome {
    /// A superadmin existed and nothing was done.
    AlreadyPresent,
    /// A superadmin account, user and key were created. `generated_key` holds the secret when
    /// it was generated (to be shown once); it is `None` when the configured key was used.
    Created {
        /// The new key's secret, if generated.
        generated_key: Option<String>,
    },
    /// A new key was issued for the existing superadmin.
    KeyIssued {
        /// The new key's secret, if generated.
        generated_key: Option<String>,
    },
}

impl Admin {
    /// Ensures a superadmin exists. With `configured_key`, that exact string becomes the key.
    /// With `always_issue_key`, an existing superadmin gets a new key instead of nothing.
    pub async fn bootstrap(
        &self,
        configured_key: Option<&str>,
        always_issue_key: bool,
    ) -> ServiceResult<BootstrapOutcome> {
        if let Some(k) = configured_key
            && k.trim().len() < MIN_BOOTSTRAP_KEY_LEN
        {
            return Err(ServiceError::field("bootstrap_api_key", FieldCode::TooShort));
        }
        let secret = configured_key.map(|k| k.trim().to_owned()).unwrap_or_else(generate_api_key);
        let generated_key = configured_key.is_none().then(|| secret.clone());
        let at = now();
        if let Some(user) = self.store.first_super_admin().await? {
            if !always_issue_key {
                return Ok(BootstrapOutcome::AlreadyPresent);
            }
            let key = bootstrap_key(user.account_id, user.id, &secret);
            self.store.insert_api_key(&key).await?;
            return Ok(BootstrapOutcome::KeyIssued { generated_key });
        }
        let account = Account {
            id: AccountId::generate(),
            name: Name::from_trusted("Superadmin".into()),
            slug: Slug::from_trusted(format!("superadmin-{}", &AccountId::generate().to_string()[20..])),
            status: AccountStatus::Active,
            created_at: at,
            updated_at: at,
            deleted_at: None,
        };
        let user = crate::model::User {
            id: UserId::generate(),
            account_id: account.id,
            email: Email::from_trusted(format!("superadmin+{}@podium.invalid", &account.id.to_string()[4..])),
            display_name: Name::from_trusted("Superadmin".into()),
            super_admin: true,
            created_at: at,
            updated_at: at,
            deleted_at: None,
        };
        let key = bootstrap_key(account.id, user.id, &secret);
        match self.store.insert_account_user_key(&account, &user, &key).await {
            Ok(()) => Ok(BootstrapOutcome::Created { generated_key }),
            // Several nodes starting at once with the same configured key: another one created
            // it between the check above and this write (nothing of this one was written).
            Err(crate::store::StoreError::Conflict { .. })
                if configured_key.is_some() && self.store.first_super_admin().await?.is_some() =>
            {
                Ok(BootstrapOutcome::AlreadyPresent)
            }
            Err(e) => Err(e.into()),
        }
    }
}

fn bootstrap_key(account_id: AccountId, user_id: UserId, secret: &str) -> ApiKey {
    let at = now();
    ApiKey {
        id: ApiKeyId::generate(),
        account_id,
        user_id,
        name: Name::from_trusted("bootstrap".into()),
        prefix: display_prefix(secret),
        status: ApiKeyStatus::Active,
        expires_at: None,
        last_used_at: None,
        created_at: at,
        updated_at: at,
        key_hash: hash_secret(secret),
        deleted_at: None,
    }
}
