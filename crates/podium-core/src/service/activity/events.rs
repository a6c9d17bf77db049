//! `POST /v1/activity/events`: a batch of 1–1 000 events is checked as a whole (a missing or
//! malformed `event_id` refuses it: an event without its idempotency key cannot be answered
//! safely), then handed to the activity writer, which judges whatever batches have queued up
//! in arrival order and commits them in one transaction before answering any of them (a
//! [`Commit`] for the shared [`Batcher`]). Judging and committing are two stages: while one
//! group commits, the next is judged on top of it ([`store_stage`]); a group that fails to
//! commit fails every group judged on top of it, and the states they moved are marked stale
//! and rebuilt from the store on next use ([`Pipeline`]). An event seen before — stored, or earlier in the
//! same group — is `duplicate` and counts nothing, so a retried batch counts nothing twice.
//! The users' days, sums and history index that the events moved go with later groups, in
//! large flushes ([`flush_due`]), or within a second or two once the game is still
//! ([`Writer::tick`]): they derive from the stored events.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use chrono::{DateTime, Duration, Utc};
use serde::Serialize;
use serde_json::Value;
use tokio::sync::{mpsc, oneshot};

use super::{Activity, closes_at, day_of, flush_due, idle, load, take_all, take_flush};
use crate::activity::{GameActivity, Moved, Recorded, Verdict};
use crate::auth::Principal;
use crate::batch::{BatchConfig, Batcher, Commit};
use crate::error::{ErrorCode, FieldCode, FieldErrors, ServiceError, ServiceResult};
use crate::id::{ActivityFlagId, GameId};
use crate::model::FlagStatus;
use crate::model::activity::{ActivityFlag, Event, Key, KeyMap, KeySet, Outcome, Parsed};
use crate::service::Admin;
use crate::shared::{ActivityChange, Change};
use crate::store::{ActivityWrite, NewActivityEvent};
use crate::time::{now, to_micros};

/// Most events in one batch.
pub const MAX_EVENTS: usize = 1000;
/// Most batches judged and committed together. Small enough that, under load, one group is
/// judged while another commits (one group of every waiting batch leaves nothing to overlap):
/// 16 gave 6–19 % more events/s than 64 in alternating runs (BENCHMARKS.md).
const MAX_GROUP: usize = 16;
/// How often an idle writer looks for days, sums and history left unwritten (a busy one
/// writes them with its groups).
const IDLE_FLUSH: std::time::Duration = std::time::Duration::from_secs(1);
/// How late an event may arrive.
const OLDEST: Duration = Duration::hours(24);
/// How far ahead of the server's clock an event may be.
const AHEAD: Duration = Duration::minutes(5);

/// `POST /v1/activity/events`
#[derive(Debug, Clone, serde::Deserialize, utoipa::ToSchema)]
pub struct RecordEvents {
    /// The game (`gam_…`).
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub game_id: Option<Value>,
    /// 1–1 000 events: `event_id`, `type`, `at` (RFC 3339, default now) and the type's fields.
    #[serde(default)]
    #[schema(value_type = Option<Vec<Object>>)]
    pub events: Option<Value>,
}

/// What one user got from one event.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct UserResult {
    /// `counted` or the refusal that applied to them.
    pub outcome: Outcome,
    /// Points earned (before the streak multiplier).
    pub points: i64,
    /// The same points per category (`friends`, `meetups`, `games`, `popularity`).
    #[schema(value_type = BTreeMap<String, i64>)]
    pub categories: BTreeMap<&'static str, i64>,
    /// Why (stable codes, see docs/activity.md).
    #[schema(value_type = Vec<String>)]
    pub reasons: Vec<&'static str>,
}

