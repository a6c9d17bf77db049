//! The store layer's error type, and how a service answers it: a conflict or a missing row
//! says what it is; an unreachable or failing backend is answered with a safe, generic detail
//! and keeps the backend's message as the internal cause, which the HTTP layer logs.

use super::{ErrorCode, ServiceError};

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

impl From<StoreError> for ServiceError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound => Self::not_found("resource"),
            StoreError::Conflict { constraint } => {
                Self::new(ErrorCode::Conflict, format!("conflicts with an existing resource ({constraint})"))
            }
            StoreError::Unavailable(msg) => {
                Self::new(ErrorCode::StoreUnavailable, "the store cannot be reached; try again").caused_by(msg)
            }
            StoreError::Backend(msg) => Self::new(ErrorCode::Internal, "an unexpected error occurred").caused_by(msg),
        }
    }
}
