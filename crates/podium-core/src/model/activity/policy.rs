//! The activity policy: one document per game holding every number of the activity seed
//! (weights, daily caps, per-pair limits, cooldowns, meetup and game validation, the burst
//! limiter, fraud thresholds, the streak multiplier) and the time zone that defines a day, with
//! the seed's values as defaults. A [`Policy`] is only ever built by [`Policy::parse`], which
//! checks the whole document and names every bad field, so the rules never see a value they
//! cannot apply.

use chrono_tz::Tz;
use serde_json::{Map, Value};

use crate::error::{FieldCode, FieldErrors};

/// A number a policy field can hold: whole numbers for counts and seconds, decimals for the
/// ratio and the multiplier.
trait FieldValue: Copy + Into<f64> {
    fn from_json(v: &Value) -> Option<Self>;
    fn to_json(self) -> Value;
}

impl FieldValue for u32 {
    fn from_json(v: &Value) -> Option<Self> {
        v.as_u64().and_then(|n| u32::try_from(n).ok()).or_else(|| {
            // 3.0 is accepted as 3; 3.5 and negatives are not whole counts.
            v.as_f64().filter(|f| f.fract() == 0.0 && *f >= 0.0 && *f <= f64::from(u32::MAX)).map(|f| f as u32)
        })
    }
    fn to_json(self) -> Value {
        Value::from(self)
    }
}

impl FieldValue for f64 {
    fn from_json(v: &Value) -> Option<Self> {
        v.as_f64()
    }
    fn to_json(self) -> Value {
        Value::from(self)
    }
}

