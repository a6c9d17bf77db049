//! Storage traits of the community surface: members and their tokens, leaderboards and their
//! moderators, categories, variables, runs with their participations and judgements, and bans.
//! Every cascade the contract names (a ban, deleting a category, an account, a variable or a
//! value) is one method, so one transaction.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::StoreResult;
use crate::id::{
    BanId, CategoryId, JudgementId, LeaderboardId, MemberId, ModshipId, ParticipationId, RunId, VariableId,
    VariableValueId,
};
use crate::model::community::{
    Ban, Category, Judgement, Leaderboard, Member, Metric, Modship, Participation, Run, RunStatus, Variable,
};
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
    /// Deletes an account (soft) and, in the same transaction, every token, modship and
    /// participation of it (the statuses of its runs follow); the name and the e-mail address
    /// become free again. Returns the runs it took part in.
    async fn delete_member(&self, id: MemberId, at: DateTime<Utc>) -> StoreResult<Vec<RunId>>;
    /// Stores a new token.
    async fn insert_member_token(&self, token: &MemberToken) -> StoreResult<()>;
    /// The live member a live token belongs to, and when the token expires.
    async fn member_by_token(&self, hash: &str, now: DateTime<Utc>) -> StoreResult<Option<(Member, DateTime<Utc>)>>;
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
    /// otherwise, `Conflict { constraint: "metric_in_use" }` when a metric that runs use
    /// changes kind or sort or goes.
    async fn update_category(&self, category: &Category, read_at: DateTime<Utc>) -> StoreResult<()>;
    /// Deletes a category, its metrics, its runs (with everything they hold), its variable
    /// assignments and the variables that were assigned to it alone (hard), in one
    /// transaction; `NotFound` when absent.
    async fn delete_category(&self, id: CategoryId) -> StoreResult<()>;
}

/// What a variable edit does to the runs, in the same transaction as the edit.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RunEdits {
    /// Defaults to fill: each category's runs that give no value of the variable get this one.
    pub fill: Vec<(CategoryId, VariableValueId)>,
    /// Deleted values: runs that used the first take the second, or lose the value when
    /// `None` — refused with `Conflict { constraint: "value_in_use" }` when runs use it and the
    /// variable is required in their category.
    pub replace: Vec<(VariableValueId, Option<VariableValueId>)>,
}

/// Variables, their values and their assignments to categories. Runs of a category the
/// variable leaves lose their value of it in the same transaction.
#[async_trait]
pub trait VariableStore: Send + Sync {
    /// Inserts a variable with its values and assignments, and fills the defaults of
    /// `edits`, in one transaction; `Conflict { constraint: "slug" }` when its leaderboard has
    /// a variable with the slug.
    async fn insert_variable(&self, variable: &Variable, edits: &RunEdits) -> StoreResult<()>;
    /// A variable with its values (in order) and assignments.
    async fn get_variable(&self, id: VariableId) -> StoreResult<Option<Variable>>;
    /// The variable a value belongs to.
    async fn variable_of_value(&self, value: VariableValueId) -> StoreResult<Option<Variable>>;
    /// The variables assigned to a category, by creation.
    async fn variables_of(&self, category: CategoryId) -> StoreResult<Vec<Variable>>;
    /// Writes a variable and replaces its values and assignments with the given ones (ids
    /// kept), applies `edits` and clears the values of runs in categories it left, in one
    /// transaction; a variable left with no assignment is deleted instead. Only
    /// if it is unchanged since the copy read at `read_at` (its `updated_at`): `Conflict {
    /// constraint: "stale" }` otherwise, and `Conflict { constraint: "reference" }` when an
    /// assignment names a category deleted meanwhile.
    async fn update_variable(&self, variable: &Variable, read_at: DateTime<Utc>, edits: &RunEdits) -> StoreResult<()>;
    /// Deletes a variable with its values and assignments (hard), and clears it from every
    /// run; `NotFound` when absent.
    async fn delete_variable(&self, id: VariableId) -> StoreResult<()>;
}

/// Whose runs a list reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunScope {
    /// One category's.
    Category(CategoryId),
    /// Every category's of one leaderboard (the moderation queue).
    Leaderboard(LeaderboardId),
}

/// What a run list selects: a category's (or a leaderboard's) runs, optionally of one status
/// and with given variable values (for each variable, any of its listed values).
#[derive(Debug, Clone)]
pub struct RunFilter {
    /// Whose runs.
    pub scope: RunScope,
    /// Only runs of this status.
    pub status: Option<RunStatus>,
    /// For each variable, the values a run may have.
    pub variables: Vec<(VariableId, Vec<VariableValueId>)>,
}

/// A run to insert with everything [`RunStore::insert_run`] takes.
#[derive(Debug, Clone)]
pub struct NewRun {
    /// The run.
    pub run: Run,
    /// One participation per runner, the submitter's filled.
    pub participations: Vec<Participation>,
    /// The category's metrics (the must-improve rule compares by them).
    pub metrics: Vec<Metric>,
    /// The category's `updated_at` the run was checked against.
    pub category_read_at: DateTime<Utc>,
}

