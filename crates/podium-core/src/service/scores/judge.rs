//! Anti-cheat's judging of a submission, in the request's own task: the detector's counters
//! are shared by every request (one short lock per submission), and a board's statistics are
//! reused briefly, so judging runs in parallel with the writer's commits, not on its serial
//! path.

use std::collections::HashMap;
use std::sync::Mutex;

use crate::anticheat::{BoardStats, Submission, Thresholds, Verdict, trust_tier};
use crate::model::{AntiCheatSettings, Board, TrustTier};
use crate::ranking::{Engine, PoolKey};
use crate::scoring::PlannedEvent;
use crate::shared::AntiCheatCounters;
use crate::time::{now, to_micros};

/// What anti-cheat needs to judge a submission (absent when the game turned it off).
#[derive(Debug, Clone)]
pub(crate) struct Check {
    /// The game's threshold overrides.
    pub(crate) settings: AntiCheatSettings,
    /// An admin's tier for the player, if any.
    pub(crate) tier_override: Option<TrustTier>,
    /// When the player was created (microseconds).
    pub(crate) identity_created_micros: i64,
}

/// Judges a submission: the counters are shared by every request task (one short lock per
/// submission in the in-memory implementation), so the judging runs in the request's own task, in parallel with the
/// writer's commits, not on the writer's serial path.
pub(crate) fn judge(
    counters: &dyn AntiCheatCounters,
    engine: &Engine,
    stats: &StatsCache,
    check: &Check,
    p: &PlannedEvent,
) -> Verdict {
    let at = to_micros(now());
    let stats = stats.get(engine, &p.board, p.event.is_test);
    let submission = |accepted_total| {
        let tier = trust_tier(check.tier_override, check.identity_created_micros, accepted_total, at);
        Submission {
            identity: p.event.identity_id,
            board: &p.board,
            value: p.event.event_payload.value,
            at_micros: at,
            thresholds: Thresholds::resolve(&check.settings, tier),
        }
    };
    counters.judge(p.event.identity_id, &submission, stats)
}

/// How long a board's statistics are reused at most: a distribution of many entries moves
/// slowly, and reading it on every submission made request tasks queue behind the writer's
/// updates of the same ranking.
const STATS_FOR: std::time::Duration = std::time::Duration::from_millis(250);
/// Below this many entries a pool's statistics are read afresh on every submission: a young
/// board's quartiles move with each entry (and crossing a detection's minimum count must be
/// seen at once), and reading them is a few steps down a small tree.
const SMALL_POOL: usize = 256;
/// A larger pool's statistics are read afresh once its count moved by more than this share
/// since they were read (1/64: its quartiles have moved by at most that many ranks).
const MOVED_SHARE: usize = 64;

/// Each pool's statistics, reused while they still describe it: for at most [`STATS_FOR`],
/// never for a pool under [`SMALL_POOL`] entries, and not once its count moved by more than
/// 1/[`MOVED_SHARE`] — so a burst of extreme values right after a board's first honest scores
/// is judged against those scores, not against the empty board of a moment before.
#[derive(Default)]
pub(crate) struct StatsCache {
    pools: Mutex<HashMap<PoolKey, (std::time::Instant, Option<BoardStats>)>>,
}

impl StatsCache {
    fn get(&self, engine: &Engine, board: &Board, is_test: bool) -> Option<BoardStats> {
        let key = PoolKey { board: board.id, is_test };
        let cached = {
            let pools = self.pools.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            pools.get(&key).copied()
        };
        if let Some((at, stats)) = cached
            && at.elapsed() < STATS_FOR
            && still_describes(stats, engine.try_len(key))
        {
            return stats;
        }
        let stats = board_stats(engine, board, is_test);
        let mut pools = self.pools.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if pools.len() > 100_000 {
            pools.clear();
        }
        pools.insert(key, (std::time::Instant::now(), stats));
        stats
    }
}

/// Whether statistics read earlier still describe a pool that holds `live` entries now
/// (`None`: the writer holds the pool this instant; the statistics of a moment ago stand, as
/// long as they are of a large pool).
fn still_describes(stats: Option<BoardStats>, live: Option<usize>) -> bool {
    let Some(stats) = stats else { return false };
    if stats.count < SMALL_POOL {
        return false;
    }
    live.is_none_or(|n| n.abs_diff(stats.count) <= stats.count / MOVED_SHARE)
}

