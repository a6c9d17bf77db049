//! `/v1/client/…` calls made with a session's access token: nonces, boards, scores and the
//! player-name check, shaped so that LEADR's Unity and Godot SDKs work unchanged
//! (docs/compat-leadr.md lists what they send and read).

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use podium_core::error::FieldCode;
use podium_core::error::FieldErrors;
use podium_core::error::{ErrorCode, ServiceError};
use podium_core::id::{BoardId, GameId, IdentityId, ScoreId};
use podium_core::model::Board;
use podium_core::service::{ClientSubmit, Geo, IssuedNonce, NameCheck, ScoreListQuery, ScoreView, TestFilter};
use podium_core::shared::Bucket;
use serde::Deserialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::too_many;
use crate::edge::ClientIp;
use crate::extract::{ApiJson, ApiQuery, Client, IdPath, bearer};
use crate::list::{ListResponse, PageQuery};
use crate::problem::{ApiError, ApiResult, Problem};
use crate::state::AppState;

/// The routes of this resource.
pub(super) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(get_nonce))
        .routes(routes!(list_boards))
        .routes(routes!(list_boards_slash))
        .routes(routes!(get_board))
        .routes(routes!(current_board))
        .routes(routes!(submit_score))
        .routes(routes!(list_scores))
        .routes(routes!(get_score))
        .routes(routes!(check_player_name))
}

/// A single-use nonce for the next client mutation, valid 60 s, bound to this device. Rate
/// limited per client address.
#[utoipa::path(get, path = "/v1/client/nonce", tag = "client",
    responses((status = 200, body = IssuedNonce), (status = 429, body = Problem, content_type = "application/problem+json"),
        (status = "4XX", body = Problem, content_type = "application/problem+json")))]
async fn get_nonce(State(s): State<AppState>, ClientIp(ip): ClientIp, headers: HeaderMap) -> Response {
    if let Some(ip) = ip
        && let Err(wait) = s.edge.rates.take(Bucket::Nonces, ip)
    {
        return too_many(wait);
    }
    let Some(token) = bearer(&headers) else {
        return ApiError(ServiceError::unauthorized("send the session's access token as `authorization: Bearer`"))
            .into_response();
    };
    match s.clients.authenticate(token).await {
        Ok(grant) => Json(s.clients.issue_nonce(&grant)).into_response(),
        Err(e) => ApiError(e).into_response(),
    }
}

/// Filters of `GET /v1/client/boards`.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ClientBoardFilters {
    /// The session's game (optional; another game is 404).
    pub game_id: Option<GameId>,
    /// Only the board with this slug.
    pub slug: Option<String>,
}

/// The published boards of the session's game.
#[utoipa::path(get, path = "/v1/client/boards", tag = "client", operation_id = "client_list_boards", params(ClientBoardFilters, PageQuery),
    responses((status = 200, body = ListResponse<Board>), (status = "4XX", body = Problem, content_type = "application/problem+json")))]
async fn list_boards(
    State(s): State<AppState>,
    Client(g): Client,
    ApiQuery(f): ApiQuery<ClientBoardFilters>,
    ApiQuery(page): ApiQuery<PageQuery>,
) -> ApiResult<Json<ListResponse<Board>>> {
    Ok(Json(s.clients.list_boards(&g, f.game_id, f.slug, &page.into()).await?.into()))
}

/// The same list at `/v1/client/boards/` (LEADR's Unity SDK asks there with `?slug=`).
#[utoipa::path(get, path = "/v1/client/boards/", tag = "client", operation_id = "client_list_boards_slash", params(ClientBoardFilters, PageQuery),
    responses((status = 200, body = ListResponse<Board>), (status = "4XX", body = Problem, content_type = "application/problem+json")))]
async fn list_boards_slash(
    state: State<AppState>,
    client: Client,
    filters: ApiQuery<ClientBoardFilters>,
    page: ApiQuery<PageQuery>,
) -> ApiResult<Json<ListResponse<Board>>> {
    list_boards(state, client, filters, page).await
}

