//! Prefixed identifiers (`brd_01j…`): one newtype per resource so an account ID can never be
//! passed where a board ID is expected, and so a malformed ID is rejected at the edge.
//!
//! The opaque part is a ULID in lower-case Crockford base32: 128 bits, unique without
//! coordination between nodes, and ordered by creation time, which makes `id` a natural last
//! tie-breaker for sorting.

use std::fmt;
use std::str::FromStr;

/// Why a string is not a valid ID of the expected kind.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not a valid `{prefix}_…` identifier")]
pub struct IdParseError {
    /// The prefix that was expected.
    pub prefix: &'static str,
}

/// A ULID from the current time and 80 random bits.
fn new_ulid() -> ulid::Ulid {
    use rand::RngExt;
    let ms = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_millis() as u64);
    let random: u128 = rand::rng().random::<u128>() & ((1u128 << 80) - 1);
    ulid::Ulid::from_parts(ms, random)
}

/// Crockford base32 in lower case, the alphabet of a ULID's text form.
const CROCKFORD_LOWER: &[u8; 32] = b"0123456789abcdefghjkmnpqrstvwxyz";

/// Writes the 26-character lower-case text form of a ULID into `buf` (no allocation: IDs are
/// formatted many times per response).
fn encode_lower(mut value: u128, buf: &mut [u8; 26]) -> &str {
    for slot in buf.iter_mut().rev() {
        *slot = CROCKFORD_LOWER[(value & 31) as usize];
        value >>= 5;
    }
    std::str::from_utf8(buf).unwrap_or_default()
}

macro_rules! prefixed_id {
    ($(#[$doc:meta])* $name:ident, $prefix:literal) => {
        $(#[$doc])*
        #[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(ulid::Ulid);

        impl $name {
            /// The prefix every ID of this kind starts with (without the underscore).
            pub const PREFIX: &'static str = $prefix;

            /// A fresh, unique ID.
            pub fn generate() -> Self {
                Self(new_ulid())
            }

            /// The 128 bits of the ULID, in the same order as the text form (rankings use
            /// them as the last tie-breaker; nonces carry a device's).
            pub fn bits(&self) -> u128 {
                self.0.0
            }

            /// The ID with these bits.
            pub fn from_bits(bits: u128) -> Self {
                Self(ulid::Ulid(bits))
            }

            /// Parses `<prefix>_<ulid>`; anything else is an error.
            pub fn parse(s: &str) -> Result<Self, IdParseError> {
                let err = IdParseError { prefix: $prefix };
                let rest = s
                    .strip_prefix($prefix)
                    .and_then(|r| r.strip_prefix('_'))
                    .ok_or(err.clone())?;
                if rest.len() != 26 {
                    return Err(err);
                }
                ulid::Ulid::from_string(rest).map(Self).map_err(|_| err)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                let mut buf = [0u8; 26];
                f.write_str($prefix)?;
                f.write_str("_")?;
                f.write_str(encode_lower(self.0.0, &mut buf))
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Display::fmt(self, f)
            }
        }

        impl FromStr for $name {
            type Err = IdParseError;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Self::parse(s)
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.collect_str(self)
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
                Self::parse(&s).map_err(serde::de::Error::custom)
            }
        }

        impl utoipa::PartialSchema for $name {
            fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
                utoipa::openapi::ObjectBuilder::new()
                    .schema_type(utoipa::openapi::schema::Type::String)
                    .pattern(Some(concat!("^", $prefix, "_[0-9a-hjkmnp-tv-z]{26}$")))
                    .examples([concat!($prefix, "_01jd8x3n5q4z7k2m9v6w8t1r0c")])
                    .into()
            }
        }

        impl utoipa::ToSchema for $name {}
    };
}

