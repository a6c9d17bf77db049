//! The change feed's wire form: a committed [`Change`] as the JSON text another node reads
//! from the change log. Ranking moves and cache invalidations travel whole — an entry's place
//! before and after and its stored state, or what went stale — so a follower applies them
//! exactly as the node that committed them did, without reading anything back.
//!
//! Community runs and activity points do not travel yet: [`encode`] returns `None` for them and
//! each node's copies of those follow only its own writes (docs/OPERATIONS.md says so).

use serde::{Deserialize, Serialize};

use super::changes::{Change, EntryMove, EntryState, Invalidation};
use crate::id::{BoardId, GameId, IdentityId, MemberId, ScoreId, SessionId};
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
        Change::Runs(_) | Change::Activity(_) => return None,
    };
    // Every part is plain data: serialising it cannot fail.
    serde_json::to_string(&wire).ok()
}

/// The change a logged body carries; an error names what did not parse (a body written by a
/// newer node during a rolling upgrade, say).
pub fn decode(body: &str) -> Result<Change, serde_json::Error> {
    Ok(match serde_json::from_str::<Wire<'_>>(body)? {
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
    })
}
