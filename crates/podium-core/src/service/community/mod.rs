//! The community site (community spec): members and roles — registration, login with limits,
//! bearer tokens, `me`, account deletion, the owner appointing site admins — and leaderboards
//! with their moderators, categories with their metrics, variables with their values.
//! Leaderboards, categories, variables, runs, judgements and bans take their files beside
//! these, one `impl Community` block per file.
//!
//! Member tokens are random prefixed secrets (`pcm_…`) stored as SHA-256 hashes with an
//! expiry. The member behind a token is read from the store and kept for a few seconds
//! ([`CACHE_TTL`](crate::service::CACHE_TTL), never past the token's expiry); every change to a
//! member — a logout, a role or profile change, a site ban, a deleted account — is published
//! on the change feed and forgets that member's cached tokens, so it applies to existing
//! tokens at once.

mod bans;
mod categories;
mod judgements;
mod leaderboards;
mod members;
mod passwords;
mod rankings;
mod runs;
mod variables;
mod writer;

use std::sync::Arc;
use std::time::Duration;

pub use bans::{BanQuery, GiveBan};
pub use categories::{CreateCategory, MetricInput, UpdateCategory};
pub use judgements::{Judge, JudgementOutcome};
pub use leaderboards::{AppointModerator, CreateLeaderboard, UpdateLeaderboard};
pub use members::{Login, MeView, MemberTokens, MemberView, Register, UpdateMe};
pub use passwords::Passwords;
pub use rankings::{QueueView, RankedRunView, RankingQuery, RecordView};
pub use runs::{FillParticipation, ParticipationInput, RunQuery, RunView, RunnerView, SubmitRun};
pub use variables::{AssignVariable, CreateVariable, UpdateValue, UpdateVariable, ValueInput};

use crate::error::ServiceResult;
use crate::model::community::Member;
use crate::ranking::community::CommunityRankings;
use crate::service::Admin;

/// Settings of the community site.
#[derive(Debug, Clone, Copy)]
pub struct CommunityConfig {
    /// How long a member token lives (default 7 days).
    pub token_ttl: Duration,
    /// Password hashes computed at once (default: the number of cores).
    pub parallel_hashes: usize,
}

impl Default for CommunityConfig {
    fn default() -> Self {
        Self {
            token_ttl: Duration::from_secs(7 * 24 * 3600),
            parallel_hashes: std::thread::available_parallelism().map_or(2, std::num::NonZeroUsize::get),
        }
    }
}

/// Who a member call acts as: the member behind a live token, read afresh on every call.
#[derive(Debug, Clone)]
pub struct MemberPrincipal {
    /// The member.
    pub member: Member,
    /// The SHA-256 of the token used (logout deletes it).
    pub token_hash: String,
}

/// The community service; cheap to clone.
#[derive(Clone)]
pub struct Community {
    admin: Admin,
    passwords: Passwords,
    config: CommunityConfig,
    /// This node's rankings (following the change feed).
    rankings: Arc<CommunityRankings>,
    /// Submissions, committed in groups.
    runs: writer::RunWriter,
    /// Members behind recently used tokens (following the change feed).
    tokens: Arc<members::TokenCache>,
}

impl Community {
    /// Starts the service over the admin service's store; its rankings follow the change feed
    /// (and are empty until [`Community::load_rankings`]).
    pub fn start(admin: Admin, config: CommunityConfig) -> ServiceResult<Self> {
        let rankings = Arc::new(CommunityRankings::default());
        admin.shared().changes.subscribe(Arc::new(rankings::RankingCopies(rankings.clone())));
        admin
            .shared()
            .changes
            .resolve_with(Arc::new(rankings::RemoteRuns { store: admin.store().clone(), rankings: rankings.clone() }));
        let tokens = Arc::new(members::TokenCache::default());
        admin.shared().changes.subscribe(tokens.clone());
        let runs = writer::spawn(admin.store().clone());
        Ok(Self { admin, passwords: Passwords::new(config.parallel_hashes)?, config, rankings, runs, tokens })
    }

    /// A category's ranking version on this node (changes with every change applied to its
    /// rankings or shape; `None` until it is indexed). A page rendered at a version can be
    /// served again while it holds.
    pub fn ranking_version(&self, category: crate::id::CategoryId) -> Option<u64> {
        self.rankings.version(category)
    }

    /// How many runs rank, over every category (for health and tests).
    pub fn ranked_runs(&self) -> usize {
        self.rankings.total()
    }

    /// The settings in force.
    pub fn config(&self) -> CommunityConfig {
        self.config
    }
}