// Built once per event, with shared ids and static codes, and serialised once: the same text
// is stored with the event and sent in the answer.
/// What one event came to.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct EventResult {
    /// The app's id of the event.
    #[schema(value_type = String)]
    pub event_id: Key,
    /// `counted` when anyone earned points (or it passed every rule); otherwise the first
    /// refusal in the order duplicate, invalid, blocked, muted, capped, cooldown.
    pub outcome: Outcome,
    /// Points earned, per user (only users who earned).
    #[schema(value_type = BTreeMap<String, i64>)]
    pub points: BTreeMap<Key, i64>,
    /// Every reason given, in order.
    #[schema(value_type = Vec<String>)]
    pub reasons: Vec<&'static str>,
    /// Per user the event names (or paid, as a meetup's host).
    #[schema(value_type = BTreeMap<String, UserResult>)]
    pub users: BTreeMap<Key, UserResult>,
    /// For an `invalid` event whose fields are wrong: field → codes.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub errors: Option<FieldErrors>,
    /// The day (policy time zone) its points fall on, for an event the rules judged.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>)]
    pub day: Option<chrono::NaiveDate>,
}

// The answer's shape, for the OpenAPI document: the service hands it out as a
// [`BatchAnswer`], already serialised.
/// `200` of `POST /v1/activity/events`.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct RecordedEvents {
    /// One per event, in input order.
    pub results: Vec<EventResult>,
}

/// The answer to a batch: each event's [`EventResult`] as the JSON text stored with it.
#[derive(Debug, Clone)]
pub struct BatchAnswer {
    /// One per event, in input order.
    pub results: Vec<Arc<str>>,
}

impl BatchAnswer {
    /// The answer's body: a [`RecordedEvents`] document.
    pub fn to_json(&self) -> String {
        let mut body = String::with_capacity(16 + self.results.iter().map(|r| r.len() + 1).sum::<usize>());
        body.push_str("{\"results\":[");
        for (i, r) in self.results.iter().enumerate() {
            if i > 0 {
                body.push(',');
            }
            body.push_str(r);
        }
        body.push_str("]}");
        body
    }
}

impl EventResult {
    fn from_verdict(event_id: &Key, v: &Verdict, errors: Option<FieldErrors>) -> Self {
        let mut reasons: Vec<&'static str> = v.reason.iter().copied().collect();
        for (_, u) in &v.users {
            for r in &u.reasons {
                if !reasons.contains(r) {
                    reasons.push(r);
                }
            }
        }
        Self {
            event_id: event_id.clone(),
            outcome: v.outcome,
            points: v.points().into_iter().map(|(u, p)| (u.clone(), p)).collect(),
            reasons,
            users: v
                .users
                .iter()
                .map(|(u, r)| {
                    let mut categories: BTreeMap<&'static str, i64> = BTreeMap::new();
                    for a in v.awards.iter().filter(|a| a.user == *u) {
                        *categories.entry(a.category.as_str()).or_default() += a.points;
                    }
                    (
                        u.clone(),
                        UserResult { outcome: r.outcome, points: r.points, categories, reasons: r.reasons.clone() },
                    )
                })
                .collect(),
            errors,
            day: None,
        }
    }

    /// The JSON text of the answer (what is stored and sent).
    fn to_text(&self) -> Arc<str> {
        serde_json::to_string(self).unwrap_or_else(|_| "null".to_owned()).into()
    }
}

/// What a stored answer records for the replay: per-user outcomes and the hosts it paid.
pub(super) fn recorded_outcomes(result: &Value) -> Recorded {
    let mut recorded = Recorded::default();
    if let Some(users) = result["users"].as_object() {
        for (u, r) in users {
            let Some(outcome) = r["outcome"].as_str().and_then(Outcome::parse) else { continue };
            let user = Key::from_trusted(u.clone());
            if r["reasons"].as_array().is_some_and(|list| list.iter().any(|x| x == "meetup_hosted")) {
                recorded.hosts_paid.insert(user.clone());
            }
            recorded.outcomes.insert(user, outcome);
        }
    }
    recorded
}

/// Whole-event refusals: the rules never saw these events, so the replay skips them.
pub(super) const UNJUDGED: [&str; 5] = ["duplicate", "invalid_event", "too_old", "in_future", "day_closed"];

/// One batch, checked, for the writer.
pub(super) struct Job {
    game: GameId,
    events: Vec<Parsed>,
    received_at: DateTime<Utc>,
}

