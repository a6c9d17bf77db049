//! The admin resources (game-boards spec §1): accounts, users, API keys, games, boards and
//! the board templates that stamp recurring boards out —
//! tenancy, validation, defaults, soft deletes — and the caches of what the hot path reads
//! (key grants, boards, games). One `impl Admin` block per resource, each in its file.

mod accounts;
mod api_keys;
mod auth;
mod boards;
mod bootstrap;
mod games;
mod seasons;
mod templates;
mod users;

use std::sync::Arc;

pub use accounts::{CreateAccount, UpdateAccount};
pub use api_keys::{CreateApiKey, CreatedApiKey, UpdateApiKey};
pub use auth::KeyUses;
pub use boards::{BoardListQuery, CreateBoard, UpdateBoard};
pub use bootstrap::BootstrapOutcome;
pub use games::{CreateGame, UpdateGame};
pub use seasons::{CATCH_UP_PER_RUN, ScheduleRun};
pub use templates::{CreateTemplate, TemplateListQuery, UpdateTemplate};
pub use users::{CreateUser, UpdateUser};

use crate::auth::Principal;
use crate::cache::TtlCache;
use crate::error::FieldCode;
use crate::error::{ErrorCode, ServiceError, ServiceResult};
use crate::id::AccountId;
use crate::id::BoardId;
use crate::model::Board;
use crate::page::CursorCodec;
use crate::shared::{Change, Invalidation, SharedState, Subscriber};
use crate::store::{KeyGrant, Store};

/// The admin API's service object; cheap to clone.
#[derive(Clone)]
pub struct Admin {
    store: Arc<dyn Store>,
    shared: SharedState,
    cursors: CursorCodec,
    key_uses: Arc<KeyUses>,
    caches: Arc<AdminCaches>,
}

/// What the admin service caches for the hot path; it follows the change feed.
struct AdminCaches {
    /// API-key grants by key hash; cleared when keys, users or accounts change.
    grants: TtlCache<String, KeyGrant>,
    /// Boards by id, and each game's RATIO boards; cleared when boards or games change.
    boards: TtlCache<BoardId, Board>,
    ratio_boards: TtlCache<crate::id::GameId, Vec<Board>>,
    /// Games by id (their anti-cheat settings are read on every submission).
    games: TtlCache<crate::id::GameId, crate::model::Game>,
}

impl Subscriber for AdminCaches {
    fn apply(&self, change: &Change) {
        match change {
            Change::Invalidate(Invalidation::KeyGrants) => self.grants.clear(),
            Change::Invalidate(Invalidation::Boards) => {
                self.boards.clear();
                self.ratio_boards.clear();
                self.games.clear();
            }
            _ => {}
        }
    }
}

/// How long a cached grant or board may lag a change made through another node.
pub const CACHE_TTL: std::time::Duration = std::time::Duration::from_secs(5);

impl Admin {
    /// Builds the service over a store and the node's shared state (its caches follow the
    /// change feed). Reads the cursor secret from the store.
    pub async fn new(store: Arc<dyn Store>, shared: SharedState) -> ServiceResult<Self> {
        let secret = store.cursor_secret().await?;
        let cursors = CursorCodec::new(&secret)
            .map_err(|_| ServiceError::new(ErrorCode::Internal, "the cursor secret is unusable"))?;
        let caches = Arc::new(AdminCaches {
            grants: TtlCache::new(CACHE_TTL, 100_000),
            boards: TtlCache::new(CACHE_TTL, 100_000),
            ratio_boards: TtlCache::new(CACHE_TTL, 100_000),
            games: TtlCache::new(CACHE_TTL, 100_000),
        });
        shared.changes.subscribe(caches.clone());
        Ok(Self { store, shared, cursors, key_uses: Arc::new(KeyUses::default()), caches })
    }

    /// The node's shared state.
    pub fn shared(&self) -> &SharedState {
        &self.shared
    }

    /// Publishes a committed change (this node's copies follow before this returns).
    pub(crate) fn publish(&self, change: Change) {
        self.shared.changes.publish(change);
    }

    /// The cursor codec.
    pub(crate) fn cursors(&self) -> &CursorCodec {
        &self.cursors
    }

    /// The underlying store.
    pub fn store(&self) -> &Arc<dyn Store> {
        &self.store
    }

    /// The account a list call reads: a superadmin must name one (400 otherwise); a regular
    /// key reads its own, and naming another is 403.
    pub(crate) fn list_scope(&self, p: &Principal, requested: Option<AccountId>) -> ServiceResult<AccountId> {
        match (p.super_admin, requested) {
            (true, Some(a)) => Ok(a),
            (true, None) => Err(ServiceError::new(
                ErrorCode::AccountIdRequired,
                "a superadmin must pass account_id to list this resource",
            )),
            (false, None) => Ok(p.account_id),
            (false, Some(a)) if a == p.account_id => Ok(a),
            (false, Some(_)) => Err(ServiceError::forbidden("this key cannot reach that account")),
        }
    }

    /// The account a create call writes to: as [`Self::list_scope`], but a superadmin who
    /// names no account gets a 422 on `account_id`.
    fn create_scope(&self, p: &Principal, requested: Option<AccountId>) -> ServiceResult<AccountId> {
        match (p.super_admin, requested) {
            (true, None) => Err(ServiceError::field("account_id", FieldCode::Required)),
            _ => self.list_scope(p, requested),
        }
    }

    /// The live RATIO boards of a game (cached like boards).
    pub(crate) async fn ratio_boards(&self, game: crate::id::GameId) -> ServiceResult<Vec<Board>> {
        if let Some(boards) = self.caches.ratio_boards.get(&game) {
            return Ok(boards);
        }
        let boards = self.store.ratio_boards(game).await?;
        self.caches.ratio_boards.put(game, boards.clone());
        Ok(boards)
    }

    /// Forgets cached boards after a board or game changed.
    fn boards_changed(&self) {
        self.publish(Change::Invalidate(Invalidation::Boards));
    }

    /// Forgets cached key grants after a key, user or account changed.
    fn grants_changed(&self) {
        self.publish(Change::Invalidate(Invalidation::KeyGrants));
    }

    /// A 404 unless the principal can see `account`.
    fn visible<T>(&self, p: &Principal, account: AccountId, value: T, what: &str) -> ServiceResult<T> {
        if p.can_see(account) { Ok(value) } else { Err(ServiceError::not_found(what)) }
    }
}
