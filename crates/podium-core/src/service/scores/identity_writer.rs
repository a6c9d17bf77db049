//! Group commit for new players: the first submissions of many new `player_key`s share one
//! transaction (one multi-row insert that skips keys created meanwhile, one read of the stored
//! identities), instead of one transaction — one fsync — each.

use std::collections::HashMap;
use std::sync::Arc;

use tokio::sync::{mpsc, oneshot};

use crate::error::{ErrorCode, ServiceError, ServiceResult};
use crate::id::GameId;
use crate::model::Identity;
use crate::store::Store;

/// Most identities created in one transaction.
const MAX_BATCH: usize = 1000;

/// A new identity waiting for its batch.
pub(crate) struct NewIdentity {
    pub(crate) identity: Identity,
    pub(crate) reply: oneshot::Sender<ServiceResult<Identity>>,
}

/// Starts the identity writer; new identities go in through the returned sender.
pub(crate) fn spawn(store: Arc<dyn Store>) -> mpsc::Sender<NewIdentity> {
    let (tx, mut rx) = mpsc::channel::<NewIdentity>(MAX_BATCH * 4);
    tokio::spawn(async move {
        let mut batch = Vec::with_capacity(MAX_BATCH);
        while rx.recv_many(&mut batch, MAX_BATCH).await > 0 {
            let mut unique: HashMap<(GameId, String), Identity> = HashMap::new();
            for job in &batch {
                let key = (job.identity.game_id, job.identity.player_key.clone().unwrap_or_default());
                unique.entry(key).or_insert_with(|| job.identity.clone());
            }
            let identities: Vec<Identity> = unique.into_values().collect();
            match store.insert_identities(&identities).await {
                Ok(stored) => {
                    let by_key: HashMap<(GameId, String), Identity> = stored
                        .into_iter()
                        .map(|i| ((i.game_id, i.player_key.clone().unwrap_or_default()), i))
                        .collect();
                    for job in batch.drain(..) {
                        let key = (job.identity.game_id, job.identity.player_key.clone().unwrap_or_default());
                        let answer = by_key
                            .get(&key)
                            .cloned()
                            .ok_or_else(|| ServiceError::new(ErrorCode::Internal, "a new identity was not stored"));
                        let _ = job.reply.send(answer);
                    }
                }
                Err(e) => {
                    let e = ServiceError::from(e);
                    for job in batch.drain(..) {
                        let _ = job.reply.send(Err(e.clone()));
                    }
                }
            }
        }
    });
    tx
}
