//! Reviews that change rankings (game-boards spec §5). A review is carried out by the score
//! writer between batches, so it never races a submission for the same entry: it re-reads the
//! player's events on the board (and on the boards tied to it by RATIO), decides from the
//! flags — with this review applied — which events are rejected (a `confirmed_cheat` flag) and
//! which entries are held under review (a pending MEDIUM flag), replays the rest through the
//! same board semantics as live submissions, and replaces the player's entries in one
//! transaction with the flag and the event statuses. The rankings follow.
//!
//! So `confirmed_cheat` leaves the player's best remaining value (under the board's keep
//! strategy) in place on RUN_IDENTITY boards, takes the delta out of a COUNTER's sum, removes a
//! RUN_RUNS entry, and recomputes dependent RATIO entries; `false_positive` / `dismissed`
//! release the entry unless another pending flag still holds it; `pending` holds it again.
//! A player-and-board slot left with no accepted event keeps its entry, `rejected` and unranked.

use std::collections::{HashMap, HashSet};

use serde::Deserialize;

use super::Parts;
use super::Scores;
use crate::anticheat::Confidence;
use crate::auth::Principal;
use crate::error::FieldCode;
use crate::error::FieldErrors;
use crate::error::{ServiceError, ServiceResult};
use crate::id::{BoardId, FlagId, ScoreEventId};
use crate::model::{Board, BoardType, FlagStatus, ScoreFlag, ScoreStatus};
use crate::ranking::PoolKey;
use crate::scoring::{PlannedEvent, Replay, rank_key};
use crate::service::Patch;
use crate::shared::{Change, EntryMove, EntryState};
use crate::store::{LoggedChange, ReviewInputs, ReviewWrite};
use crate::time::now;
use std::sync::Mutex;

/// `PATCH /v1/score-flags/{id}`
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReviewFlag {
    /// `pending`, `confirmed_cheat`, `false_positive` or `dismissed`.
    #[serde(default)]
    #[schema(value_type = FlagStatus)]
    pub status: Patch<FlagStatus>,
    /// The reviewer's note (up to 1 000 characters), or null.
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub reviewer_decision: Patch<String>,
    /// `true` soft-deletes the flag (it then holds nothing).
    #[serde(default)]
    #[schema(value_type = bool)]
    pub deleted: Patch<bool>,
}

/// A review for the writer to carry out.
pub(crate) struct ReviewJob {
    flag: ScoreFlag,
    /// Every board involved: the flag's, the RATIO boards fed by it, their other sources.
    boards: HashMap<BoardId, Board>,
}

impl Scores {
    /// Soft-deletes a flag (`DELETE /v1/score-flags/{id}`): as a review with `deleted: true`,
    /// its status kept; restored by a review with `deleted: false`.
    pub async fn delete_flag(&self, p: &Principal, id: FlagId) -> ServiceResult<()> {
        let cmd = ReviewFlag { deleted: crate::service::Patch::Value(true), ..ReviewFlag::default() };
        self.review_flag(p, id, cmd).await.map(|_| ())
    }

    /// Reviews a flag; rankings change as the module documentation says. Every review records
    /// the reviewer and the time. `deleted: true` soft-deletes it (it then holds nothing);
    /// `deleted: false` restores a soft-deleted one (it holds again what its status says).
    pub async fn review_flag(&self, p: &Principal, id: FlagId, cmd: ReviewFlag) -> ServiceResult<ScoreFlag> {
        let mut errors = FieldErrors::new();
        let deleted = cmd.deleted.required("deleted", &mut errors);
        let mut flag = if deleted == Some(false) {
            // A restore finds the flag whether or not it is deleted.
            let flag =
                self.admin.store().get_flag_even_deleted(id).await?.ok_or_else(|| ServiceError::not_found("flag"))?;
            if !p.can_see(flag.account_id) {
                return Err(ServiceError::not_found("flag"));
            }
            flag
        } else {
            self.get_flag(p, id).await?
        };
        let status = cmd.status.required("status", &mut errors);
        if let Some(decision) = cmd.reviewer_decision.optional() {
            if decision.as_ref().is_some_and(|d| d.chars().count() > 1000) {
                errors.add("reviewer_decision", FieldCode::TooLong);
            }
            flag.reviewer_decision = decision.map(|d| d.trim().to_owned()).filter(|d| !d.is_empty());
        }
        errors.into_result()?;
        let at = now();
        if let Some(status) = status {
            flag.status = status;
        }
        match deleted {
            Some(true) => flag.deleted_at = Some(at),
            Some(false) => flag.deleted_at = None,
            None => {}
        }
        flag.reviewer_id = Some(p.user_id);
        flag.reviewed_at = Some(at);
        flag.updated_at = at;
        let board =
            self.admin.store().get_board(flag.board_id).await?.ok_or_else(|| ServiceError::not_found("board"))?;
        let mut boards = HashMap::new();
        if board.board_type == BoardType::Counter {
            for ratio in self.admin.ratio_boards(board.game_id).await? {
                let Some(rc) = ratio.ratio_config.clone() else { continue };
                if rc.numerator_board_id != board.id && rc.denominator_board_id != board.id {
                    continue;
                }
                for source in [rc.numerator_board_id, rc.denominator_board_id] {
                    if let std::collections::hash_map::Entry::Vacant(e) = boards.entry(source) {
                        e.insert(self.admin.board_by_id(source).await?);
                    }
                }
                boards.insert(ratio.id, ratio);
            }
        }
        boards.insert(board.id, board);
        self.review_in_writer(ReviewJob { flag: flag.clone(), boards }).await?;
        if flag.deleted_at.is_some() {
            return Ok(flag);
        }
        self.get_flag(p, id).await
    }
}