impl Activity {
    /// Records a batch of events (see the module note). The answer comes after the commit.
    pub async fn record(&self, p: &Principal, cmd: RecordEvents) -> ServiceResult<BatchAnswer> {
        self.serves()?;
        let mut errors = FieldErrors::new();
        let game = match &cmd.game_id {
            None | Some(Value::Null) => {
                errors.add("game_id", FieldCode::Required);
                None
            }
            Some(Value::String(s)) => errors.check("game_id", s.parse::<GameId>().map_err(|_| FieldCode::InvalidId)),
            Some(_) => {
                errors.add("game_id", FieldCode::InvalidType);
                None
            }
        };
        let received_at = now();
        let mut parsed = Vec::new();
        match &cmd.events {
            None | Some(Value::Null) => errors.add("events", FieldCode::Required),
            Some(Value::Array(list)) if list.is_empty() => errors.add("events", FieldCode::TooFew),
            Some(Value::Array(list)) if list.len() > MAX_EVENTS => errors.add("events", FieldCode::TooMany),
            Some(Value::Array(list)) => {
                for (i, v) in list.iter().enumerate() {
                    match Event::parse(v, received_at) {
                        Ok(p) => parsed.push(p),
                        Err(code) if v.is_object() => errors.add(format!("events[{i}].event_id"), code),
                        Err(code) => errors.add(format!("events[{i}]"), code),
                    }
                }
            }
            Some(_) => errors.add("events", FieldCode::InvalidType),
        }
        errors.into_result()?;
        let Some(game) = game else { return Err(ServiceError::field("game_id", FieldCode::Required)) };
        self.visible_game(p, game).await?;
        let committed = self.writer.submit(Job { game, events: parsed, received_at }).await?;
        let results = committed
            .await
            .map_err(|_| ServiceError::new(ErrorCode::StoreUnavailable, "the activity writer stopped"))??;
        Ok(BatchAnswer { results })
    }

    /// The game, if the key's account owns it (404 otherwise, as for any game), from the
    /// admin service's game cache (a deleted game is refused within its 5 s, as game boards').
    pub(super) async fn visible_game(&self, p: &Principal, game: GameId) -> ServiceResult<()> {
        let found = self.admin.game_by_id(game).await?;
        if p.can_see(found.account_id) { Ok(()) } else { Err(ServiceError::not_found("game")) }
    }
}

/// A group's answers, sent once it is committed.
pub(super) type Answer = oneshot::Receiver<ServiceResult<Vec<Arc<str>>>>;
/// Where a group's answer to one batch goes.
type Reply = oneshot::Sender<ServiceResult<Vec<Arc<str>>>>;

/// What the two stages share to keep failures exact. Groups are judged in epochs: a group
/// that fails to commit (or to be judged) poisons its epoch — every state that epoch moved
/// holds counts that will not be stored. The store stage marks the failed group's states
/// stale and fails the epoch's later groups (marking theirs stale too); the judge stage,
/// before its next group, marks every state it moved in that epoch stale and starts a new
/// one. A stale state is never judged on again: the next use builds the game afresh from the
/// store, which holds exactly the groups that committed.
#[derive(Default)]
struct Pipeline {
    /// The highest poisoned epoch.
    poisoned: Mutex<Option<u64>>,
    /// Events judged and not yet committed (or failed), per game: id → the epoch that judged
    /// it. A repeat judged in the same epoch is a duplicate, as if it were stored (its group
    /// commits first or both fail); one of an earlier epoch is not (that group will fail).
    in_flight: Mutex<HashMap<GameId, KeyMap<Key, u64>>>,
}

impl Pipeline {
    fn poison(&self, epoch: u64) {
        let mut p = self.poisoned.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        *p = Some(p.map_or(epoch, |q| q.max(epoch)));
    }