prefixed_id!(
    /// An account (`acc_…`): the tenant that owns users, keys, games and boards.
    AccountId,
    "acc"
);
prefixed_id!(
    /// A user of the admin API (`usr_…`).
    UserId,
    "usr"
);
prefixed_id!(
    /// An API key (`key_…`).
    ApiKeyId,
    "key"
);
prefixed_id!(
    /// A game (`gam_…`).
    GameId,
    "gam"
);
prefixed_id!(
    /// A board (`brd_…`).
    BoardId,
    "brd"
);
prefixed_id!(
    /// A board template (`tpl_…`): the defaults and schedule boards are stamped out from.
    TemplateId,
    "tpl"
);

prefixed_id!(
    /// A player (`ide_…`).
    IdentityId,
    "ide"
);
prefixed_id!(
    /// A game client's device (`dev_…`).
    DeviceId,
    "dev"
);
prefixed_id!(
    /// A device session: one pair of client tokens and its rotations (`ses_…`).
    SessionId,
    "ses"
);
prefixed_id!(
    /// An anti-cheat flag (`flg_…`).
    FlagId,
    "flg"
);
prefixed_id!(
    /// An activity fraud flag (`afl_…`).
    ActivityFlagId,
    "afl"
);
prefixed_id!(
    /// Submission metadata of one player on one board (`sub_…`).
    SubmissionMetaId,
    "sub"
);
prefixed_id!(
    /// An immutable score event (`sev_…`).
    ScoreEventId,
    "sev"
);
prefixed_id!(
    /// A ranked entry (`scr_…`).
    ScoreId,
    "scr"
);

prefixed_id!(
    /// A member of the community site (`mbr_…`).
    MemberId,
    "mbr"
);
prefixed_id!(
    /// A community leaderboard: one game's or one competition's boards (`lbd_…`).
    LeaderboardId,
    "lbd"
);
prefixed_id!(
    /// A member's appointment as moderator of a leaderboard (`mod_…`).
    ModshipId,
    "mod"
);
prefixed_id!(
    /// A category of a community leaderboard (`cat_…`).
    CategoryId,
    "cat"
);
prefixed_id!(
    /// A metric of a category: what a run measures (`met_…`).
    MetricId,
    "met"
);
prefixed_id!(
    /// A variable of a leaderboard's categories, such as platform or version (`var_…`).
    VariableId,
    "var"
);
prefixed_id!(
    /// One value of a variable (`val_…`).
    VariableValueId,
    "val"
);
prefixed_id!(
    /// A community run: one attempt by one or more runners in a category (`run_…`).
    RunId,
    "run"
);
prefixed_id!(
    /// One runner's part in a run: their comment and video (`par_…`).
    ParticipationId,
    "par"
);
prefixed_id!(
    /// A moderator's verdict on (or comment about) a run (`jdg_…`).
    JudgementId,
    "jdg"
);
prefixed_id!(
    /// A ban of a member, site-wide or on one leaderboard (`ban_…`).
    BanId,
    "ban"
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_text_form_is_the_lower_case_ulid() {
        for _ in 0..100 {
            let id = ScoreId::generate();
            assert_eq!(id.to_string(), format!("scr_{}", id.0.to_string().to_ascii_lowercase()));
        }
        assert_eq!(ScoreId::from_bits(u128::MAX).to_string(), "scr_7zzzzzzzzzzzzzzzzzzzzzzzzz");
    }

    #[test]
    fn a_generated_id_round_trips_through_its_text_form() {
        let id = BoardId::generate();
        let text = id.to_string();
        assert!(text.starts_with("brd_"));
        assert_eq!(BoardId::parse(&text), Ok(id));
    }

    #[test]
    fn an_id_with_another_prefix_is_rejected() {
        let text = GameId::generate().to_string();
        assert!(BoardId::parse(&text).is_err());
    }

    #[test]
    fn garbage_is_rejected_without_panicking() {
        for s in ["", "brd", "brd_", "brd_zzzz", "brd_01jd8x3n5q4z7k2m9v6w8t1r0c0", "brd_ü1jd8x3n5q4z7k2m9v6w8t1r0"] {
            assert!(BoardId::parse(s).is_err(), "{s}");
        }
    }
}
