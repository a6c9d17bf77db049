//! The identity writer, a [`Commit`] for the group-commit [`Batcher`]: the first submissions of many new `player_key`s share one
//! transaction (one multi-row insert that skips keys created meanwhile, one read of the stored
//! identities), instead of one transaction — one fsync — each.

use std::collections::HashMap;
use std::sync::Arc;

use async_trait::async_trait;

use crate::batch::{BatchConfig, Batcher, Commit};
use crate::error::{ErrorCode, ServiceError, ServiceResult};
use crate::id::GameId;
use crate::model::Identity;
use crate::store::Store;

/// Most identities created in one transaction.
const MAX_BATCH: usize = 1000;

/// The identity writer's handle.
pub(crate) type IdentityWriter = Batcher<Identity, Identity>;

/// Starts the identity writer: each job is a new identity, answered with the stored one (the
/// one created meanwhile, if another request won the race).
pub(crate) fn spawn(store: Arc<dyn Store>) -> IdentityWriter {
    Batcher::spawn(NewIdentities { store }, BatchConfig::new("identity writer", MAX_BATCH))
}

struct NewIdentities {
    store: Arc<dyn Store>,
}

fn key_of(identity: &Identity) -> (GameId, String) {
    (identity.game_id, identity.player_key.clone().unwrap_or_default())
}

#[async_trait]
impl Commit for NewIdentities {
    type Job = Identity;
    type Done = Identity;

    async fn commit(&mut self, jobs: Vec<Identity>) -> ServiceResult<Vec<ServiceResult<Identity>>> {
        let mut unique: HashMap<(GameId, String), Identity> = HashMap::new();
        for identity in &jobs {
            unique.entry(key_of(identity)).or_insert_with(|| identity.clone());
        }
        let identities: Vec<Identity> = unique.into_values().collect();
        let stored = self.store.insert_identities(&identities).await?;
        let by_key: HashMap<(GameId, String), Identity> = stored.into_iter().map(|i| (key_of(&i), i)).collect();
        Ok(jobs
            .iter()
            .map(|identity| {
                by_key
                    .get(&key_of(identity))
                    .cloned()
                    .ok_or_else(|| ServiceError::new(ErrorCode::Internal, "a new identity was not stored"))
            })
            .collect())
    }
}
