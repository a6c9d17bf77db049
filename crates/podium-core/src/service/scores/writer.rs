//! The score writer: a [`Commit`] for the group-commit [`Batcher`]. One writer task per
//! process drains a channel of accepted submissions and commits whatever has queued up as one
//! transaction (one multi-row insert of events, one read
//! of the entries they touch, the entry writes). A submission is answered only after its batch
//! committed, so an acknowledged score is durable; many submissions share one fsync, which is
//! where the throughput comes from. Anti-cheat's verdict arrives with each submission (judged
//! in the request's task); the writer acts on it: refusals are not committed but their flags
//! and counts are, flagged entries go under review.

use std::collections::HashMap;

use async_trait::async_trait;

use super::Parts;
use super::review::{self, ReviewJob};
use crate::anticheat::{Action, Detection, Verdict};
use crate::batch::{BatchConfig, Batcher, Commit};
use crate::error::{ErrorCode, ServiceError, ServiceResult};
use crate::id::{BoardId, FlagId, IdentityId, SubmissionMetaId};
use crate::model::{Board, FlagStatus, Score, ScoreEvent, ScoreFlag, SubmissionMeta};
use crate::ranking::PoolKey;
use crate::scoring::{EntryChange, PlannedEvent, Slot, plan, rank_key};
use crate::shared::{Change, EntryMove, EntryState};
use crate::time::{from_micros, now, to_micros};

/// How many times a batch is committed when its entries raced another node's write.
const COMMIT_ATTEMPTS: u32 = 4;

/// Most submissions in one transaction.
pub const MAX_BATCH: usize = 1000;

/// What the writer does, in the order received: submissions are committed in batches; any
/// other job runs between them, so it never races a submission for the same entry.
#[allow(clippy::large_enum_variant)] // nearly every job is a submission; reviews are rare
pub(crate) enum Job {
    /// A submission, with anti-cheat's verdict (absent when the game turned anti-cheat off).
    Submit {
        /// The event and its boards.
        planned: PlannedEvent,
        /// Anti-cheat's verdict.
        verdict: Option<Verdict>,
    },
    /// Work carried out between batches.
    Between(Between),
}

/// What the writer carries out between batches of submissions.
#[allow(clippy::large_enum_variant)] // reviews are rare; they run between batches, off the hot path
pub(crate) enum Between {
    /// A flag review.
    Review(ReviewJob),
    /// Write the buffered submission counts now (before they are read).
    FlushCounts,
    /// Hide (ban) or show again (unban) every entry of a player.
    Visibility {
        /// The player.
        identity: IdentityId,
        /// Whether the entries are ranked.
        visible: bool,
    },
}

/// What a job answers once committed.
#[allow(clippy::large_enum_variant)] // nearly every answer is an entry
pub(crate) enum Done {
    /// A submission's event and its entry.
    Entry(ScoreEvent, Score),
    /// Anything else: done.
    Unit,
}

impl Done {
    /// A submission's answer.
    pub(crate) fn entry(self) -> ServiceResult<(ScoreEvent, Score)> {
        match self {
            Self::Entry(e, s) => Ok((e, s)),
            Self::Unit => {
                Err(ServiceError::new(ErrorCode::Internal, "the writer answered a submission without an entry"))
            }
        }
    }
}

/// The score writer's handle.
pub(crate) type ScoreWriter = Batcher<Job, Done>;

/// Starts the score writer over the parts it writes to.
pub(crate) fn spawn(parts: Parts) -> ScoreWriter {
    let config = BatchConfig { tick: Some(COUNTS_EVERY), ..BatchConfig::new("score writer", MAX_BATCH) };
    Batcher::spawn(Writer { parts, last_micros: 0, counts: HashMap::new() }, config)
}

/// The score writer's state between batches.
struct Writer {
    parts: Parts,
    /// The last event time given out: events replay in (created_at, id) order, so each gets a
    /// strictly increasing time.
    last_micros: i64,
    /// Submission counts not yet written.
    counts: HashMap<(IdentityId, BoardId), SubmissionMeta>,
}

#[async_trait]
impl Commit for Writer {
    type Job = Job;
    type Done = Done;

