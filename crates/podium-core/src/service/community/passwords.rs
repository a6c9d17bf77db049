//! Password hashing: Argon2id at OWASP's minimum parameters (19 MiB of memory, 2 passes, one
//! lane — `argon2`'s defaults, written out here so a change of the crate's defaults cannot
//! weaken them). Each hash costs tens of milliseconds of one core and 19 MiB, so it runs on
//! tokio's blocking threads — never on the async workers that serve other requests — and at
//! most one hash per core runs at a time: a flood of logins queues here instead of stalling
//! every other request or allocating 19 MiB per waiting login.

use std::sync::Arc;

use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use argon2::{Algorithm, Argon2, Params, Version};
use tokio::sync::Semaphore;

use crate::error::{ErrorCode, ServiceError, ServiceResult};
use crate::model::community::Password;

/// Memory per hash, KiB (OWASP: at least 19 MiB with 2 passes).
pub const MEMORY_KIB: u32 = 19 * 1024;
/// Passes.
pub const PASSES: u32 = 2;
/// Lanes.
pub const LANES: u32 = 1;

/// Hashes and verifies passwords off the async workers, a bounded number at a time.
#[derive(Clone)]
pub struct Passwords {
    permits: Arc<Semaphore>,
    /// A hash of a random password, verified against when a login names nobody, so that a
    /// login's time does not tell whether the name exists.
    decoy: Arc<String>,
}

fn argon2() -> ServiceResult<Argon2<'static>> {
    let params = Params::new(MEMORY_KIB, PASSES, LANES, None).map_err(|e| {
        ServiceError::new(ErrorCode::Internal, "password hashing is misconfigured").caused_by(e.to_string())
    })?;
    Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
}

fn hash_now(password: &str) -> ServiceResult<String> {
    argon2()?.hash_password(password.as_bytes()).map(|h| h.to_string()).map_err(|e| {
        ServiceError::new(ErrorCode::Internal, "the password could not be hashed").caused_by(e.to_string())
    })
}

fn verify_now(password: &str, hash: &str) -> bool {
    let Ok(parsed) = PasswordHash::new(hash) else { return false };
    argon2().is_ok_and(|a| a.verify_password(password.as_bytes(), &parsed).is_ok())
}

impl Passwords {
    /// A hasher allowing `parallel` hashes at once (the number of cores is right).
    pub fn new(parallel: usize) -> ServiceResult<Self> {
        let decoy = hash_now(&crate::auth::generate_secret("decoy_"))?;
        Ok(Self { permits: Arc::new(Semaphore::new(parallel.max(1))), decoy: Arc::new(decoy) })
    }

    async fn run<T: Send + 'static>(&self, work: impl FnOnce() -> T + Send + 'static) -> ServiceResult<T> {
        let _permit = self
            .permits
            .acquire()
            .await
            .map_err(|_| ServiceError::new(ErrorCode::Internal, "password hashing stopped"))?;
        tokio::task::spawn_blocking(work)
            .await
            .map_err(|e| ServiceError::new(ErrorCode::Internal, "password hashing failed").caused_by(e.to_string()))
    }

    /// The PHC string (`$argon2id$v=19$m=19456,t=2,p=1$…`) of a new password.
    pub async fn hash(&self, password: Password) -> ServiceResult<String> {
        self.run(move || hash_now(password.expose())).await?
    }

    /// Whether `password` matches `hash`; with no hash (nobody by that name), verifies
    /// against the decoy and answers `false`, taking the same time.
    pub async fn verify(&self, password: String, hash: Option<String>) -> ServiceResult<bool> {
        let known = hash.is_some();
        let hash = hash.unwrap_or_else(|| self.decoy.as_ref().clone());
        let ok = self.run(move || verify_now(&password, &hash)).await?;
        Ok(ok && known)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;

    /// On a runtime with one worker thread, a task keeps running while a password is hashed:
    /// the hash runs on a blocking thread, not on the worker that serves requests.
    #[tokio::test(flavor = "current_thread")]
    async fn hashing_leaves_the_async_worker_free_for_other_requests() {
        let p = Passwords::new(1).unwrap();
        let ticks = Arc::new(AtomicUsize::new(0));
        let counter = ticks.clone();
        let ticker = tokio::spawn(async move {
            loop {
                counter.fetch_add(1, Ordering::Relaxed);
                tokio::task::yield_now().await;
            }
        });
        tokio::task::yield_now().await;
        let before = ticks.load(Ordering::Relaxed);
        p.hash(Password::parse("Secret123").unwrap()).await.unwrap();
        let during = ticks.load(Ordering::Relaxed) - before;
        ticker.abort();
        assert!(during > 100, "the worker ran only {during} other steps during a hash");
    }

    #[tokio::test]
    async fn a_hash_is_argon2id_at_the_documented_cost_and_verifies_only_its_password() {
        let p = Passwords::new(2).unwrap();
        let hash = p.hash(Password::parse("Secret123").unwrap()).await.unwrap();
        assert!(hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{hash}");
        assert!(!hash.contains("Secret123"));
        assert!(p.verify("Secret123".into(), Some(hash.clone())).await.unwrap());
        assert!(!p.verify("Secret124".into(), Some(hash)).await.unwrap());
        assert!(!p.verify("Secret123".into(), None).await.unwrap());
        assert!(!p.verify("Secret123".into(), Some("not a hash".into())).await.unwrap());
    }
}
