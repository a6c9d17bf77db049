//! The storage traits. podium-core owns them; podium-store implements them for SQLite and
//! PostgreSQL, and one contract test suite runs against every implementation.
//!
//! Reads of single resources return only live (not soft-deleted) rows. Updates write the whole
//! entity, soft deletes included (`deleted_at` set). Lists take a [`PageRequest`] and return at
//! most `fetch_limit()` rows past its keyset, in traversal order.

use async_trait::async_trait;

use crate::id::{AccountId, ApiKeyId, GameId, UserId};
use crate::model::{Account, ApiKey, ApiKeyStatus, Board, Game, User};
use crate::page::PageRequest;
use crate::time::Timestamp;

/// A storage failure.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StoreError {
    /// The row to update does not exist (or is deleted).
    #[error("not found")]
    NotFound,
    /// A uniqueness rule was broken; `field` names it (`slug`, `email`, `short_code`, `key_hash`
    /// or `unknown`).
    #[error("unique constraint on {constraint}")]
    Conflict {
        /// Which unique field clashed.
        constraint: String,
    },
    /// The backend could not be reached.
    #[error("store unavailable: {0}")]
    Unavailable(String),
    /// Anything else the backend reported.
    #[error("store error: {0}")]
    Backend(String),
}

/// Shorthand for store results.
pub type StoreResult<T> = Result<T, StoreError>;

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
    async fn get_board(&self, id: crate::id::BoardId) -> StoreResult<Option<Board>>;
    /// Replaces a live board's row.
    async fn update_board(&self, board: &Board) -> StoreResult<()>;
    /// A page of live boards.
    async fn list_boards(&self, filter: &BoardFilter, page: &PageRequest) -> StoreResult<Vec<Board>>;
}

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
    + ScoreStore
    + ClientStore
    + FlagStore
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
        + ScoreStore
        + ClientStore
        + FlagStore
        + SystemStore
        + 'static
{
}

/// Filters for listing flags.
#[derive(Debug, Clone)]
pub struct FlagFilter {
    /// The account whose flags are listed.
    pub account_id: AccountId,
    /// Only this board's.
    pub board_id: Option<crate::id::BoardId>,
    /// Only this game's.
    pub game_id: Option<GameId>,
    /// Only this player's.
    pub identity_id: Option<crate::id::IdentityId>,
    /// Only with this status.
    pub status: Option<crate::model::FlagStatus>,
    /// Only of this detection.
    pub flag_type: Option<crate::anticheat::FlagType>,
}

/// Filters for listing submission metadata.
#[derive(Debug, Clone)]
pub struct SubmissionMetaFilter {
    /// The account whose rows are listed.
    pub account_id: AccountId,
    /// Only this board's.
    pub board_id: Option<crate::id::BoardId>,
    /// Only this player's.
    pub identity_id: Option<crate::id::IdentityId>,
}

/// What a review writes.
#[derive(Debug, Clone)]
pub struct ReviewWrite {
    /// The flag, as reviewed.
    pub flag: crate::model::ScoreFlag,
    /// The player.
    pub identity_id: crate::id::IdentityId,
    /// The pool.
    pub is_test: bool,
    /// The boards whose entries are replaced.
    pub boards: Vec<crate::id::BoardId>,
    /// Events that are rejected now.
    pub rejected_events: Vec<crate::id::ScoreEventId>,
    /// Events that are accepted now.
    pub accepted_events: Vec<crate::id::ScoreEventId>,
    /// The player's entries on `boards`, replacing the stored ones (None: entries unchanged).
    pub entries: Option<Vec<crate::model::Score>>,
}

/// What a review recomputes from.
#[derive(Debug, Clone, Default)]
pub struct ReviewInputs {
    /// The player's events on the boards, in replay order.
    pub events: Vec<crate::model::ScoreEvent>,
    /// The player's stored entries on the boards.
    pub entries: Vec<crate::model::Score>,
    /// Flags on those events.
    pub flags: Vec<crate::model::ScoreFlag>,
}

