//! Boards: defaults, the rules between fields (keep strategy only on RUN_IDENTITY, ratio
//! configuration only on RATIO and pointing at two COUNTER boards of the same game, bounds in
//! order), generated slugs and short codes, and the immutable board type.

use chrono::{DateTime, Utc};
use rand::RngExt;
use serde::Deserialize;

use super::Admin;
use crate::auth::Principal;
use crate::error::FieldCode;
use crate::error::FieldErrors;
use crate::error::{ErrorCode, ServiceError, ServiceResult};
use crate::id::{AccountId, BoardId, GameId, TemplateId};
use crate::model::board::{DESCRIPTION_MAX, ICON_MAX, TAG_MAX, TAGS_MAX, UNIT_MAX};
use crate::model::{Board, BoardType, KeepStrategy, Name, RatioConfig, Slug, SortDirection, Text};
use crate::page::{ListParams, Page, PageRequest};
use crate::service::Patch;
use crate::service::slugs::{conflict, slug_or_derived, try_slugs};
use crate::store::{BoardFilter, StoreError};
use crate::time::{now, truncate};

/// `POST /v1/boards`
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateBoard {
    /// Must be the game's account when given.
    #[serde(default)]
    pub account_id: Option<AccountId>,
    /// The game the board belongs to.
    pub game_id: GameId,
    /// Display name, 1–100 characters.
    pub name: String,
    /// Unique per game among live boards; derived from the name when absent.
    #[serde(default)]
    pub slug: Option<String>,
    /// Free text, up to 2000 characters.
    #[serde(default)]
    pub description: Option<String>,
    /// Icon name or URL, up to 512 characters.
    #[serde(default)]
    pub icon: Option<String>,
    /// Unit of values, up to 32 characters.
    #[serde(default)]
    pub unit: Option<String>,
    /// Up to 20 tags of 1–32 characters.
    #[serde(default)]
    pub tags: Option<Vec<String>>,
    /// Default `RUN_IDENTITY`; immutable.
    #[serde(default)]
    pub board_type: Option<BoardType>,
    /// Default `DESCENDING`.
    #[serde(default)]
    pub sort_direction: Option<SortDirection>,
    /// Default `BEST` on RUN_IDENTITY, `NA` otherwise.
    #[serde(default)]
    pub keep_strategy: Option<KeepStrategy>,
    /// Default true.
    #[serde(default)]
    pub is_active: Option<bool>,
    /// Default true.
    #[serde(default)]
    pub is_published: Option<bool>,
    /// Opening time.
    #[serde(default)]
    pub starts_at: Option<DateTime<Utc>>,
    /// Closing time; after `starts_at`.
    #[serde(default)]
    pub ends_at: Option<DateTime<Utc>>,
    /// Default false.
    #[serde(default)]
    pub unique_player_names: Option<bool>,
    /// Lowest plausible value.
    #[serde(default)]
    pub min_value: Option<f64>,
    /// Highest plausible value; at least `min_value`.
    #[serde(default)]
    pub max_value: Option<f64>,
    /// Required on RATIO boards, refused on others.
    #[serde(default)]
    pub ratio_config: Option<RatioConfig>,
}

