//! Score submissions and queries (game-boards spec §2 score-events, §4 scores): validation, the
//! identity behind a `player_key`, the hand-off to the group-commit writer, and answers in
//! rank order from the engine (pages, windows around an entry or a value) with the entries'
//! fields read from the store.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use tokio::sync::{mpsc, oneshot};

use super::Admin;
use super::writer::{self, Job};
use crate::auth::Principal;
use crate::cache::TtlCache;
use crate::error::{ErrorCode, ServiceError, ServiceResult};
use crate::id::{AccountId, BoardId, GameId, IdentityId, ScoreEventId, ScoreId};
use crate::model::{
    Board, BoardType, EventPayload, EventStatus, Identity, IdentityKind, IdentityStatus, Score, ScoreEvent,
    ScoreStatus, SortDirection,
};
use crate::page::{ListParams, Page, PageRequest, Pagination, SortValue, Sortable};
use crate::ranking::{Engine, PoolKey, RankKey, Window};
use crate::scoring::{PlannedEvent, rank_key};
use crate::store::{ScoreEventFilter, ScoreFilter};
use crate::time::now;
use crate::validate::FieldErrors;

/// Largest absolute value accepted (beyond it doubles stop holding whole numbers exactly).
pub const MAX_ABS_VALUE: f64 = 1e15;
/// Largest metadata, serialised.
pub const MAX_METADATA_BYTES: usize = 1024;

/// `POST /v1/score-events`
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SubmitScore {
    /// The board.
    pub board_id: BoardId,
    /// The player, if known by id.
    #[serde(default)]
    pub identity_id: Option<IdentityId>,
    /// The game's own player identifier; podium finds or creates the identity.
    #[serde(default)]
    pub player_key: Option<String>,
    /// 1–64 characters after trimming; defaults to the player's last name.
    #[serde(default)]
    pub player_name: Option<String>,
    /// The value (a delta on COUNTER boards); finite, |value| ≤ 1e15.
    pub value: f64,
    /// Display form, up to 64 characters.
    #[serde(default)]
    pub value_display: Option<String>,
    /// Free-form JSON, at most 1 KiB serialised.
    #[serde(default)]
    pub metadata: Option<serde_json::Value>,
    /// Ranked apart from live entries (default false).
    #[serde(default)]
    pub is_test: Option<bool>,
    /// Client timezone.
    #[serde(default)]
    pub timezone: Option<String>,
    /// Client country.
    #[serde(default)]
    pub country: Option<String>,
    /// Client city.
    #[serde(default)]
    pub city: Option<String>,
}

/// Client geography, shown in admin views only.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Geo {
    /// Timezone.
    pub timezone: Option<String>,
    /// Country.
    pub country: Option<String>,
    /// City.
    pub city: Option<String>,
}

/// A ranked entry as answered.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct ScoreView {
    /// `scr_…` (all zeros for the placeholder).
    pub id: ScoreId,
    /// The owning account.
    pub account_id: AccountId,
    /// The game.
    pub game_id: GameId,
    /// The board.
    pub board_id: BoardId,
    /// The player (null for the placeholder).
    pub identity_id: Option<IdentityId>,
    /// The name shown.
    pub player_name: String,
    /// The ranked value.
    pub value: f64,
    /// Display form.
    pub value_display: Option<String>,
    /// Metadata of the submission that set the value.
    pub metadata: Option<serde_json::Value>,
    /// 1-based, absolute across pages; null when the entry is not ranked.
    pub rank: Option<u64>,
    /// `active`, `under_review` or `rejected`.
    pub status: ScoreStatus,
    /// Test entries are ranked apart.
    pub is_test: bool,
    /// True only for the entry `around_score_value` inserts.
    pub is_placeholder: bool,
    /// Creation time.
    pub created_at: DateTime<Utc>,
    /// When the entry reached its value.
    pub updated_at: DateTime<Utc>,
    /// Admin views only.
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    pub geo: Option<Geo>,
}

