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