/// `PATCH /v1/boards/{id}`: every field of [`CreateBoard`] but the game; `null` clears the
/// optional ones.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateBoard {
    /// New name.
    #[serde(default)]
    #[schema(value_type = String)]
    pub name: Patch<String>,
    /// New slug.
    #[serde(default)]
    #[schema(value_type = String)]
    pub slug: Patch<String>,
    /// New description, or null.
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub description: Patch<String>,
    /// New icon, or null.
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub icon: Patch<String>,
    /// New unit, or null.
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub unit: Patch<String>,
    /// New tags, or null for none.
    #[serde(default)]
    #[schema(value_type = Option<Vec<String>>)]
    pub tags: Patch<Vec<String>>,
    /// Accepted only when equal to the current type (400 otherwise).
    #[serde(default)]
    #[schema(value_type = BoardType)]
    pub board_type: Patch<BoardType>,
    /// New direction.
    #[serde(default)]
    #[schema(value_type = SortDirection)]
    pub sort_direction: Patch<SortDirection>,
    /// New keep strategy (RUN_IDENTITY only).
    #[serde(default)]
    #[schema(value_type = KeepStrategy)]
    pub keep_strategy: Patch<KeepStrategy>,
    /// Open or close the board.
    #[serde(default)]
    #[schema(value_type = bool)]
    pub is_active: Patch<bool>,
    /// Show or hide the board to clients.
    #[serde(default)]
    #[schema(value_type = bool)]
    pub is_published: Patch<bool>,
    /// New opening time, or null.
    #[serde(default)]
    #[schema(value_type = Option<DateTime<Utc>>)]
    pub starts_at: Patch<DateTime<Utc>>,
    /// New closing time, or null.
    #[serde(default)]
    #[schema(value_type = Option<DateTime<Utc>>)]
    pub ends_at: Patch<DateTime<Utc>>,
    /// Require unique player names.
    #[serde(default)]
    #[schema(value_type = bool)]
    pub unique_player_names: Patch<bool>,
    /// New lower bound, or null.
    #[serde(default)]
    #[schema(value_type = Option<f64>)]
    pub min_value: Patch<f64>,
    /// New upper bound, or null.
    #[serde(default)]
    #[schema(value_type = Option<f64>)]
    pub max_value: Patch<f64>,
    /// New ratio configuration (RATIO only).
    #[serde(default)]
    #[schema(value_type = Option<RatioConfig>)]
    pub ratio_config: Patch<RatioConfig>,
    /// `true` soft-deletes.
    #[serde(default)]
    #[schema(value_type = bool)]
    pub deleted: Patch<bool>,
}

/// Filters of `GET /v1/boards`.
#[derive(Debug, Clone, Default)]
pub struct BoardListQuery {
    /// Required for a superadmin.
    pub account_id: Option<AccountId>,
    /// Only this game's boards.
    pub game_id: Option<GameId>,
    /// Only the board with this slug.
    pub slug: Option<String>,
    /// Only the board with this short code.
    pub code: Option<String>,
    /// Only active or inactive boards.
    pub is_active: Option<bool>,
    /// Only boards carrying this tag (exactly, after trimming).
    pub tag: Option<String>,
    /// Only the boards this template stamped out (newest period first by default).
    pub template_id: Option<TemplateId>,
}

const SHORT_CODE_ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ23456789";
const SHORT_CODE_LEN: usize = 6;

pub(super) fn short_code() -> String {
    let mut rng = rand::rng();
    (0..SHORT_CODE_LEN).map(|_| SHORT_CODE_ALPHABET[rng.random_range(0..SHORT_CODE_ALPHABET.len())] as char).collect()
}

pub(super) fn text<const MAX: usize>(
    errors: &mut FieldErrors,
    field: &str,
    value: Option<String>,
) -> Option<Text<MAX>> {
    value.and_then(|v| errors.check(field, Text::<MAX>::parse(&v, false)))
}

pub(super) fn tags(errors: &mut FieldErrors, field: &str, value: Option<Vec<String>>) -> Vec<Text<{ TAG_MAX }>> {
    let value = value.unwrap_or_default();
    if value.len() > TAGS_MAX {
        errors.add(field, FieldCode::TooMany);
    }
    let mut out: Vec<Text<{ TAG_MAX }>> = Vec::new();
    for (i, tag) in value.iter().enumerate() {
        if let Some(t) = errors.check(&format!("{field}[{i}]"), Text::<{ TAG_MAX }>::parse(tag, false))
            && !out.contains(&t)
        {
            out.push(t);
        }
    }
    out
}

pub(super) fn finite(errors: &mut FieldErrors, field: &str, value: Option<f64>) -> Option<f64> {
    match value {
        Some(v) if !v.is_finite() => {
            errors.add(field, FieldCode::NotFinite);
            None
        }
        other => other,
    }
}