/// The answer to `POST /v1/score-events`: the event and the entry it produced.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct SubmittedScore {
    /// The event.
    #[serde(flatten)]
    pub event: ScoreEvent,
    /// The resulting entry, with its rank.
    pub score: ScoreView,
}

/// Filters of `GET /v1/score-events`.
#[derive(Debug, Clone, Default)]
pub struct EventListQuery {
    /// Required for a superadmin.
    pub account_id: Option<AccountId>,
    /// Only this board's.
    pub board_id: Option<BoardId>,
    /// Only this player's.
    pub identity_id: Option<IdentityId>,
    /// Only test or live events.
    pub is_test: Option<bool>,
}

/// What `podium rebuild` did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RebuildReport {
    /// Events replayed.
    pub events: u64,
    /// Entries written.
    pub entries: u64,
    /// Events of boards that no longer exist at all.
    pub skipped_events: u64,
}

/// Which pool(s) a score list reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TestFilter {
    /// Live entries (default).
    #[default]
    Live,
    /// Test entries.
    Test,
    /// Both, each ranked within its own pool.
    All,
}

/// Parameters of `GET /v1/scores`.
#[derive(Debug, Clone, Default)]
pub struct ScoreListQuery {
    /// Required.
    pub board_id: Option<BoardId>,
    /// Pool.
    pub is_test: TestFilter,
    /// Only this player's entries.
    pub identity_id: Option<IdentityId>,
    /// Window around this entry.
    pub around_score_id: Option<ScoreId>,
    /// Window around where this value would rank.
    pub around_score_value: Option<f64>,
}

/// Which fields a view shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Audience {
    /// Admin: with geography.
    Admin,
    /// Game client: without.
    Client,
}

/// The scores service; cheap to clone.
#[derive(Clone)]
pub struct Scores {
    pub(crate) admin: Admin,
    engine: Arc<Engine>,
    pub(crate) writer: mpsc::Sender<Job>,
    new_identities: mpsc::Sender<super::identities::NewIdentity>,
    /// Identities by (game, player_key) and by id.
    identities: Arc<TtlCache<(GameId, String), Identity>>,
    identities_by_id: Arc<TtlCache<IdentityId, Identity>>,
    /// Ranked entries by id (kept current by the writer).
    entries: Arc<writer::EntryCache>,
    /// Anti-cheat counters (shared by request tasks; filled at start-up).
    detector: Arc<std::sync::Mutex<crate::anticheat::Detector>>,
    /// Board statistics for the outlier detection, reused briefly.
    stats: Arc<writer::StatsCache>,
}

const SORTABLE: &[&str] = &["rank", "value", "player_name", "created_at", "updated_at"];

struct Ranked {
    score: Score,
    key: RankKey,
}

impl Sortable for Ranked {
    fn sort_value(&self, field: &str) -> SortValue {
        match field {
            "rank" => SortValue::Text(format!("{:?}", (self.key.score_bits(), self.key.at_micros()))),
            "value" => SortValue::Float(self.score.value),
            "player_name" => SortValue::Text(self.score.player_name.clone()),
            "created_at" => SortValue::Int(crate::time::to_micros(self.score.created_at)),
            "updated_at" => SortValue::Int(crate::time::to_micros(self.score.updated_at)),
            _ => SortValue::Text(self.score.id.to_string()),
        }
    }
}

fn text_field(errors: &mut FieldErrors, field: &str, value: Option<String>, max: usize) -> Option<String> {
    let value = value?.trim().to_owned();
    if value.is_empty() {
        return None;
    }
    if value.chars().count() > max {
        errors.add(field, "too_long");
    } else if value.chars().any(char::is_control) {
        errors.add(field, "invalid_characters");
    }
    Some(value)
}

/// Checks a player name: 1–64 characters after trimming, no control characters.
pub fn player_name(raw: &str) -> Result<String, &'static str> {
    let name = raw.trim();
    if name.is_empty() {
        Err("blank")
    } else if name.chars().count() > 64 {
        Err("too_long")
    } else if name.chars().any(char::is_control) {
        Err("invalid_characters")
    } else {
        Ok(name.to_owned())
    }
}