    /// Which of `ids` are in flight in `epoch`.
    fn in_flight<'a>(&self, game: GameId, ids: &[&'a str], epoch: u64) -> KeySet<&'a str> {
        let in_flight = self.in_flight.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let Some(held) = in_flight.get(&game) else { return KeySet::default() };
        ids.iter().copied().filter(|id| held.get(*id) == Some(&epoch)).collect()
    }

    fn is_poisoned(&self, epoch: u64) -> bool {
        self.poisoned.lock().unwrap_or_else(std::sync::PoisonError::into_inner).is_some_and(|p| epoch <= p)
    }
}

/// One judged group, for the store stage.
struct Judged {
    epoch: u64,
    write: ActivityWrite,
    changes: Vec<ActivityChange>,
    flushes: Vec<(Arc<Mutex<GameActivity>>, i64)>,
    /// The states the group moved.
    states: Vec<Arc<Mutex<GameActivity>>>,
    ids: Vec<(GameId, Vec<Key>)>,
    answers: Vec<(Vec<Arc<str>>, Reply)>,
    /// Held until the group is committed: flag reviews and the day-end job wait for it.
    _gate: tokio::sync::OwnedRwLockReadGuard<()>,
    /// Not a group but the news that the judge gave one up part way: once the groups before
    /// it are done, its states are marked stale and its epoch poisoned.
    aborted: bool,
    judged: std::time::Duration,
}

impl Judged {
    /// A group with no events (a flush, or an abort marker) over `states`.
    fn empty(epoch: u64, gate: tokio::sync::OwnedRwLockReadGuard<()>, states: Vec<Arc<Mutex<GameActivity>>>) -> Self {
        Self {
            epoch,
            write: ActivityWrite::default(),
            changes: Vec::new(),
            flushes: Vec::new(),
            states,
            ids: Vec::new(),
            answers: Vec::new(),
            _gate: gate,
            aborted: false,
            judged: std::time::Duration::ZERO,
        }
    }
}

/// The writer's judge stage.
struct Writer {
    admin: Admin,
    gate: Arc<tokio::sync::RwLock<()>>,
    pipeline: Arc<Pipeline>,
    epoch: u64,
    /// The states moved in this epoch, with their games.
    touched: Vec<(GameId, Arc<Mutex<GameActivity>>)>,
    store: mpsc::Sender<Judged>,
}

/// Starts the activity writer; each group holds `gate` (shared) from its judging to its
/// commit, so flag reviews and the day-end job, which take it alone, never interleave with one.
pub(super) fn spawn(admin: Admin, gate: Arc<tokio::sync::RwLock<()>>) -> Batcher<Job, Answer> {
    let pipeline = Arc::new(Pipeline::default());
    // One group waits while another commits: judging runs at most that far ahead.
    let (store, groups) = mpsc::channel(1);
    tokio::spawn(store_stage(admin.clone(), pipeline.clone(), groups));
    let writer = Writer { admin, gate, pipeline, epoch: 0, touched: Vec::new(), store };
    let config = BatchConfig { tick: Some(IDLE_FLUSH), ..BatchConfig::new("activity writer", MAX_GROUP) };
    Batcher::spawn(writer, config)
}

