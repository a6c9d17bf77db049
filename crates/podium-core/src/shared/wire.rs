//! The change feed's wire form: a committed [`Change`] as the JSON text another node reads
//! from the change log. Ranking moves and cache invalidations travel whole — an entry's place
//! before and after and its stored state, or what went stale — so a follower applies them
//! exactly as the node that committed them did, without reading anything back.
//!
//! Community runs and categories travel by reference ([`Reference`]): the follower reads their
//! current state from the store, so their order does not matter. Activity points do not travel
//! yet: [`encode`] returns `None` for them and each node's copies follow only its own writes
//! (docs/OPERATIONS.md says so).

use serde::{Deserialize, Serialize};

use super::changes::{Change, EntryMove, EntryState, Invalidation, Reference, RunChange};
use crate::id::{BoardId, CategoryId, GameId, IdentityId, MemberId, RunId, ScoreId, SessionId};
use crate::model::Score;
use crate::ranking::{PoolKey, RankKey};

/// A change as logged.
#[derive(Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
enum Wire<'a> {
    /// Ranking moves.
    Entries {
        /// The moves, in order.
        moves: Vec<WireMove<'a>>,
    },
    /// Stale copies.
    Invalidate {
        /// What went stale.
        what: WireInvalidation,
    },
    /// Community runs whose state changed.
    Runs {
        /// The runs.
        ids: Vec<RunId>,
    },
    /// A community category whose shape changed, or that is gone.
    Category {
        /// The category.
        id: CategoryId,
    },
    /// Submissions judged by the committing node, for the others' anti-cheat counters.
    Attempts {
        /// The attempts.
        attempts: Vec<crate::anticheat::Attempt>,
    },
    /// Rate-limit tokens the committing node took.
    Taken {
        /// Bucket and address of each.
        taken: Vec<(super::Bucket, std::net::IpAddr)>,
    },
    /// Failures the committing node counted or forgave.
    Failures {
        /// Each one.
        counted: Vec<super::FailureCount>,
    },
}

/// What a logged body carries.
#[derive(Debug)]
pub enum Decoded {
    /// A change to apply as it is.
    Change(Change),
    /// A reference to resolve against the store first.
    Reference(Reference),
}

/// A rank key as four integers: the value's order bits, the time and the id's two halves
/// (JSON numbers hold 64 bits at most).
type WireKey = (u64, i64, u64, u64);

fn key_out(k: &RankKey) -> WireKey {
    (k.score_bits(), k.at_micros(), (k.id() >> 64) as u64, k.id() as u64)
}

fn key_in((score, at, hi, lo): WireKey) -> RankKey {
    RankKey::from_parts(score, at, (u128::from(hi) << 64) | u128::from(lo))
}

#[derive(Serialize, Deserialize)]
struct WireMove<'a> {
    board: BoardId,
    is_test: bool,
    old: Option<WireKey>,
    new: Option<WireKey>,
    entry: WireEntry<'a>,
}

#[derive(Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
#[allow(clippy::large_enum_variant)] // lives for one encode or decode; nearly every move stores an entry
enum WireEntry<'a> {
    Stored { score: std::borrow::Cow<'a, Score> },
    Forgotten { id: ScoreId },
    Unchanged,
}

#[derive(Serialize, Deserialize)]
#[serde(tag = "what", rename_all = "snake_case")]
enum WireInvalidation {
    KeyGrants,
    Boards,
    Identity { id: IdentityId, game: GameId, player_key: Option<String> },
    AccessToken { hash: String },
    ClientGrants { session: Option<SessionId>, identity: Option<IdentityId> },
    Member { id: MemberId },
}

