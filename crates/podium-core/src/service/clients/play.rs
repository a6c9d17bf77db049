//! What game clients read and write besides their sessions: boards, scores and the
//! player-name check.

use serde::{Deserialize, Serialize};

use super::{ClientGrant, Clients};
use crate::error::FieldCode;
use crate::error::{ServiceError, ServiceResult};
use crate::id::{BoardId, GameId, ScoreId};
use crate::model::{Board, Slug};
use crate::page::{ListParams, Page};
use crate::service::scores::{
    Audience, Geo, ScoreListQuery, ScoreView, SubmitScore, TestFilter, name_key, player_name,
};

/// `POST /v1/client/scores`
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ClientSubmit {
    /// The board (of the session's game).
    pub board_id: BoardId,
    /// 1–64 characters after trimming.
    pub player_name: Option<String>,
    /// The value (integers and decimals alike).
    pub value: f64,
    /// Display form.
    #[serde(default)]
    pub value_display: Option<String>,
    /// Free-form JSON, at most 1 KiB.
    #[serde(default)]
    pub metadata: Option<serde_json::Value>,
}

/// `GET /v1/client/player-names/check`
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct NameCheck {
    /// The name as given (trimmed).
    pub name: String,
    /// The form uniqueness compares (whitespace collapsed, lower case).
    pub normalised_name: String,
    /// True when no board with unique player names has another player under this name.
    pub available: bool,
    /// The boards where another player has it.
    pub conflicts: Vec<NameConflict>,
}

/// A board on which a name is taken.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct NameConflict {
    /// The board.
    pub board_id: BoardId,
    /// Its name.
    pub board_name: String,
}

impl Clients {
    /// A board of the grant's game that clients may see (published, live); 404 otherwise.
    async fn client_board(&self, grant: &ClientGrant, id: BoardId) -> ServiceResult<Board> {
        let board = self.admin.board_by_id(id).await?;
        if board.game_id != grant.game_id || !board.is_published {
            return Err(ServiceError::not_found("board"));
        }
        Ok(board)
    }

    /// `GET /v1/client/boards`: the published boards of the grant's game. `game_id`, when
    /// given, must be that game (another game's boards are 404).
    pub async fn list_boards(
        &self,
        grant: &ClientGrant,
        game_id: Option<GameId>,
        slug: Option<String>,
        params: &ListParams,
    ) -> ServiceResult<Page<Board>> {
        if game_id.is_some_and(|g| g != grant.game_id) {
            return Err(ServiceError::not_found("game"));
        }
        self.admin.list_published_boards(grant.account_id, grant.game_id, slug, params).await
    }

    /// `GET /v1/client/board-templates/{slug}/current`: the board of the latest period of the
    /// game's template with this slug, when published.
    pub async fn current_board(
        &self,
        grant: &ClientGrant,
        template_slug: &str,
        game_id: Option<GameId>,
    ) -> ServiceResult<Board> {
        if game_id.is_some_and(|g| g != grant.game_id) {
            return Err(ServiceError::not_found("board template"));
        }
        self.admin.current_board_by_slug(grant.account_id, grant.game_id, template_slug).await
    }

    /// `GET /v1/client/boards/{id_or_slug}`.
    pub async fn get_board(
        &self,
        grant: &ClientGrant,
        id_or_slug: &str,
        game_id: Option<GameId>,
    ) -> ServiceResult<Board> {
        if game_id.is_some_and(|g| g != grant.game_id) {
            return Err(ServiceError::not_found("board"));
        }
        if let Ok(id) = BoardId::parse(id_or_slug) {
            return self.client_board(grant, id).await;
        }
        if Slug::parse(id_or_slug).is_err() {
            return Err(ServiceError::not_found("board"));
        }
        let params = ListParams { limit: Some("1".into()), ..ListParams::default() };
        let page = self
            .admin
            .list_published_boards(grant.account_id, grant.game_id, Some(id_or_slug.to_owned()), &params)
            .await?;
        page.data.into_iter().next().ok_or_else(|| ServiceError::not_found("board"))
    }