/// The store stage: commits judged groups in order, then moves the rankings and answers.
async fn store_stage(admin: Admin, pipeline: Arc<Pipeline>, mut groups: mpsc::Receiver<Judged>) {
    while let Some(mut group) = groups.recv().await {
        group.write.fence = admin.shared().activity.fence();
        if group.aborted {
            for state in &group.states {
                mark_stale(state);
            }
            pipeline.poison(group.epoch);
            continue;
        }
        let started = std::time::Instant::now();
        let result = if pipeline.is_poisoned(group.epoch) {
            Err(ServiceError::new(
                ErrorCode::StoreUnavailable,
                "an earlier group of events failed to commit; nothing of this batch was stored",
            ))
        } else {
            admin.store().insert_activity_batch(&group.write).await.map_err(|e| {
                // Whatever the store's reason, nothing of the group was stored: sending the
                // batch again is safe and the answer says so.
                ServiceError::new(
                    ErrorCode::StoreUnavailable,
                    "the events could not be stored; nothing of this batch counted: send it again",
                )
                .caused_by(e.to_string())
            })
        };
        if result.is_err() {
            for state in &group.states {
                mark_stale(state);
            }
            pipeline.poison(group.epoch);
        }
        {
            let mut in_flight = pipeline.in_flight.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            for (game, ids) in &group.ids {
                if let Some(held) = in_flight.get_mut(game) {
                    for id in ids {
                        // A later epoch may have judged the same id again: that entry stays.
                        if held.get(id) == Some(&group.epoch) {
                            held.remove(id);
                        }
                    }
                    if held.is_empty() {
                        in_flight.remove(game);
                    }
                }
            }
        }
        let stored = started.elapsed();
        match result {
            Ok(()) => {
                for (state, through) in &group.flushes {
                    state.lock().unwrap_or_else(std::sync::PoisonError::into_inner).unflushed.flushed(*through);
                }
                for change in group.changes {
                    admin.publish(Change::Activity(change));
                }
                tracing::debug!(
                    batches = group.answers.len(),
                    events = group.write.events.len(),
                    flushed_rows = group.write.days.len() + group.write.totals.len() + group.write.history.len(),
                    judged_ms = group.judged.as_secs_f64() * 1e3,
                    stored_ms = stored.as_secs_f64() * 1e3,
                    ranked_ms = (started.elapsed() - stored).as_secs_f64() * 1e3,
                    "activity group committed"
                );
                for (answer, reply) in group.answers {
                    let _ = reply.send(Ok(answer));
                }
            }
            Err(e) => {
                for (_, reply) in group.answers {
                    let _ = reply.send(Err(e.clone()));
                }
            }
        }
    }
}

#[async_trait]
impl Commit for Writer {
    type Job = Job;
    type Done = Answer;