/// The wire form of `change`; `None` for the kinds that do not travel between nodes yet.
pub fn encode(change: &Change) -> Option<String> {
    let wire = match change {
        Change::Entries(moves) => Wire::Entries {
            moves: moves
                .iter()
                .map(|m| WireMove {
                    board: m.pool.board,
                    is_test: m.pool.is_test,
                    old: m.old.as_ref().map(key_out),
                    new: m.new.as_ref().map(key_out),
                    entry: match &m.entry {
                        EntryState::Stored(s) => WireEntry::Stored { score: std::borrow::Cow::Borrowed(s) },
                        EntryState::Forgotten(id) => WireEntry::Forgotten { id: *id },
                        EntryState::Unchanged => WireEntry::Unchanged,
                    },
                })
                .collect(),
        },
        Change::Invalidate(i) => Wire::Invalidate {
            what: match i.clone() {
                Invalidation::KeyGrants => WireInvalidation::KeyGrants,
                Invalidation::Boards => WireInvalidation::Boards,
                Invalidation::Identity { id, game, player_key } => WireInvalidation::Identity { id, game, player_key },
                Invalidation::AccessToken { hash } => WireInvalidation::AccessToken { hash },
                Invalidation::ClientGrants { session, identity } => {
                    WireInvalidation::ClientGrants { session, identity }
                }
                Invalidation::Member { id } => WireInvalidation::Member { id },
            },
        },
        Change::Runs(RunChange::Runs(runs)) => Wire::Runs { ids: runs.iter().map(|r| r.id).collect() },
        Change::Runs(RunChange::Reset { layout, .. }) => Wire::Category { id: layout.category },
        Change::Runs(RunChange::Dropped(id)) => Wire::Category { id: *id },
        Change::Attempts(a) => Wire::Attempts { attempts: a.as_ref().clone() },
        Change::Taken(t) => Wire::Taken { taken: t.as_ref().clone() },
        Change::Failures(f) => Wire::Failures { counted: f.as_ref().clone() },
        Change::Activity(_) => return None,
    };
    // Every part is plain data: serialising it cannot fail.
    serde_json::to_string(&wire).ok()
}