/// `game_id` on single-board reads.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct GameParam {
    /// The session's game (optional; another game is 404).
    pub game_id: Option<GameId>,
}

/// One published board of the session's game, by id or by slug.
#[utoipa::path(get, path = "/v1/client/boards/{id_or_slug}", tag = "client", operation_id = "client_get_board",
    params(("id_or_slug" = String, Path), GameParam),
    responses((status = 200, body = Board), (status = "4XX", body = Problem, content_type = "application/problem+json")))]
async fn get_board(
    State(s): State<AppState>,
    Client(g): Client,
    Path(id_or_slug): Path<String>,
    ApiQuery(q): ApiQuery<GameParam>,
) -> ApiResult<Json<Board>> {
    Ok(Json(s.clients.get_board(&g, &id_or_slug, q.game_id).await?))
}

/// The current board of one of the session's game's board templates, by the template's slug:
/// the board of its latest period (404 before the first, or when unpublished).
#[utoipa::path(get, path = "/v1/client/board-templates/{slug}/current", tag = "client", operation_id = "client_current_board",
    params(("slug" = String, Path), GameParam),
    responses((status = 200, body = Board), (status = "4XX", body = Problem, content_type = "application/problem+json")))]
async fn current_board(
    State(s): State<AppState>,
    Client(g): Client,
    Path(slug): Path<String>,
    ApiQuery(q): ApiQuery<GameParam>,
) -> ApiResult<Json<Board>> {
    Ok(Json(s.clients.current_board(&g, &slug, q.game_id).await?))
}

/// Submit a score as the session's player. Needs `leadr-client-nonce`; the client's address
/// gives the entry's geography (shown only to admins).
#[utoipa::path(post, path = "/v1/client/scores", tag = "client", operation_id = "client_submit_score", request_body = ClientSubmit,
    params(("leadr-client-nonce" = String, Header, description = "A nonce from GET /v1/client/nonce")),
    responses((status = 201, body = ScoreView), (status = 412, body = Problem, content_type = "application/problem+json"),
        (status = "4XX", body = Problem, content_type = "application/problem+json")))]
async fn submit_score(
    State(s): State<AppState>,
    Client(g): Client,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    ApiJson(cmd): ApiJson<ClientSubmit>,
) -> ApiResult<(StatusCode, Json<ScoreView>)> {
    let nonce = headers.get("leadr-client-nonce").and_then(|v| v.to_str().ok());
    s.clients.spend_nonce(&g, nonce).await?;
    let geo = ip.map_or(Geo { timezone: None, country: None, city: None }, |ip| s.edge.geo.lookup(ip));
    Ok((StatusCode::CREATED, Json(s.clients.submit(&g, cmd, geo).await?)))
}

/// Parameters of `GET /v1/client/scores`.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ClientScoreFilters {
    /// The board (required).
    pub board_id: Option<BoardId>,
    /// `me` (the session's player) or a player's id.
    pub identity_id: Option<String>,
    /// A window of `limit` entries centred on this entry.
    pub around_score_id: Option<ScoreId>,
    /// A window centred on where this value would rank (a decimal comma is accepted).
    pub around_score_value: Option<String>,
}

/// A board's entries in the session's pool: rank order by default, around an entry or a
/// value, or one player's.
#[utoipa::path(get, path = "/v1/client/scores", tag = "client", operation_id = "client_list_scores", params(ClientScoreFilters, PageQuery),
    responses((status = 200, body = ListResponse<ScoreView>), (status = "4XX", body = Problem, content_type = "application/problem+json")))]