    async fn commit(&mut self, jobs: Vec<Job>) -> ServiceResult<Vec<ServiceResult<Answer>>> {
        let gate = self.gate.clone().read_owned().await;
        if self.pipeline.is_poisoned(self.epoch) {
            // A group of this epoch failed: the states it moved hold counts never stored.
            for (_, state) in self.touched.drain(..) {
                mark_stale(&state);
            }
            self.epoch += 1;
        }
        // A state nobody else holds any more (replaced in the seam, no group on its way) can
        // no longer be judged on.
        self.touched.retain(|(_, t)| Arc::strong_count(t) > 1);
        let started = std::time::Instant::now();
        let mut games: Vec<GameId> = jobs.iter().map(|j| j.game).collect();
        games.sort();
        games.dedup();
        let mut answers: Vec<Vec<Arc<str>>> = jobs.iter().map(|_| Vec::new()).collect();
        let mut write = ActivityWrite::default();
        let mut changes: Vec<ActivityChange> = Vec::new();
        let mut flushes = Vec::new();
        let mut group_states: Vec<Arc<Mutex<GameActivity>>> = Vec::new();
        for (g, game) in games.iter().enumerate() {
            let prepared = async {
                let state = load(&self.admin, *game).await?;
                let ids: Vec<&str> = jobs
                    .iter()
                    .filter(|j| j.game == *game)
                    .flat_map(|j| j.events.iter().map(|e| parsed_id(e).as_str()))
                    .collect();
                // In flight first, then stored: an id that leaves the first after its commit
                // is then found in the second.
                let flying: KeySet<String> =
                    self.pipeline.in_flight(*game, &ids, self.epoch).into_iter().map(str::to_owned).collect();
                let known = self.admin.store().known_activity_events(*game, &ids).await?;
                Ok::<_, ServiceError>((state, known, flying))
            }
            .await;
            let (state, known, flying) = match prepared {
                Ok(p) => p,
                Err(e) => {
                    // The games judged before this one moved their counts for nothing.
                    if g > 0 {
                        return Err(self.abort(gate, group_states, e).await);
                    }
                    return Err(e);
                }
            };
            if !self.touched.iter().any(|(_, t)| Arc::ptr_eq(t, &state)) {
                self.touched.push((*game, state.clone()));
            }
            group_states.push(state.clone());
            let known: KeySet<String> = known.into_iter().collect();
            let mut seen: KeySet<&str> = KeySet::default();
            if state.lock().unwrap_or_else(std::sync::PoisonError::into_inner).stale {
                // A group failed to commit since the load: this one stands on its counts (one
                // marked stale later is refused by the store stage, its epoch being poisoned).
                let e = ServiceError::new(
                    ErrorCode::StoreUnavailable,
                    "an earlier group of events failed to commit; nothing of this batch counted: send it again",
                );
                return Err(self.abort(gate, group_states, e).await);
            }
            let mut st = state.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            let policy = st.policy.clone();
            let mut moved: Vec<Moved> = Vec::new();
            let mut latest = DateTime::<Utc>::MIN_UTC;
            for (i, job) in jobs.iter().enumerate().filter(|(_, j)| j.game == *game) {
                latest = latest.max(job.received_at);
                for parsed in &job.events {
                    let id = parsed_id(parsed);
                    let duplicate =
                        known.contains(id.as_str()) || flying.contains(id.as_str()) || !seen.insert(id.as_str());
                    let (verdict, errors, event, event_type, at, fields) = match parsed {
                        _ if duplicate => {
                            let v = Verdict::refused(Outcome::Duplicate, "duplicate", &[]);
                            answers[i].push(EventResult::from_verdict(id, &v, None).to_text());
                            // A repeat is answered but not stored again (its first answer stands).
                            continue;
                        }
                        Parsed::Invalid { event_type, at, errors, .. } => {
                            let v = Verdict::refused(Outcome::Invalid, "invalid_event", &[]);
                            (
                                v,
                                Some(errors.clone()),
                                None,
                                event_type.map(|t| t.as_str().to_owned()),
                                *at,
                                "{}".to_owned(),
                            )
                        }
                        Parsed::Event(e) => {
                            let users = e.users();
                            let v = if e.at < job.received_at - OLDEST {
                                Verdict::refused(Outcome::Invalid, "too_old", &users)
                            } else if e.at > job.received_at + AHEAD {
                                Verdict::refused(Outcome::Invalid, "in_future", &users)
                            } else if closes_at(&policy, day_of(&policy, e.at)) <= job.received_at
                                || st.frozen_through.is_some_and(|d| day_of(&policy, e.at) <= d)
                            {
                                Verdict::refused(Outcome::Invalid, "day_closed", &users)
                            } else {
                                st.counters.judge(&policy, e)
                            };
                            (v, None, Some(e), Some(e.event_type().as_str().to_owned()), Some(e.at), e.fields_text())
                        }
                    };
                    if let Some(e) = event {
                        let day = day_of(&policy, e.at);
                        for (user, u) in &verdict.users {
                            if u.outcome == Outcome::Counted {
                                moved.extend(st.book.add(&policy, user, day, None, true));
                            }
                        }
                        for award in &verdict.awards {
                            moved.extend(st.book.add(
                                &policy,
                                &award.user,
                                day,
                                Some((award.category, award.points)),
                                true,
                            ));
                        }
                    }
                    for flag in &verdict.flags {
                        write.flags.push(ActivityFlag {
                            id: ActivityFlagId::generate(),
                            game_id: *game,
                            user: flag.user.to_string(),
                            flag_type: flag.flag_type,
                            status: FlagStatus::Pending,
                            events: flag.events.iter().map(ToString::to_string).collect(),
                            metadata: flag.evidence.clone(),
                            reviewer_id: None,
                            reviewer_decision: None,
                            reviewed_at: None,
                            created_at: job.received_at,
                            updated_at: job.received_at,
                        });
                    }
                    let mut result = EventResult::from_verdict(id, &verdict, errors);
                    if verdict.reason.is_none() {
                        result.day = event.map(|e| day_of(&policy, e.at));
                    }
                    let text = result.to_text();
                    let seq = st.next_seq;
                    st.next_seq += 1;
                    st.unflushed.note_event(verdict.users.iter().map(|(u, _)| u), seq, id);
                    write.events.push(NewActivityEvent {
                        game_id: *game,
                        event_id: id.clone(),
                        seq,
                        event_type,
                        at,
                        received_at: job.received_at,
                        fields,
                        outcome: result.outcome,
                        result: text.clone(),
                    });
                    answers[i].push(text);
                }
            }
            st.unflushed.note(&moved);
            if flush_due(&st)
                && let Some(through) = take_flush(*game, &mut st, &mut write)
            {
                flushes.push((state.clone(), through));
            }
            drop(st);
            changes.push(ActivityChange { game: *game, moved: Arc::new(moved), at_micros: to_micros(latest) });
        }
        let judged = started.elapsed();
        // The group's events are in flight until the store stage is done with them.
        let mut ids: HashMap<GameId, Vec<Key>> = HashMap::new();
        for e in &write.events {
            ids.entry(e.game_id).or_default().push(e.event_id.clone());
        }
        {
            let mut in_flight = self.pipeline.in_flight.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            for (game, list) in &ids {
                in_flight.entry(*game).or_default().extend(list.iter().map(|id| (id.clone(), self.epoch)));
            }
        }
        let mut replies = Vec::with_capacity(answers.len());
        let mut receivers = Vec::with_capacity(answers.len());
        for answer in answers {
            let (reply, receiver) = oneshot::channel();
            replies.push((answer, reply));
            receivers.push(Ok(receiver));
        }
        let group = Judged {
            epoch: self.epoch,
            write,
            changes,
            flushes,
            states: group_states,
            ids: ids.into_iter().collect(),
            answers: replies,
            _gate: gate,
            aborted: false,
            judged,
        };
        if self.store.send(group).await.is_err() {
            return Err(ServiceError::new(ErrorCode::StoreUnavailable, "the activity writer stopped"));
        }
        Ok(receivers)
    }

