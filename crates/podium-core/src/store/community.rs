//! Storage traits of the community surface: members and their tokens today; leaderboards,
//! categories, variables, runs, judgements and bans join them here.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::StoreResult;
use crate::id::{CategoryId, LeaderboardId, MemberId, ModshipId, VariableId, VariableValueId};
use crate::model::community::{Category, Leaderboard, Member, Modship, Variable};
use crate::page::PageRequest;

/// What a login checks: the member and their password hash.
#[derive(Debug, Clone)]
pub struct MemberLogin {
    /// The member.
    pub member: Member,
    /// The PHC string of their Argon2id hash.
    pub password_hash: String,
}

/// A member's bearer token, stored by the SHA-256 of its text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemberToken {
    /// Hex SHA-256 of the token.
    pub hash: String,
    /// Whose it is.
    pub member_id: MemberId,
    /// When it was issued.
    pub created_at: DateTime<Utc>,
    /// When it stops being accepted.
    pub expires_at: DateTime<Utc>,
}

/// Members and their tokens.
#[async_trait]
pub trait MemberStore: Send + Sync {
    /// Inserts a member; `Conflict { constraint: "name_key" | "email" }` when the name (ignoring
    /// case) or the e-mail address is taken by a live member.
    async fn insert_member(&self, member: &Member, password_hash: &str) -> StoreResult<()>;
    /// A live member by id.
    async fn get_member(&self, id: MemberId) -> StoreResult<Option<Member>>;
    /// A live member by name key (the lowercased name).
    async fn member_by_name(&self, name_key: &str) -> StoreResult<Option<Member>>;
    /// A live member and their hash by name key or e-mail address (both lowercased).
    async fn member_login(&self, name_key_or_email: &str) -> StoreResult<Option<MemberLogin>>;
    /// Writes a member's `about` (and `updated_at`) only, so that it never undoes a role
    /// change made meanwhile.
    async fn set_member_about(&self, id: MemberId, about: &str, at: DateTime<Utc>) -> StoreResult<()>;
    /// Writes a member's site-admin role (and `updated_at`) only.
    async fn set_member_admin(&self, id: MemberId, admin: bool, at: DateTime<Utc>) -> StoreResult<()>;
    /// Deletes an account (soft) and, in the same transaction, every token and every modship
    /// of it; the name and the e-mail address become free again.
    async fn delete_member(&self, id: MemberId, at: DateTime<Utc>) -> StoreResult<()>;
    /// Stores a new token.
    async fn insert_member_token(&self, token: &MemberToken) -> StoreResult<()>;
    /// The live member a live token belongs to.
    async fn member_by_token(&self, hash: &str, now: DateTime<Utc>) -> StoreResult<Option<Member>>;
    /// Deletes a token (logout).
    async fn delete_member_token(&self, hash: &str) -> StoreResult<()>;
}

/// Leaderboards and their moderators.
#[async_trait]
pub trait LeaderboardStore: Send + Sync {
    /// Inserts a leaderboard; `Conflict { constraint: "slug" }` when the slug is taken.
    async fn insert_leaderboard(&self, leaderboard: &Leaderboard) -> StoreResult<()>;
    /// A leaderboard by id.
    async fn get_leaderboard(&self, id: LeaderboardId) -> StoreResult<Option<Leaderboard>>;
    /// A leaderboard by slug.
    async fn leaderboard_by_slug(&self, slug: &str) -> StoreResult<Option<Leaderboard>>;
    /// Writes name, slug, rules and updated_at, only if unchanged since the copy read at
    /// `read_at`; `Conflict { constraint: "stale" }` otherwise, `Conflict { constraint: "slug" }`
    /// on a clash.
    async fn update_leaderboard(&self, leaderboard: &Leaderboard, read_at: DateTime<Utc>) -> StoreResult<()>;
    /// A page of leaderboards.
    async fn list_leaderboards(&self, page: &PageRequest) -> StoreResult<Vec<Leaderboard>>;
    /// Inserts a modship; `Conflict { constraint: "modship" }` when the member already
    /// moderates the leaderboard.
    async fn insert_modship(&self, modship: &Modship) -> StoreResult<()>;
    /// A modship by id.
    async fn get_modship(&self, id: ModshipId) -> StoreResult<Option<Modship>>;
    /// The modship of a member on a leaderboard, if any.
    async fn modship_of(&self, member: MemberId, leaderboard: LeaderboardId) -> StoreResult<Option<Modship>>;
    /// Deletes a modship (hard); `NotFound` when there is none.
    async fn delete_modship(&self, id: ModshipId) -> StoreResult<()>;
    /// The live members who moderate a leaderboard, by appointment time.
    async fn moderators_of(&self, leaderboard: LeaderboardId) -> StoreResult<Vec<Member>>;
    /// The leaderboards a member moderates, by appointment time.
    async fn moderated_by(&self, member: MemberId) -> StoreResult<Vec<Leaderboard>>;
}

/// Categories and their metrics.
#[async_trait]
pub trait CategoryStore: Send + Sync {
    /// Inserts a category with its metrics, in one transaction; `Conflict { constraint:
    /// "slug" }` when its leaderboard has a category with the slug.
    async fn insert_category(&self, category: &Category) -> StoreResult<()>;
    /// A category with its metrics in order.
    async fn get_category(&self, id: CategoryId) -> StoreResult<Option<Category>>;
    /// The categories of a leaderboard, by creation, with their metrics.
    async fn categories_of(&self, leaderboard: LeaderboardId) -> StoreResult<Vec<Category>>;
    /// Writes a category and replaces its metrics with the given list (kept ids updated, new
    /// ones inserted, the others deleted), in one transaction — only if it is unchanged since
    /// the copy read at `read_at` (its `updated_at`): `Conflict { constraint: "stale" }`
    /// otherwise.
    async fn update_category(&self, category: &Category, read_at: DateTime<Utc>) -> StoreResult<()>;
    /// Deletes a category, its metrics, its variable assignments and the variables that were
    /// assigned to it alone (hard), in one transaction; `NotFound` when absent.
    async fn delete_category(&self, id: CategoryId) -> StoreResult<()>;
}

/// Variables, their values and their assignments to categories.
#[async_trait]
pub trait VariableStore: Send + Sync {
    /// Inserts a variable with its values and assignments, in one transaction; `Conflict {
    /// constraint: "slug" }` when its leaderboard has a variable with the slug.
    async fn insert_variable(&self, variable: &Variable) -> StoreResult<()>;
    /// A variable with its values (in order) and assignments.
    async fn get_variable(&self, id: VariableId) -> StoreResult<Option<Variable>>;
    /// The variable a value belongs to.
    async fn variable_of_value(&self, value: VariableValueId) -> StoreResult<Option<Variable>>;
    /// The variables assigned to a category, by creation.
    async fn variables_of(&self, category: CategoryId) -> StoreResult<Vec<Variable>>;
    /// Writes a variable and replaces its values and assignments with the given ones (ids
    /// kept), in one transaction; a variable left with no assignment is deleted instead. Only
    /// if it is unchanged since the copy read at `read_at` (its `updated_at`): `Conflict {
    /// constraint: "stale" }` otherwise, and `Conflict { constraint: "reference" }` when an
    /// assignment names a category deleted meanwhile.
    async fn update_variable(&self, variable: &Variable, read_at: DateTime<Utc>) -> StoreResult<()>;
    /// Deletes a variable with its values and assignments (hard); `NotFound` when absent.
    async fn delete_variable(&self, id: VariableId) -> StoreResult<()>;
}