/// The form of a player name that uniqueness compares: trimmed, inner runs of whitespace
/// collapsed to one space, lower-cased (Unicode).
pub fn name_key(name: &str) -> String {
    name.split_whitespace().collect::<Vec<_>>().join(" ").to_lowercase()
}

impl Scores {
    /// Starts the service (and its writer task) over the admin service's store.
    pub fn start(admin: Admin) -> Self {
        let engine = Arc::new(Engine::new());
        let entries = Arc::new(TtlCache::new(super::CACHE_TTL, 200_000));
        let detector = Arc::new(std::sync::Mutex::new(crate::anticheat::Detector::new()));
        let writer = writer::spawn(writer::Writer {
            store: admin.store().clone(),
            engine: engine.clone(),
            entries: entries.clone(),
        });
        let new_identities = super::identities::spawn(admin.store().clone());
        Self {
            admin,
            engine,
            writer,
            new_identities,
            identities: Arc::new(TtlCache::new(super::CACHE_TTL, 1_000_000)),
            identities_by_id: Arc::new(TtlCache::new(super::CACHE_TTL, 1_000_000)),
            entries,
            detector,
            stats: Arc::new(writer::StatsCache::default()),
        }
    }

    /// Hides (ban) or shows again (unban) every entry of a player in the rankings, in order
    /// with submissions.
    pub(crate) async fn set_identity_visible(&self, identity: IdentityId, visible: bool) -> ServiceResult<()> {
        let (reply, answer) = oneshot::channel();
        self.writer
            .send(Job::Visibility { identity, visible, reply })
            .await
            .map_err(|_| ServiceError::new(ErrorCode::StoreUnavailable, "the server is shutting down"))?;
        answer.await.map_err(|_| ServiceError::new(ErrorCode::StoreUnavailable, "the writer stopped"))?
    }

    /// Forgets cached copies of an identity after an admin changed it.
    pub(crate) fn identity_changed(&self, identity: &Identity) {
        self.identities_by_id.remove(&identity.id);
        if let Some(key) = &identity.player_key {
            self.identities.remove(&(identity.game_id, key.clone()));
        }
    }

    /// The version of a pool's ranking (changes with every change to it).
    pub fn pool_version(&self, board: BoardId, is_test: bool) -> u64 {
        self.engine.read(PoolKey { board, is_test }, |r| r.version())
    }

    /// The rankings.
    pub fn engine(&self) -> &Arc<Engine> {
        &self.engine
    }

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
        let since = crate::time::to_micros(now()) - crate::anticheat::NEW_IDENTITY_MICROS;
        let events = store.events_since(since).await?;
        let totals = store.accepted_totals().await?;
        // Replay with permissive thresholds: only the windows matter here, not the verdicts.
        let mut thresholds = crate::anticheat::Thresholds::resolve(
            &crate::model::AntiCheatSettings::default(),
            crate::model::TrustTier::A,
        );
        thresholds.rate_limit_per_hour = u32::MAX;
        let mut detector = self.detector.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        for e in &events {
            if let Some(board) = boards.get(&e.board_id) {
                let sub = crate::anticheat::Submission {
                    identity: e.identity_id,
                    board,
                    value: e.event_payload.value,
                    at_micros: crate::time::to_micros(e.created_at),
                    thresholds,
                };
                detector.record(&sub, true);
            }
        }
        detector.set_totals(totals);
        tracing::info!(events = events.len(), "anti-cheat counters rebuilt from the last 24 hours");
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

    /// Validates a submission, finds or creates its identity, and commits it through the
    /// writer; answers once the event and the entry are durable.
    pub async fn submit(&self, p: &Principal, cmd: SubmitScore) -> ServiceResult<SubmittedScore> {
        let board = self.admin.get_board(p, cmd.board_id).await?;
        self.submit_on(board, cmd, Audience::Admin).await
    }

