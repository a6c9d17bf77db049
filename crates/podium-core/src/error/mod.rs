//! One error type per layer, and the one table of codes a client can see.
//!
//! Every failure a client can see is an [`ErrorCode`]: a stable snake_case string, an HTTP
//! status and a title. The store layer fails with a [`StoreError`]; services fail with a
//! [`ServiceError`] (a code, a safe detail, per-field [`FieldErrors`]). The HTTP layer turns a
//! [`ServiceError`] into `application/problem+json` without deciding anything itself, and
//! `docs/errors.md` lists [`ErrorCode::ALL`] (a test keeps the two in step).

mod codes;
mod service;
mod store;

pub use codes::{ErrorCode, FieldCode};
pub use service::{FieldErrors, ServiceError, ServiceResult};
pub use store::{StoreError, StoreResult};
