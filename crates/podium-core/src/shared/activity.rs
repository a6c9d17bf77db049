//! Activity scores' in-memory state behind one trait: each game's rules counts and users'
//! days ([`GameActivity`]), judged under the game's lock by the activity writer. Today's
//! implementation keeps them in this process; a shared one keeps the counts where every node
//! sees them, so a user spreading events over several nodes gets no more than on one.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, RwLock};

use crate::activity::GameActivity;
use crate::id::GameId;

/// Activity scores' state of every game this node has loaded.
pub trait ActivityState: Send + Sync {
    /// A loaded game's state.
    fn game(&self, game: GameId) -> Option<Arc<Mutex<GameActivity>>>;
    /// Keeps a game's state (built from the store), unless another load got there first with
    /// a state that is not [`stale`](GameActivity::stale); the state kept is returned.
    fn insert(&self, game: GameId, state: Arc<Mutex<GameActivity>>) -> Arc<Mutex<GameActivity>>;
    /// Forgets a game's state (it is rebuilt from the store on next use), after a write that
    /// failed once its counts had moved.
    fn forget(&self, game: GameId);
    /// Forgets every game's state (another node may have written since it was built).
    fn forget_all(&self);
    /// The lease activity writes must be made under (several nodes), if any.
    fn fence(&self) -> Option<crate::store::Fence>;
    /// Sets (or, with `None`, clears) the lease activity writes are made under.
    fn set_fence(&self, fence: Option<crate::store::Fence>);
}

/// One node: the states in this process.
#[derive(Default)]
pub struct LocalActivity {
    games: RwLock<HashMap<GameId, Arc<Mutex<GameActivity>>>>,
    fence: Mutex<Option<crate::store::Fence>>,
}

impl ActivityState for LocalActivity {
    fn game(&self, game: GameId) -> Option<Arc<Mutex<GameActivity>>> {
        self.games.read().unwrap_or_else(std::sync::PoisonError::into_inner).get(&game).cloned()
    }

    fn insert(&self, game: GameId, state: Arc<Mutex<GameActivity>>) -> Arc<Mutex<GameActivity>> {
        let mut games = self.games.write().unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(held) = games.get(&game)
            && !held.lock().unwrap_or_else(std::sync::PoisonError::into_inner).stale
        {
            return held.clone();
        }
        games.insert(game, state.clone());
        state
    }

    fn forget(&self, game: GameId) {
        self.games.write().unwrap_or_else(std::sync::PoisonError::into_inner).remove(&game);
    }

    fn forget_all(&self) {
        self.games.write().unwrap_or_else(std::sync::PoisonError::into_inner).clear();
    }

    fn fence(&self) -> Option<crate::store::Fence> {
        *self.fence.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn set_fence(&self, fence: Option<crate::store::Fence>) {
        *self.fence.lock().unwrap_or_else(std::sync::PoisonError::into_inner) = fence;
    }
}