    /// The submission pipeline once the caller may write to `board` (admin and client alike).
    pub(crate) async fn submit_on(
        &self,
        board: Board,
        cmd: SubmitScore,
        audience: Audience,
    ) -> ServiceResult<SubmittedScore> {
        if board.board_type == BoardType::Ratio {
            return Err(ServiceError::new(
                ErrorCode::RatioBoardReadOnly,
                "a RATIO board is computed from its two COUNTER boards; submit to those",
            ));
        }
        let at = now();
        if !board.is_active || board.starts_at.is_some_and(|s| at < s) || board.ends_at.is_some_and(|e| at > e) {
            return Err(ServiceError::new(ErrorCode::BoardClosed, "the board is inactive, not yet started or ended"));
        }
        let mut errors = FieldErrors::new();
        if !cmd.value.is_finite() || cmd.value.abs() > MAX_ABS_VALUE {
            errors.add("value", "out_of_range");
        }
        if let Some(m) = &cmd.metadata
            && serde_json::to_string(m).map_or(true, |s| s.len() > MAX_METADATA_BYTES)
        {
            errors.add("metadata", "too_large");
        }
        let name = cmd.player_name.as_deref().map(|n| errors.check("player_name", player_name(n)));
        let value_display = text_field(&mut errors, "value_display", cmd.value_display, 64);
        let timezone = text_field(&mut errors, "timezone", cmd.timezone, 64);
        let country = text_field(&mut errors, "country", cmd.country, 64);
        let city = text_field(&mut errors, "city", cmd.city, 128);
        match (&cmd.identity_id, &cmd.player_key) {
            (Some(_), Some(_)) => errors.add("player_key", "exclusive_with_identity_id"),
            (None, None) => errors.add("identity_id", "required"),
            (None, Some(k)) if k.trim().is_empty() || k.len() > 128 || k.chars().any(char::is_control) => {
                errors.add("player_key", "invalid_format")
            }
            _ => {}
        }
        errors.into_result()?;
        let identity = match (cmd.identity_id, cmd.player_key) {
            (Some(id), _) => self
                .identity_by_id(id)
                .await?
                .filter(|i| i.game_id == board.game_id)
                .ok_or_else(|| ServiceError::field("identity_id", "not_found"))?,
            (None, Some(key)) => self.identity_for_key(&board, key.trim(), name.clone().flatten()).await?,
            (None, None) => return Err(ServiceError::field("identity_id", "required")),
        };
        if identity.status == IdentityStatus::Banned {
            return Err(ServiceError::new(ErrorCode::DeviceBanned, "this player is banned"));
        }
        let player_name = match name.flatten().or_else(|| identity.display_name.clone()) {
            Some(n) => n,
            None => return Err(ServiceError::field("player_name", "required")),
        };
        let event = ScoreEvent {
            id: ScoreEventId::generate(),
            account_id: board.account_id,
            game_id: board.game_id,
            board_id: board.id,
            identity_id: identity.id,
            event_payload: EventPayload {
                value: cmd.value,
                value_display,
                player_name: Some(player_name.clone()),
                metadata: cmd.metadata,
            },
            is_test: cmd.is_test.unwrap_or(false),
            timezone,
            country,
            city,
            status: EventStatus::Accepted,
            created_at: at,
        };
        let dependents = if board.board_type == BoardType::Counter {
            let ratios = self.admin.ratio_boards(board.game_id).await?;
            ratios
                .into_iter()
                .filter(|r| {
                    r.ratio_config
                        .as_ref()
                        .is_some_and(|rc| rc.numerator_board_id == board.id || rc.denominator_board_id == board.id)
                })
                .collect()
        } else {
            Vec::new()
        };
        let planned = PlannedEvent { board: board.clone(), event, player_name, dependents, hold: false };
        let game = self.admin.game_by_id(board.game_id).await?;
        let check = game.anti_cheat_enabled.then(|| writer::Check {
            settings: game.anti_cheat.clone(),
            tier_override: identity.trust_tier,
            identity_created_micros: crate::time::to_micros(identity.created_at),
        });
        let verdict = check.map(|c| writer::judge(&self.detector, &self.engine, &self.stats, &c, &planned));
        let (reply, answer) = oneshot::channel();
        self.writer
            .send(Job::Submit(writer::Submit { planned, verdict, reply }))
            .await
            .map_err(|_| ServiceError::new(ErrorCode::StoreUnavailable, "the server is shutting down"))?;
        let (event, score) = answer
            .await
            .map_err(|_| ServiceError::new(ErrorCode::StoreUnavailable, "the writer stopped before committing"))??;
        let view = self.view(&board, score, audience);
        Ok(SubmittedScore { event, score: view })
    }

