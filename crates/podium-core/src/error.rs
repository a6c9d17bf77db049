//! The service layer's one error type and the table of stable error codes.
//!
//! Every failure a client can see is an [`ErrorCode`]: a stable snake_case string, an HTTP
//! status and a title. The HTTP layer turns a [`ServiceError`] into `application/problem+json`
//! without deciding anything itself, and `docs/errors.md` lists [`ErrorCode::ALL`] (a test keeps
//! the two in step).

use crate::store::StoreError;
use crate::validate::FieldErrors;

macro_rules! error_codes {
    ($($variant:ident => ($code:literal, $status:literal, $title:literal),)*) => {
        /// A stable, machine-readable error code.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum ErrorCode {
            $(
                #[doc = $title]
                $variant,
            )*
        }

        impl ErrorCode {
            /// Every code, in the order of the documentation table.
            pub const ALL: &'static [ErrorCode] = &[$(ErrorCode::$variant,)*];

            /// The wire form, e.g. `not_found`.
            pub fn as_str(self) -> &'static str {
                match self { $(ErrorCode::$variant => $code,)* }
            }

            /// The HTTP status this code is answered with.
            pub fn status(self) -> u16 {
                match self { $(ErrorCode::$variant => $status,)* }
            }

            /// A short human-readable summary (the problem's `title`).
            pub fn title(self) -> &'static str {
                match self { $(ErrorCode::$variant => $title,)* }
            }
        }
    };
}

error_codes! {
    InvalidJson => ("invalid_json", 400, "The request body is not valid JSON"),
    InvalidQuery => ("invalid_query", 400, "The query string is malformed"),
    InvalidSort => ("invalid_sort", 400, "The sort parameter names an unknown field or direction"),
    InvalidCursor => ("invalid_cursor", 400, "The cursor is malformed or was tampered with"),
    CursorMismatch => ("cursor_mismatch", 400, "The cursor was issued for another sort or filter"),
    AccountIdRequired => ("account_id_required", 400, "A superadmin must name the account"),
    BoardTypeImmutable => ("board_type_immutable", 400, "A board's type cannot change after creation"),
    InvalidTransition => ("invalid_transition", 400, "The requested status change is not allowed"),
    BadRequest => ("bad_request", 400, "The request breaks a business rule"),
    BoardIdRequired => ("board_id_required", 400, "Listing scores needs a board_id"),
    RatioBoardReadOnly => ("ratio_board_read_only", 400, "A RATIO board is derived and takes no submissions"),
    AroundConflict => ("around_conflict", 400, "around_score_id, around_score_value and cursor exclude each other"),
    Unauthorized => ("unauthorized", 401, "Missing, unknown, revoked or expired credentials"),
    Forbidden => ("forbidden", 403, "The credentials do not allow this"),
    AccountSuspended => ("account_suspended", 403, "The account is suspended"),
    DeviceBanned => ("device_banned", 403, "The device or its player is banned"),
    RejectedByAntiCheat => ("rejected_by_anti_cheat", 403, "Anti-cheat refused the submission"),
    NotFound => ("not_found", 404, "No such resource"),
    MethodNotAllowed => ("method_not_allowed", 405, "The method is not allowed on this path"),
    Conflict => ("conflict", 409, "The request conflicts with an existing resource"),
    SlugTaken => ("slug_taken", 409, "The slug is already in use"),
    EmailTaken => ("email_taken", 409, "The email address is already in use"),
    BoardClosed => ("board_closed", 409, "The board is inactive, not yet started or ended"),
    NonceRequired => ("nonce_required", 412, "This call needs a leadr-client-nonce header"),
    NonceInvalid => ("nonce_invalid", 412, "The nonce is unknown or malformed"),
    NonceWrongDevice => ("nonce_wrong_device", 412, "The nonce was issued to another device"),
    NonceUsed => ("nonce_used", 412, "The nonce was already used"),
    NonceExpired => ("nonce_expired", 412, "The nonce has expired"),
    PayloadTooLarge => ("payload_too_large", 413, "The request body is larger than the limit"),
    UnsupportedMediaType => ("unsupported_media_type", 415, "The request body must be application/json"),
    ValidationFailed => ("validation_failed", 422, "One or more fields are invalid"),
    RateLimited => ("rate_limited", 429, "Too many requests from this address; retry later"),
    Internal => ("internal_error", 500, "An unexpected error occurred"),
    StoreUnavailable => ("store_unavailable", 503, "The store cannot be reached"),
}

/// A failure of a service call: a code, a safe detail for the client, and for validation
/// failures the per-field errors.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{code:?}: {detail}")]
pub struct ServiceError {
    /// The stable code.
    pub code: ErrorCode,
    /// A human-readable explanation that is safe to show to the caller.
    pub detail: String,
    /// Per-field errors (validation failures only).
    pub errors: Option<FieldErrors>,
    /// The detections behind an anti-cheat refusal.
    pub detections: Option<serde_json::Value>,
}

/// Shorthand for service results.
pub type ServiceResult<T> = Result<T, ServiceError>;

impl ServiceError {
    /// An error with a code and a detail.
    pub fn new(code: ErrorCode, detail: impl Into<String>) -> Self {
        Self { code, detail: detail.into(), errors: None, detections: None }
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
        }
    }

    /// 422 for a single field.
    pub fn field(field: &str, code: &str) -> Self {
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

impl From<StoreError> for ServiceError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound => Self::not_found("resource"),
            StoreError::Conflict { constraint } => {
                Self::new(ErrorCode::Conflict, format!("conflicts with an existing resource ({constraint})"))
            }
            StoreError::Unavailable(msg) => {
                tracing::error!(error = %msg, "store unavailable");
                Self::new(ErrorCode::StoreUnavailable, "the store cannot be reached; try again")
            }
            StoreError::Backend(msg) => {
                tracing::error!(error = %msg, "store error");
                Self::new(ErrorCode::Internal, "an unexpected error occurred")
            }
        }
    }
}
