//! `application/problem+json` (RFC 9457): the one shape every error takes on the wire.

use std::collections::BTreeMap;

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use podium_core::error::{ErrorCode, ServiceError};
use serde::Serialize;

/// The problem document.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Problem {
    /// A URI naming the problem type: `urn:podium:error:<code>`.
    #[serde(rename = "type")]
    pub type_uri: String,
    /// A short summary of the problem type.
    pub title: String,
    /// The HTTP status.
    pub status: u16,
    /// What went wrong in this case.
    pub detail: String,
    /// The stable machine-readable code (see docs/errors.md).
    pub code: String,
    /// For validation failures: each field and its error codes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub errors: Option<BTreeMap<String, Vec<String>>>,
    /// For anti-cheat refusals: each detection that fired, with its evidence.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detections: Option<serde_json::Value>,
}

/// An error answered as a problem document.
#[derive(Debug)]
pub struct ApiError(pub ServiceError);

impl ApiError {
    /// An error with a code and detail.
    pub fn new(code: ErrorCode, detail: impl Into<String>) -> Self {
        Self(ServiceError::new(code, detail))
    }
}

impl From<ServiceError> for ApiError {
    fn from(e: ServiceError) -> Self {
        Self(e)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let code = self.0.code;
        let status = StatusCode::from_u16(code.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        // Logged once, here, where the error is answered; the cause never reaches the client.
        if let Some(cause) = &self.0.cause {
            tracing::error!(code = code.as_str(), error = %cause, "request failed");
        }
        let retry_after = self.0.retry_after;
        let problem = Problem {
            type_uri: format!("urn:podium:error:{}", code.as_str()),
            title: code.title().to_owned(),
            status: status.as_u16(),
            detail: self.0.detail,
            code: code.as_str().to_owned(),
            errors: self.0.errors.map(|e| {
                e.fields()
                    .iter()
                    .map(|(f, codes)| (f.clone(), codes.iter().map(|c| c.as_str().to_owned()).collect()))
                    .collect()
            }),
            detections: self.0.detections.map(|d| *d),
        };
        let body = serde_json::to_vec(&problem).unwrap_or_default();
        let mut response = (status, body).into_response();
        response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/problem+json"));
        if let Some(secs) = retry_after {
            response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        response
    }
}

/// Result of a handler.
pub type ApiResult<T> = Result<T, ApiError>;