/// Rules between fields, checked on the board as it would be saved.
pub(super) fn check_board(board: &Board, errors: &mut FieldErrors) {
    let identity = board.board_type == BoardType::RunIdentity;
    if identity == (board.keep_strategy == KeepStrategy::Na) {
        errors.add("keep_strategy", FieldCode::InvalidForBoardType);
    }
    match (&board.ratio_config, board.board_type) {
        (None, BoardType::Ratio) => errors.add("ratio_config", FieldCode::Required),
        (Some(_), t) if t != BoardType::Ratio => errors.add("ratio_config", FieldCode::InvalidForBoardType),
        (Some(rc), _) => {
            if !rc.scale.is_finite() || rc.scale <= 0.0 {
                errors.add("ratio_config.scale", FieldCode::OutOfRange);
            }
            for (field, v) in [("min_numerator", rc.min_numerator), ("min_denominator", rc.min_denominator)] {
                if !v.is_finite() || v < 0.0 {
                    errors.add(format!("ratio_config.{field}"), FieldCode::OutOfRange);
                }
            }
            if rc.decimals > 10 {
                errors.add("ratio_config.decimals", FieldCode::OutOfRange);
            }
            if rc.numerator_board_id == rc.denominator_board_id {
                errors.add("ratio_config.denominator_board_id", FieldCode::SameAsNumerator);
            }
        }
        _ => {}
    }
    if let (Some(min), Some(max)) = (board.min_value, board.max_value)
        && min > max
    {
        errors.add("max_value", FieldCode::LessThanMinValue);
    }
    if let (Some(s), Some(e)) = (board.starts_at, board.ends_at)
        && e <= s
    {
        errors.add("ends_at", FieldCode::NotAfterStartsAt);
    }
}

impl Admin {
    /// Creates a board in a game the principal can see.
    pub async fn create_board(&self, p: &Principal, cmd: CreateBoard) -> ServiceResult<Board> {
        if let Some(account) = cmd.account_id
            && !p.can_see(account)
        {
            return Err(ServiceError::forbidden("this key cannot reach that account"));
        }
        let game = self.get_game(p, cmd.game_id).await?;
        let mut errors = FieldErrors::new();
        if cmd.account_id.is_some_and(|a| a != game.account_id) {
            errors.add("account_id", FieldCode::DoesNotMatchGame);
        }
        let name = errors.check("name", Name::parse(&cmd.name));
        let (slug, generated) = slug_or_derived(cmd.slug.as_deref(), &cmd.name, "board", &mut errors);
        let board_type = cmd.board_type.unwrap_or(BoardType::RunIdentity);
        let default_keep = if board_type == BoardType::RunIdentity { KeepStrategy::Best } else { KeepStrategy::Na };
        let at = now();
        let board = Board {
            id: BoardId::generate(),
            account_id: game.account_id,
            game_id: game.id,
            name: name.unwrap_or_else(|| Name::from_trusted(String::new())),
            slug: slug.clone().unwrap_or_else(|| Slug::from_trusted(String::new())),
            short_code: short_code(),
            description: text::<{ DESCRIPTION_MAX }>(&mut errors, "description", cmd.description),
            icon: text::<{ ICON_MAX }>(&mut errors, "icon", cmd.icon),
            unit: text::<{ UNIT_MAX }>(&mut errors, "unit", cmd.unit),
            tags: tags(&mut errors, "tags", cmd.tags),
            board_type,
            sort_direction: cmd.sort_direction.unwrap_or(SortDirection::Descending),
            keep_strategy: cmd.keep_strategy.unwrap_or(default_keep),
            is_active: cmd.is_active.unwrap_or(true),
            is_published: cmd.is_published.unwrap_or(true),
            starts_at: cmd.starts_at.map(truncate),
            ends_at: cmd.ends_at.map(truncate),
            unique_player_names: cmd.unique_player_names.unwrap_or(false),
            min_value: finite(&mut errors, "min_value", cmd.min_value),
            max_value: finite(&mut errors, "max_value", cmd.max_value),
            ratio_config: cmd.ratio_config,
            template_id: None,
            series: None,
            period_start: None,
            created_at: at,
            updated_at: at,
            deleted_at: None,
        };
        check_board(&board, &mut errors);
        errors.into_result()?;
        let Some(slug) = slug else {
            return Err(ServiceError::field("slug", FieldCode::InvalidFormat));
        };
        self.check_ratio_sources(&board).await?;
        self.insert_new_board(board, slug, generated).await.map_err(conflict)
    }

    /// Inserts a checked board under `slug` (stepping aside to `-2`, `-3`, … when `generated`
    /// and taken), retrying a clash on the random short code, and reads the row back (the
    /// slug and short code may have changed). Store errors other than a taken slug are
    /// returned as they are, so that callers can tell them apart.
    pub(super) async fn insert_new_board(
        &self,
        board: Board,
        slug: Slug,
        generated: bool,
    ) -> Result<Board, StoreError> {
        try_slugs(slug, generated, |slug| {
            let mut row = Board { slug, ..board.clone() };
            let store = self.store.clone();
            async move {
                // A clash on the random short code is retried with a fresh one.
                for _ in 0..10 {
                    match store.insert_board(&row).await {
                        Err(StoreError::Conflict { constraint }) if constraint == "short_code" => {
                            row.short_code = short_code()
                        }
                        other => return other,
                    }
                }
                Err(StoreError::Conflict { constraint: "short_code".into() })
            }
        })
        .await?;
        self.boards_changed();
        self.store.get_board(board.id).await?.ok_or(StoreError::NotFound)
    }