/// What a logged body carries; an error names what did not parse (a body written by a newer
/// node during a rolling upgrade, say).
pub fn decode_any(body: &str) -> Result<Decoded, serde_json::Error> {
    Ok(decoded(serde_json::from_str::<Wire<'_>>(body)?))
}

/// The change a logged body of a kind that travels whole carries (references are refused).
pub fn decode(body: &str) -> Result<Change, serde_json::Error> {
    match decode_any(body)? {
        Decoded::Change(c) => Ok(c),
        Decoded::Reference(r) => Err(serde::de::Error::custom(format!("a reference, not a change: {r:?}"))),
    }
}

fn decoded(wire: Wire<'_>) -> Decoded {
    Decoded::Change(match wire {
        Wire::Entries { moves } => Change::Entries(
            moves
                .into_iter()
                .map(|m| EntryMove {
                    pool: PoolKey { board: m.board, is_test: m.is_test },
                    old: m.old.map(key_in),
                    new: m.new.map(key_in),
                    entry: match m.entry {
                        WireEntry::Stored { score } => EntryState::Stored(score.into_owned()),
                        WireEntry::Forgotten { id } => EntryState::Forgotten(id),
                        WireEntry::Unchanged => EntryState::Unchanged,
                    },
                })
                .collect(),
        ),
        Wire::Invalidate { what } => Change::Invalidate(match what {
            WireInvalidation::KeyGrants => Invalidation::KeyGrants,
            WireInvalidation::Boards => Invalidation::Boards,
            WireInvalidation::Identity { id, game, player_key } => Invalidation::Identity { id, game, player_key },
            WireInvalidation::AccessToken { hash } => Invalidation::AccessToken { hash },
            WireInvalidation::ClientGrants { session, identity } => Invalidation::ClientGrants { session, identity },
            WireInvalidation::Member { id } => Invalidation::Member { id },
        }),
        Wire::Attempts { attempts } => Change::Attempts(std::sync::Arc::new(attempts)),
        Wire::Taken { taken } => Change::Taken(std::sync::Arc::new(taken)),
        Wire::Failures { counted } => Change::Failures(std::sync::Arc::new(counted)),
        Wire::Runs { ids } => return Decoded::Reference(Reference::Runs(ids)),
        Wire::Category { id } => return Decoded::Reference(Reference::Category(id)),
    })
}

/// Floats that may be infinite (a RATIO entry over zero) or NaN: JSON numbers cannot hold them,
/// so those travel as the strings `inf`, `-inf` and `nan`; finite values as numbers.
pub mod any_float {
    use serde::{Deserialize, Deserializer, Serializer};

    /// Writes `v` as a number, or as `inf`, `-inf` or `nan`.
    pub fn serialize<S: Serializer>(v: &f64, s: S) -> Result<S::Ok, S::Error> {
        match *v {
            v if v.is_finite() => s.serialize_f64(v),
            v if v.is_nan() => s.serialize_str("nan"),
            v if v > 0.0 => s.serialize_str("inf"),
            _ => s.serialize_str("-inf"),
        }
    }

    /// Reads what [`serialize`] wrote.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Float<'a> {
            Number(f64),
            Text(&'a str),
        }
        match Float::deserialize(d)? {
            Float::Number(v) => Ok(v),
            Float::Text("inf") => Ok(f64::INFINITY),
            Float::Text("-inf") => Ok(f64::NEG_INFINITY),
            Float::Text("nan") => Ok(f64::NAN),
            Float::Text(other) => Err(serde::de::Error::custom(format!("not a float: {other}"))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::id::{AccountId, ScoreEventId};
    use crate::model::{ScoreStatus, SortDirection};

    fn score(value: f64) -> Score {
        let at = crate::time::truncate(crate::time::now());
        Score {
            id: ScoreId::generate(),
            account_id: AccountId::generate(),
            game_id: GameId::generate(),
            board_id: BoardId::generate(),
            identity_id: IdentityId::generate(),
            is_test: false,
            one_per_player: true,
            player_name: "Ada".into(),
            value,
            value_display: Some("∞".into()),
            metadata: Some(serde_json::json!({"lap": 3})),
            status: ScoreStatus::UnderReview,
            timezone: None,
            country: Some("FR".into()),
            city: None,
            event_id: ScoreEventId::generate(),
            created_at: at,
            updated_at: at,
        }
    }

    #[test]
    fn every_change_that_travels_reads_back_as_it_was_written_infinite_values_included() {
        let (a, b) = (score(f64::INFINITY), score(-12.5));
        let key = |s: &Score| RankKey::new(s.value, SortDirection::Descending, 17, s.id.bits());
        let moves = vec![
            EntryMove {
                pool: PoolKey { board: a.board_id, is_test: false },
                old: None,
                new: Some(key(&a)),
                entry: EntryState::Stored(a.clone()),
            },
            EntryMove {
                pool: PoolKey { board: b.board_id, is_test: true },
                old: Some(key(&b)),
                new: Some(key(&a)),
                entry: EntryState::Stored(b.clone()),
            },
            EntryMove {
                pool: PoolKey { board: b.board_id, is_test: true },
                old: Some(key(&b)),
                new: None,
                entry: EntryState::Forgotten(b.id),
            },
            EntryMove {
                pool: PoolKey { board: b.board_id, is_test: false },
                old: None,
                new: None,
                entry: EntryState::Unchanged,
            },
        ];
        let text = encode(&Change::Entries(moves.clone())).unwrap();
        let Ok(Change::Entries(back)) = decode(&text) else { panic!("{text}") };
        assert_eq!(back.len(), moves.len());
        for (m, n) in moves.iter().zip(&back) {
            assert_eq!((m.pool, m.old, m.new), (n.pool, n.old, n.new));
            match (&m.entry, &n.entry) {
                (EntryState::Stored(x), EntryState::Stored(y)) => assert_eq!(x, y),
                (EntryState::Forgotten(x), EntryState::Forgotten(y)) => assert_eq!(x, y),
                (EntryState::Unchanged, EntryState::Unchanged) => {}
                other => panic!("{other:?}"),
            }
        }
        for i in [
            Invalidation::KeyGrants,
            Invalidation::Boards,
            Invalidation::Identity { id: a.identity_id, game: a.game_id, player_key: Some("ada".into()) },
            Invalidation::AccessToken { hash: "ab12".into() },
            Invalidation::ClientGrants { session: None, identity: Some(a.identity_id) },
            Invalidation::Member { id: crate::id::MemberId::generate() },
        ] {
            let Ok(Change::Invalidate(back)) = decode(&encode(&Change::Invalidate(i.clone())).unwrap()) else {
                panic!()
            };
            assert_eq!(back, i);
        }
    }
}
