//! The admin resources as domain types. Each field's type admits only valid values; the
//! parsers return a stable error code (`too_long`, `invalid_format`, …) that services collect
//! into per-field validation errors.
//!
//! These entities double as the admin API's response views: internal fields (hashes, soft
//! delete markers) are `#[serde(skip)]`.

pub mod account;
pub mod activity;
pub mod anti_cheat;
pub mod api_key;
pub mod board;
pub mod client;
pub mod common;
pub mod community;
pub mod flag;
pub mod game;
pub mod identity;
pub mod score;
pub mod template;
pub mod user;

pub use account::{Account, AccountStatus};
pub use anti_cheat::AntiCheatSettings;
pub use api_key::{ApiKey, ApiKeyStatus};
pub use board::{Board, BoardType, KeepStrategy, RatioConfig, RatioDisplay, SortDirection, ZeroDenominator};
pub use client::{Device, DeviceStatus, IdentitySession};
pub use common::{Email, Name, Slug, Text};
pub use flag::{Confidence, FlagStatus, FlagType, ScoreFlag, SubmissionMeta};
pub use game::Game;
pub use identity::{Identity, IdentityKind, IdentityStatus, TrustTier};
pub use score::{EventPayload, EventStatus, Score, ScoreEvent, ScoreStatus};
pub use template::{BoardDefaults, BoardDefaultsInput, BoardTemplate, Pattern, PeriodLabels, Schedule, TimeZone};
pub use user::User;
