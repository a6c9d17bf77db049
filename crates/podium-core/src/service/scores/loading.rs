//! Start-up and rebuild: the rankings loaded from the stored entries, anti-cheat's counters
//! rebuilt from the recent events, and `podium rebuild`, which recomputes every entry from the
//! events.

use super::{RebuildReport, Scores};
use crate::error::ServiceResult;
use crate::id::{BoardId, GameId, ScoreEventId};
use crate::model::{Board, BoardType, SortDirection};
use crate::ranking::{PoolKey, RankKey};
use crate::scoring::PlannedEvent;
use crate::time::now;

impl Scores {
    /// Loads every ranked entry into the engine, logging progress. Returns how many.
    pub async fn load_rankings(&self) -> ServiceResult<u64> {
        let store = self.admin.store();
        let directions: std::collections::HashMap<BoardId, SortDirection> = store
            .all_boards()
            .await?
            .into_iter()
            .filter(|b| b.deleted_at.is_none())
            .map(|b| (b.id, b.sort_direction))
            .collect();
        let mut pools: std::collections::HashMap<PoolKey, Vec<RankKey>> = std::collections::HashMap::new();
        let started = std::time::Instant::now();
        let mut seen = 0u64;
        let n = store
            .for_each_ranked(&mut |row| {
                seen += 1;
                if seen.is_multiple_of(1_000_000) {
                    tracing::info!(entries = seen, elapsed_s = started.elapsed().as_secs_f64(), "loading rankings");
                }
                if let Some(direction) = directions.get(&row.board_id) {
                    let key = RankKey::new(row.value, *direction, row.updated_at, row.id.bits());
                    pools.entry(PoolKey { board: row.board_id, is_test: row.is_test }).or_default().push(key);
                }
            })
            .await?;
        let boards = pools.len();
        for (pool, keys) in pools {
            self.engine.set_pool(pool, crate::ranking::Ranking::from_keys(keys));
        }
        // Banned players' entries stay stored but unranked.
        for s in store.scores_of_identity(None).await? {
            if let Some(direction) = directions.get(&s.board_id) {
                let key = RankKey::new(s.value, *direction, crate::time::to_micros(s.updated_at), s.id.bits());
                self.engine.write(PoolKey { board: s.board_id, is_test: s.is_test }, |r| r.remove(&key));
            }
        }
        tracing::info!(entries = n, boards, elapsed_s = started.elapsed().as_secs_f64(), "rankings loaded");
        Ok(n)
    }

    /// Rebuilds the anti-cheat counters after a restart: accepted totals per player from the
    /// submission metadata, and the windows (hour, duplicates, clusters, last values, bests)
    /// by replaying the last 24 hours of events. Returns how many events were replayed.
    pub async fn load_anticheat(&self) -> ServiceResult<u64> {
        let store = self.admin.store();
        let boards: std::collections::HashMap<BoardId, Board> =
            store.all_boards().await?.into_iter().map(|b| (b.id, b)).collect();
        // Each game's own windows decide what its counters keep (pattern history, cluster cap
        // and window, duplicate window); the verdicts do not matter here, so the rate limit is
        // lifted. A deleted game's boards replay with the defaults.
        let mut thresholds: std::collections::HashMap<GameId, crate::anticheat::Thresholds> =
            std::collections::HashMap::new();
        let defaults = replay_thresholds(&crate::model::AntiCheatSettings::default());
        let games: std::collections::HashSet<GameId> = boards.values().map(|b| b.game_id).collect();
        for id in games {
            if let Some(game) = store.get_game(id).await? {
                thresholds.insert(id, replay_thresholds(&game.anti_cheat));
            }
        }
        let since = crate::time::to_micros(now()) - replay_window_micros(thresholds.values());
        let events = store.events_since(since).await?;
        let totals = store.accepted_totals().await?;
        for e in &events {
            if let Some(board) = boards.get(&e.board_id) {
                let sub = crate::anticheat::Submission {
                    identity: e.identity_id,
                    board,
                    value: e.event_payload.value,
                    at_micros: crate::time::to_micros(e.created_at),
                    thresholds: thresholds.get(&board.game_id).copied().unwrap_or(defaults),
                };
                self.counters.replay(&sub);
            }
        }
        self.counters.set_totals(totals);
        tracing::info!(events = events.len(), "anti-cheat counters rebuilt from the replay window");
        Ok(events.len() as u64)
    }

