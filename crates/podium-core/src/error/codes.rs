//! The table of stable problem codes: each a snake_case string, an HTTP status and a title,
//! declared once here and listed in `docs/errors.md` (a test keeps the two in step).

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
