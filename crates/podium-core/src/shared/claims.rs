//! Single use of client nonces behind one trait. Today's claims remember the ids this node saw
//! spent (a fast `nonce_used` without a round trip) and let the store decide the rest: each
//! claim is written to `spent_nonces` through a group-commit writer, so a nonce is spent once
//! even across nodes and restarts. Expired ids are purged here and in the store.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;

use crate::batch::{BatchConfig, Batcher, Commit};
use crate::error::ServiceResult;
use crate::store::{NonceClaim, Store};

/// Most nonces spent in one transaction.
const CLAIM_BATCH: usize = 1000;

/// Nonce single use.
#[async_trait]
pub trait NonceClaims: Send + Sync {
    /// Claims a nonce id (valid until `expires_micros`): `true` for the first claim of it
    /// anywhere, `false` for any later one.
    async fn claim(&self, id: [u8; 16], expires_micros: i64) -> ServiceResult<bool>;
    /// Forgets ids that expired before `cutoff_micros`; returns how many the store dropped.
    async fn purge(&self, cutoff_micros: i64) -> ServiceResult<u64>;
    /// Ids this node remembers (for tests of the purge).
    fn remembered(&self) -> usize;
}

/// One node's memory of spent ids, over the store's `spent_nonces`.
pub struct LocalClaims {
    store: Arc<dyn Store>,
    spent: Mutex<HashMap<[u8; 16], i64>>,
    writer: Batcher<NonceClaim, bool>,
}

impl LocalClaims {
    /// Starts the claim writer over `store`.
    pub fn start(store: Arc<dyn Store>) -> Self {
        let writer = Batcher::spawn(Claims { store: store.clone() }, BatchConfig::new("nonce writer", CLAIM_BATCH));
        Self { store, spent: Mutex::new(HashMap::new()), writer }
    }

    fn spent(&self) -> std::sync::MutexGuard<'_, HashMap<[u8; 16], i64>> {
        self.spent.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

#[async_trait]
impl NonceClaims for LocalClaims {
    async fn claim(&self, id: [u8; 16], expires_micros: i64) -> ServiceResult<bool> {
        if self.spent().contains_key(&id) {
            return Ok(false);
        }
        let claim = NonceClaim { id: id.iter().map(|b| format!("{b:02x}")).collect(), expires_micros };
        let fresh = self.writer.submit(claim).await?;
        self.spent().insert(id, expires_micros);
        Ok(fresh)
    }

    async fn purge(&self, cutoff_micros: i64) -> ServiceResult<u64> {
        self.spent().retain(|_, expires| *expires >= cutoff_micros);
        Ok(self.store.purge_nonces(cutoff_micros).await?)
    }

    fn remembered(&self) -> usize {
        self.spent().len()
    }
}

/// The claim writer's commit: concurrent spends share one transaction.
struct Claims {
    store: Arc<dyn Store>,
}

#[async_trait]
impl Commit for Claims {
    type Job = NonceClaim;
    type Done = bool;

    async fn commit(&mut self, claims: Vec<NonceClaim>) -> ServiceResult<Vec<ServiceResult<bool>>> {
        Ok(self.store.claim_nonces(&claims).await?.into_iter().map(Ok).collect())
    }
}