    async fn identity_by_id(&self, id: IdentityId) -> ServiceResult<Option<Identity>> {
        if let Some(found) = self.identities_by_id.get(&id) {
            return Ok(Some(found));
        }
        let found = self.admin.store().get_identity(id).await?;
        if let Some(i) = &found {
            self.identities_by_id.put(id, i.clone());
        }
        Ok(found)
    }

    async fn identity_for_key(&self, board: &Board, key: &str, name: Option<String>) -> ServiceResult<Identity> {
        let cache_key = (board.game_id, key.to_owned());
        if let Some(found) = self.identities.get(&cache_key) {
            return Ok(found);
        }
        let identity = self.find_or_create_identity(board, key, name).await?;
        self.identities.put(cache_key, identity.clone());
        Ok(identity)
    }

    async fn find_or_create_identity(&self, board: &Board, key: &str, name: Option<String>) -> ServiceResult<Identity> {
        let store = self.admin.store();
        if let Some(found) = store.find_identity_by_player_key(board.game_id, key).await? {
            return Ok(found);
        }
        let at = now();
        let identity = Identity {
            id: IdentityId::generate(),
            account_id: board.account_id,
            game_id: board.game_id,
            player_key: Some(key.to_owned()),
            display_name: name,
            kind: IdentityKind::External,
            trust_tier: None,
            status: IdentityStatus::Active,
            created_at: at,
            updated_at: at,
        };
        let (reply, answer) = oneshot::channel();
        self.new_identities
            .send(super::identities::NewIdentity { identity, reply })
            .await
            .map_err(|_| ServiceError::new(ErrorCode::StoreUnavailable, "the server is shutting down"))?;
        answer.await.map_err(|_| ServiceError::new(ErrorCode::StoreUnavailable, "the identity writer stopped"))?
    }

    fn rank_of(&self, board: &Board, score: &Score) -> Option<u64> {
        if !score.is_ranked() {
            return None;
        }
        let key = rank_key(board, score);
        self.engine.read(PoolKey { board: board.id, is_test: score.is_test }, |r| r.rank(&key)).map(|r| r as u64)
    }

    /// The view of an entry with its current rank.
    pub fn view(&self, board: &Board, score: Score, audience: Audience) -> ScoreView {
        let rank = self.rank_of(board, &score);
        view_with_rank(score, rank, audience)
    }

    /// One event the principal can see.
    pub async fn get_event(&self, p: &Principal, id: ScoreEventId) -> ServiceResult<ScoreEvent> {
        let event =
            self.admin.store().get_score_event(id).await?.ok_or_else(|| ServiceError::not_found("score event"))?;
        if p.can_see(event.account_id) { Ok(event) } else { Err(ServiceError::not_found("score event")) }
    }