/// Median and quartiles of a pool's live values, from the engine in O(log n).
pub(crate) fn board_stats(engine: &Engine, board: &Board, is_test: bool) -> Option<BoardStats> {
    engine.read(PoolKey { board: board.id, is_test }, |r| {
        let n = r.len();
        let value = |q: usize| r.at(q.min(n.saturating_sub(1))).map(|k| k.value(board.sort_direction));
        let (a, m, b) = (value(n / 4)?, value(n / 2)?, value(3 * n / 4)?);
        Some(BoardStats { count: n, median: m, q1: a.min(b), q3: a.max(b) })
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::anticheat::{Detector, FlagType, Submission, Thresholds};
    use crate::model::{AntiCheatSettings, BoardType, SortDirection, TrustTier};
    use crate::ranking::RankKey;
    use proptest::prelude::*;

    proptest! {
        /// outlier, end to end from a pool's entries: statistics read from the engine and the
        /// detection's verdict against a naive model — the values sorted, the median and the
        /// quartiles taken at a quarter, a half and three quarters of the way down the board,
        /// and the robust z-score `(value − median) / (IQR / 1.349)` in the board's better
        /// direction compared with the threshold once the pool has the minimum of entries.
        #[test]
        fn outlier_matches_a_naive_model(
            values in proptest::collection::vec(-50i32..200, 0..80),
            probes in proptest::collection::vec(-400i32..800, 1..10),
            ascending in proptest::bool::ANY,
            min_entries in 1u32..30,
            z in 1u8..6,
        ) {
            let direction = if ascending { SortDirection::Ascending } else { SortDirection::Descending };
            let board = Board::unsaved(BoardType::RunIdentity, direction, None, None);
            let engine = Engine::new();
            let pool = PoolKey { board: board.id, is_test: false };
            for (i, v) in values.iter().enumerate() {
                engine.write(pool, |r| r.insert(RankKey::new(f64::from(*v), direction, i as i64, i as u128)));
            }
            // The naive statistics: sorted values, read from the best end.
            let mut sorted: Vec<f64> = values.iter().map(|v| f64::from(*v)).collect();
            sorted.sort_by(f64::total_cmp);
            let n = sorted.len();
            let down = |i: usize| if ascending { sorted[i] } else { sorted[n - 1 - i] };
            let stats = board_stats(&engine, &board, false);
            if n == 0 {
                prop_assert!(stats.is_none());
            } else {
                let (a, b) = (down(n / 4), down(3 * n / 4));
                let expected = BoardStats { count: n, median: down(n / 2), q1: a.min(b), q3: a.max(b) };
                prop_assert_eq!(stats, Some(expected));
            }
            let mut thresholds = Thresholds::resolve(&AntiCheatSettings::default(), TrustTier::A);
            thresholds.outlier_min_entries = min_entries;
            thresholds.outlier_z_score = f64::from(z);
            for (i, probe) in probes.iter().enumerate() {
                let value = f64::from(*probe);
                let sub = Submission {
                    identity: crate::id::IdentityId::from_bits(10_000 + i as u128),
                    board: &board,
                    value,
                    at_micros: i as i64 * 1_000_000_000,
                    thresholds,
                };
                let fired = Detector::new().evaluate(&sub, stats).fired(FlagType::Outlier);
                let expected = n >= min_entries as usize && n > 0 && {
                    let (a, b) = (down(n / 4), down(3 * n / 4));
                    let (q1, q3, median) = (a.min(b), a.max(b), down(n / 2));
                    let sigma = (q3 - q1) / 1.349;
                    let better_by = if ascending { median - value } else { value - median };
                    q3 > q1 && better_by / sigma > f64::from(z)
                };
                prop_assert_eq!(fired, expected, "{} against {:?}", value, stats);
            }
        }
    }

    fn of(count: usize) -> Option<BoardStats> {
        Some(BoardStats { count, median: 1.0, q1: 0.0, q3: 2.0 })
    }

    #[test]
    fn statistics_are_reused_only_for_a_large_pool_whose_count_barely_moved() {
        // Nothing read, or a young pool: always afresh (crossing a detection's minimum shows).
        assert!(!still_describes(None, Some(0)));
        for n in [0, 1, 9, 10, 255] {
            assert!(!still_describes(of(n), Some(n)), "a pool of {n} is read afresh");
        }
        // A large pool: reused while its count moved by at most 1/64, in either direction.
        assert!(still_describes(of(6400), Some(6400)));
        assert!(still_describes(of(6400), Some(6500)));
        assert!(still_describes(of(6400), Some(6300)));
        assert!(!still_describes(of(6400), Some(6501)));
        assert!(!still_describes(of(6400), Some(6299)));
        // The writer holds it this instant: the statistics of a moment ago stand.
        assert!(still_describes(of(6400), None));
        assert!(!still_describes(of(100), None));
    }
}
