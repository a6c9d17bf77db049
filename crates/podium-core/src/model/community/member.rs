//! Members of the community site: their names (community spec, "Names"), their passwords'
//! rules, and the member as stored and shown.

use std::fmt;

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::error::FieldCode;
use crate::id::MemberId;
use crate::model::{Email, Text};

/// A member's name: 2–25 characters, Unicode letters and ASCII digits, with single `_`, `-`
/// or `'` between them, starting and ending with a letter or digit. Stored with its casing;
/// unique by [`MemberName::key`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemberName(String);

impl MemberName {
    /// Validates a name as given (no trimming: a name with spaces is not a name).
    pub fn parse(s: &str) -> Result<Self, FieldCode> {
        let count = s.chars().count();
        if count < 2 {
            return Err(FieldCode::TooShort);
        }
        if count > 25 {
            return Err(FieldCode::TooLong);
        }
        let word = |c: char| c.is_alphabetic() || c.is_ascii_digit();
        let joiner = |c: char| matches!(c, '_' | '-' | '\'');
        let mut previous_joiner = true; // a leading joiner is refused
        for c in s.chars() {
            if word(c) {
                previous_joiner = false;
            } else if joiner(c) && !previous_joiner {
                previous_joiner = true;
            } else {
                return Err(FieldCode::InvalidFormat);
            }
        }
        if previous_joiner {
            return Err(FieldCode::InvalidFormat);
        }
        Ok(Self(s.to_owned()))
    }

    /// The name as given.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// What uniqueness compares: the name's lowercase (Unicode), with the Greek final sigma
    /// folded to σ as case folding does (`to_lowercase` keeps ς, so "ΟΔΟΣ", "οδος" and
    /// "οδοσ" would otherwise be three names).
    pub fn key(&self) -> String {
        self.0.to_lowercase().replace('ς', "σ")
    }

    /// Wraps a name read back from the store (validated when written).
    pub fn from_trusted(s: String) -> Self {
        Self(s)
    }
}

impl fmt::Display for MemberName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl Serialize for MemberName {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

impl utoipa::PartialSchema for MemberName {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .min_length(Some(2))
            .max_length(Some(25))
            .into()
    }
}
impl utoipa::ToSchema for MemberName {}

/// A password as chosen: 8–80 characters (Unicode allowed) with at least one lowercase and one
/// uppercase letter and one digit. It never prints: `Debug` shows `***`.
#[derive(Clone)]
pub struct Password(String);

impl Password {
    /// Checks a new password against the rules (`password_format` for a missing kind of
    /// character).
    pub fn parse(s: &str) -> Result<Self, FieldCode> {
        let count = s.chars().count();
        if count < 8 {
            return Err(FieldCode::TooShort);
        }
        if count > 80 {
            return Err(FieldCode::TooLong);
        }
        let has = |f: fn(&char) -> bool| s.chars().any(|c| f(&c));
        if !(has(|c| c.is_lowercase()) && has(|c| c.is_uppercase()) && has(char::is_ascii_digit)) {
            return Err(FieldCode::PasswordFormat);
        }
        Ok(Self(s.to_owned()))
    }

    /// The password's text (for hashing only).
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password(***)")
    }
}

/// A member as stored. Shown through the service's views (the e-mail only to the member).
#[derive(Debug, Clone, PartialEq)]
pub struct Member {
    /// `mbr_…`
    pub id: MemberId,
    /// The name, with its casing.
    pub name: MemberName,
    /// The e-mail address (lowercased for uniqueness).
    pub email: Email,
    /// What the member says about themselves (up to 1 000 characters, may be empty).
    pub about: Text<1000>,
    /// A site admin.
    pub admin: bool,
    /// When the member registered.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
    /// When the account was deleted.
    pub deleted_at: Option<DateTime<Utc>>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_the_contract() {
        for ok in ["ab", "Ada_Lovelace", "o'Neil", "x-1", "Ünïcødé", "名前", "a1b2c3", "R2-D2"] {
            assert!(MemberName::parse(ok).is_ok(), "{ok}");
        }
        for (bad, code) in [
            ("a", FieldCode::TooShort),
            ("abcdefghijklmnopqrstuvwxyz", FieldCode::TooLong),
            ("_ab", FieldCode::InvalidFormat),
            ("ab_", FieldCode::InvalidFormat),
            ("a__b", FieldCode::InvalidFormat),
            ("a-_b", FieldCode::InvalidFormat),
            ("a b", FieldCode::InvalidFormat),
            ("a.b", FieldCode::InvalidFormat),
            ("a١b", FieldCode::InvalidFormat), // a non-ASCII digit
        ] {
            assert_eq!(MemberName::parse(bad), Err(code), "{bad}");
        }
        assert_eq!(MemberName::parse("ÄDA").unwrap().key(), MemberName::parse("äda").unwrap().key());
        assert_eq!(MemberName::parse("Οδος").unwrap().key(), MemberName::parse("ΟΔΟΣ").unwrap().key());
    }

    #[test]
    fn passwords_need_a_lowercase_an_uppercase_and_a_digit() {
        assert!(Password::parse("Secret123").is_ok());
        assert!(Password::parse("Пароль1пароль").is_ok());
        assert_eq!(Password::parse("Sh0rt").err(), Some(FieldCode::TooShort));
        assert_eq!(Password::parse(&"Aa1".repeat(27)).err(), Some(FieldCode::TooLong));
        for bad in ["alllower1", "ALLUPPER1", "NoDigitsHere"] {
            assert_eq!(Password::parse(bad).err(), Some(FieldCode::PasswordFormat), "{bad}");
        }
        assert_eq!(format!("{:?}", Password::parse("Secret123").unwrap()), "Password(***)");
    }
}