    async fn check_ratio_sources(&self, board: &Board) -> ServiceResult<()> {
        let Some(rc) = &board.ratio_config else {
            return Ok(());
        };
        let mut errors = FieldErrors::new();
        for (field, id) in
            [("numerator_board_id", rc.numerator_board_id), ("denominator_board_id", rc.denominator_board_id)]
        {
            match self.store.get_board(id).await? {
                Some(src) if src.game_id != board.game_id => {
                    errors.add(format!("ratio_config.{field}"), FieldCode::NotFound)
                }
                Some(src) if src.board_type != BoardType::Counter => {
                    errors.add(format!("ratio_config.{field}"), FieldCode::NotACounterBoard)
                }
                Some(_) => {}
                None => errors.add(format!("ratio_config.{field}"), FieldCode::NotFound),
            }
        }
        errors.into_result()
    }

    /// One board the principal can see.
    pub async fn get_board(&self, p: &Principal, id: BoardId) -> ServiceResult<Board> {
        let board = self.board_by_id(id).await?;
        self.visible(p, board.account_id, board, "board")
    }

    /// A live board by id, from the cache when possible (no tenancy check).
    pub(crate) async fn board_by_id(&self, id: BoardId) -> ServiceResult<Board> {
        if let Some(board) = self.caches.boards.get(&id) {
            return Ok(board);
        }
        let board = self.store.get_board(id).await?.ok_or_else(|| ServiceError::not_found("board"))?;
        self.caches.boards.put(id, board.clone());
        Ok(board)
    }

    /// The published boards of a game, for its clients; optionally only the one with `slug`.
    pub(crate) async fn list_published_boards(
        &self,
        account_id: AccountId,
        game_id: GameId,
        slug: Option<String>,
        params: &ListParams,
    ) -> ServiceResult<Page<Board>> {
        if let Some(slug) = &slug
            && Slug::parse(slug).is_err()
        {
            return Err(ServiceError::field("slug", FieldCode::InvalidFormat));
        }
        let scope = format!("client_boards|{game_id}|{}", slug.as_deref().unwrap_or_default());
        let req = PageRequest::prepare(params, Board::SORTABLE, "created_at:desc", &scope, &self.cursors)?;
        let filter = BoardFilter {
            account_id,
            game_id: Some(game_id),
            slug,
            code: None,
            is_active: None,
            is_published: Some(true),
            tag: None,
            template_id: None,
        };
        let rows = self.store.list_boards(&filter, &req).await?;
        Ok(req.finish(rows, &self.cursors))
    }

    /// Boards of one account, filtered.
    pub async fn list_boards(
        &self,
        p: &Principal,
        q: BoardListQuery,
        params: &ListParams,
    ) -> ServiceResult<Page<Board>> {
        let account_id = self.list_scope(p, q.account_id)?;
        // Filters reach SQL as bound values; still, only well-formed ones can match anything,
        // and refusing the rest keeps bytes such as NUL (which PostgreSQL rejects) out.
        let mut errors = FieldErrors::new();
        if let Some(slug) = &q.slug {
            errors.check("slug", Slug::parse(slug));
        }
        if let Some(code) = &q.code
            && !((1..=16).contains(&code.len()) && code.bytes().all(|b| b.is_ascii_alphanumeric()))
        {
            errors.add("code", FieldCode::InvalidFormat);
        }
        let tag = q.tag.as_deref().and_then(|t| errors.check("tag", Text::<{ TAG_MAX }>::parse(t, false)));
        errors.into_result()?;
        let tag = tag.map(|t| t.as_str().to_owned());
        let scope = format!(
            "boards|{account_id}|{}|{}|{}|{:?}|{}|{}",
            q.game_id.map(|g| g.to_string()).unwrap_or_default(),
            q.slug.as_deref().unwrap_or_default(),
            q.code.as_deref().unwrap_or_default(),
            q.is_active,
            tag.as_deref().unwrap_or_default(),
            q.template_id.map(|t| t.to_string()).unwrap_or_default(),
        );
        // A template's boards are its seasons: newest period first, and they can sort by it.
        let (sortable, default_sort) = match q.template_id {
            Some(_) => (Board::SORTABLE_IN_TEMPLATE, "series:desc"),
            None => (Board::SORTABLE, "created_at:desc"),
        };
        let req = PageRequest::prepare(params, sortable, default_sort, &scope, &self.cursors)?;
        let filter = BoardFilter {
            account_id,
            game_id: q.game_id,
            slug: q.slug,
            code: q.code,
            is_active: q.is_active,
            is_published: None,
            tag,
            template_id: q.template_id,
        };
        let rows = self.store.list_boards(&filter, &req).await?;
        Ok(req.finish(rows, &self.cursors))
    }

