//! Board semantics (game-boards spec §4) as pure functions: how an accepted event changes the
//! ranked entries of its board and of the RATIO boards derived from it. The same functions
//! serve live submissions and `podium rebuild`, which is what makes "events are the truth"
//! hold: replaying the events through them gives back the entries.

use std::collections::HashMap;

use crate::id::{BoardId, IdentityId, ScoreId};
use crate::model::{
    Board, BoardType, KeepStrategy, RatioConfig, RatioDisplay, Score, ScoreEvent, ScoreStatus, SortDirection,
    ZeroDenominator,
};
use crate::ranking::RankKey;
use crate::time::to_micros;

/// The entry a player holds on a board with one entry per player.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Slot {
    /// The board.
    pub board_id: BoardId,
    /// The player.
    pub identity_id: IdentityId,
    /// Test or live pool.
    pub is_test: bool,
}

/// One change to the stored entries.
#[derive(Debug, Clone, PartialEq)]
#[allow(clippy::large_enum_variant)] // short-lived, one per submission; boxing buys nothing
pub enum EntryChange {
    /// A new entry.
    Insert(Score),
    /// An entry whose value or fields changed.
    Update {
        /// As it was.
        old: Score,
        /// As it is now.
        new: Score,
    },
    /// An entry that no longer exists (a ratio whose inputs fell below the minimums).
    Delete(Score),
}

/// The ranking key of an entry on a board.
pub fn rank_key(board: &Board, score: &Score) -> RankKey {
    RankKey::new(score.value, board.sort_direction, to_micros(score.updated_at), score.id.bits())
}

/// Whether `new` is strictly better than `old` in the board's direction.
pub fn is_better(direction: SortDirection, new: f64, old: f64) -> bool {
    match direction {
        SortDirection::Descending => new > old,
        SortDirection::Ascending => new < old,
    }
}

/// One submission to plan: the board, the accepted event, the name to show, and the RATIO
/// boards that use the board as a source.
#[derive(Debug, Clone)]
pub struct PlannedEvent {
    /// The board submitted to.
    pub board: Board,
    /// The event.
    pub event: ScoreEvent,
    /// The trimmed player name.
    pub player_name: String,
    /// RATIO boards with this board as numerator or denominator.
    pub dependents: Vec<Board>,
    /// Anti-cheat flagged it: the entry it writes on its board goes under review.
    pub hold: bool,
}

impl PlannedEvent {
    /// The entries the plan needs to read: the player's entry on the board (unless RUN_RUNS),
    /// and on each dependent RATIO board that entry and both sources.
    pub fn slots(&self) -> Vec<Slot> {
        let slot = |board_id| Slot { board_id, identity_id: self.event.identity_id, is_test: self.event.is_test };
        let mut slots = Vec::new();
        if self.board.board_type != BoardType::RunRuns {
            slots.push(slot(self.board.id));
        }
        for ratio in &self.dependents {
            slots.push(slot(ratio.id));
            if let Some(rc) = &ratio.ratio_config {
                slots.push(slot(rc.numerator_board_id));
                slots.push(slot(rc.denominator_board_id));
            }
        }
        slots
    }
}

/// What a batch of submissions does: the changes to store (in order) and, per submission, the
/// entry to answer with.
#[derive(Debug, Clone, Default)]
pub struct Plan {
    /// Changes, in the order they happened.
    pub changes: Vec<EntryChange>,
    /// One resulting entry per planned event.
    pub results: Vec<Score>,
    /// Anti-cheat flags to record with the batch (refused attempts' flags are merged per
    /// player, board and detection).
    pub flags: Vec<crate::model::ScoreFlag>,
    /// The entries' moves for the change log, written in the batch's transaction (several
    /// nodes on one database).
    pub log: Option<crate::store::LoggedChange>,
    /// The number the store gave `log`'s first body (the moves).
    pub logged: Option<i64>,
}

/// Applies events in order to the current entries (`current` holds every slot the events
/// named; absent slots have no entry).
pub fn plan(events: &[PlannedEvent], current: Vec<Score>) -> Plan {
    let mut state: HashMap<Slot, Score> = current
        .into_iter()
        .map(|s| (Slot { board_id: s.board_id, identity_id: s.identity_id, is_test: s.is_test }, s))
        .collect();
    let mut out = Plan::default();
    for planned in events {
        let result = apply(planned, &mut state, &mut out.changes);
        out.results.push(result);
    }
    out
}

