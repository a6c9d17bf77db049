//! Reading scores: events, entries, and ranked pages in rank order from the engine (pages at
//! any offset, windows around an entry or a value), with the entries' fields from the entry
//! cache or the store.

use super::{Audience, EventListQuery, Geo, ScoreListQuery, ScoreView, Scores, TestFilter};
use crate::auth::Principal;
use crate::error::FieldCode;
use crate::error::{ErrorCode, ServiceError, ServiceResult};
use crate::id::{BoardId, GameId, ScoreEventId, ScoreId};
use crate::model::{Board, Score, ScoreEvent, ScoreStatus, SortDirection};
use crate::page::{ListParams, Page, PageRequest, SortValue, Sortable};
use crate::ranking::{PoolKey, RankKey, Window};
use crate::scoring::rank_key;
use crate::store::{ScoreEventFilter, ScoreFilter};
use crate::time::now;

const SORTABLE: &[&str] = &["rank", "value", "player_name", "created_at", "updated_at"];

/// Most entries one export carries.
pub const EXPORT_MAX: usize = 10_000;

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

impl Scores {
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
        let account_id = self.admin.list_scope(p, q.account_id)?;
        let board = self.admin.get_board(p, board_id).await?;
        // `account_id` and `game_id` filter, as on the reference: a board outside them has no
        // entries to list.
        if board.account_id != account_id || q.game_id.is_some_and(|g| g != board.game_id) {
            return Ok(Page::with_cursors(Vec::new(), None, None));
        }
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
                return Err(ServiceError::field("around_score_value", FieldCode::OutOfRange));
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
        let mut data = self.window_views(&window, audience).await?;
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
        Ok(Page::with_cursors(data, next_cursor, prev_cursor))
    }

    /// The entries of a window of the ranking, each with its rank: its position in the window
    /// (an entry removed between the two reads is skipped without shifting the others).
    async fn window_views(&self, window: &Window, audience: Audience) -> ServiceResult<Vec<ScoreView>> {
        let ids: Vec<ScoreId> = window.keys.iter().map(|k| ScoreId::from_bits(k.id())).collect();
        let mut rows = Vec::with_capacity(ids.len());
        for chunk in ids.chunks(1000) {
            rows.extend(self.entries_by_id(chunk).await?);
        }
        let position: std::collections::HashMap<ScoreId, usize> =
            ids.iter().enumerate().map(|(i, id)| (*id, i)).collect();
        let mut positioned: Vec<(usize, Score)> =
            rows.into_iter().filter_map(|s| position.get(&s.id).map(|i| (*i, s))).collect();
        positioned.sort_by_key(|(i, _)| *i);
        Ok(positioned
            .into_iter()
            .map(|(i, s)| view_with_rank(s, Some((window.offset + i) as u64 + 1), audience))
            .collect())
    }

    /// The best `limit` live entries of a board the principal can see, with their ranks, best
    /// first: a season's final standings to archive (`GET /v1/boards/{id}/export`).
    pub async fn export_top(
        &self,
        p: &Principal,
        board_id: BoardId,
        limit: usize,
    ) -> ServiceResult<(Board, Vec<ScoreView>)> {
        if !(1..=EXPORT_MAX).contains(&limit) {
            return Err(ServiceError::field("limit", FieldCode::OutOfRange));
        }
        let board = self.admin.get_board(p, board_id).await?;
        let pool = PoolKey { board: board.id, is_test: false };
        let window = self.engine.read(pool, |r| r.page(0, limit));
        let views = self.window_views(&window, Audience::Admin).await?;
        Ok((board, views))
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
    SortValue::Text(key.cursor_text())
}

fn decode_rank_cursor(values: &[SortValue]) -> ServiceResult<RankKey> {
    let invalid = || ServiceError::new(ErrorCode::InvalidCursor, "the cursor is malformed or was modified");
    let (Some(SortValue::Text(k)), Some(SortValue::Text(id))) = (values.first(), values.get(1)) else {
        return Err(invalid());
    };
    let id = ScoreId::parse(id).map_err(|_| invalid())?;
    RankKey::from_cursor_text(k, id.bits()).ok_or_else(invalid)
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