    /// Between groups: a game still for [`IDLE_AFTER`](super::IDLE_AFTER) has everything its store lacks written
    /// as a group of its own, so an idle game's store is never more than a second or two behind
    /// its events; a busy one's due flush goes on a part at a time.
    async fn tick(&mut self) {
        let gate = self.gate.clone().read_owned().await;
        if self.pipeline.is_poisoned(self.epoch) {
            return; // the next group starts a new epoch first
        }
        let mut write = ActivityWrite::default();
        let mut flushes = Vec::new();
        let mut states = Vec::new();
        for (game, state) in &self.touched {
            let mut st = state.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            if st.stale || st.unflushed.is_empty() {
                continue;
            }
            let part = if idle(&st) {
                Some(take_all(*game, &mut st, &mut write))
            } else if flush_due(&st) {
                take_flush(*game, &mut st, &mut write)
            } else {
                continue;
            };
            if let Some(through) = part {
                flushes.push((state.clone(), through));
            }
            states.push(state.clone());
        }
        if states.is_empty() {
            return;
        }
        let group = Judged { write, flushes, ..Judged::empty(self.epoch, gate, states) };
        let _ = self.store.send(group).await;
    }
}

impl Writer {
    /// Gives up a group part way: the states it moved become stale once the groups still
    /// committing are done (making them stale now would let a load rebuild them from a store
    /// that lacks those groups).
    async fn abort(
        &mut self,
        gate: tokio::sync::OwnedRwLockReadGuard<()>,
        states: Vec<Arc<Mutex<GameActivity>>>,
        e: ServiceError,
    ) -> ServiceError {
        let marker = Judged { aborted: true, ..Judged::empty(self.epoch, gate, states) };
        if self.store.send(marker).await.is_err() {
            return ServiceError::new(ErrorCode::StoreUnavailable, "the activity writer stopped");
        }
        e
    }
}

/// Marks a state stale (see [`Pipeline`]).
fn mark_stale(state: &Mutex<GameActivity>) {
    state.lock().unwrap_or_else(std::sync::PoisonError::into_inner).stale = true;
}

fn parsed_id(p: &Parsed) -> &Key {
    match p {
        Parsed::Event(e) => &e.event_id,
        Parsed::Invalid { event_id, .. } => event_id,
    }
}
