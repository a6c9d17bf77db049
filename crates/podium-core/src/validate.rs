//! Per-field validation errors, collected rather than failing at the first, so a client learns
//! everything wrong with a request in one answer (`errors: {field: [code, …]}`).

use std::collections::BTreeMap;

/// Field name → list of stable error codes (`required`, `too_long`, `invalid_format`, …).
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct FieldErrors(BTreeMap<String, Vec<String>>);

impl FieldErrors {
    /// No errors yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// One error on one field.
    pub fn single(field: impl Into<String>, code: impl Into<String>) -> Self {
        let mut e = Self::new();
        e.add(field, code);
        e
    }

    /// Records `code` against `field`.
    pub fn add(&mut self, field: impl Into<String>, code: impl Into<String>) {
        self.0.entry(field.into()).or_default().push(code.into());
    }

    /// Runs a parser and records its error code against `field`; returns the value if valid.
    pub fn check<T>(&mut self, field: &str, result: Result<T, &'static str>) -> Option<T> {
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
    pub fn into_result(self) -> Result<(), crate::ServiceError> {
        if self.is_empty() { Ok(()) } else { Err(crate::ServiceError::validation(self)) }
    }

    /// The recorded errors.
    pub fn fields(&self) -> &BTreeMap<String, Vec<String>> {
        &self.0
    }
}