    /// `POST /v1/client/scores` (the nonce already spent): the same pipeline as admin
    /// submissions, as the grant's identity, with the client's geography.
    pub async fn submit(&self, grant: &ClientGrant, cmd: ClientSubmit, geo: Geo) -> ServiceResult<ScoreView> {
        let board = self.admin.board_by_id(cmd.board_id).await?;
        if board.game_id != grant.game_id {
            return Err(ServiceError::not_found("board"));
        }
        if cmd.player_name.is_none() {
            return Err(ServiceError::field("player_name", FieldCode::Required));
        }
        let submit = SubmitScore {
            board_id: board.id,
            identity_id: Some(grant.identity_id),
            player_key: None,
            player_name: cmd.player_name,
            value: cmd.value,
            value_display: cmd.value_display,
            metadata: cmd.metadata,
            is_test: Some(grant.test_mode),
            timezone: geo.timezone,
            country: geo.country,
            city: geo.city,
        };
        Ok(self.scores.submit_on(board, submit, Audience::Client).await?.score)
    }

    /// `GET /v1/client/scores`: the session's pool only (test sessions see test entries).
    pub async fn list_scores(
        &self,
        grant: &ClientGrant,
        mut q: ScoreListQuery,
        params: &ListParams,
    ) -> ServiceResult<Page<ScoreView>> {
        let Some(board_id) = q.board_id else {
            return Err(ServiceError::new(crate::error::ErrorCode::BoardIdRequired, "pass board_id to list scores"));
        };
        let board = self.admin.board_by_id(board_id).await?;
        if board.game_id != grant.game_id {
            return Err(ServiceError::not_found("board"));
        }
        q.is_test = if grant.test_mode { TestFilter::Test } else { TestFilter::Live };
        self.scores.list_on(board, q, params, Audience::Client).await
    }

    /// The version of the ranking a client's list of `board` reads (checking, as a list would,
    /// that the board is of the grant's game): a first page rendered at this version is exact
    /// while it stays the same.
    pub async fn pool_version(&self, grant: &ClientGrant, board_id: BoardId) -> ServiceResult<u64> {
        let board = self.admin.board_by_id(board_id).await?;
        if board.game_id != grant.game_id {
            return Err(ServiceError::not_found("board"));
        }
        Ok(self.scores.pool_version(board.id, grant.test_mode))
    }

    /// `GET /v1/client/scores/{id}`.
    pub async fn get_score(&self, grant: &ClientGrant, id: ScoreId) -> ServiceResult<ScoreView> {
        self.scores.get_score_in_game(grant.game_id, id).await
    }

    /// `GET /v1/client/player-names/check`: whether another player of the game uses `name` on
    /// any of `boards` (or of the game's boards) that want unique names.
    pub async fn check_name(&self, grant: &ClientGrant, name: &str, boards: &[BoardId]) -> ServiceResult<NameCheck> {
        let name = player_name(name).map_err(|code| ServiceError::field("name", code))?;
        if boards.len() > 100 {
            return Err(ServiceError::field("board_ids", FieldCode::TooMany));
        }
        let mut candidates = Vec::new();
        if boards.is_empty() {
            let mut params = ListParams { limit: Some("100".into()), ..ListParams::default() };
            loop {
                let page = self.admin.list_published_boards(grant.account_id, grant.game_id, None, &params).await?;
                candidates.extend(page.data);
                match page.pagination.next_cursor {
                    Some(c) => params.cursor = Some(c),
                    None => break,
                }
            }
        } else {
            for id in boards {
                let board = self.admin.board_by_id(*id).await?;
                if board.game_id != grant.game_id {
                    return Err(ServiceError::not_found("board"));
                }
                candidates.push(board);
            }
        }
        let unique: Vec<&Board> = candidates.iter().filter(|b| b.unique_player_names).collect();
        let key = name_key(&name);
        let ids: Vec<BoardId> = unique.iter().map(|b| b.id).collect();
        let taken = if ids.is_empty() {
            Vec::new()
        } else {
            self.admin.store().name_conflicts(&ids, &key, grant.identity_id).await?
        };
        let conflicts: Vec<NameConflict> = unique
            .iter()
            .filter(|b| taken.contains(&b.id))
            .map(|b| NameConflict { board_id: b.id, board_name: b.name.to_string() })
            .collect();
        Ok(NameCheck { name, normalised_name: key, available: conflicts.is_empty(), conflicts })
    }
}