    /// Recomputes every ranked entry from the events alone (`podium rebuild`): replays them in
    /// order through the same board semantics as live submissions, replaces the stored entries
    /// in one transaction and reloads the rankings. `progress` is called every 100 000 events.
    pub async fn rebuild(&self, progress: &(dyn Fn(u64) + Sync)) -> ServiceResult<RebuildReport> {
        let store = self.admin.store();
        let boards: std::collections::HashMap<BoardId, Board> =
            store.all_boards().await?.into_iter().map(|b| (b.id, b)).collect();
        let mut dependents: std::collections::HashMap<BoardId, Vec<Board>> = std::collections::HashMap::new();
        for ratio in boards.values().filter(|b| b.board_type == BoardType::Ratio && b.deleted_at.is_none()) {
            if let Some(rc) = &ratio.ratio_config {
                for source in [rc.numerator_board_id, rc.denominator_board_id] {
                    dependents.entry(source).or_default().push(ratio.clone());
                }
            }
        }
        let (held, rejected) = store.review_state().await?;
        let held: std::collections::HashSet<ScoreEventId> = held.into_iter().collect();
        let rejected: std::collections::HashSet<ScoreEventId> = rejected.into_iter().collect();
        let mut replay = crate::scoring::Replay::default();
        let mut skipped = 0u64;
        let events = store
            .for_each_event(&mut |event| {
                if rejected.contains(&event.id) {
                    return;
                }
                let Some(board) = boards.get(&event.board_id) else {
                    skipped += 1;
                    return;
                };
                let player_name = event.event_payload.player_name.clone().unwrap_or_default();
                let planned = PlannedEvent {
                    board: board.clone(),
                    dependents: dependents.get(&board.id).cloned().unwrap_or_default(),
                    hold: held.contains(&event.id),
                    event,
                    player_name,
                };
                replay.apply(&planned);
                if replay.events().is_multiple_of(100_000) {
                    progress(replay.events());
                }
            })
            .await?;
        let entries = replay.into_entries();
        store.replace_scores(&entries).await?;
        self.entries.clear();
        self.load_rankings().await?;
        Ok(RebuildReport { events, entries: entries.len() as u64, skipped_events: skipped })
    }
}

/// Longest replay at start-up: a window configured longer than this comes back with this much
/// history (docs/anti-cheat.md).
pub const REPLAY_MAX_MICROS: i64 = 30 * 24 * 3600 * 1_000_000;

/// A game's thresholds for replaying its events: its own windows, no rate limit.
fn replay_thresholds(settings: &crate::model::AntiCheatSettings) -> crate::anticheat::Thresholds {
    let mut t = crate::anticheat::Thresholds::resolve(settings, crate::model::TrustTier::A);
    t.rate_limit_per_hour = u32::MAX;
    t
}

/// How far back the replay reads: a day (the trust tiers' and the rate limit's horizon), or the
/// longest duplicate or cluster window any game configured, up to [`REPLAY_MAX_MICROS`].
fn replay_window_micros<'a>(games: impl Iterator<Item = &'a crate::anticheat::Thresholds>) -> i64 {
    let longest = games.map(|t| t.duplicate_window_seconds.max(t.cluster_window_seconds)).fold(0.0, f64::max);
    ((longest * 1e6).min(REPLAY_MAX_MICROS as f64) as i64).max(crate::anticheat::NEW_IDENTITY_MICROS)
}
