//! What game clients read and write besides their sessions (boards, scores, the player-name
//! check), and what admins do with players and sessions (list, rename, ban, revoke). Bans and
//! revocations drop this node's cached grants at once.

use serde::{Deserialize, Serialize};

use super::scores::{Audience, Geo, ScoreListQuery, ScoreView, SubmitScore, TestFilter, name_key, player_name};
use super::{Clients, Patch};
use crate::auth::Principal;
use crate::error::{ServiceError, ServiceResult};
use crate::id::{AccountId, BoardId, DeviceId, GameId, IdentityId, ScoreId, SessionId};
use crate::model::{Board, Identity, IdentitySession, IdentityStatus, Name, Slug, TrustTier};
use crate::page::{ListParams, Page, PageRequest};
use crate::store::{IdentityFilter, SessionFilter};
use crate::time::now;
use crate::validate::FieldErrors;

use super::clients::ClientGrant;

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

/// Filters of `GET /v1/identities`.
#[derive(Debug, Clone, Default)]
pub struct IdentityListQuery {
    /// Required for a superadmin.
    pub account_id: Option<AccountId>,
    /// Only this game's.
    pub game_id: Option<GameId>,
    /// Only with this status.
    pub status: Option<IdentityStatus>,
}

/// `PATCH /v1/identities/{id}`
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateIdentity {
    /// New display name, or null for none.
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub display_name: Patch<String>,
    /// An admin override of the derived tier, or null to derive it again.
    #[serde(default)]
    #[schema(value_type = Option<TrustTier>)]
    pub trust_tier: Patch<TrustTier>,
    /// `banned` kills the player's tokens at once; `active` lifts the ban.
    #[serde(default)]
    #[schema(value_type = Option<IdentityStatus>)]
    pub status: Patch<IdentityStatus>,
}

/// Filters of `GET /v1/identity-sessions`.
#[derive(Debug, Clone, Default)]
pub struct SessionListQuery {
    /// Required for a superadmin.
    pub account_id: Option<AccountId>,
    /// Only this game's.
    pub game_id: Option<GameId>,
    /// Only this player's.
    pub identity_id: Option<IdentityId>,
    /// Only this device's.
    pub device_id: Option<DeviceId>,
    /// Only revoked (or unrevoked) sessions.
    pub revoked: Option<bool>,
}

/// `PATCH /v1/identity-sessions/{id}`
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateSession {
    /// `true` revokes the session for good: its tokens answer 401 at once.
    #[serde(default)]
    #[schema(value_type = Option<bool>)]
    pub revoked: Patch<bool>,
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
            return Err(ServiceError::field("player_name", "required"));
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
            return Err(ServiceError::field("board_ids", "too_many"));
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

    /// One identity the principal can see.
    pub async fn get_identity(&self, p: &Principal, id: IdentityId) -> ServiceResult<Identity> {
        let identity = self.admin.store().get_identity(id).await?.ok_or_else(|| ServiceError::not_found("identity"))?;
        if p.can_see(identity.account_id) { Ok(identity) } else { Err(ServiceError::not_found("identity")) }
    }

    /// Identities of one account, filtered.
    pub async fn list_identities(
        &self,
        p: &Principal,
        q: IdentityListQuery,
        params: &ListParams,
    ) -> ServiceResult<Page<Identity>> {
        let account_id = self.admin.list_scope(p, q.account_id)?;
        let scope = format!("identities|{account_id}|{:?}|{:?}", q.game_id, q.status);
        let cursors = self.admin.cursors();
        let req = PageRequest::prepare(params, &["created_at", "updated_at"], "created_at:desc", &scope, cursors)?;
        let filter = IdentityFilter { account_id, game_id: q.game_id, status: q.status };
        let rows = self.admin.store().list_identities(&filter, &req).await?;
        Ok(req.finish(rows, cursors))
    }

    /// Renames, re-tiers, bans or unbans a player. A ban revokes every session of the player
    /// (its tokens answer 401 at once) and new sessions are refused (403) until it is lifted.
    pub async fn update_identity(&self, p: &Principal, id: IdentityId, cmd: UpdateIdentity) -> ServiceResult<Identity> {
        let mut identity = self.get_identity(p, id).await?;
        let mut errors = FieldErrors::new();
        if let Some(name) = cmd.display_name.optional() {
            identity.display_name = match name {
                Some(n) => errors.check("display_name", Name::parse(&n)).map(|n| n.to_string()),
                None => None,
            };
        }
        if let Some(tier) = cmd.trust_tier.optional() {
            identity.trust_tier = tier;
        }
        let status = cmd.status.required("status", &mut errors);
        errors.into_result()?;
        let at = now();
        let banned = status == Some(IdentityStatus::Banned) && identity.status != IdentityStatus::Banned;
        let unbanned = status == Some(IdentityStatus::Active) && identity.status == IdentityStatus::Banned;
        if let Some(status) = status {
            identity.status = status;
        }
        identity.updated_at = at;
        let store = self.admin.store();
        store.update_identity(&identity).await?;
        if banned {
            store.revoke_sessions(None, Some(identity.id), at).await?;
        }
        self.forget_grants(None, Some(identity.id));
        self.scores.identity_changed(&identity);
        if banned || unbanned {
            self.scores.set_identity_visible(identity.id, unbanned).await?;
        }
        Ok(identity)
    }

    /// One session the principal can see.
    pub async fn get_session(&self, p: &Principal, id: SessionId) -> ServiceResult<IdentitySession> {
        let session = self.admin.store().get_session(id).await?.ok_or_else(|| ServiceError::not_found("session"))?;
        if p.can_see(session.account_id) { Ok(session) } else { Err(ServiceError::not_found("session")) }
    }

    /// Sessions of one account, filtered.
    pub async fn list_sessions(
        &self,
        p: &Principal,
        q: SessionListQuery,
        params: &ListParams,
    ) -> ServiceResult<Page<IdentitySession>> {
        let account_id = self.admin.list_scope(p, q.account_id)?;
        let scope =
            format!("sessions|{account_id}|{:?}|{:?}|{:?}|{:?}", q.game_id, q.identity_id, q.device_id, q.revoked);
        let cursors = self.admin.cursors();
        let req = PageRequest::prepare(params, &["created_at", "updated_at"], "created_at:desc", &scope, cursors)?;
        let filter = SessionFilter {
            account_id,
            game_id: q.game_id,
            identity_id: q.identity_id,
            device_id: q.device_id,
            revoked: q.revoked,
        };
        let rows = self.admin.store().list_sessions(&filter, &req).await?;
        Ok(req.finish(rows, cursors))
    }

    /// Revokes a session (for good; `revoked: false` on a revoked session is 400).
    pub async fn update_session(
        &self,
        p: &Principal,
        id: SessionId,
        cmd: UpdateSession,
    ) -> ServiceResult<IdentitySession> {
        let session = self.get_session(p, id).await?;
        let mut errors = FieldErrors::new();
        let revoked = cmd.revoked.required("revoked", &mut errors);
        errors.into_result()?;
        match revoked {
            Some(true) if !session.revoked => {
                self.admin.store().revoke_sessions(Some(id), None, now()).await?;
                self.forget_grants(Some(id), None);
                self.get_session(p, id).await
            }
            Some(false) if session.revoked => Err(ServiceError::new(
                crate::error::ErrorCode::InvalidTransition,
                "a revoked session cannot be restored; the client starts a new one",
            )),
            _ => Ok(session),
        }
    }
}
