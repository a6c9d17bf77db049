//! The storage traits. podium-core owns them; podium-store implements them for SQLite and
//! PostgreSQL, and one contract test suite runs against every implementation.
//!
//! One module per surface — `admin` (accounts, users, API keys, games, boards, board templates), `scores`
//! (identities, events, entries, flags), `clients` (devices, sessions, nonces) — and
//! `community` (members and their tokens, leaderboards and their moderators), `activity`
//! (policies, judged events, days), `changes` (the log that carries each node's committed
//! changes to the others), and [`Store`], the supertrait a backend implements, over
//! all of them and [`SystemStore`].
//!
//! Reads of single resources return only live (not soft-deleted) rows. Updates write the whole
//! entity, soft deletes included (`deleted_at` set). Lists take a [`PageRequest`](crate::page::PageRequest) and return at
//! most `fetch_limit()` rows past its keyset, in traversal order.

mod activity;
mod admin;
mod changes;
mod clients;
mod community;
mod scores;

use async_trait::async_trait;

pub use crate::error::{StoreError, StoreResult};
pub use activity::*;
pub use admin::*;
pub use changes::*;
pub use clients::*;
pub use community::*;
pub use scores::*;

/// Everything else a node needs from its store.
#[async_trait]
pub trait SystemStore: Send + Sync {
    /// Succeeds when the store answers a trivial query.
    async fn ping(&self) -> StoreResult<()>;
    /// The secret that signs cursors, created on first use and shared by every node.
    async fn cursor_secret(&self) -> StoreResult<Vec<u8>>;
    /// The backend's name (`sqlite`, `postgres`).
    fn backend(&self) -> &'static str;
}

/// The whole store.
pub trait Store:
    AccountStore
    + UserStore
    + ApiKeyStore
    + GameStore
    + BoardStore
    + TemplateStore
    + ScoreStore
    + ClientStore
    + DeviceStore
    + FlagStore
    + MemberStore
    + LeaderboardStore
    + CategoryStore
    + VariableStore
    + RunStore
    + BanStore
    + ActivityStore
    + ChangeStore
    + SystemStore
    + 'static
{
}

impl<T> Store for T where
    T: AccountStore
        + UserStore
        + ApiKeyStore
        + GameStore
        + BoardStore
        + TemplateStore
        + TemplateStore
        + ScoreStore
        + ClientStore
        + DeviceStore
        + DeviceStore
        + FlagStore
        + MemberStore
        + LeaderboardStore
        + CategoryStore
        + VariableStore
        + RunStore
        + BanStore
        + ActivityStore
        + ChangeStore
        + SystemStore
        + 'static
{
}