    /// Events of one account, filtered.
    pub async fn list_events(
        &self,
        p: &Principal,
        q: EventListQuery,
        params: &ListParams,
    ) -> ServiceResult<Page<ScoreEvent>> {
        let account_id = self.admin.list_scope(p, q.account_id)?;
        let scope = format!("score_events|{account_id}|{:?}|{:?}|{:?}", q.board_id, q.identity_id, q.is_test);
        let req = PageRequest::prepare(params, &["created_at"], "created_at:desc", &scope, self.admin.cursors())?;
        let filter =
            ScoreEventFilter { account_id, board_id: q.board_id, identity_id: q.identity_id, is_test: q.is_test };
        let rows = self.admin.store().list_score_events(&filter, &req).await?;
        Ok(req.finish(rows, self.admin.cursors()))
    }

    /// One entry the principal can see, with its rank.
    pub async fn get_score(&self, p: &Principal, id: ScoreId, audience: Audience) -> ServiceResult<ScoreView> {
        let score = self.admin.store().get_score(id).await?.ok_or_else(|| ServiceError::not_found("score"))?;
        let board = self.admin.get_board(p, score.board_id).await.map_err(|_| ServiceError::not_found("score"))?;
        Ok(self.view(&board, score, audience))
    }

    /// One entry of a game's boards, for that game's clients (another game's entry is 404).
    pub(crate) async fn get_score_in_game(&self, game: GameId, id: ScoreId) -> ServiceResult<ScoreView> {
        let score = self
            .admin
            .store()
            .get_score(id)
            .await?
            .filter(|s| s.game_id == game)
            .ok_or_else(|| ServiceError::not_found("score"))?;
        let board = self.admin.board_by_id(score.board_id).await.map_err(|_| ServiceError::not_found("score"))?;
        Ok(self.view(&board, score, Audience::Client))
    }

    /// A page of a board's entries: in rank order by default, around an entry or a value, or
    /// in another sort.
    pub async fn list_scores(
        &self,
        p: &Principal,
        q: ScoreListQuery,
        params: &ListParams,
        audience: Audience,
    ) -> ServiceResult<Page<ScoreView>> {
        let Some(board_id) = q.board_id else {
            return Err(ServiceError::new(ErrorCode::BoardIdRequired, "pass board_id to list scores"));
        };
        let around = [q.around_score_id.is_some(), q.around_score_value.is_some(), params.cursor.is_some()];
        if around.iter().filter(|x| **x).count() > 1 {
            return Err(ServiceError::new(
                ErrorCode::AroundConflict,
                "use one of around_score_id, around_score_value and cursor",
            ));
        }
        let board = self.admin.get_board(p, board_id).await?;
        self.list_on(board, q, params, audience).await
    }

    /// A page of `board`'s entries once the caller may read it (admin and client alike).
    pub(crate) async fn list_on(
        &self,
        board: Board,
        q: ScoreListQuery,
        params: &ListParams,
        audience: Audience,
    ) -> ServiceResult<Page<ScoreView>> {
        let board_id = board.id;
        let scope = format!("scores|{board_id}|{:?}|{:?}", q.is_test, q.identity_id);
        let cursors = self.admin.cursors();
        let req = PageRequest::prepare(params, SORTABLE, "rank:asc", &scope, cursors)?;
        let by_rank = req.sort.keys().first().is_some_and(|k| k.field == "rank");
        if req.sort.keys().iter().skip(1).any(|k| k.field == "rank") {
            return Err(ServiceError::new(ErrorCode::InvalidSort, "`rank` can only be the first (and only) sort term"));
        }
        let pool = match q.is_test {
            TestFilter::Live => Some(false),
            TestFilter::Test => Some(true),
            TestFilter::All => None,
        };
        if by_rank && req.sort.keys()[0].direction == crate::page::Direction::Desc {
            return Err(ServiceError::new(ErrorCode::InvalidSort, "rank sorts ascending only (best first)"));
        }
        if let (true, Some(is_test), None) = (by_rank, pool, q.identity_id) {
            return self.ranked_page(&board, is_test, &q, &req, audience).await;
        }
        if q.around_score_id.is_some() || q.around_score_value.is_some() {
            return Err(ServiceError::new(
                ErrorCode::AroundConflict,
                "around_score_id and around_score_value need rank order, one pool (is_test=true|false) and no identity_id",
            ));
        }
        // Any other order, or both pools, or one player's entries: the store sorts; ranks come
        // from each entry's own pool.
        let sql_req = if by_rank {
            // Rank order across pools or for one player: the board's order, spelled in columns.
            let order = match board.sort_direction {
                SortDirection::Descending => "value:desc,updated_at:asc,id:asc",
                SortDirection::Ascending => "value:asc,updated_at:asc,id:asc",
            };
            let params = ListParams { sort: Some(order.to_owned()), ..params.clone() };
            PageRequest::prepare(&params, SORTABLE, order, &scope, cursors)?
        } else {
            req
        };
        let filter = ScoreFilter { board_id, is_test: pool, identity_id: q.identity_id };
        let rows = self.admin.store().list_scores(&filter, &sql_req).await?;
        let ranked: Vec<Ranked> = rows.into_iter().map(|s| Ranked { key: rank_key(&board, &s), score: s }).collect();
        Ok(sql_req.finish(ranked, cursors).map(|r| self.view(&board, r.score, audience)))
    }