/// Carries out a review (called by the score writer between batches).
pub(crate) async fn run(w: &Parts, job: ReviewJob) -> ServiceResult<()> {
    let result = apply(w, &job.flag, &job.boards).await;
    if let Err(e) = &result {
        tracing::error!(error = %e, flag = %job.flag.id, "a review could not be applied");
    }
    result
}

async fn apply(w: &Parts, flag: &ScoreFlag, boards: &HashMap<BoardId, Board>) -> ServiceResult<()> {
    let store = &w.store;
    let bare = |is_test| ReviewWrite {
        flag: flag.clone(),
        identity_id: flag.identity_id,
        is_test,
        boards: Vec::new(),
        rejected_events: Vec::new(),
        accepted_events: Vec::new(),
        entries: None,
    };
    // A refused attempt's flag: nothing was ranked, only the flag changes.
    let Some(event_id) = flag.score_event_id else {
        return Ok(store.apply_review(&bare(false)).await?);
    };
    let Some(event) = store.get_score_event(event_id).await? else {
        return Ok(store.apply_review(&bare(false)).await?);
    };
    let is_test = event.is_test;
    let board_ids: Vec<BoardId> = boards.keys().copied().collect();
    // Planned inside the review's transaction, in the change log's order: what it reads is
    // what every node has applied before it, and its moves are logged with its writes.
    let node = w.changes.log_node().map(str::to_owned);
    let planned: Mutex<Option<Change>> = Mutex::new(None);
    let plan = |inputs: ReviewInputs, banned: bool| {
        let (write, moves) = plan_review(flag, boards, &board_ids, is_test, inputs, banned);
        let change = Change::Entries(moves);
        let log = logged(node.as_deref(), &change);
        *planned.lock().unwrap_or_else(std::sync::PoisonError::into_inner) = Some(change);
        (write, log)
    };
    let seq = store.review_in_log_order(flag.identity_id, &board_ids, is_test, &plan).await?;
    let Some(change) = planned.into_inner().unwrap_or_else(std::sync::PoisonError::into_inner) else { return Ok(()) };
    match seq {
        Some(seq) => w.changes.committed(seq, change).await,
        None => w.changes.publish(change),
    }
    Ok(())
}

/// The change to log for `change` under `node`'s name, when this node follows a change log.
pub(super) fn logged(node: Option<&str>, change: &Change) -> Option<LoggedChange> {
    let node = node?;
    let body = crate::shared::wire::encode(change)?;
    Some(LoggedChange { node: node.to_owned(), at_micros: crate::time::to_micros(now()), bodies: vec![body] })
}

/// A review's writes and ranking moves, from what it recomputes from (read in its transaction).
fn plan_review(
    flag: &ScoreFlag,
    boards: &HashMap<BoardId, Board>,
    board_ids: &[BoardId],
    is_test: bool,
    inputs: ReviewInputs,
    banned: bool,
) -> (ReviewWrite, Vec<EntryMove>) {
    let mut flags = inputs.flags;
    flags.retain(|f| f.id != flag.id);
    flags.push(flag.clone());
    let live = flags.iter().filter(|f| f.deleted_at.is_none());
    let rejected: HashSet<ScoreEventId> =
        live.clone().filter(|f| f.status == FlagStatus::ConfirmedCheat).filter_map(|f| f.score_event_id).collect();
    let held: HashSet<ScoreEventId> = live
        .filter(|f| f.status == FlagStatus::Pending && f.confidence == Confidence::Medium)
        .filter_map(|f| f.score_event_id)
        .collect();
    let mut replay = Replay::default();
    for e in &inputs.events {
        if rejected.contains(&e.id) {
            continue;
        }
        let Some(board) = boards.get(&e.board_id) else { continue };
        let dependents: Vec<Board> = boards
            .values()
            .filter(|b| {
                b.ratio_config
                    .as_ref()
                    .is_some_and(|rc| rc.numerator_board_id == board.id || rc.denominator_board_id == board.id)
            })
            .cloned()
            .collect();
        replay.apply(&PlannedEvent {
            board: board.clone(),
            player_name: e.event_payload.player_name.clone().unwrap_or_default(),
            hold: held.contains(&e.id),
            dependents,
            event: e.clone(),
        });
    }
    let mut entries = replay.into_entries();
    // A slot left without an accepted event keeps its entry, rejected and unranked.
    for old in inputs.entries.iter().filter(|o| o.one_per_player) {
        if !entries.iter().any(|n| n.one_per_player && n.board_id == old.board_id) {
            entries.push(crate::model::Score { status: ScoreStatus::Rejected, ..old.clone() });
        }
    }
    let (rejected_events, accepted_events): (Vec<ScoreEventId>, Vec<ScoreEventId>) =
        inputs.events.iter().map(|e| e.id).partition(|id| rejected.contains(id));
    // The rankings follow (a banned player's entries stay hidden).
    let mut moves = Vec::with_capacity(inputs.entries.len() + entries.len());
    for old in &inputs.entries {
        moves.push(EntryMove {
            pool: PoolKey { board: old.board_id, is_test },
            old: boards.get(&old.board_id).map(|board| rank_key(board, old)),
            new: None,
            entry: EntryState::Forgotten(old.id),
        });
    }
    for new in &entries {
        moves.push(EntryMove {
            pool: PoolKey { board: new.board_id, is_test },
            old: None,
            new: boards.get(&new.board_id).filter(|_| new.is_ranked() && !banned).map(|board| rank_key(board, new)),
            entry: EntryState::Stored(new.clone()),
        });
    }
    let write = ReviewWrite {
        flag: flag.clone(),
        identity_id: flag.identity_id,
        is_test,
        boards: board_ids.to_vec(),
        rejected_events,
        accepted_events,
        entries: Some(entries),
    };
    (write, moves)
}