    async fn commit(&mut self, jobs: Vec<Job>) -> ServiceResult<Vec<ServiceResult<Done>>> {
        let mut results = Vec::with_capacity(jobs.len());
        let mut submits = Vec::with_capacity(jobs.len());
        for job in jobs {
            let between = match job {
                Job::Submit { planned, verdict } => {
                    submits.push((planned, verdict));
                    continue;
                }
                Job::Between(between) => between,
            };
            let done = self.process(std::mem::take(&mut submits)).await;
            results.extend(done.into_iter().map(|r| r.map(|(e, s)| Done::Entry(e, s))));
            let answer = match between {
                Between::Review(r) => review::run(&self.parts, r).await,
                Between::Visibility { identity, visible } => set_visibility(&self.parts, identity, visible).await,
                Between::FlushCounts => flush_counts(&self.parts, &mut self.counts).await,
            };
            results.push(answer.map(|()| Done::Unit));
        }
        let done = self.process(submits).await;
        results.extend(done.into_iter().map(|r| r.map(|(e, s)| Done::Entry(e, s))));
        Ok(results)
    }

    async fn tick(&mut self) {
        let _ = flush_counts(&self.parts, &mut self.counts).await;
    }

    async fn drained(&mut self) {
        let _ = flush_counts(&self.parts, &mut self.counts).await;
    }
}

/// Removes a player's entries from the rankings, or puts them back: the entries are read, and
/// the moves logged, in the change log's order (as a review's), so that a submission of the
/// same player through another node is applied everywhere before or after it, never between.
async fn set_visibility(w: &Parts, identity: IdentityId, visible: bool) -> ServiceResult<()> {
    let boards: HashMap<BoardId, Board> = w.store.all_boards().await?.into_iter().map(|b| (b.id, b)).collect();
    let node = w.changes.log_node().map(str::to_owned);
    let planned: std::sync::Mutex<Option<Change>> = std::sync::Mutex::new(None);
    let plan = |entries: Vec<crate::model::Score>| {
        let mut moves = Vec::new();
        for s in entries.iter().filter(|s| s.is_ranked()) {
            let Some(board) = boards.get(&s.board_id).filter(|b| b.deleted_at.is_none()) else { continue };
            let key = rank_key(board, s);
            let (old, new) = if visible { (None, Some(key)) } else { (Some(key), None) };
            moves.push(EntryMove {
                pool: PoolKey { board: board.id, is_test: s.is_test },
                old,
                new,
                entry: EntryState::Unchanged,
            });
        }
        let change = Change::Entries(moves);
        let log = super::review::logged(node.as_deref(), &change);
        *planned.lock().unwrap_or_else(std::sync::PoisonError::into_inner) = Some(change);
        log
    };
    let seq = w.store.visibility_in_log_order(identity, &plan).await?;
    let Some(change) = planned.into_inner().unwrap_or_else(std::sync::PoisonError::into_inner) else { return Ok(()) };
    match seq {
        Some(seq) => w.changes.committed(seq, change).await,
        None => w.changes.publish(change),
    }
    Ok(())
}

/// 403 `rejected_by_anti_cheat` with the detections in the body.
fn refused(verdict: &Verdict) -> ServiceError {
    let names: Vec<&str> = verdict
        .detections
        .iter()
        .filter(|d| d.confidence == crate::anticheat::Confidence::High)
        .map(|d| d.flag_type.as_str())
        .collect();
    let mut e = ServiceError::new(
        ErrorCode::RejectedByAntiCheat,
        format!("anti-cheat refused this submission ({})", names.join(", ")),
    );
    e.detections = serde_json::to_value(&verdict.detections).ok().map(Box::new);
    e
}

fn flag_of(p: &PlannedEvent, d: &Detection, accepted: bool, at: chrono::DateTime<chrono::Utc>) -> ScoreFlag {
    let e = &p.event;
    ScoreFlag {
        id: FlagId::generate(),
        account_id: e.account_id,
        game_id: e.game_id,
        board_id: e.board_id,
        identity_id: e.identity_id,
        score_event_id: accepted.then_some(e.id),
        score_id: None,
        flag_type: d.flag_type,
        confidence: d.confidence,
        status: FlagStatus::Pending,
        metadata: d.evidence.clone(),
        attempts: 1,
        reviewer_id: None,
        reviewer_decision: None,
        reviewed_at: None,
        created_at: at,
        updated_at: at,
        deleted_at: None,
    }
}

