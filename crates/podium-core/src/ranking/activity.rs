//! Activity rankings: per game × scope (total or a category) × period (a day or all time),
//! one order-statistic index of users by points, most first, kept up to date from the values
//! that moved ([`Moved`]) — before a batch is answered, so its answer and every read after it
//! agree. Users with equal points share a rank (1 + how many have more); among them the one
//! who reached the value first is listed first. A user's key is the first 128 bits of the
//! SHA-256 of their id, so cursors mean the same on every node and after a restart.

use std::collections::HashMap;
use std::collections::hash_map::Entry;
use std::sync::RwLock;

use sha2::{Digest, Sha256};

use super::{RankKey, Ranking};
use crate::activity::{Moved, Period, Scope};
use crate::id::GameId;
use crate::model::SortDirection;
use crate::model::activity::{Key, KeyMap};

/// One ranking's place.
type Board = (GameId, Scope, Period);

/// A ranked user on a page.
#[derive(Debug, Clone, PartialEq)]
pub struct RankedUser {
    /// The user.
    pub user: Key,
    /// Their points in this ranking.
    pub points: i64,
    /// Shared rank (1-based).
    pub rank: usize,
    /// Their place in the index (for cursors).
    pub key: RankKey,
}

/// Where a page starts.
#[derive(Debug, Clone, Copy)]
pub enum Boundary {
    /// The top.
    Start,
    /// Right after this key.
    After(RankKey),
    /// Right before this key.
    Before(RankKey),
    /// Centred on a user.
    Around(u128),
}

/// One page of a ranking.
#[derive(Debug, Clone, Default)]
pub struct UsersPage {
    /// The users, best first.
    pub users: Vec<RankedUser>,
    /// More after.
    pub has_next: bool,
    /// More before.
    pub has_prev: bool,
    /// Users in the ranking.
    pub total: usize,
}

#[derive(Default)]
struct Inner {
    boards: HashMap<Board, Ranking>,
    keys: KeyMap<(Board, u128), RankKey>,
    names: KeyMap<u128, Key>,
}

/// Every game's activity rankings on this node.
#[derive(Default)]
pub struct ActivityRankings {
    inner: RwLock<Inner>,
}

/// The stable key bits of a user id.
pub fn user_bits(user: &Key) -> u128 {
    let digest = Sha256::digest(user.as_str().as_bytes());
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&digest[..16]);
    u128::from_be_bytes(bytes)
}

impl ActivityRankings {
    fn read(&self) -> std::sync::RwLockReadGuard<'_, Inner> {
        self.inner.read().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, Inner> {
        self.inner.write().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Applies values that moved in `game`, reached at `at_micros`.
    pub fn apply(&self, game: GameId, moved: &[Moved], at_micros: i64) {
        let mut inner = self.write();
        // A user's values come one after another: hash their id once per run.
        let mut last: Option<(&Key, u128)> = None;
        for m in moved {
            let bits = match last {
                Some((user, bits)) if *user == m.user => bits,
                _ => {
                    let bits = user_bits(&m.user);
                    inner.names.entry(bits).or_insert_with(|| m.user.clone());
                    last = Some((&m.user, bits));
                    bits
                }
            };
            let board = (game, m.scope, m.period);
            let new = RankKey::new(m.new as f64, SortDirection::Descending, at_micros, bits);
            let Inner { boards, keys, .. } = &mut *inner;
            let ranking = boards.entry(board).or_default();
            match keys.entry((board, bits)) {
                Entry::Occupied(mut held) => {
                    // Same points: the user keeps their place among ties.
                    if held.get().score_bits() != new.score_bits() {
                        ranking.remove(held.get());
                        ranking.insert(new);
                        held.insert(new);
                    }
                }
                Entry::Vacant(slot) => {
                    ranking.insert(new);
                    slot.insert(new);
                }
            }
        }
    }

    /// Forgets a game's day rankings before `oldest`.
    pub fn prune_days(&self, game: GameId, oldest: chrono::NaiveDate) {
        let mut inner = self.write();
        let stale = |b: &Board| b.0 == game && matches!(b.2, Period::Day(d) if d < oldest);
        inner.boards.retain(|b, _| !stale(b));
        inner.keys.retain(|(b, _), _| !stale(b));
    }

    /// A user's place: (points, shared rank).
    pub fn rank_of(&self, game: GameId, scope: Scope, period: Period, user: &Key) -> Option<(i64, usize)> {
        let inner = self.read();
        let board = (game, scope, period);
        let key = inner.keys.get(&(board, user_bits(user)))?;
        let ranking = inner.boards.get(&board)?;
        let points = key.value(SortDirection::Descending) as i64;
        Some((points, shared_rank(ranking, points)))
    }

    /// A page of `limit` users from `boundary`.
    pub fn page(&self, game: GameId, scope: Scope, period: Period, boundary: Boundary, limit: usize) -> UsersPage {
        let inner = self.read();
        let board = (game, scope, period);
        let Some(ranking) = inner.boards.get(&board) else { return UsersPage::default() };
        let len = ranking.len();
        let after = |key: &RankKey| ranking.count_before(key) + usize::from(ranking.rank(key).is_some());
        let (start, end) = match boundary {
            Boundary::Start => (0, limit.min(len)),
            Boundary::After(key) => {
                let s = after(&key).min(len);
                (s, (s + limit).min(len))
            }
            Boundary::Before(key) => {
                let e = ranking.count_before(&key).min(len);
                (e.saturating_sub(limit), e)
            }
            Boundary::Around(bits) => match inner.keys.get(&(board, bits)) {
                None => (0, 0),
                Some(key) => {
                    let at = ranking.count_before(key);
                    let s = super::window_start(at, len, limit);
                    (s, (s + limit).min(len))
                }
            },
        };
        let window = ranking.page(start, end - start);
        // Most points first: a user with fewer points than the one before has everyone above
        // them ahead, so their shared rank is their place; only the page's first user (and
        // ties) need the ranking's count.
        let mut previous: Option<(i64, usize)> = None;
        let users = window
            .keys
            .iter()
            .enumerate()
            .map(|(i, key)| {
                let points = key.value(SortDirection::Descending) as i64;
                let rank = match previous {
                    Some((p, rank)) if p == points => rank,
                    Some(_) => start + i + 1,
                    None => shared_rank(ranking, points),
                };
                previous = Some((points, rank));
                RankedUser {
                    user: inner.names.get(&key.id()).cloned().unwrap_or_else(|| Key::from_trusted(String::new())),
                    points,
                    rank,
                    key: *key,
                }
            })
            .collect();
        UsersPage { users, has_next: end < len, has_prev: start > 0, total: len }
    }

    /// Every user with a shared rank at most `max_rank` (badges).
    pub fn podium(&self, game: GameId, scope: Scope, period: Period, max_rank: usize) -> Vec<RankedUser> {
        let mut out = Vec::new();
        let mut boundary = Boundary::Start;
        loop {
            let page = self.page(game, scope, period, boundary, 50);
            let Some(last) = page.users.last().map(|u| u.key) else { return out };
            for u in page.users {
                if u.rank > max_rank {
                    return out;
                }
                out.push(u);
            }
            if !page.has_next {
                return out;
            }
            boundary = Boundary::After(last);
        }
    }
}

/// 1 + how many have more points.
fn shared_rank(ranking: &Ranking, points: i64) -> usize {
    ranking.count_before(&RankKey::new(points as f64, SortDirection::Descending, i64::MIN, 0)) + 1
}

#[cfg(test)]
mod tests {
    use super::*;

