//! The service layer's error: a code, a detail that is safe to show, per-field validation
//! errors, collected rather than failing at the first so a client learns everything wrong
//! with a request in one answer (`errors: {field: [code, …]}`).

use std::collections::BTreeMap;

use super::{ErrorCode, FieldCode};

/// A failure of a service call: a code, a safe detail for the client, and for validation
/// failures the per-field errors.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{code:?}: {detail}{}", cause.as_deref().map(|c| format!(" (cause: {c})")).unwrap_or_default())]
pub struct ServiceError {
    /// The stable code.
    pub code: ErrorCode,
    /// A human-readable explanation that is safe to show to the caller.
    pub detail: String,
    /// Per-field errors (validation failures only).
    pub errors: Option<FieldErrors>,
    /// The detections behind an anti-cheat refusal.
    pub detections: Option<Box<serde_json::Value>>,
    /// What really went wrong, for the log only — never sent to the caller (a backend's
    /// message can name hosts, tables or values).
    pub cause: Option<String>,
    /// For a refusal that passes with time (`rate_limited`): whole seconds to wait (at least
    /// 1), answered as `Retry-After`. Seconds in a `u32` keep the error small.
    pub retry_after: Option<u32>,
}

/// Shorthand for service results.
pub type ServiceResult<T> = Result<T, ServiceError>;

impl ServiceError {
    /// An error with a code and a detail.
    pub fn new(code: ErrorCode, detail: impl Into<String>) -> Self {
        Self { code, detail: detail.into(), errors: None, detections: None, cause: None, retry_after: None }
    }

    /// Says how long until the refused request may succeed (answered as `Retry-After`).
    pub fn retry_after(mut self, wait: std::time::Duration) -> Self {
        self.retry_after = Some(wait.as_secs_f64().ceil().clamp(1.0, f64::from(u32::MAX)) as u32);
        self
    }

    /// Keeps `cause` as the internal reason (logged where the error is answered, never shown).
    pub fn caused_by(mut self, cause: impl Into<String>) -> Self {
        self.cause = Some(cause.into());
        self
    }

    /// 404 `not_found` for a resource kind.
    pub fn not_found(what: &str) -> Self {
        Self::new(ErrorCode::NotFound, format!("{what} not found"))
    }

    /// 422 with the given field errors.
    pub fn validation(errors: FieldErrors) -> Self {
        Self {
            code: ErrorCode::ValidationFailed,
            detail: "one or more fields are invalid".into(),
            errors: Some(errors),
            detections: None,
            cause: None,
            retry_after: None,
        }
    }

    /// 422 for a single field.
    pub fn field(field: &str, code: FieldCode) -> Self {
        Self::validation(FieldErrors::single(field, code))
    }

    /// 403 `forbidden`.
    pub fn forbidden(detail: impl Into<String>) -> Self {
        Self::new(ErrorCode::Forbidden, detail)
    }

    /// 401 `unauthorized`.
    pub fn unauthorized(detail: impl Into<String>) -> Self {
        Self::new(ErrorCode::Unauthorized, detail)
    }
}

/// Field name → list of stable error codes (`required`, `too_long`, `invalid_format`, …).
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct FieldErrors(BTreeMap<String, Vec<FieldCode>>);

impl FieldErrors {
    /// No errors yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// One error on one field.
    pub fn single(field: impl Into<String>, code: FieldCode) -> Self {
        let mut e = Self::new();
        e.add(field, code);
        e
    }

    /// Records `code` against `field`.
    pub fn add(&mut self, field: impl Into<String>, code: FieldCode) {
        self.0.entry(field.into()).or_default().push(code);
    }

    /// Parses a field that must be present: `required` when it is absent, else the parser's
    /// code when it is invalid; returns the value if valid.
    pub fn parse_required<T>(
        &mut self,
        field: &str,
        given: Option<&str>,
        parse: impl FnOnce(&str) -> Result<T, FieldCode>,
    ) -> Option<T> {
        match given {
            None => {
                self.add(field, FieldCode::Required);
                None
            }
            Some(text) => self.check(field, parse(text)),
        }
    }

    /// Runs a parser and records its error code against `field`; returns the value if valid.
    pub fn check<T>(&mut self, field: &str, result: Result<T, FieldCode>) -> Option<T> {
        match result {
            Ok(v) => Some(v),
            Err(code) => {
                self.add(field, code);
                None
            }
        }
    }

    /// True when nothing was recorded.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// `Ok(())` when empty, else a validation error carrying these fields.
    pub fn into_result(self) -> Result<(), ServiceError> {
        if self.is_empty() { Ok(()) } else { Err(ServiceError::validation(self)) }
    }

    /// The recorded errors.
    pub fn fields(&self) -> &BTreeMap<String, Vec<FieldCode>> {
        &self.0
    }
}