fn count(metas: &mut HashMap<(IdentityId, BoardId), SubmissionMeta>, p: &PlannedEvent, accepted: bool) {
    let e = &p.event;
    let m = metas.entry((e.identity_id, e.board_id)).or_insert_with(|| SubmissionMeta {
        id: SubmissionMetaId::generate(),
        account_id: e.account_id,
        game_id: e.game_id,
        board_id: e.board_id,
        identity_id: e.identity_id,
        submission_count: 0,
        rejected_count: 0,
        last_submission_at: e.created_at,
        last_score_value: None,
        score_event_id: None,
        created_at: e.created_at,
        updated_at: e.created_at,
    });
    m.last_submission_at = e.created_at;
    m.updated_at = e.created_at;
    if accepted {
        m.submission_count += 1;
        m.last_score_value = Some(e.event_payload.value);
        m.score_event_id = Some(e.id);
    } else {
        m.rejected_count += 1;
    }
}

/// Submission counts are buffered and written once a second (and before any read of them),
/// in their own transaction: counting in every batch transaction rewrote one more row per
/// submission and cost a third of the SQLite throughput (BENCHMARKS.md). A crash can lose
/// the last second of counts; the events themselves are never lost.
const COUNTS_EVERY: std::time::Duration = std::time::Duration::from_secs(1);

async fn flush_counts(w: &Parts, counts: &mut HashMap<(IdentityId, BoardId), SubmissionMeta>) -> ServiceResult<()> {
    if counts.is_empty() {
        return Ok(());
    }
    let rows: Vec<SubmissionMeta> = counts.drain().map(|(_, m)| m).collect();
    w.store.add_submission_meta(&rows).await.map_err(|e| {
        tracing::error!(error = %e, rows = rows.len(), "submission counts could not be written");
        ServiceError::from(e)
    })
}

impl Writer {
    /// Judges, commits and answers a batch of submissions, in order.
    async fn process(
        &mut self,
        batch: Vec<(PlannedEvent, Option<Verdict>)>,
    ) -> Vec<ServiceResult<(ScoreEvent, Score)>> {
        if batch.is_empty() {
            return Vec::new();
        }
        let mut answers: Vec<Option<ServiceResult<(ScoreEvent, Score)>>> = Vec::with_capacity(batch.len());
        let mut planned = Vec::with_capacity(batch.len());
        // Where each planned event's answer goes.
        let mut slots = Vec::with_capacity(batch.len());
        // Flags of accepted submissions, by index into `planned`; refused ones merged per
        // player, board and detection.
        let mut flags: Vec<(usize, ScoreFlag)> = Vec::new();
        let mut refused_flags: HashMap<(IdentityId, BoardId, crate::anticheat::FlagType), ScoreFlag> = HashMap::new();
        for (mut p, verdict) in batch {
            // Events replay in (created_at, id) order: give each a strictly increasing time.
            let t = to_micros(now()).max(self.last_micros + 1);
            self.last_micros = t;
            p.event.created_at = from_micros(t);
            let mut detections = Vec::new();
            if let Some(verdict) = verdict {
                if verdict.action == Action::Reject {
                    for d in &verdict.detections {
                        let key = (p.event.identity_id, p.event.board_id, d.flag_type);
                        let flag = flag_of(&p, d, false, p.event.created_at);
                        refused_flags
                            .entry(key)
                            .and_modify(|f| {
                                f.attempts += 1;
                                f.metadata = flag.metadata.clone();
                                f.updated_at = flag.updated_at;
                            })
                            .or_insert(flag);
                    }
                    count(&mut self.counts, &p, false);
                    // Refused either way; the evidence is stored when the batch commits.
                    answers.push(Some(Err(refused(&verdict))));
                    continue;
                }
                p.hold = verdict.action == Action::Flag;
                detections = verdict.detections;
            }
            count(&mut self.counts, &p, true);
            for d in &detections {
                flags.push((planned.len(), flag_of(&p, d, true, p.event.created_at)));
            }
            slots.push(answers.len());
            answers.push(None);
            planned.push(p);
        }
        let extras = Extras { flags, refused: refused_flags.into_values().collect() };
        let w = &self.parts;
        match commit(w, &planned, &extras).await {
            Ok(results) => {
                for ((slot, p), score) in slots.into_iter().zip(planned).zip(results) {
                    answers[slot] = Some(Ok((p.event, score)));
                }
            }
            Err(e) => {
                tracing::error!(error = %e, batch = slots.len(), "a batch of score events could not be committed");
                for slot in slots {
                    answers[slot] = Some(Err(e.clone()));
                }
            }
        }
        answers
            .into_iter()
            .map(|a| a.unwrap_or_else(|| Err(ServiceError::new(ErrorCode::Internal, "a submission was not committed"))))
            .collect()
    }
}

