//! podium's domain: the types that cannot hold invalid values, the rules that govern them, the
//! services the HTTP layer calls, and the storage traits the backends implement.
//!
//! This crate performs no I/O of its own: it never sees axum or sqlx. Everything that touches
//! the outside world is reached through the traits in [`store`], so the same services and the
//! same contract tests run on every backend.

pub mod activity;
pub mod anticheat;
pub mod auth;
pub mod batch;
pub mod cache;
pub mod error;
pub mod id;
pub mod model;
pub mod page;
pub mod ranking;
pub mod scoring;
pub mod service;
pub mod shared;
pub mod store;
pub mod time;

pub use error::{ServiceError, ServiceResult};