/// Runs, their participations and their judgements.
#[async_trait]
pub trait RunStore: Send + Sync {
    /// Inserts a run with its runners, participations, values and metrics, in one transaction
    /// that first locks its category and its runners' rows — `Conflict { constraint:
    /// "reference" }` when a runner's account is deleted, `Conflict { constraint:
    /// "submitter_banned" }` when the submitter is banned site-wide or on the leaderboard,
    /// `Conflict { constraint: "runner_banned" }` when another runner is — and then checks the
    /// stored runs of the same category and runner set: `Conflict { constraint: "identical" }`
    /// when one gives the same values,
    /// `Conflict { constraint: "not_an_improvement" }` when a non-rejected one with the same
    /// variable values is not beaten (`Run::beats` by `metrics`). `NotFound` when the category
    /// is gone, `Conflict { constraint: "stale" }` when the category's `updated_at` (bumped by
    /// its edits and by every edit of a variable assigned to it) differs from `category_read_at`,
    /// the version the run was checked against.
    async fn insert_run(
        &self,
        run: &Run,
        participations: &[Participation],
        metrics: &[Metric],
        category_read_at: DateTime<Utc>,
    ) -> StoreResult<()>;
    /// Inserts runs as [`RunStore::insert_run`] does, in one transaction (group commit: one
    /// fsync for the batch), checked in order so each run sees the accepted ones before it:
    /// each run gets its own answer, and a refused run leaves nothing behind while the others
    /// commit. `Err` when the batch itself failed (nothing of it was written).
    async fn insert_runs(&self, runs: &[NewRun]) -> StoreResult<Vec<StoreResult<()>>>;
    /// A run.
    async fn get_run(&self, id: RunId) -> StoreResult<Option<Run>>;
    /// A page of runs, newest submission first by default.
    async fn list_runs(&self, filter: &RunFilter, page: &PageRequest) -> StoreResult<Vec<Run>>;
    /// How many runs of a leaderboard have `status`, per category (categories with none left
    /// out).
    async fn count_runs(&self, leaderboard: LeaderboardId, status: RunStatus) -> StoreResult<Vec<(CategoryId, u64)>>;
    /// Every run of a category that ranks (approved), for rebuilding its rankings.
    async fn approved_runs(&self, category: CategoryId) -> StoreResult<Vec<Run>>;
    /// The ids of every category (for the start-up rebuild).
    async fn category_ids(&self) -> StoreResult<Vec<CategoryId>>;
    /// A run's participations, the submitter's first.
    async fn participations_of(&self, run: RunId) -> StoreResult<Vec<Participation>>;
    /// A participation.
    async fn get_participation(&self, id: ParticipationId) -> StoreResult<Option<Participation>>;
    /// A member's participations, newest run first; only the empty ones when `empty_only`.
    async fn member_participations(&self, member: MemberId, empty_only: bool) -> StoreResult<Vec<Participation>>;
    /// Fills an empty participation (comment, video, `filled_at`) and sets its run's status, in
    /// one transaction; `Conflict { constraint: "filled" }` when it was filled meanwhile.
    /// Returns the run as it is now.
    async fn fill_participation(&self, participation: &Participation) -> StoreResult<Run>;
    /// Records a judgement and sets its run's status, in one transaction that locks the run
    /// (stamped after the run's other judgements, so the newest is the last committed):
    /// `Conflict { constraint: "not_submitted" }` while a participation is empty, `Conflict {
    /// constraint: "runner_banned" }` when it approves a run one of whose runners is banned
    /// (site-wide or on its leaderboard). Returns the run as it is now.
    async fn insert_judgement(&self, judgement: &Judgement) -> StoreResult<Run>;
    /// A judgement.
    async fn get_judgement(&self, id: JudgementId) -> StoreResult<Option<Judgement>>;
    /// A run's judgements, oldest first.
    async fn judgements_of(&self, run: RunId) -> StoreResult<Vec<Judgement>>;
}

/// Bans.
#[async_trait]
pub trait BanStore: Send + Sync {
    /// Records a ban and its cascade, in one transaction: every run of the member (on the
    /// ban's leaderboard, or everywhere for a site ban) that is not already rejected gets a
    /// rejecting judgement by the banner with `note`; a site ban also removes every modship
    /// and token of the member. Returns the runs it rejected.
    async fn insert_ban(&self, ban: &Ban, note: &str) -> StoreResult<Vec<RunId>>;
    /// A ban.
    async fn get_ban(&self, id: BanId) -> StoreResult<Option<Ban>>;
    /// Bans, newest first, of a member and/or on a leaderboard (`Some(None)`: site bans
    /// only), in force only unless `include_lifted`.
    async fn list_bans(
        &self,
        member: Option<MemberId>,
        leaderboard: Option<Option<LeaderboardId>>,
        include_lifted: bool,
        page: &PageRequest,
    ) -> StoreResult<Vec<Ban>>;
    /// The bans in force on a member.
    async fn active_bans(&self, member: MemberId) -> StoreResult<Vec<Ban>>;
    /// Lifts a ban in force (`lifted_at`, `lifted_by`); `Conflict { constraint: "lifted" }`
    /// when it already was. Runs and modships stay as they are.
    async fn lift_ban(&self, id: BanId, by: MemberId, at: DateTime<Utc>) -> StoreResult<Ban>;
}
