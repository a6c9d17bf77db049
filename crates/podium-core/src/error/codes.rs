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
    MemberBanned => ("member_banned", 403, "The member is banned from the site or from this leaderboard"),
    OwnRun => ("own_run", 403, "A member never judges a run they take part in"),
    RejectedByAntiCheat => ("rejected_by_anti_cheat", 403, "Anti-cheat refused the submission"),
    NotFound => ("not_found", 404, "No such resource"),
    MethodNotAllowed => ("method_not_allowed", 405, "The method is not allowed on this path"),
    Conflict => ("conflict", 409, "The request conflicts with an existing resource"),
    SlugTaken => ("slug_taken", 409, "The slug is already in use"),
    EmailTaken => ("email_taken", 409, "The email address is already in use"),
    NameTaken => ("name_taken", 409, "Another member has this name (compared ignoring case)"),
    MetricInUse => ("metric_in_use", 409, "Runs use the metric, so its kind and sort cannot change"),
    DuplicateRun => ("duplicate_run", 409, "An identical run (same runners, variables and metrics) exists"),
    NotAnImprovement => ("not_an_improvement", 409, "The run does not beat an existing run of the same runners and variables"),
    RunnerBanned => ("runner_banned", 409, "A runner is banned from the site or from this leaderboard"),
    RunNotSubmitted => ("run_not_submitted", 409, "The run still has an empty participation"),
    ParticipationFilled => ("participation_filled", 409, "The participation is already filled in"),
    BanLifted => ("ban_lifted", 409, "The ban was already lifted"),
    BoardClosed => ("board_closed", 409, "The board is inactive, not yet started or ended"),
    NonceRequired => ("nonce_required", 412, "This call needs a leadr-client-nonce header"),
    NonceInvalid => ("nonce_invalid", 412, "The nonce is unknown or malformed"),
    NonceWrongDevice => ("nonce_wrong_device", 412, "The nonce was issued to another device"),
    NonceUsed => ("nonce_used", 412, "The nonce was already used"),
    NonceExpired => ("nonce_expired", 412, "The nonce has expired"),
    PayloadTooLarge => ("payload_too_large", 413, "The request body is larger than the limit"),
    UnsupportedMediaType => ("unsupported_media_type", 415, "The request body must be application/json"),
    ValidationFailed => ("validation_failed", 422, "One or more fields are invalid"),
    RateLimited => ("rate_limited", 429, "Too many requests (or failed logins); retry after `Retry-After` seconds"),
    Internal => ("internal_error", 500, "An unexpected error occurred"),
    StoreUnavailable => ("store_unavailable", 503, "The store cannot be reached"),
    ActivityElsewhere => ("activity_elsewhere", 503, "Another node writes activity scores now"),
}

macro_rules! field_codes {
    ($($variant:ident => ($code:literal, $meaning:literal),)*) => {
        /// Why one field of a request is invalid: the entries of a 422's `errors` object.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum FieldCode {
            $(
                #[doc = $meaning]
                $variant,
            )*
        }

        impl FieldCode {
            /// Every code, in the order of the documentation table.
            pub const ALL: &'static [FieldCode] = &[$(FieldCode::$variant,)*];

            /// The wire form, e.g. `too_long`.
            pub fn as_str(self) -> &'static str {
                match self { $(FieldCode::$variant => $code,)* }
            }

            /// What it means (the documentation table's text).
            pub fn meaning(self) -> &'static str {
                match self { $(FieldCode::$variant => $meaning,)* }
            }
        }
    };
}

field_codes! {
    Required => ("required", "The field is missing"),
    NullNotAllowed => ("null_not_allowed", "The field cannot be cleared with null"),
    UnknownField => ("unknown_field", "The body has a field this request does not take"),
    InvalidType => ("invalid_type", "The value has the wrong JSON type"),
    InvalidEnum => ("invalid_enum", "The value is not one of the listed values"),
    InvalidFormat => ("invalid_format", "The text does not have the documented shape (slug, e-mail, fingerprint, …)"),
    InvalidId => ("invalid_id", "The value is not an ID of the expected kind"),
    InvalidValue => ("invalid_value", "The value is not allowed here"),
    InvalidCharacters => ("invalid_characters", "The text holds control or other forbidden characters"),
    Blank => ("blank", "The text is empty after trimming"),
    TooShort => ("too_short", "The text is shorter than the minimum"),
    TooLong => ("too_long", "The text is longer than the maximum"),
    PasswordFormat => ("password_format", "The password lacks a lowercase letter, an uppercase letter or a digit"),
    ConfirmationMismatch => ("confirmation_mismatch", "The confirmation differs from the password"),
    TooMany => ("too_many", "The list has more items than the maximum"),
    TooFew => ("too_few", "The list has fewer items than the minimum"),
    Duplicate => ("duplicate", "The value appears twice where each must be unique"),
    NoRequiredMetric => ("no_required_metric", "A category needs at least one required metric"),
    TooLarge => ("too_large", "The value (or its serialised form) is larger than the maximum"),
    OutOfRange => ("out_of_range", "The number is outside the allowed range"),
    NotFinite => ("not_finite", "The number is NaN or infinite"),
    InPast => ("in_past", "The time must be in the future"),
    InFuture => ("in_future", "The date is later than the latest one allowed"),
    NotInCategory => ("not_in_category", "The variable, value or metric does not belong to the run's category"),
    NotAfterStartsAt => ("not_after_starts_at", "`ends_at` must be after `starts_at`"),
    LessThanMinValue => ("less_than_min_value", "`max_value` must not be below `min_value`"),
    InvalidForBoardType => ("invalid_for_board_type", "The field does not apply to this board type"),
    NotACounterBoard => ("not_a_counter_board", "A RATIO board's sources must be COUNTER boards"),
    SameAsNumerator => ("same_as_numerator", "A RATIO board's denominator must differ from its numerator"),
    NotFound => ("not_found", "The referenced resource does not exist or cannot be seen"),
    DoesNotMatchGame => ("does_not_match_game", "The referenced resource belongs to another game"),
    DoesNotMatchUser => ("does_not_match_user", "The referenced resource belongs to another user"),
    ExclusiveWithIdentityId => ("exclusive_with_identity_id", "Give `identity_id` or `player_key`, not both"),
    UnknownPlaceholder => ("unknown_placeholder", "The pattern has a `{…}` that is not one of the documented placeholders"),
    NotForTemplates => ("not_for_templates", "Templates stamp out RUN_IDENTITY, RUN_RUNS and COUNTER boards, not RATIO ones"),
}

impl serde::Serialize for FieldCode {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl std::fmt::Display for FieldCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}