/// What a batch records besides events and entries.
#[derive(Debug, Default)]
pub(crate) struct Extras {
    /// Flags of accepted submissions, by index into the batch (their entry is known after
    /// planning).
    pub(crate) flags: Vec<(usize, ScoreFlag)>,
    /// Flags of refused attempts.
    pub(crate) refused: Vec<ScoreFlag>,
}

/// Commits a batch and publishes its entries' moves (this node's rankings and entry cache have
/// them when this returns).
pub(crate) async fn commit(w: &Parts, planned: &[PlannedEvent], extras: &Extras) -> ServiceResult<Vec<Score>> {
    let mut slots: Vec<Slot> = planned.iter().flat_map(PlannedEvent::slots).collect();
    slots.sort_by_key(|s| (s.board_id, s.identity_id, s.is_test));
    slots.dedup();
    let events: Vec<_> = planned.iter().map(|p| p.event.clone()).collect();
    let boards: HashMap<BoardId, &Board> =
        planned.iter().flat_map(|p| std::iter::once(&p.board).chain(p.dependents.iter())).map(|b| (b.id, b)).collect();
    let log_node = w.changes.log_node();
    // The anti-cheat counts this node shares ride in the batch's transaction (no extra one).
    let shared = if log_node.is_some() { w.changes.take_shared() } else { Vec::new() };
    // The moves encoded for the log, kept for this node's own copies (the last planning is the
    // one that committed).
    let logged_moves: std::sync::Mutex<Option<Change>> = std::sync::Mutex::new(None);
    let planner = |current: Vec<Score>| {
        let mut out = plan(planned, current);
        // Several nodes: the moves are logged in the batch's own transaction (see
        // `shared::StoreFeed`).
        out.log = log_node.and_then(|node| {
            let change = Change::Entries(moves(&boards, &out.changes));
            let body = crate::shared::wire::encode(&change)?;
            *logged_moves.lock().unwrap_or_else(std::sync::PoisonError::into_inner) = Some(change);
            let mut bodies = Vec::with_capacity(1 + shared.len());
            bodies.push(body);
            bodies.extend(shared.iter().cloned());
            Some(crate::store::LoggedChange {
                node: node.to_owned(),
                at_micros: crate::time::to_micros(crate::time::now()),
                bodies,
            })
        });
        let mut flags: Vec<ScoreFlag> = extras
            .flags
            .iter()
            .map(|(i, f)| ScoreFlag { score_id: out.results.get(*i).map(|s| s.id), ..f.clone() })
            .collect();
        flags.extend(extras.refused.iter().cloned());
        out.flags = flags;
        out
    };
    // Another node created one of these entries after this transaction looked for it (a row
    // that does not exist yet cannot be locked), or a review on another node replaced the
    // player's entry while this transaction waited for it: again, the entry is there now. Each
    // attempt is planned afresh from what it reads; a few cover racing reviews in a row.
    let mut attempt = 1;
    let done = loop {
        match w.store.commit_events(&events, &slots, &planner).await {
            Err(crate::store::StoreError::Conflict { .. }) if attempt < COMMIT_ATTEMPTS => attempt += 1,
            done => break done,
        }
    }
    .map_err(ServiceError::from)?;
    let change = logged_moves
        .into_inner()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .filter(|_| done.logged.is_some())
        .unwrap_or_else(|| Change::Entries(moves(&boards, &done.changes)));
    match done.logged {
        Some(seq) => w.changes.committed(seq, change).await,
        None => w.changes.publish(change),
    }
    Ok(done.results)
}

/// The moves of committed entry changes: each entry's stored state, and its place in its
/// ranking before and after (when its board is known and it is ranked).
pub(crate) fn moves(boards: &HashMap<BoardId, &Board>, changes: &[EntryChange]) -> Vec<EntryMove> {
    changes
        .iter()
        .map(|change| {
            let (current, old, new, entry) = match change {
                EntryChange::Insert(s) => (s, None, Some(s), EntryState::Stored(s.clone())),
                EntryChange::Update { old, new } => (new, Some(old), Some(new), EntryState::Stored(new.clone())),
                EntryChange::Delete(s) => (s, Some(s), None, EntryState::Forgotten(s.id)),
            };
            let board = boards.get(&current.board_id);
            let place = |s: &Score| board.filter(|_| s.is_ranked()).map(|b| rank_key(b, s));
            EntryMove {
                pool: PoolKey { board: current.board_id, is_test: current.is_test },
                old: old.and_then(place),
                new: new.and_then(place),
                entry,
            }
        })
        .collect()
}