/// The id of the entry an event creates on a board: derived from both, so that replaying the
/// events (`podium rebuild`) recreates the very same entries.
pub fn entry_id(event: crate::id::ScoreEventId, board: BoardId) -> ScoreId {
    use sha2::{Digest, Sha256};
    let digest = Sha256::new().chain_update(event.to_string()).chain_update(board.to_string()).finalize();
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&digest[..16]);
    ScoreId::from_bits(u128::from_be_bytes(bytes))
}

fn new_entry(p: &PlannedEvent, board_id: BoardId, value: f64, value_display: Option<String>) -> Score {
    let e = &p.event;
    Score {
        id: entry_id(e.id, board_id),
        account_id: e.account_id,
        game_id: e.game_id,
        board_id,
        identity_id: e.identity_id,
        is_test: e.is_test,
        one_per_player: board_id != p.board.id || p.board.board_type != BoardType::RunRuns,
        player_name: p.player_name.clone(),
        value,
        value_display,
        metadata: e.event_payload.metadata.clone(),
        status: if p.hold && board_id == p.board.id { ScoreStatus::UnderReview } else { ScoreStatus::Active },
        timezone: e.timezone.clone(),
        country: e.country.clone(),
        city: e.city.clone(),
        event_id: e.id,
        created_at: e.created_at,
        updated_at: e.created_at,
    }
}

/// The entry after `p` sets its value, keeping its identity and status.
fn with_value(old: &Score, p: &PlannedEvent, value: f64, value_display: Option<String>) -> Score {
    let fresh = new_entry(p, old.board_id, value, value_display);
    let status = if p.hold && old.board_id == p.board.id { ScoreStatus::UnderReview } else { old.status };
    Score { id: old.id, status, created_at: old.created_at, ..fresh }
}

fn record(
    state: &mut HashMap<Slot, Score>,
    changes: &mut Vec<EntryChange>,
    slot: Slot,
    old: Option<Score>,
    new: Score,
) {
    changes.push(match old {
        None => EntryChange::Insert(new.clone()),
        Some(old) => EntryChange::Update { old, new: new.clone() },
    });
    state.insert(slot, new);
}

fn apply(p: &PlannedEvent, state: &mut HashMap<Slot, Score>, changes: &mut Vec<EntryChange>) -> Score {
    let e = &p.event;
    let payload = &e.event_payload;
    let slot = Slot { board_id: p.board.id, identity_id: e.identity_id, is_test: e.is_test };
    let current = state.get(&slot).cloned();
    let result = match p.board.board_type {
        BoardType::RunRuns => {
            let entry = new_entry(p, p.board.id, payload.value, payload.value_display.clone());
            changes.push(EntryChange::Insert(entry.clone()));
            entry
        }
        BoardType::Counter => {
            let entry = match &current {
                Some(old) => with_value(old, p, old.value + payload.value, payload.value_display.clone()),
                None => new_entry(p, p.board.id, payload.value, payload.value_display.clone()),
            };
            record(state, changes, slot, current, entry.clone());
            entry
        }
        BoardType::RunIdentity | BoardType::Ratio => {
            let replace = match (&current, p.board.keep_strategy) {
                (None, _) => true,
                (Some(_), KeepStrategy::Latest) => true,
                (Some(_), KeepStrategy::First) => false,
                (Some(old), _) => is_better(p.board.sort_direction, payload.value, old.value),
            };
            match current {
                Some(old) if !replace => old,
                old => {
                    let entry = match &old {
                        Some(o) => with_value(o, p, payload.value, payload.value_display.clone()),
                        None => new_entry(p, p.board.id, payload.value, payload.value_display.clone()),
                    };
                    record(state, changes, slot, old, entry.clone());
                    entry
                }
            }
        }
    };
    for ratio in &p.dependents {
        recompute_ratio(p, ratio, state, changes);
    }
    result
}

/// Replays events one by one, keeping every entry in memory (`podium rebuild`).
#[derive(Debug, Default)]
pub struct Replay {
    state: HashMap<Slot, Score>,
    runs: Vec<Score>,
    events: u64,
}

impl Replay {
    /// Applies one event (and the RATIO boards it feeds).
    pub fn apply(&mut self, p: &PlannedEvent) {
        let mut changes = Vec::new();
        apply(p, &mut self.state, &mut changes);
        for change in changes {
            if let EntryChange::Insert(s) = change
                && !s.one_per_player
            {
                self.runs.push(s);
            }
        }
        self.events += 1;
    }

    /// Events applied so far.
    pub fn events(&self) -> u64 {
        self.events
    }

    /// Every entry the events produced.
    pub fn into_entries(self) -> Vec<Score> {
        let mut entries = self.runs;
        entries.extend(self.state.into_values());
        entries
    }
}

