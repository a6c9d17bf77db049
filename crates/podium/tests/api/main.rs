//! Black-box tests through the real router: every request goes through the same middleware,
//! extractors, services and store as in production. Each test gets a fresh database (SQLite by
//! default; PostgreSQL when `PODIUM_TEST_BACKEND=postgres`).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

mod conformance;
mod helpers;

mod accounts;
mod activity;
mod anticheat;
mod api_keys;
mod boards;
mod client;
mod community_bans;
mod community_categories;
mod community_leaderboards;
mod community_members;
mod community_rankings;
mod community_runs;
mod community_variables;
mod compat_leadr;
mod conventions;
mod games;
mod operations;
mod process;
mod scores;
mod several_nodes;
mod shared_state;
mod templates;
mod users;
