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

/// How long a board's statistics are reused: a distribution of many entries moves slowly, and
/// reading it on every submission made request tasks queue behind the writer's updates of the
/// same ranking.
const STATS_FOR: std::time::Duration = std::time::Duration::from_millis(250);

/// Each pool's statistics, reused for [`STATS_FOR`].
#[derive(Default)]
pub(crate) struct StatsCache {
    pools: Mutex<HashMap<PoolKey, (std::time::Instant, Option<BoardStats>)>>,
}

impl StatsCache {
    fn get(&self, engine: &Engine, board: &Board, is_test: bool) -> Option<BoardStats> {
        let key = PoolKey { board: board.id, is_test };
        {
            let pools = self.pools.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            if let Some((at, stats)) = pools.get(&key)
                && at.elapsed() < STATS_FOR
            {
                return *stats;
            }
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

/// Median and quartiles of a pool's live values, from the engine in O(log n).
pub(crate) fn board_stats(engine: &Engine, board: &Board, is_test: bool) -> Option<BoardStats> {
    engine.read(PoolKey { board: board.id, is_test }, |r| {
        let n = r.len();
        let value = |q: usize| r.at(q.min(n.saturating_sub(1))).map(|k| k.value(board.sort_direction));
        let (a, m, b) = (value(n / 4)?, value(n / 2)?, value(3 * n / 4)?);
        Some(BoardStats { count: n, median: m, q1: a.min(b), q3: a.max(b) })
    })
}
