//! Authenticating admin requests, and keeping `last_used_at` without a write per request:
//! uses are noted in memory and written in one batch by [`Admin::flush_key_uses`], which the
//! server calls periodically and at shutdown.

use std::collections::HashMap;
use std::sync::Mutex;

use super::Admin;
use crate::auth::{Principal, hash_secret};
use crate::error::{ErrorCode, ServiceError, ServiceResult};
use crate::id::ApiKeyId;
use crate::model::{AccountStatus, ApiKeyStatus};
use crate::time::{Timestamp, now};

/// Last-use times not yet written to the store.
#[derive(Debug, Default)]
pub struct KeyUses(Mutex<HashMap<ApiKeyId, Timestamp>>);

impl KeyUses {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<ApiKeyId, Timestamp>> {
        // A poisoned map only holds timestamps; keep using it.
        self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn record(&self, id: ApiKeyId, at: Timestamp) {
        let mut map = self.lock();
        let slot = map.entry(id).or_insert(at);
        if *slot < at {
            *slot = at;
        }
    }

    /// The pending last use of a key, if any.
    pub fn get(&self, id: ApiKeyId) -> Option<Timestamp> {
        self.lock().get(&id).copied()
    }

    fn drain(&self) -> Vec<(ApiKeyId, Timestamp)> {
        self.lock().drain().collect()
    }

    fn restore(&self, uses: Vec<(ApiKeyId, Timestamp)>) {
        for (id, at) in uses {
            self.record(id, at);
        }
    }
}

impl Admin {
    /// Who a presented API key acts as. Unknown, revoked, expired or deleted keys (or keys of
    /// deleted users) are 401; keys of a suspended account are 403.
    pub async fn authenticate(&self, secret: &str) -> ServiceResult<Principal> {
        let invalid = || ServiceError::unauthorized("the API key is unknown, revoked or expired");
        let hash = hash_secret(secret);
        let grant = match self.caches.grants.get(&hash) {
            Some(grant) => grant,
            None => {
                let grant = self.store.find_key_grant(&hash).await?.ok_or_else(invalid)?;
                self.caches.grants.put(hash, grant.clone());
                grant
            }
        };
        let at = now();
        if grant.key.status != ApiKeyStatus::Active || grant.key.expires_at.is_some_and(|e| e <= at) {
            return Err(invalid());
        }
        if grant.account.status == AccountStatus::Suspended {
            return Err(ServiceError::new(ErrorCode::AccountSuspended, "the account is suspended"));
        }
        self.key_uses.record(grant.key.id, at);
        Ok(Principal {
            key_id: grant.key.id,
            user_id: grant.user.id,
            account_id: grant.account.id,
            super_admin: grant.user.super_admin,
        })
    }

    /// Writes pending last-use times in one batch. On failure they are kept for the next try.
    pub async fn flush_key_uses(&self) -> ServiceResult<usize> {
        let uses = self.key_uses.drain();
        if uses.is_empty() {
            return Ok(0);
        }
        let n = uses.len();
        if let Err(e) = self.store.touch_api_keys(&uses).await {
            self.key_uses.restore(uses);
            return Err(e.into());
        }
        Ok(n)
    }

    pub(super) fn pending_last_use(&self, id: ApiKeyId) -> Option<Timestamp> {
        self.key_uses.get(id)
    }
}
