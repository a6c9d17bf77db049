//! Small value types shared by several resources: names, slugs, e-mail addresses and bounded
//! free text. Each has a `parse` that normalises and validates, returning an error code.

use crate::error::FieldCode;
use std::fmt;

macro_rules! string_newtype {
    ($name:ident) => {
        impl $name {
            /// The validated text.
            pub fn as_str(&self) -> &str {
                &self.0
            }
            /// Wraps text read back from the store, which was validated when written.
            pub fn from_trusted(s: String) -> Self {
                Self(s)
            }
        }
        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(&self.0)
            }
        }
        impl utoipa::PartialSchema for $name {
            fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
                String::schema()
            }
        }
        impl utoipa::ToSchema for $name {}
    };
}

fn has_control(s: &str) -> bool {
    s.chars().any(char::is_control)
}

/// A display name: 1–100 characters after trimming, no control characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Name(String);
string_newtype!(Name);

impl Name {
    /// Longest name, in characters.
    pub const MAX: usize = 100;

    /// Trims and validates.
    pub fn parse(s: &str) -> Result<Self, FieldCode> {
        let t = s.trim();
        if t.is_empty() {
            return Err(FieldCode::Blank);
        }
        if t.chars().count() > Self::MAX {
            return Err(FieldCode::TooLong);
        }
        if has_control(t) {
            return Err(FieldCode::InvalidCharacters);
        }
        Ok(Self(t.to_owned()))
    }
}

/// A URL-safe identifier: 1–64 of `a-z`, `0-9` and single inner hyphens.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Slug(String);
string_newtype!(Slug);

impl Slug {
    /// Longest slug.
    pub const MAX: usize = 64;

    /// Validates a slug as given (no normalisation: `My-Game` is an error, not `my-game`).
    pub fn parse(s: &str) -> Result<Self, FieldCode> {
        if s.is_empty() {
            return Err(FieldCode::Blank);
        }
        if s.len() > Self::MAX {
            return Err(FieldCode::TooLong);
        }
        let valid_chars = s.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        if !valid_chars || s.starts_with('-') || s.ends_with('-') || s.contains("--") {
            return Err(FieldCode::InvalidFormat);
        }
        Ok(Self(s.to_owned()))
    }

    /// Derives a slug from a name: ASCII letters and digits kept (lower-cased), runs of anything
    /// else become one hyphen; `fallback` when nothing is left.
    pub fn from_name(name: &str, fallback: &str) -> Self {
        let mut out = String::new();
        for c in name.chars() {
            if c.is_ascii_alphanumeric() {
                out.push(c.to_ascii_lowercase());
            } else if !out.is_empty() && !out.ends_with('-') {
                out.push('-');
            }
        }
        let mut out = out.trim_end_matches('-').to_owned();
        if out.len() > Self::MAX {
            out.truncate(Self::MAX);
            out = out.trim_end_matches('-').to_owned();
        }
        if out.is_empty() { Self(fallback.to_owned()) } else { Self(out) }
    }

    /// This slug with `-n` appended, shortened so the result stays within the limit.
    pub fn with_suffix(&self, n: u32) -> Self {
        let suffix = format!("-{n}");
        let mut base = self.0.clone();
        base.truncate(Self::MAX - suffix.len());
        let base = base.trim_end_matches('-');
        Self(format!("{base}{suffix}"))
    }
}

/// An e-mail address, trimmed and lower-cased; one `@`, a non-empty local part and a dotted
/// domain, at most 254 characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email(String);
string_newtype!(Email);

impl Email {
    /// Normalises and validates.
    pub fn parse(s: &str) -> Result<Self, FieldCode> {
        let t = s.trim().to_lowercase();
        if t.is_empty() {
            return Err(FieldCode::Blank);
        }
        if t.len() > 254 {
            return Err(FieldCode::TooLong);
        }
        let Some((local, domain)) = t.split_once('@') else {
            return Err(FieldCode::InvalidFormat);
        };
        let domain_ok = domain.contains('.')
            && !domain.starts_with('.')
            && !domain.ends_with('.')
            && !domain.contains("..")
            && !domain.contains('@');
        if local.is_empty() || local.len() > 64 || !domain_ok || t.chars().any(|c| c.is_whitespace() || c.is_control())
        {
            return Err(FieldCode::InvalidFormat);
        }
        Ok(Self(t))
    }
}