/// Anti-cheat flags and submission metadata (written with score batches; read and reviewed
/// here).
#[async_trait]
pub trait FlagStore: Send + Sync {
    /// A page of flags.
    async fn list_flags(&self, filter: &FlagFilter, page: &PageRequest) -> StoreResult<Vec<crate::model::ScoreFlag>>;
    /// One flag.
    async fn get_flag(&self, id: crate::id::FlagId) -> StoreResult<Option<crate::model::ScoreFlag>>;
    /// Records a review in one transaction: the flag, the statuses of the player's events on
    /// the boards concerned, and (when given) the player's recomputed entries on them.
    async fn apply_review(&self, review: &ReviewWrite) -> StoreResult<()>;
    /// What a review recomputes from: the player's events (replay order), entries and event
    /// flags on the given boards, in one pool.
    async fn review_inputs(
        &self,
        identity: crate::id::IdentityId,
        boards: &[crate::id::BoardId],
        is_test: bool,
    ) -> StoreResult<ReviewInputs>;
    /// Adds submission counts per player and board (one transaction).
    async fn add_submission_meta(&self, metas: &[crate::model::SubmissionMeta]) -> StoreResult<()>;
    /// A page of submission metadata.
    async fn list_submission_meta(
        &self,
        filter: &SubmissionMetaFilter,
        page: &PageRequest,
    ) -> StoreResult<Vec<crate::model::SubmissionMeta>>;
    /// One submission metadata row.
    async fn get_submission_meta(
        &self,
        id: crate::id::SubmissionMetaId,
    ) -> StoreResult<Option<crate::model::SubmissionMeta>>;
    /// Accepted submissions per identity (for trust tiers after a restart).
    async fn accepted_totals(&self) -> StoreResult<Vec<(crate::id::IdentityId, u64)>>;
    /// The events whose entry a pending MEDIUM flag holds under review, and the events
    /// rejected by a review (a rebuild replays the first as held and skips the second).
    async fn review_state(&self) -> StoreResult<(Vec<crate::id::ScoreEventId>, Vec<crate::id::ScoreEventId>)>;
    /// Every entry of one identity, or (with `None`) of every banned identity.
    async fn scores_of_identity(
        &self,
        identity: Option<crate::id::IdentityId>,
    ) -> StoreResult<Vec<crate::model::Score>>;
    /// The events accepted since a time, in replay order (to rebuild anti-cheat counters).
    async fn events_since(&self, since_micros: i64) -> StoreResult<Vec<crate::model::ScoreEvent>>;
}

/// A session with the statuses that decide whether its tokens work, read in one query.
#[derive(Debug, Clone)]
pub struct SessionGrant {
    /// The session.
    pub session: crate::model::IdentitySession,
    /// Its device's status.
    pub device_status: crate::model::DeviceStatus,
    /// Its identity's status.
    pub identity_status: crate::model::IdentityStatus,
    /// Whether its account is active.
    pub account_active: bool,
    /// Whether its game still exists (not soft-deleted).
    pub game_live: bool,
}

/// A rotation of a session's tokens.
#[derive(Debug, Clone)]
pub struct Rotation {
    /// The session.
    pub session_id: crate::id::SessionId,
    /// The refresh token presented; the rotation happens only if it is still the current one.
    pub old_refresh_hash: String,
    /// The new access token's hash.
    pub access_hash: String,
    /// The new refresh token's hash.
    pub refresh_hash: String,
    /// New access expiry.
    pub access_expires_at: Timestamp,
    /// New refresh expiry.
    pub refresh_expires_at: Timestamp,
    /// Time of the rotation.
    pub at: Timestamp,
}

/// Filters for listing identities.
#[derive(Debug, Clone)]
pub struct IdentityFilter {
    /// The account whose identities are listed.
    pub account_id: AccountId,
    /// Only this game's.
    pub game_id: Option<GameId>,
    /// Only with this status.
    pub status: Option<crate::model::IdentityStatus>,
}

