//! `GET/PUT /v1/activity/policy?game_id=`: a game's policy document. A PUT replaces the whole
//! document (omitted fields take the seed's defaults), is checked as a whole (422 naming every
//! bad field) and applies to events received after it: the writer judges each group with the
//! policy in force when the group is judged.

use std::sync::Arc;

use serde_json::Value;

use super::{Activity, load};
use crate::auth::Principal;
use crate::error::{ServiceError, ServiceResult};
use crate::id::GameId;
use crate::model::activity::Policy;
use crate::time::now;

impl Activity {
    /// A game's policy, every field written out (the defaults until one was set).
    pub async fn policy(&self, p: &Principal, game: GameId) -> ServiceResult<Value> {
        self.visible_game(p, game).await?;
        let state = load(&self.admin, game).await?;
        let policy = state.lock().unwrap_or_else(std::sync::PoisonError::into_inner).policy.clone();
        Ok(policy.to_json())
    }

    /// Sets a game's policy.
    pub async fn put_policy(&self, p: &Principal, game: GameId, document: &Value) -> ServiceResult<Value> {
        self.serves()?;
        self.visible_game(p, game).await?;
        let policy = Policy::parse(document).map_err(ServiceError::validation)?;
        let state = load(&self.admin, game).await?;
        // Under the writer's gate: no group is judged between the store and memory changing.
        let _gate = self.gate.write().await;
        let json = policy.to_json();
        self.admin.store().put_activity_policy(game, &json, now()).await?;
        state.lock().unwrap_or_else(std::sync::PoisonError::into_inner).policy = Arc::new(policy);
        Ok(json)
    }
}