    fn moved(user: &str, old: Option<i64>, new: i64) -> Moved {
        Moved { user: Key::parse(user).unwrap(), scope: Scope::Total, period: Period::AllTime, old, new }
    }

    #[test]
    fn ties_share_a_rank_and_pages_walk_the_whole_ranking() {
        let r = ActivityRankings::default();
        let game = GameId::generate();
        r.apply(game, &[moved("a", None, 390), moved("b", None, 390), moved("c", None, 400)], 1);
        r.apply(game, &[moved("d", None, 10)], 2);
        let page = r.page(game, Scope::Total, Period::AllTime, Boundary::Start, 10);
        let got: Vec<(String, usize)> = page.users.iter().map(|u| (u.user.to_string(), u.rank)).collect();
        assert_eq!(got[0], ("c".to_owned(), 1));
        assert_eq!((got[1].1, got[2].1, got[3].clone()), (2, 2, ("d".to_owned(), 4)));
        let first = r.page(game, Scope::Total, Period::AllTime, Boundary::Start, 2);
        let next = r.page(game, Scope::Total, Period::AllTime, Boundary::After(first.users[1].key), 2);
        assert_eq!(next.users.len(), 2);
        assert!(!next.has_next && next.has_prev);
        let back = r.page(game, Scope::Total, Period::AllTime, Boundary::Before(next.users[0].key), 2);
        assert_eq!(back.users, first.users);
        r.apply(game, &[moved("d", Some(10), 500)], 3);
        assert_eq!(r.rank_of(game, Scope::Total, Period::AllTime, &Key::parse("d").unwrap()), Some((500, 1)));
        assert_eq!(r.podium(game, Scope::Total, Period::AllTime, 3).len(), 4, "ranks 1, 2, 3, 3");
    }

    #[test]
    fn every_page_gives_each_user_one_plus_how_many_have_more_points() {
        let r = ActivityRankings::default();
        let game = GameId::generate();
        // Many ties: points from a small range, so pages start inside runs of equal points.
        let users: Vec<(String, i64)> = (0..300).map(|i| (format!("u{i}"), (i * 7919 % 23) as i64)).collect();
        let moves: Vec<Moved> = users.iter().map(|(u, p)| moved(u, None, *p)).collect();
        r.apply(game, &moves, 1);
        let naive = |points: i64| 1 + users.iter().filter(|(_, p)| *p > points).count();
        for limit in [1, 7, 20, 50] {
            let mut boundary = Boundary::Start;
            let mut seen = 0;
            loop {
                let page = r.page(game, Scope::Total, Period::AllTime, boundary, limit);
                for u in &page.users {
                    assert_eq!(u.rank, naive(u.points), "{} with {} (limit {limit})", u.user, u.points);
                }
                seen += page.users.len();
                let Some(last) = page.users.last().filter(|_| page.has_next) else { break };
                boundary = Boundary::After(last.key);
            }
            assert_eq!(seen, users.len());
        }
    }
}
