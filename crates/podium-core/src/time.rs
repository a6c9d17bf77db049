//! Timestamps. Every stored time is whole microseconds since the Unix epoch in UTC, so that a
//! value read back from any backend equals the value written, and the wire form is RFC 3339.

use chrono::{DateTime, TimeZone, Utc};

/// A point in time, UTC, microsecond precision.
pub type Timestamp = DateTime<Utc>;

/// The current time, truncated to microseconds (the precision every backend stores).
pub fn now() -> Timestamp {
    from_micros(Utc::now().timestamp_micros())
}

/// Microseconds since the Unix epoch.
pub fn to_micros(t: Timestamp) -> i64 {
    t.timestamp_micros()
}

/// The inverse of [`to_micros`]; out-of-range input clamps to the epoch rather than panicking.
pub fn from_micros(micros: i64) -> Timestamp {
    Utc.timestamp_micros(micros).single().unwrap_or_default()
}

/// Truncates a timestamp given by a client to the stored precision.
pub fn truncate(t: Timestamp) -> Timestamp {
    from_micros(to_micros(t))
}

/// A calendar date as its day number (days since 1970-01-01), as stored.
pub fn to_day_number(d: chrono::NaiveDate) -> i64 {
    d.signed_duration_since(chrono::NaiveDate::default()).num_days()
}

/// A day number back to its date; `None` when out of chrono's range.
pub fn from_day_number(days: i64) -> Option<chrono::NaiveDate> {
    chrono::NaiveDate::default().checked_add_signed(chrono::TimeDelta::try_days(days)?)
}