    /// Applies a patch. Changing `board_type` is 400 `board_type_immutable`.
    pub async fn update_board(&self, p: &Principal, id: BoardId, cmd: UpdateBoard) -> ServiceResult<Board> {
        let mut b = self.get_board(p, id).await?;
        let mut errors = FieldErrors::new();
        if let Some(t) = cmd.board_type.required("board_type", &mut errors)
            && t != b.board_type
        {
            return Err(ServiceError::new(
                ErrorCode::BoardTypeImmutable,
                "a board's type cannot change after creation",
            ));
        }
        if let Some(name) = cmd.name.required("name", &mut errors) {
            b.name = errors.check("name", Name::parse(&name)).unwrap_or(b.name);
        }
        if let Some(slug) = cmd.slug.required("slug", &mut errors) {
            b.slug = errors.check("slug", Slug::parse(&slug)).unwrap_or(b.slug);
        }
        if let Some(v) = cmd.description.optional() {
            b.description = text::<{ DESCRIPTION_MAX }>(&mut errors, "description", v);
        }
        if let Some(v) = cmd.icon.optional() {
            b.icon = text::<{ ICON_MAX }>(&mut errors, "icon", v);
        }
        if let Some(v) = cmd.unit.optional() {
            b.unit = text::<{ UNIT_MAX }>(&mut errors, "unit", v);
        }
        if let Some(v) = cmd.tags.optional() {
            b.tags = tags(&mut errors, "tags", v);
        }
        if let Some(v) = cmd.sort_direction.required("sort_direction", &mut errors) {
            b.sort_direction = v;
        }
        if let Some(v) = cmd.keep_strategy.required("keep_strategy", &mut errors) {
            b.keep_strategy = v;
        }
        if let Some(v) = cmd.is_active.required("is_active", &mut errors) {
            b.is_active = v;
        }
        if let Some(v) = cmd.is_published.required("is_published", &mut errors) {
            b.is_published = v;
        }
        if let Some(v) = cmd.unique_player_names.required("unique_player_names", &mut errors) {
            b.unique_player_names = v;
        }
        if let Some(v) = cmd.starts_at.optional() {
            b.starts_at = v.map(truncate);
        }
        if let Some(v) = cmd.ends_at.optional() {
            b.ends_at = v.map(truncate);
        }
        if let Some(v) = cmd.min_value.optional() {
            b.min_value = finite(&mut errors, "min_value", v);
        }
        if let Some(v) = cmd.max_value.optional() {
            b.max_value = finite(&mut errors, "max_value", v);
        }
        let ratio_changed = match cmd.ratio_config.optional() {
            Some(v) => {
                b.ratio_config = v;
                true
            }
            None => false,
        };
        let deleted = cmd.deleted.required("deleted", &mut errors).unwrap_or(false);
        check_board(&b, &mut errors);
        errors.into_result()?;
        if ratio_changed {
            self.check_ratio_sources(&b).await?;
        }
        b.updated_at = now();
        if deleted {
            b.deleted_at = Some(b.updated_at);
        }
        self.store.update_board(&b).await.map_err(conflict)?;
        self.boards_changed();
        Ok(b)
    }

    /// Soft-deletes a board.
    pub async fn delete_board(&self, p: &Principal, id: BoardId) -> ServiceResult<()> {
        let cmd = UpdateBoard { deleted: Patch::Value(true), ..Default::default() };
        self.update_board(p, id, cmd).await.map(|_| ())
    }
}