async fn list_scores(
    State(s): State<AppState>,
    Client(g): Client,
    ApiQuery(f): ApiQuery<ClientScoreFilters>,
    ApiQuery(page): ApiQuery<PageQuery>,
) -> ApiResult<Response> {
    let identity_id = match f.identity_id.as_deref().map(str::trim) {
        None | Some("") => None,
        Some("me") => Some(g.identity_id),
        Some(other) => Some(IdentityId::parse(other).map_err(|_| {
            ApiError(ServiceError::validation(FieldErrors::single("identity_id", FieldCode::InvalidId)))
        })?),
    };
    let around_score_value = match f.around_score_value.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(v) => Some(v.replace(',', ".").parse::<f64>().map_err(|_| {
            ApiError(ServiceError::validation(FieldErrors::single("around_score_value", FieldCode::InvalidValue)))
        })?),
    };
    let mut page = page;
    // LEADR's Godot SDK documents `sort=ascending|descending`: values in that order.
    page.sort = page.sort.map(|sort| match sort.as_str() {
        "ascending" => "value:asc".to_owned(),
        "descending" => "value:desc".to_owned(),
        _ => sort,
    });
    let q = ScoreListQuery {
        account_id: None,
        game_id: None,
        board_id: f.board_id,
        is_test: TestFilter::Live,
        identity_id,
        around_score_id: f.around_score_id,
        around_score_value,
    };
    // The first page in rank order is what most clients ask for: it is served from its
    // serialised form while the ranking's version is unchanged.
    let first_page = page.cursor.is_none()
        && page.sort.as_deref().is_none_or(|s| s == "rank:asc")
        && q.identity_id.is_none()
        && q.around_score_id.is_none()
        && q.around_score_value.is_none();
    let cached = match (first_page, q.board_id) {
        (true, Some(board)) => {
            let key = (board, g.test_mode, page.limit.clone().unwrap_or_default());
            let version = s.clients.pool_version(&g, board).await?;
            if let Some((v, body)) = s.first_pages.get(&key)
                && v == version
            {
                return Ok(json_body(body));
            }
            Some((key, version))
        }
        _ => None,
    };
    let list: ListResponse<ScoreView> = s.clients.list_scores(&g, q, &page.into()).await?.into();
    let body = axum::body::Bytes::from(
        serde_json::to_vec(&list).map_err(|_| ApiError::new(ErrorCode::Internal, "the page could not be rendered"))?,
    );
    if let Some((key, version)) = cached {
        s.first_pages.put(key, (version, body.clone()));
    }
    Ok(json_body(body))
}

fn json_body(body: axum::body::Bytes) -> Response {
    ([(axum::http::header::CONTENT_TYPE, HeaderValue::from_static("application/json"))], body).into_response()
}

/// One entry of the session's game, with its rank.
#[utoipa::path(get, path = "/v1/client/scores/{id}", tag = "client", operation_id = "client_get_score", params(("id" = ScoreId, Path)),
    responses((status = 200, body = ScoreView), (status = "4XX", body = Problem, content_type = "application/problem+json")))]
async fn get_score(
    State(s): State<AppState>,
    Client(g): Client,
    IdPath(id): IdPath<ScoreId>,
) -> ApiResult<Json<ScoreView>> {
    Ok(Json(s.clients.get_score(&g, id).await?))
}

/// Parameters of the player-name check.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct NameCheckQuery {
    /// The name to check.
    pub name: Option<String>,
    /// Comma-separated board ids (default: every published board of the game).
    pub board_ids: Option<String>,
}

/// Whether another player of the game uses a name on boards that want unique names.
#[utoipa::path(get, path = "/v1/client/player-names/check", tag = "client", params(NameCheckQuery),
    responses((status = 200, body = NameCheck), (status = "4XX", body = Problem, content_type = "application/problem+json")))]
async fn check_player_name(
    State(s): State<AppState>,
    Client(g): Client,
    ApiQuery(q): ApiQuery<NameCheckQuery>,
) -> ApiResult<Json<NameCheck>> {
    let Some(name) = q.name else {
        return Err(ApiError(ServiceError::validation(FieldErrors::single("name", FieldCode::Required))));
    };
    let mut boards = Vec::new();
    for raw in q.board_ids.as_deref().unwrap_or_default().split(',').map(str::trim).filter(|b| !b.is_empty()) {
        boards.push(
            BoardId::parse(raw).map_err(|_| {
                ApiError(ServiceError::validation(FieldErrors::single("board_ids", FieldCode::InvalidId)))
            })?,
        );
    }
    Ok(Json(s.clients.check_name(&g, &name, &boards).await?))
}