/// Free text of at most `MAX` characters (descriptions, icons, units, tags), trimmed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Text<const MAX: usize>(String);

impl<const MAX: usize> Text<MAX> {
    /// Trims and checks the length; empty text is allowed only when `allow_empty`.
    pub fn parse(s: &str, allow_empty: bool) -> Result<Self, FieldCode> {
        let t = s.trim();
        if t.is_empty() && !allow_empty {
            return Err(FieldCode::Blank);
        }
        if t.chars().count() > MAX {
            return Err(FieldCode::TooLong);
        }
        if t.chars().any(|c| c.is_control() && c != '\n' && c != '\t') {
            return Err(FieldCode::InvalidCharacters);
        }
        Ok(Self(t.to_owned()))
    }

    /// The text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Wraps text read back from the store.
    pub fn from_trusted(s: String) -> Self {
        Self(s)
    }
}

impl<const MAX: usize> serde::Serialize for Text<MAX> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

impl<const MAX: usize> utoipa::PartialSchema for Text<MAX> {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        String::schema()
    }
}
impl<const MAX: usize> utoipa::ToSchema for Text<MAX> {}

/// Declares an enum whose wire and stored form is a fixed string per variant, with `as_str`,
/// `parse`, serde and an OpenAPI schema.
#[macro_export]
macro_rules! wire_enum {
    ($(#[doc = $doc:literal])* $name:ident { $($(#[$vdoc:meta])* $variant:ident => $text:literal,)* }) => {
        $(#[doc = $doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
        pub enum $name {
            $($(#[$vdoc])* #[serde(rename = $text)] $variant,)*
        }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [$name] = &[$(Self::$variant,)*];

            /// The wire and stored form.
            pub fn as_str(self) -> &'static str {
                match self { $(Self::$variant => $text,)* }
            }

            /// Parses the wire and stored form.
            pub fn parse(s: &str) -> Option<Self> {
                match s { $($text => Some(Self::$variant),)* _ => None }
            }
        }

        /// The OpenAPI schema lists the wire spellings (what serde reads and writes), not the
        /// Rust variant names.
        impl utoipa::PartialSchema for $name {
            fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
                let doc: &[&str] = &[$($doc),*];
                let doc = doc.iter().map(|l| l.trim()).collect::<Vec<_>>().join("\n");
                utoipa::openapi::ObjectBuilder::new()
                    .schema_type(utoipa::openapi::schema::Type::String)
                    .enum_values(Some([$($text),*]))
                    .description((!doc.is_empty()).then_some(doc))
                    .into()
            }
        }

        impl utoipa::ToSchema for $name {}
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_follow_the_documented_shape() {
        assert!(Slug::parse("space-race-2").is_ok());
        for bad in ["", "-a", "a-", "a--b", "Upper", "sp ace", "é", &"a".repeat(65)] {
            assert!(Slug::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_slug_derived_from_a_name_is_always_valid() {
        for name in ["Space Race!", "  ---  ", "Ünïcode Only ☃", &"Long name ".repeat(20)] {
            let slug = Slug::from_name(name, "board");
            assert!(Slug::parse(slug.as_str()).is_ok(), "{name} -> {slug}");
            assert!(Slug::parse(slug.with_suffix(12).as_str()).is_ok());
        }
        assert_eq!(Slug::from_name("Space Race!", "x").as_str(), "space-race");
    }

    #[test]
    fn emails_are_normalised_and_checked() {
        assert_eq!(Email::parse(" Ada@Example.COM ").unwrap().as_str(), "ada@example.com");
        for bad in ["", "ada", "@x.com", "ada@", "ada@com", "a b@x.com", "ada@x..com", "a@b@c.com"] {
            assert!(Email::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn names_are_trimmed_and_bounded() {
        assert_eq!(Name::parse("  Ada ").unwrap().as_str(), "Ada");
        assert_eq!(Name::parse("   "), Err(FieldCode::Blank));
        assert_eq!(Name::parse(&"x".repeat(101)), Err(FieldCode::TooLong));
        assert_eq!(Name::parse("a\u{0}b"), Err(FieldCode::InvalidCharacters));
    }
}