/// Declares the policy's groups: each a struct of fields with a default and an allowed range,
/// read and written under `group.field`.
macro_rules! policy_groups {
    ($(
        $(#[doc = $gdoc:literal])*
        $group:ident: $Group:ident {
            $( $(#[doc = $fdoc:literal])* $field:ident: $ty:ty = $default:expr, $min:expr => $max:expr; )*
        }
    )*) => {
        $(
            $(#[doc = $gdoc])*
            #[derive(Debug, Clone, Copy, PartialEq)]
            pub struct $Group {
                $( $(#[doc = $fdoc])* pub $field: $ty, )*
            }

            impl Default for $Group {
                fn default() -> Self {
                    Self { $( $field: $default, )* }
                }
            }

            impl $Group {
                fn parse(value: Option<&Value>, errors: &mut FieldErrors) -> Self {
                    let mut out = Self::default();
                    let Some(value) = value else { return out };
                    let Some(object) = value.as_object() else {
                        errors.add(stringify!($group), FieldCode::InvalidType);
                        return out;
                    };
                    for key in object.keys() {
                        if ![$(stringify!($field)),*].contains(&key.as_str()) {
                            errors.add(format!("{}.{key}", stringify!($group)), FieldCode::UnknownField);
                        }
                    }
                    $(
                        if let Some(v) = object.get(stringify!($field)) {
                            let path = concat!(stringify!($group), ".", stringify!($field));
                            match <$ty as FieldValue>::from_json(v) {
                                None if v.is_number() => errors.add(path, FieldCode::OutOfRange),
                                None => errors.add(path, FieldCode::InvalidType),
                                Some(n) if !(($min as f64)..=($max as f64)).contains(&n.into()) => {
                                    errors.add(path, FieldCode::OutOfRange)
                                }
                                Some(n) => out.$field = n,
                            }
                        }
                    )*
                    out
                }

                fn to_json(self) -> Value {
                    let mut m = Map::new();
                    $( m.insert(stringify!($field).to_owned(), FieldValue::to_json(self.$field)); )*
                    Value::Object(m)
                }

                /// Every field of the group: (name, default, min, max), for the documentation.
                pub fn fields() -> Vec<(&'static str, f64, f64, f64)> {
                    let d = Self::default();
                    vec![$( (stringify!($field), d.$field.into(), $min as f64, $max as f64), )*]
                }
            }
        )*

        /// One game's activity policy (see the module note). Built by [`Policy::parse`] only.
        #[derive(Debug, Clone, PartialEq)]
        pub struct Policy {
            /// The IANA time zone that defines a day (default `UTC`).
            pub time_zone: Tz,
            $( $(#[doc = $gdoc])* pub $group: $Group, )*
        }

        impl Default for Policy {
            fn default() -> Self {
                Self { time_zone: Tz::UTC, $( $group: $Group::default(), )* }
            }
        }

        impl Policy {
            /// Checks a whole document: omitted groups and fields take their defaults; every
            /// unknown, mistyped or out-of-range field is named (`daily_caps.dms`).
            pub fn parse(document: &Value) -> Result<Self, FieldErrors> {
                let mut errors = FieldErrors::new();
                let Some(object) = document.as_object() else {
                    errors.add("policy", FieldCode::InvalidType);
                    return Err(errors);
                };
                for key in object.keys() {
                    if !["time_zone", $(stringify!($group)),*].contains(&key.as_str()) {
                        errors.add(key.clone(), FieldCode::UnknownField);
                    }
                }
                let time_zone = match object.get("time_zone") {
                    None => Tz::UTC,
                    Some(Value::String(name)) => name.parse::<Tz>().unwrap_or_else(|_| {
                        errors.add("time_zone", FieldCode::InvalidValue);
                        Tz::UTC
                    }),
                    Some(_) => {
                        errors.add("time_zone", FieldCode::InvalidType);
                        Tz::UTC
                    }
                };
                let policy = Self { time_zone, $( $group: $Group::parse(object.get(stringify!($group)), &mut errors), )* };
                policy.check(&mut errors);
                if errors.is_empty() { Ok(policy) } else { Err(errors) }
            }

            /// The document, every field written out.
            pub fn to_json(&self) -> Value {
                let mut m = Map::new();
                m.insert("time_zone".to_owned(), Value::from(self.time_zone.name()));
                $( m.insert(stringify!($group).to_owned(), self.$group.to_json()); )*
                Value::Object(m)
            }

            /// Every group and its fields, for the documentation.
            pub fn groups() -> Vec<(&'static str, Vec<(&'static str, f64, f64, f64)>)> {
                vec![$( (stringify!($group), $Group::fields()), )*]
            }
        }
    };
}

policy_groups! {
    /// Points per counted action.
    weights: Weights {
        /// To the sender of a counted DM (friends).
        dm_sent: u32 = 2, 0 => 100_000;
        /// To the author of a counted room message (friends).
        room_message: u32 = 1, 0 => 100_000;
        /// To the user accepting an invite (friends).
        invite_accepted: u32 = 30, 0 => 100_000;
        /// To each user of a new friendship (friends).
        new_friend: u32 = 50, 0 => 100_000;
        /// To a meetup's host once it is valid (meetups).
        meetup_hosted: u32 = 100, 0 => 100_000;
        /// To an attendee after a long enough stay (meetups).
        meetup_joined: u32 = 30, 0 => 100_000;
        /// To each player of a counted game (games).
        game_played: u32 = 50, 0 => 100_000;
        /// To the winner of a counted game, on top of `game_played` (games).
        game_won: u32 = 150, 0 => 100_000;
        /// To a DM's recipient for each new unique sender of the day (popularity).
        unique_sender: u32 = 10, 0 => 100_000;
        /// To an inviter for each new unique accepter of the day (popularity).
        unique_accepter: u32 = 20, 0 => 100_000;
    }
    /// Counted actions per user and day.
    daily_caps: DailyCaps {
        /// DMs sent.
        dms: u32 = 50, 0 => 1_000_000;
        /// Room messages.
        room_messages: u32 = 50, 0 => 1_000_000;
        /// Meetup joins.
        room_joins: u32 = 10, 0 => 1_000_000;
        /// Meetups created.
        room_creations: u32 = 3, 0 => 1_000_000;
        /// New friends.
        new_friends: u32 = 10, 0 => 1_000_000;
        /// Unique senders of DMs to the user that earn popularity.
        unique_senders: u32 = 20, 0 => 1_000_000;
        /// Unique accepters of the user's invites that earn popularity.
        unique_accepters: u32 = 10, 0 => 1_000_000;
        /// Invites the user accepts (not in the seed, which leaves them unbounded).
        invites_accepted: u32 = 10, 0 => 1_000_000;
    }
    /// Counted actions per pair of users and day.
    pair_limits: PairLimits {
        /// Games between the same two players (either order).
        games_per_opponent: u32 = 2, 0 => 1_000_000;
        /// DMs from one sender to one recipient.
        dms_per_recipient: u32 = 10, 0 => 1_000_000;
    }
    /// Seconds between two counted actions of the same kind.
    cooldowns: Cooldowns {
        /// Games between the same two players.
        game_opponent_s: u32 = 1800, 0 => 604_800;
        /// DMs from one sender to one recipient.
        dm_recipient_s: u32 = 300, 0 => 604_800;
        /// Joins of the same meetup by the same user.
        meetup_rejoin_s: u32 = 3600, 0 => 604_800;
    }
    /// When a meetup and a stay count.
    meetups: Meetups {
        /// A meetup earns its host points from this many seconds after its creation.
        min_duration_s: u32 = 900, 0 => 86_400;
        /// Distinct users present (host included) before the host earns.
        min_attendees: u32 = 2, 1 => 1_000_000;
        /// Seconds an attendee must stay.
        min_stay_s: u32 = 600, 0 => 86_400;
        /// A meetup cancelled within this many seconds of its creation earns nobody anything.
        cancel_window_s: u32 = 300, 0 => 86_400;
    }
    /// When a game counts.
    games: Games {
        /// Shortest game, in seconds.
        min_duration_s: u32 = 30, 0 => 86_400;
        /// Fewest moves.
        min_moves: u32 = 3, 0 => 1_000_000;
    }
    /// The burst limiter of messages (per channel: a room, or a DM's sender and recipient).
    burst: Burst {
        /// Most messages within one second; one more mutes the sender.
        max_per_second: u32 = 5, 1 => 1_000_000;
        /// Seconds of history kept per sender and channel.
        window_s: u32 = 10, 1 => 3_600;
        /// Seconds a muted sender stays muted in that channel.
        mute_s: u32 = 10, 1 => 86_400;
    }
    /// The fraud rules' thresholds.
    fraud: Fraud {
        /// Win trading: days looked back over.
        win_trade_window_days: u32 = 7, 1 => 90;
        /// Win trading: games in a row whose winner alternates.
        win_trade_alternations: u32 = 4, 2 => 100;
        /// Rapid join-leave: the join of one meetup by one user in a day that is blocked.
        join_leave_per_day: u32 = 3, 2 => 1_000;
        /// Create-cancel: the share of cancelled meetups above which the host is flagged.
        create_cancel_ratio: f64 = 0.5, 0.0 => 1.0;
        /// Create-cancel: the fewest meetups created in the window before the rule applies.
        create_cancel_min_rooms: u32 = 4, 1 => 1_000;
        /// Create-cancel: days looked back over.
        create_cancel_window_days: u32 = 7, 1 => 90;
    }
    /// The streak multiplier: grows linearly from 1.0 on the first consecutive active day to
    /// `max_multiplier` on day `days_to_max`, and stays there.
    streak: Streak {
        /// The highest multiplier.
        max_multiplier: f64 = 1.5, 1.0 => 10.0;
        /// The consecutive active day on which it is reached.
        days_to_max: u32 = 30, 1 => 365;
    }
}

impl Policy {
    /// Rules between fields.
    fn check(&self, errors: &mut FieldErrors) {
        if !self.fraud.create_cancel_ratio.is_finite() {
            errors.add("fraud.create_cancel_ratio", FieldCode::NotFinite);
        }
        if !self.streak.max_multiplier.is_finite() {
            errors.add("streak.max_multiplier", FieldCode::NotFinite);
        }
    }

    /// The multiplier of the `d`-th consecutive active day (`d` ≥ 1):
    /// `min(max, 1 + (max − 1)·(d − 1)/(days_to_max − 1))`, 1.0 for `d` = 0.
    pub fn multiplier(&self, d: u32) -> f64 {
        let max = self.streak.max_multiplier;
        if d <= 1 {
            return 1.0;
        }
        if self.streak.days_to_max <= 1 {
            return max;
        }
        let growth = (max - 1.0) * f64::from(d - 1) / f64::from(self.streak.days_to_max - 1);
        (1.0 + growth).min(max)
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn the_defaults_are_the_seeds_numbers() {
        let p = Policy::parse(&json!({})).unwrap();
        assert_eq!(p, Policy::default());
        assert_eq!((p.weights.game_played, p.weights.game_won, p.weights.meetup_hosted), (50, 150, 100));
        assert_eq!((p.daily_caps.dms, p.daily_caps.room_joins, p.daily_caps.unique_senders), (50, 10, 20));
        assert_eq!(
            (p.pair_limits.games_per_opponent, p.cooldowns.game_opponent_s, p.cooldowns.meetup_rejoin_s),
            (2, 1800, 3600)
        );
        assert_eq!((p.burst.max_per_second, p.burst.window_s, p.burst.mute_s), (5, 10, 10));
        assert_eq!(
            (p.fraud.win_trade_alternations, p.fraud.join_leave_per_day, p.fraud.create_cancel_ratio),
            (4, 3, 0.5)
        );
        assert_eq!(p.time_zone, Tz::UTC);
    }

    #[test]
    fn every_bad_field_is_named_at_once() {
        let bad = json!({
            "time_zone": "Mars/Olympus",
            "daily_caps": {"dms": -1, "room_joins": "ten", "nope": 1},
            "fraud": {"create_cancel_ratio": 1.5},
            "burst": {"max_per_second": 0},
            "weights": [],
            "extra": true
        });
        let errors = Policy::parse(&bad).unwrap_err();
        let text = serde_json::to_value(&errors).unwrap();
        for (field, code) in [
            ("time_zone", "invalid_value"),
            ("daily_caps.dms", "out_of_range"),
            ("daily_caps.room_joins", "invalid_type"),
            ("daily_caps.nope", "unknown_field"),
            ("fraud.create_cancel_ratio", "out_of_range"),
            ("burst.max_per_second", "out_of_range"),
            ("weights", "invalid_type"),
            ("extra", "unknown_field"),
        ] {
            assert_eq!(text[field], json!([code]), "{field}: {text}");
        }
    }

    #[test]
    fn a_document_reads_back_as_written() {
        let doc = json!({"time_zone": "Europe/Paris", "daily_caps": {"dms": 7}, "streak": {"max_multiplier": 2.0}});
        let p = Policy::parse(&doc).unwrap();
        assert_eq!(p.daily_caps.dms, 7);
        assert_eq!(Policy::parse(&p.to_json()).unwrap(), p);
        assert_eq!(p.to_json()["time_zone"], "Europe/Paris");
    }

    #[test]
    fn the_multiplier_follows_the_documented_formula() {
        let p = Policy::default();
        assert_eq!(p.multiplier(1), 1.0);
        assert!((p.multiplier(15) - (1.0 + 0.5 * 14.0 / 29.0)).abs() < 1e-12);
        assert_eq!(p.multiplier(30), 1.5);
        assert_eq!(p.multiplier(400), 1.5);
    }
}