    async fn ranked_page(
        &self,
        board: &Board,
        is_test: bool,
        q: &ScoreListQuery,
        req: &PageRequest,
        audience: Audience,
    ) -> ServiceResult<Page<ScoreView>> {
        let pool = PoolKey { board: board.id, is_test };
        let limit = req.limit as usize;
        let mut placeholder: Option<(usize, f64)> = None;
        let window: Window = if let Some(id) = q.around_score_id {
            let target = self
                .admin
                .store()
                .get_score(id)
                .await?
                .filter(|s| s.board_id == board.id && s.is_test == is_test && s.is_ranked())
                .ok_or_else(|| ServiceError::not_found("score"))?;
            let key = rank_key(board, &target);
            self.engine.read(pool, |r| r.around_key(&key, limit)).ok_or_else(|| ServiceError::not_found("score"))?
        } else if let Some(value) = q.around_score_value {
            if !value.is_finite() {
                return Err(ServiceError::field("around_score_value", "out_of_range"));
            }
            let w = self.engine.read(pool, |r| r.around_value(value, board.sort_direction, limit));
            placeholder = Some((w.position, value));
            Window { offset: w.offset, keys: w.keys }
        } else {
            match &req.keyset {
                None => self.engine.read(pool, |r| r.page(0, limit)),
                Some(k) => {
                    let boundary = decode_rank_cursor(&k.values)?;
                    self.engine.read(pool, |r| {
                        let before = r.count_before(&boundary);
                        match k.traversal {
                            crate::page::Traversal::Forward => {
                                let start = before + usize::from(r.rank(&boundary).is_some());
                                r.page(start, limit)
                            }
                            crate::page::Traversal::Backward => {
                                let start = before.saturating_sub(limit);
                                r.page(start, before - start)
                            }
                        }
                    })
                }
            }
        };
        let total = self.engine.read(pool, |r| r.len());
        let ids: Vec<ScoreId> = window.keys.iter().map(|k| ScoreId::from_bits(k.id())).collect();
        let rows = self.entries_by_id(&ids).await?;
        // Each entry's rank is its position in the window (an entry removed between the two
        // reads is skipped without shifting the others).
        let mut positioned: Vec<(usize, Score)> =
            rows.into_iter().filter_map(|s| ids.iter().position(|id| *id == s.id).map(|i| (i, s))).collect();
        positioned.sort_by_key(|(i, _)| *i);
        let mut data: Vec<ScoreView> = positioned
            .into_iter()
            .map(|(i, s)| view_with_rank(s, Some((window.offset + i) as u64 + 1), audience))
            .collect();
        let first_key = window.keys.first().copied();
        let last_key = window.keys.last().copied();
        if let Some((position, value)) = placeholder {
            let at = position.saturating_sub(window.offset).min(data.len());
            data.insert(at, self.placeholder(board, is_test, value, position as u64 + 1, audience));
        }
        let has_prev = window.offset > 0;
        let has_next = window.offset + window.keys.len() < total;
        let cursor = |key: RankKey, traversal| {
            let ranked_values =
                vec![rank_cursor_value(&key), SortValue::Text(ScoreId::from_bits(key.id()).to_string())];
            req.sign(ranked_values, traversal, self.admin.cursors())
        };
        let next_cursor = if has_next { last_key.map(|k| cursor(k, crate::page::Traversal::Forward)) } else { None };
        let prev_cursor = if has_prev { first_key.map(|k| cursor(k, crate::page::Traversal::Backward)) } else { None };
        Ok(Page {
            pagination: Pagination {
                has_next: next_cursor.is_some(),
                has_prev: prev_cursor.is_some(),
                next_cursor,
                prev_cursor,
                count: data.len(),
            },
            data,
        })
    }

