//! Variables (platform, version, …): a leaderboard's named choices, each with two or more
//! values, assigned to some of its categories with per-category `required` and `obsoleting`
//! flags.

use std::fmt;

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::error::FieldCode;
use crate::id::{CategoryId, LeaderboardId, VariableId, VariableValueId};
use crate::model::{Name, Slug};

/// A variable's slug: two or more lowercase letters, with single underscores between them
/// (`platform`, `game_version`), at most 64 characters. Filters name variables by it
/// (`var.platform=pc`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VariableSlug(String);

impl VariableSlug {
    /// Validates a slug as given.
    pub fn parse(s: &str) -> Result<Self, FieldCode> {
        if s.is_empty() {
            return Err(FieldCode::Blank);
        }
        if s.len() > 64 {
            return Err(FieldCode::TooLong);
        }
        let letters = s.bytes().filter(u8::is_ascii_lowercase).count();
        let shape = s.bytes().all(|b| b.is_ascii_lowercase() || b == b'_')
            && !s.starts_with('_')
            && !s.ends_with('_')
            && !s.contains("__");
        if !shape || letters < 2 {
            return Err(FieldCode::InvalidFormat);
        }
        Ok(Self(s.to_owned()))
    }

    /// Derives a slug from a name: ASCII letters lowercased, anything else between them one
    /// underscore; `fallback` when fewer than two letters are left.
    pub fn from_name(name: &str, fallback: &str) -> Self {
        let mut out = String::new();
        for c in name.chars() {
            if c.is_ascii_alphabetic() {
                out.push(c.to_ascii_lowercase());
            } else if !out.is_empty() && !out.ends_with('_') {
                out.push('_');
            }
        }
        let mut out = out.trim_end_matches('_').to_owned();
        out.truncate(64);
        let out = out.trim_end_matches('_').to_owned();
        Self::parse(&out).unwrap_or_else(|_| Self(fallback.to_owned()))
    }

    /// The slug.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Wraps a slug read back from the store.
    pub fn from_trusted(s: String) -> Self {
        Self(s)
    }
}

impl fmt::Display for VariableSlug {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl Serialize for VariableSlug {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

impl utoipa::PartialSchema for VariableSlug {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .pattern(Some("^[a-z]+(_[a-z]+)*$"))
            .max_length(Some(64))
            .into()
    }
}
impl utoipa::ToSchema for VariableSlug {}

/// One value of a variable; also its wire view.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct VariableValue {
    /// `val_…`
    pub id: VariableValueId,
    /// The variable.
    pub variable_id: VariableId,
    /// Display name, 1–100 characters.
    pub name: Name,
    /// Unique in its variable (`a-z`, `0-9`, single inner hyphens); filters use it.
    pub slug: Slug,
}

/// A variable's place in one category.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Assignment {
    /// The category.
    pub category_id: CategoryId,
    /// Every run of the category must give a value.
    pub required: bool,
    /// Runs with different values rank apart (and do not obsolete each other).
    pub obsoleting: bool,
}

/// A variable with its values (in order) and its assignments; also its wire view.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Variable {
    /// `var_…`
    pub id: VariableId,
    /// The leaderboard whose categories it is assigned to.
    pub leaderboard_id: LeaderboardId,
    /// Display name, 1–100 characters.
    pub name: Name,
    /// Unique in its leaderboard.
    pub slug: VariableSlug,
    /// Two or more values.
    pub values: Vec<VariableValue>,
    /// The categories it is assigned to (at least one).
    pub categories: Vec<Assignment>,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn variable_slugs_are_lowercase_letters_with_single_underscores() {
        for ok in ["pc", "platform", "game_version", "a_b"] {
            assert!(VariableSlug::parse(ok).is_ok(), "{ok}");
        }
        for bad in ["p", "Platform", "_pc", "pc_", "a__b", "v2", "game-version", "a_"] {
            assert!(VariableSlug::parse(bad).is_err(), "{bad}");
        }
        assert_eq!(VariableSlug::from_name("Game Version 2", "variable").as_str(), "game_version");
        assert_eq!(VariableSlug::from_name("64", "variable").as_str(), "variable");
    }
}
