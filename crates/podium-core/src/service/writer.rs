//! Group commit. One writer task per process drains a channel of accepted submissions and
//! commits whatever has queued up as one transaction (one multi-row insert of events, one read
//! of the entries they touch, the entry writes). A submission is answered only after its batch
//! committed, so an acknowledged score is durable; many submissions share one fsync, which is
//! where the throughput comes from.

use std::collections::HashMap;
use std::sync::Arc;

use tokio::sync::{mpsc, oneshot};

use crate::error::{ServiceError, ServiceResult};
use crate::id::BoardId;
use crate::model::{Board, Score, ScoreEvent};
use crate::ranking::{Engine, PoolKey};
use crate::scoring::{EntryChange, PlannedEvent, Slot, plan, rank_key};
use crate::store::Store;
use crate::time::{from_micros, now, to_micros};

/// Most submissions in one transaction.
pub const MAX_BATCH: usize = 1000;

/// A submission waiting for its batch, and where to send the committed entry.
pub(crate) struct Job {
    pub(crate) planned: PlannedEvent,
    pub(crate) reply: oneshot::Sender<ServiceResult<(ScoreEvent, Score)>>,
}

/// Starts the writer task; submissions go in through the returned sender.
pub(crate) fn spawn(store: Arc<dyn Store>, engine: Arc<Engine>, entries: Arc<EntryCache>) -> mpsc::Sender<Job> {
    let (tx, rx) = mpsc::channel::<Job>(MAX_BATCH * 4);
    tokio::spawn(run(store, engine, entries, rx));
    tx
}

/// Ranked entries by id, kept current by the writer (write-through) so that reads of ranked
/// pages need no store round trip for hot entries.
pub(crate) type EntryCache = crate::cache::TtlCache<crate::id::ScoreId, Score>;

async fn run(store: Arc<dyn Store>, engine: Arc<Engine>, entries: Arc<EntryCache>, mut rx: mpsc::Receiver<Job>) {
    let mut last_micros = 0i64;
    let mut batch: Vec<Job> = Vec::with_capacity(MAX_BATCH);
    while rx.recv_many(&mut batch, MAX_BATCH).await > 0 {
        let (mut planned, replies): (Vec<PlannedEvent>, Vec<_>) = batch.drain(..).map(|j| (j.planned, j.reply)).unzip();
        // Events replay in (created_at, id) order: give each a strictly increasing time.
        for p in &mut planned {
            let t = to_micros(now()).max(last_micros + 1);
            last_micros = t;
            p.event.created_at = from_micros(t);
        }
        match commit(&*store, &engine, &entries, &planned).await {
            Ok(results) => {
                for ((reply, p), score) in replies.into_iter().zip(planned).zip(results) {
                    let _ = reply.send(Ok((p.event, score)));
                }
            }
            Err(e) => {
                tracing::error!(error = %e, batch = replies.len(), "a batch of score events could not be committed");
                for reply in replies {
                    let _ = reply.send(Err(e.clone()));
                }
            }
        }
    }
}

/// Commits a batch and applies its changes to the engine.
pub(crate) async fn commit(
    store: &dyn Store,
    engine: &Engine,
    entries: &EntryCache,
    planned: &[PlannedEvent],
) -> ServiceResult<Vec<Score>> {
    let mut slots: Vec<Slot> = planned.iter().flat_map(PlannedEvent::slots).collect();
    slots.sort_by_key(|s| (s.board_id, s.identity_id, s.is_test));
    slots.dedup();
    let events: Vec<_> = planned.iter().map(|p| p.event.clone()).collect();
    let planner = |current: Vec<Score>| plan(planned, current);
    let done = store.commit_events(&events, &slots, &planner).await.map_err(ServiceError::from)?;
    let boards: HashMap<BoardId, &Board> =
        planned.iter().flat_map(|p| std::iter::once(&p.board).chain(p.dependents.iter())).map(|b| (b.id, b)).collect();
    // The entries' data first, then their places in the rankings.
    for change in &done.changes {
        match change {
            EntryChange::Insert(s) | EntryChange::Update { new: s, .. } => entries.put(s.id, s.clone()),
            EntryChange::Delete(s) => entries.remove(&s.id),
        }
    }
    apply_changes(engine, &boards, &done.changes);
    Ok(done.results)
}

/// Applies committed entry changes to the in-memory rankings.
pub(crate) fn apply_changes(engine: &Engine, boards: &HashMap<BoardId, &Board>, changes: &[EntryChange]) {
    for change in changes {
        let (old, new) = match change {
            EntryChange::Insert(s) => (None, Some(s)),
            EntryChange::Update { old, new } => (Some(old), Some(new)),
            EntryChange::Delete(s) => (Some(s), None),
        };
        let Some(board) = new.or(old).and_then(|s| boards.get(&s.board_id)) else { continue };
        let pool = |s: &Score| PoolKey { board: s.board_id, is_test: s.is_test };
        if let Some(old) = old.filter(|s| s.is_ranked()) {
            engine.write(pool(old), |r| r.remove(&rank_key(board, old)));
        }
        if let Some(new) = new.filter(|s| s.is_ranked()) {
            engine.write(pool(new), |r| r.insert(rank_key(board, new)));
        }
    }
}