/// The ratio of a player's two counter totals, or `None` when the player is not ranked.
pub fn ratio_value(rc: &RatioConfig, numerator: f64, denominator: f64) -> Option<f64> {
    if numerator < rc.min_numerator || denominator < rc.min_denominator {
        return None;
    }
    if denominator == 0.0 {
        return match rc.zero_denominator {
            ZeroDenominator::Null => None,
            ZeroDenominator::Zero => Some(0.0),
            ZeroDenominator::Infinity => Some(f64::INFINITY),
        };
    }
    let value = numerator / denominator * rc.scale;
    value.is_finite().then_some(value)
}

/// The display form of a ratio.
pub fn ratio_display(rc: &RatioConfig, value: f64) -> String {
    let decimals = usize::from(rc.decimals);
    match (rc.display, value.is_infinite()) {
        (_, true) => "∞".to_owned(),
        (RatioDisplay::Raw, false) => format!("{value:.decimals$}"),
        (RatioDisplay::Percent, false) => format!("{:.decimals$}%", value * 100.0),
    }
}

fn recompute_ratio(p: &PlannedEvent, ratio: &Board, state: &mut HashMap<Slot, Score>, changes: &mut Vec<EntryChange>) {
    let Some(rc) = &ratio.ratio_config else { return };
    let slot = |board_id| Slot { board_id, identity_id: p.event.identity_id, is_test: p.event.is_test };
    let total = |board_id, state: &HashMap<Slot, Score>| state.get(&slot(board_id)).map_or(0.0, |s| s.value);
    let numerator = total(rc.numerator_board_id, state);
    let denominator = total(rc.denominator_board_id, state);
    let current = state.get(&slot(ratio.id)).cloned();
    match (ratio_value(rc, numerator, denominator), current) {
        (None, None) => {}
        (None, Some(old)) => {
            state.remove(&slot(ratio.id));
            changes.push(EntryChange::Delete(old));
        }
        (Some(value), old) => {
            let display = Some(ratio_display(rc, value));
            let mut entry = match &old {
                Some(o) => with_value(o, p, value, display),
                None => new_entry(p, ratio.id, value, display),
            };
            entry.metadata = None;
            if let Some(o) = &old
                && o.value == entry.value
            {
                // Same ratio: the entry keeps the time it reached it.
                entry.updated_at = o.updated_at;
            }
            record(state, changes, slot(ratio.id), old, entry);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::id::{AccountId, GameId, ScoreEventId};
    use crate::model::{EventPayload, EventStatus, Name, Slug};
    use crate::time::from_micros;

    fn board(board_type: BoardType, keep: KeepStrategy, dir: SortDirection) -> Board {
        Board {
            id: BoardId::generate(),
            account_id: AccountId::generate(),
            game_id: GameId::generate(),
            name: Name::from_trusted("b".into()),
            slug: Slug::from_trusted("b".into()),
            short_code: "AAAAAA".into(),
            description: None,
            icon: None,
            unit: None,
            tags: vec![],
            board_type,
            sort_direction: dir,
            keep_strategy: keep,
            is_active: true,
            is_published: true,
            starts_at: None,
            ends_at: None,
            unique_player_names: false,
            min_value: None,
            max_value: None,
            ratio_config: None,
            template_id: None,
            series: None,
            period_start: None,
            created_at: from_micros(0),
            updated_at: from_micros(0),
            deleted_at: None,
        }
    }

    fn event(board: &Board, identity: IdentityId, value: f64, t: i64) -> PlannedEvent {
        PlannedEvent {
            board: board.clone(),
            event: ScoreEvent {
                id: ScoreEventId::generate(),
                account_id: board.account_id,
                game_id: board.game_id,
                board_id: board.id,
                identity_id: identity,
                event_payload: EventPayload { value, value_display: None, player_name: None, metadata: None },
                is_test: false,
                timezone: None,
                country: None,
                city: None,
                status: EventStatus::Accepted,
                created_at: from_micros(t),
            },
            player_name: "p".into(),
            dependents: vec![],
            hold: false,
        }
    }

    fn values(b: &Board, vals: &[f64]) -> Vec<f64> {
        let who = IdentityId::generate();
        let events: Vec<PlannedEvent> = vals.iter().enumerate().map(|(i, v)| event(b, who, *v, i as i64)).collect();
        plan(&events, vec![]).results.iter().map(|s| s.value).collect()
    }

    #[test]
    fn best_keeps_only_strictly_better_values_in_the_boards_direction() {
        let desc = board(BoardType::RunIdentity, KeepStrategy::Best, SortDirection::Descending);
        assert_eq!(values(&desc, &[5.0, 3.0, 8.0, 8.0]), [5.0, 5.0, 8.0, 8.0]);
        let asc = board(BoardType::RunIdentity, KeepStrategy::Best, SortDirection::Ascending);
        assert_eq!(values(&asc, &[5.0, 3.0, 8.0]), [5.0, 3.0, 3.0]);
    }

    #[test]
    fn first_keeps_the_first_and_latest_the_newest() {
        let first = board(BoardType::RunIdentity, KeepStrategy::First, SortDirection::Descending);
        assert_eq!(values(&first, &[5.0, 9.0]), [5.0, 5.0]);
        let latest = board(BoardType::RunIdentity, KeepStrategy::Latest, SortDirection::Descending);
        assert_eq!(values(&latest, &[5.0, 1.0]), [5.0, 1.0]);
    }

    #[test]
    fn a_counter_sums_its_deltas() {
        let counter = board(BoardType::Counter, KeepStrategy::Na, SortDirection::Descending);
        assert_eq!(values(&counter, &[5.0, 3.0, -1.0]), [5.0, 8.0, 7.0]);
    }

    #[test]
    fn run_runs_makes_an_entry_per_submission() {
        let runs = board(BoardType::RunRuns, KeepStrategy::Na, SortDirection::Descending);
        let who = IdentityId::generate();
        let p = plan(&[event(&runs, who, 1.0, 0), event(&runs, who, 2.0, 1)], vec![]);
        assert_eq!(p.changes.len(), 2);
        assert!(p.changes.iter().all(|c| matches!(c, EntryChange::Insert(_))));
    }

    #[test]
    fn ratio_options_decide_value_and_display() {
        let mut rc: RatioConfig = serde_json::from_value(serde_json::json!({
            "numerator_board_id": BoardId::generate().to_string(), "denominator_board_id": BoardId::generate().to_string()
        }))
        .unwrap();
        assert_eq!(ratio_value(&rc, 3.0, 2.0), Some(1.5));
        assert_eq!(ratio_value(&rc, 3.0, 0.0), None);
        rc.zero_denominator = ZeroDenominator::Zero;
        assert_eq!(ratio_value(&rc, 3.0, 0.0), Some(0.0));
        rc.zero_denominator = ZeroDenominator::Infinity;
        assert_eq!(ratio_value(&rc, 3.0, 0.0), Some(f64::INFINITY));
        rc.min_denominator = 5.0;
        assert_eq!(ratio_value(&rc, 3.0, 2.0), None);
        rc.min_denominator = 0.0;
        rc.min_numerator = 4.0;
        assert_eq!(ratio_value(&rc, 3.0, 2.0), None);
        rc.min_numerator = 0.0;
        rc.scale = 10.0;
        assert_eq!(ratio_value(&rc, 3.0, 2.0), Some(15.0));
        assert_eq!(ratio_display(&rc, 1.23456), "1.23");
        rc.display = RatioDisplay::Percent;
        rc.decimals = 1;
        assert_eq!(ratio_display(&rc, 0.4567), "45.7%");
    }

    #[test]
    fn a_counter_change_recomputes_its_ratio_board_in_the_same_plan() {
        let kills = board(BoardType::Counter, KeepStrategy::Na, SortDirection::Descending);
        let mut deaths = board(BoardType::Counter, KeepStrategy::Na, SortDirection::Descending);
        deaths.game_id = kills.game_id;
        let mut kd = board(BoardType::Ratio, KeepStrategy::Na, SortDirection::Descending);
        kd.ratio_config = Some(
            serde_json::from_value(serde_json::json!({
                "numerator_board_id": kills.id.to_string(), "denominator_board_id": deaths.id.to_string()
            }))
            .unwrap(),
        );
        let who = IdentityId::generate();
        let mut k = event(&kills, who, 6.0, 0);
        k.dependents = vec![kd.clone()];
        let mut d = event(&deaths, who, 4.0, 1);
        d.dependents = vec![kd.clone()];
        let p = plan(&[k, d], vec![]);
        let ratio: Vec<f64> = p
            .changes
            .iter()
            .filter_map(|c| match c {
                EntryChange::Insert(s) | EntryChange::Update { new: s, .. } if s.board_id == kd.id => Some(s.value),
                _ => None,
            })
            .collect();
        // 6 kills and no deaths: no entry (zero denominator → NULL); then 6 / 4.
        assert_eq!(ratio, [1.5]);
    }
}
