//! Storage of the admin resources: accounts, users, API keys, games and boards.

use async_trait::async_trait;

use super::StoreResult;
use crate::id::{AccountId, ApiKeyId, BoardId, GameId, TemplateId, UserId};
use crate::model::{Account, ApiKey, ApiKeyStatus, Board, BoardTemplate, Game, User};
use crate::page::PageRequest;
use crate::time::Timestamp;

/// Filters for listing users.
#[derive(Debug, Clone)]
pub struct UserFilter {
    /// The account whose users are listed.
    pub account_id: AccountId,
}

/// Filters for listing API keys.
#[derive(Debug, Clone)]
pub struct ApiKeyFilter {
    /// The account whose keys are listed.
    pub account_id: AccountId,
    /// Only this user's keys.
    pub user_id: Option<UserId>,
    /// Only keys with this status.
    pub status: Option<ApiKeyStatus>,
}

/// Filters for listing games.
#[derive(Debug, Clone)]
pub struct GameFilter {
    /// The account whose games are listed.
    pub account_id: AccountId,
}

/// Filters for listing boards.
#[derive(Debug, Clone)]
pub struct BoardFilter {
    /// The account whose boards are listed.
    pub account_id: AccountId,
    /// Only this game's boards.
    pub game_id: Option<GameId>,
    /// Only the board with this slug.
    pub slug: Option<String>,
    /// Only the board with this short code.
    pub code: Option<String>,
    /// Only active (or only inactive) boards.
    pub is_active: Option<bool>,
    /// Only published (or only unpublished) boards.
    pub is_published: Option<bool>,
    /// Only boards carrying this tag (exactly).
    pub tag: Option<String>,
    /// Only the boards this template stamped out.
    pub template_id: Option<TemplateId>,
}

/// Filters for listing board templates.
#[derive(Debug, Clone)]
pub struct TemplateFilter {
    /// The account whose templates are listed.
    pub account_id: AccountId,
    /// Only this game's templates.
    pub game_id: Option<GameId>,
    /// Only the template with this slug.
    pub slug: Option<String>,
}

/// The latest period a template stamped out a board for (deleted boards count: a period is
/// stamped out once).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LastPeriod {
    /// The board's number in the series.
    pub series: i64,
    /// When its period began.
    pub period_start: Timestamp,
}

/// Accounts.
#[async_trait]
pub trait AccountStore: Send + Sync {
    /// Inserts a new account.
    async fn insert_account(&self, account: &Account) -> StoreResult<()>;
    /// A live account by id.
    async fn get_account(&self, id: AccountId) -> StoreResult<Option<Account>>;
    /// Replaces a live account's row.
    async fn update_account(&self, account: &Account) -> StoreResult<()>;
    /// A page of live accounts, optionally only `only`.
    async fn list_accounts(&self, only: Option<AccountId>, page: &PageRequest) -> StoreResult<Vec<Account>>;
}

/// Users.
#[async_trait]
pub trait UserStore: Send + Sync {
    /// Inserts a new user.
    async fn insert_user(&self, user: &User) -> StoreResult<()>;
    /// A live user by id.
    async fn get_user(&self, id: UserId) -> StoreResult<Option<User>>;
    /// Replaces a live user's row.
    async fn update_user(&self, user: &User) -> StoreResult<()>;
    /// A page of live users.
    async fn list_users(&self, filter: &UserFilter, page: &PageRequest) -> StoreResult<Vec<User>>;
    /// The oldest live super-admin user of a live account, if any.
    async fn first_super_admin(&self) -> StoreResult<Option<User>>;
}

/// What authenticating an API key needs in one read.
#[derive(Debug, Clone)]
pub struct KeyGrant {
    /// The key.
    pub key: ApiKey,
    /// Its user.
    pub user: User,
    /// Its account.
    pub account: Account,
}

/// API keys.
#[async_trait]
pub trait ApiKeyStore: Send + Sync {
    /// Inserts a new key.
    async fn insert_api_key(&self, key: &ApiKey) -> StoreResult<()>;
    /// A live key by id.
    async fn get_api_key(&self, id: ApiKeyId) -> StoreResult<Option<ApiKey>>;
    /// Replaces a live key's row.
    async fn update_api_key(&self, key: &ApiKey) -> StoreResult<()>;
    /// A page of live keys.
    async fn list_api_keys(&self, filter: &ApiKeyFilter, page: &PageRequest) -> StoreResult<Vec<ApiKey>>;
    /// The live key with this hash, with its live user and live account.
    async fn find_key_grant(&self, key_hash: &str) -> StoreResult<Option<KeyGrant>>;
    /// Records last-use times in one write (a time never moves backwards).
    async fn touch_api_keys(&self, uses: &[(ApiKeyId, Timestamp)]) -> StoreResult<()>;
    /// Inserts an account, its first user and that user's key atomically (bootstrap).
    async fn insert_account_user_key(&self, account: &Account, user: &User, key: &ApiKey) -> StoreResult<()>;
}

/// Games.
#[async_trait]
pub trait GameStore: Send + Sync {
    /// Inserts a new game.
    async fn insert_game(&self, game: &Game) -> StoreResult<()>;
    /// A live game by id.
    async fn get_game(&self, id: GameId) -> StoreResult<Option<Game>>;
    /// Replaces a live game's row; when `deleted_at` is set, its live boards are soft-deleted
    /// with it in the same transaction.
    async fn update_game(&self, game: &Game) -> StoreResult<()>;
    /// A page of live games.
    async fn list_games(&self, filter: &GameFilter, page: &PageRequest) -> StoreResult<Vec<Game>>;
}

/// Boards.
#[async_trait]
pub trait BoardStore: Send + Sync {
    /// Inserts a new board.
    async fn insert_board(&self, board: &Board) -> StoreResult<()>;
    /// A live board by id.
    async fn get_board(&self, id: BoardId) -> StoreResult<Option<Board>>;
    /// Replaces a live board's row.
    async fn update_board(&self, board: &Board) -> StoreResult<()>;
    /// A page of live boards.
    async fn list_boards(&self, filter: &BoardFilter, page: &PageRequest) -> StoreResult<Vec<Board>>;
}

/// Board templates, and the boards they stamp out.
#[async_trait]
pub trait TemplateStore: Send + Sync {
    /// Inserts a new template.
    async fn insert_template(&self, template: &BoardTemplate) -> StoreResult<()>;
    /// A live template by id.
    async fn get_template(&self, id: TemplateId) -> StoreResult<Option<BoardTemplate>>;
    /// Replaces a live template's row.
    async fn update_template(&self, template: &BoardTemplate) -> StoreResult<()>;
    /// A page of live templates.
    async fn list_templates(&self, filter: &TemplateFilter, page: &PageRequest) -> StoreResult<Vec<BoardTemplate>>;
    /// Every live, active template of every account (what the scheduler walks).
    async fn active_templates(&self) -> StoreResult<Vec<BoardTemplate>>;
    /// The template's latest stamped-out period, if any.
    async fn last_period(&self, id: TemplateId) -> StoreResult<Option<LastPeriod>>;
    /// Deactivates the template's live boards numbered below `series` that are still active,
    /// stamping `at` as their update time; returns how many.
    async fn close_boards_before(&self, id: TemplateId, series: i64, at: Timestamp) -> StoreResult<u64>;
}