    /// Entries by id: from the entry cache, the rest from the store (and then cached).
    async fn entries_by_id(&self, ids: &[ScoreId]) -> ServiceResult<Vec<Score>> {
        let mut found = Vec::with_capacity(ids.len());
        let mut missing = Vec::new();
        for id in ids {
            match self.entries.get(id) {
                Some(s) => found.push(s),
                None => missing.push(*id),
            }
        }
        if !missing.is_empty() {
            for s in self.admin.store().get_scores(&missing).await? {
                self.entries.put_if_absent(s.id, s.clone());
                found.push(s);
            }
        }
        Ok(found)
    }

    fn placeholder(&self, board: &Board, is_test: bool, value: f64, rank: u64, audience: Audience) -> ScoreView {
        let at = now();
        ScoreView {
            id: ScoreId::from_bits(0),
            account_id: board.account_id,
            game_id: board.game_id,
            board_id: board.id,
            identity_id: None,
            player_name: String::new(),
            value,
            value_display: None,
            metadata: None,
            rank: Some(rank),
            status: ScoreStatus::Active,
            is_test,
            is_placeholder: true,
            created_at: at,
            updated_at: at,
            geo: (audience == Audience::Admin).then_some(Geo { timezone: None, country: None, city: None }),
        }
    }
}

fn rank_cursor_value(key: &RankKey) -> SortValue {
    SortValue::Text(format!("{:016x}{:016x}", key.score_bits(), key.at_micros() as u64))
}

fn decode_rank_cursor(values: &[SortValue]) -> ServiceResult<RankKey> {
    let invalid = || ServiceError::new(ErrorCode::InvalidCursor, "the cursor is malformed or was modified");
    let (Some(SortValue::Text(k)), Some(SortValue::Text(id))) = (values.first(), values.get(1)) else {
        return Err(invalid());
    };
    if k.len() != 32 || !k.is_ascii() {
        return Err(invalid());
    }
    let score = u64::from_str_radix(&k[..16], 16).map_err(|_| invalid())?;
    let at = u64::from_str_radix(&k[16..], 16).map_err(|_| invalid())? as i64;
    let id = ScoreId::parse(id).map_err(|_| invalid())?;
    Ok(RankKey::from_parts(score, at, id.bits()))
}

fn view_with_rank(s: Score, rank: Option<u64>, audience: Audience) -> ScoreView {
    let geo = (audience == Audience::Admin).then(|| Geo {
        timezone: s.timezone.clone(),
        country: s.country.clone(),
        city: s.city.clone(),
    });
    ScoreView {
        id: s.id,
        account_id: s.account_id,
        game_id: s.game_id,
        board_id: s.board_id,
        identity_id: Some(s.identity_id),
        player_name: s.player_name,
        value: s.value,
        value_display: s.value_display,
        metadata: s.metadata,
        rank: if s.status == ScoreStatus::Rejected { None } else { rank },
        status: s.status,
        is_test: s.is_test,
        is_placeholder: false,
        created_at: s.created_at,
        updated_at: s.updated_at,
        geo,
    }
}