/// Filters for listing sessions.
#[derive(Debug, Clone)]
pub struct SessionFilter {
    /// The account whose sessions are listed.
    pub account_id: AccountId,
    /// Only this game's.
    pub game_id: Option<GameId>,
    /// Only this identity's.
    pub identity_id: Option<crate::id::IdentityId>,
    /// Only this device's.
    pub device_id: Option<crate::id::DeviceId>,
    /// Only revoked (or only unrevoked) sessions.
    pub revoked: Option<bool>,
}

/// A nonce being spent: its id and when it expires (microseconds).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NonceClaim {
    /// The nonce's unique id.
    pub id: String,
    /// Its expiry; the claim is kept until then, so the nonce cannot be spent twice.
    pub expires_micros: i64,
}

/// Devices, client sessions, spent nonces, and the admin side of identities.
#[async_trait]
pub trait ClientStore: Send + Sync {
    /// The device a game knows by `fingerprint`.
    async fn find_device(&self, game: GameId, fingerprint: &str) -> StoreResult<Option<crate::model::Device>>;
    /// A device by id.
    async fn get_device(&self, id: crate::id::DeviceId) -> StoreResult<Option<crate::model::Device>>;
    /// Inserts a new device and its new identity in one transaction; `Conflict` if the game
    /// already has a device with that fingerprint.
    async fn insert_device(&self, device: &crate::model::Device, identity: &crate::model::Identity) -> StoreResult<()>;
    /// Records a session start or refresh on a device (and the platform it reported).
    async fn touch_device(&self, id: crate::id::DeviceId, platform: Option<&str>, at: Timestamp) -> StoreResult<()>;
    /// Inserts a new session.
    async fn insert_session(&self, session: &crate::model::IdentitySession) -> StoreResult<()>;
    /// A session by id.
    async fn get_session(&self, id: crate::id::SessionId) -> StoreResult<Option<crate::model::IdentitySession>>;
    /// The session whose current access token has this hash, with its statuses.
    async fn find_session_by_access(&self, access_hash: &str) -> StoreResult<Option<SessionGrant>>;
    /// The session whose current refresh token has this hash, with its statuses.
    async fn find_session_by_refresh(&self, refresh_hash: &str) -> StoreResult<Option<SessionGrant>>;
    /// Replaces a session's tokens if `old_refresh_hash` is still current and the session is not
    /// revoked; `NotFound` otherwise (a concurrent refresh won).
    async fn rotate_session(&self, rotation: &Rotation) -> StoreResult<()>;
    /// Revokes sessions: one by id, or every session of an identity. Returns how many.
    async fn revoke_sessions(
        &self,
        session: Option<crate::id::SessionId>,
        identity: Option<crate::id::IdentityId>,
        at: Timestamp,
    ) -> StoreResult<u64>;
    /// A page of sessions.
    async fn list_sessions(
        &self,
        filter: &SessionFilter,
        page: &PageRequest,
    ) -> StoreResult<Vec<crate::model::IdentitySession>>;
    /// A page of identities.
    async fn list_identities(
        &self,
        filter: &IdentityFilter,
        page: &PageRequest,
    ) -> StoreResult<Vec<crate::model::Identity>>;
    /// Replaces an identity's row.
    async fn update_identity(&self, identity: &crate::model::Identity) -> StoreResult<()>;
    /// Spends nonces in one transaction: for each, true if it was not spent before.
    async fn claim_nonces(&self, claims: &[NonceClaim]) -> StoreResult<Vec<bool>>;
    /// Forgets spent nonces that expired before `before_micros`; returns how many.
    async fn purge_nonces(&self, before_micros: i64) -> StoreResult<u64>;
    /// The boards among `boards` on which another identity than `except` has an entry whose
    /// normalised player name is `name_key`.
    async fn name_conflicts(
        &self,
        boards: &[crate::id::BoardId],
        name_key: &str,
        except: crate::id::IdentityId,
    ) -> StoreResult<Vec<crate::id::BoardId>>;
}

/// Filters for listing score events.
#[derive(Debug, Clone)]
pub struct ScoreEventFilter {
    /// The account whose events are listed.
    pub account_id: AccountId,
    /// Only this board's.
    pub board_id: Option<crate::id::BoardId>,
    /// Only this player's.
    pub identity_id: Option<crate::id::IdentityId>,
    /// Only test (or only live) events.
    pub is_test: Option<bool>,
}

/// Filters for listing ranked entries in a non-rank order.
#[derive(Debug, Clone)]
pub struct ScoreFilter {
    /// The board.
    pub board_id: crate::id::BoardId,
    /// Only test (or only live) entries; `None` for both.
    pub is_test: Option<bool>,
    /// Only this player's.
    pub identity_id: Option<crate::id::IdentityId>,
}

/// One ranked entry's key material, streamed when the engine is rebuilt.
#[derive(Debug, Clone, Copy)]
pub struct RankedRow {
    /// The board.
    pub board_id: crate::id::BoardId,
    /// The pool.
    pub is_test: bool,
    /// The value.
    pub value: f64,
    /// When it reached the value (microseconds).
    pub updated_at: i64,
    /// The entry.
    pub id: crate::id::ScoreId,
}

/// Computes the changes of a batch from the current entries it read.
pub type Planner<'a> = &'a (dyn Fn(Vec<crate::model::Score>) -> crate::scoring::Plan + Send + Sync);

/// Identities, score events and ranked entries.
#[async_trait]
pub trait ScoreStore: Send + Sync {
    /// Inserts a new identity.
    async fn insert_identity(&self, identity: &crate::model::Identity) -> StoreResult<()>;
    /// Inserts identities in one transaction, skipping any whose (game, player_key) exists, and
    /// returns the stored identity for every given (game, player_key).
    async fn insert_identities(
        &self,
        identities: &[crate::model::Identity],
    ) -> StoreResult<Vec<crate::model::Identity>>;
    /// An identity by id.
    async fn get_identity(&self, id: crate::id::IdentityId) -> StoreResult<Option<crate::model::Identity>>;
    /// The identity a game knows by `player_key`.
    async fn find_identity_by_player_key(
        &self,
        game: GameId,
        player_key: &str,
    ) -> StoreResult<Option<crate::model::Identity>>;
    /// One event.
    async fn get_score_event(&self, id: crate::id::ScoreEventId) -> StoreResult<Option<crate::model::ScoreEvent>>;
    /// A page of events.
    async fn list_score_events(
        &self,
        filter: &ScoreEventFilter,
        page: &PageRequest,
    ) -> StoreResult<Vec<crate::model::ScoreEvent>>;
    /// One entry.
    async fn get_score(&self, id: crate::id::ScoreId) -> StoreResult<Option<crate::model::Score>>;
    /// Entries by id (any order; missing ids are skipped).
    async fn get_scores(&self, ids: &[crate::id::ScoreId]) -> StoreResult<Vec<crate::model::Score>>;
    /// A page of a board's ranked (not rejected) entries in a non-rank order.
    async fn list_scores(&self, filter: &ScoreFilter, page: &PageRequest) -> StoreResult<Vec<crate::model::Score>>;
    /// In one transaction: reads the entries of `slots`, asks `plan` for the changes, appends
    /// `events` and writes the changes. Returns the plan once committed.
    async fn commit_events(
        &self,
        events: &[crate::model::ScoreEvent],
        slots: &[crate::scoring::Slot],
        plan: Planner<'_>,
    ) -> StoreResult<crate::scoring::Plan>;
    /// Streams the key material of every ranked entry; returns how many.
    async fn for_each_ranked(&self, f: &mut (dyn FnMut(RankedRow) + Send)) -> StoreResult<u64>;
    /// Streams every event in replay order (`created_at`, `id`); returns how many.
    async fn for_each_event(&self, f: &mut (dyn FnMut(crate::model::ScoreEvent) + Send)) -> StoreResult<u64>;
    /// Replaces every entry by `scores` in one transaction (rebuild).
    async fn replace_scores(&self, scores: &[crate::model::Score]) -> StoreResult<()>;
    /// Every board of every game, deleted ones included (rebuilds replay their events too).
    async fn all_boards(&self) -> StoreResult<Vec<Board>>;
    /// The live RATIO boards of a game.
    async fn ratio_boards(&self, game: GameId) -> StoreResult<Vec<Board>>;
}
