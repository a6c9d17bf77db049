//! Board templates: create, read, list, patch, delete, with the tenancy of boards. The rules
//! of the board defaults are the board rules (checked on a sample board), plus: no RATIO
//! type; the patterns must render into a valid name and slug; a tournament window between a
//! minute and a year. Stamping boards out on schedule is `seasons`.

use chrono::{DateTime, Utc};
use serde::Deserialize;

use super::Admin;
use super::boards::{check_board, finite, tags, text};
use crate::auth::Principal;
use crate::error::{FieldCode, FieldErrors, ServiceError, ServiceResult};
use crate::id::{AccountId, GameId, TemplateId};
use crate::model::board::{DESCRIPTION_MAX, ICON_MAX, UNIT_MAX};
use crate::model::template::{DURATION_MAX_SECONDS, DURATION_MIN_SECONDS};
use crate::model::{
    Board, BoardDefaults, BoardDefaultsInput, BoardTemplate, BoardType, KeepStrategy, Name, Pattern, PeriodLabels,
    Schedule, Slug, SortDirection, TimeZone,
};
use crate::page::{ListParams, Page, PageRequest};
use crate::service::Patch;
use crate::service::slugs::{conflict, insert_with_slug, slug_or_derived};
use crate::store::TemplateFilter;
use crate::time::{now, truncate};

/// `POST /v1/board-templates`
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateTemplate {
    /// Must be the game's account when given.
    #[serde(default)]
    pub account_id: Option<AccountId>,
    /// The game its boards belong to.
    pub game_id: GameId,
    /// Display name, 1–100 characters.
    pub name: String,
    /// Unique per game among live templates; derived from the name when absent.
    #[serde(default)]
    pub slug: Option<String>,
    /// Each board's name; default `<name> #{series}`.
    #[serde(default)]
    pub name_pattern: Option<String>,
    /// Each board's slug; default `<slug>-{series}`.
    #[serde(default)]
    pub slug_pattern: Option<String>,
    /// A five-field cron expression, or `daily`, `weekly` (Mondays) or `monthly`.
    pub schedule: String,
    /// An IANA zone name; default `UTC`.
    #[serde(default)]
    pub time_zone: Option<String>,
    /// Each board closes this many seconds after its period begins (60 to 31 622 400); by
    /// default it stays open until the next period.
    #[serde(default)]
    pub duration_seconds: Option<i64>,
    /// The board each period gets (the fields of `POST /v1/boards`, no RATIO).
    #[serde(default)]
    pub board: Option<BoardDefaultsInput>,
    /// Default true.
    #[serde(default)]
    pub is_active: Option<bool>,
    /// Default now: the first board covers the period this falls in.
    #[serde(default)]
    pub starts_at: Option<DateTime<Utc>>,
    /// No period begins at or after this; after `starts_at`.
    #[serde(default)]
    pub ends_at: Option<DateTime<Utc>>,
}

/// `PATCH /v1/board-templates/{id}`: every field of [`CreateTemplate`] but the game; changes
/// apply from the next period (boards already stamped out keep theirs).
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateTemplate {
    /// New name.
    #[serde(default)]
    #[schema(value_type = String)]
    pub name: Patch<String>,
    /// New slug.
    #[serde(default)]
    #[schema(value_type = String)]
    pub slug: Patch<String>,
    /// New board name pattern.
    #[serde(default)]
    #[schema(value_type = String)]
    pub name_pattern: Patch<String>,
    /// New board slug pattern.
    #[serde(default)]
    #[schema(value_type = String)]
    pub slug_pattern: Patch<String>,
    /// New schedule.
    #[serde(default)]
    #[schema(value_type = String)]
    pub schedule: Patch<String>,
    /// New time zone.
    #[serde(default)]
    #[schema(value_type = String)]
    pub time_zone: Patch<String>,
    /// New tournament window, or null for none.
    #[serde(default)]
    #[schema(value_type = Option<i64>)]
    pub duration_seconds: Patch<i64>,
    /// New board defaults (replaces them all).
    #[serde(default)]
    #[schema(value_type = BoardDefaultsInput)]
    pub board: Patch<BoardDefaultsInput>,
    /// Start or stop stamping out boards.
    #[serde(default)]
    #[schema(value_type = bool)]
    pub is_active: Patch<bool>,
    /// New start.
    #[serde(default)]
    #[schema(value_type = DateTime<Utc>)]
    pub starts_at: Patch<DateTime<Utc>>,
    /// New end, or null.
    #[serde(default)]
    #[schema(value_type = Option<DateTime<Utc>>)]
    pub ends_at: Patch<DateTime<Utc>>,
    /// `true` soft-deletes (its boards stay).
    #[serde(default)]
    #[schema(value_type = bool)]
    pub deleted: Patch<bool>,
}

/// Filters of `GET /v1/board-templates`.
#[derive(Debug, Clone, Default)]
pub struct TemplateListQuery {
    /// Required for a superadmin.
    pub account_id: Option<AccountId>,
    /// Only this game's templates.
    pub game_id: Option<GameId>,
    /// Only the template with this slug.
    pub slug: Option<String>,
}

/// The board defaults, checked field by field (`board.…`) and then as a board.
fn board_defaults(errors: &mut FieldErrors, input: BoardDefaultsInput) -> BoardDefaults {
    let board_type = input.board_type.unwrap_or(BoardType::RunIdentity);
    if board_type == BoardType::Ratio {
        errors.add("board.board_type", FieldCode::NotForTemplates);
    }
    let default_keep = if board_type == BoardType::RunIdentity { KeepStrategy::Best } else { KeepStrategy::Na };
    let defaults = BoardDefaults {
        description: text::<{ DESCRIPTION_MAX }>(errors, "board.description", input.description),
        icon: text::<{ ICON_MAX }>(errors, "board.icon", input.icon),
        unit: text::<{ UNIT_MAX }>(errors, "board.unit", input.unit),
        tags: tags(errors, "board.tags", input.tags),
        board_type,
        sort_direction: input.sort_direction.unwrap_or(SortDirection::Descending),
        keep_strategy: input.keep_strategy.unwrap_or(default_keep),
        is_published: input.is_published.unwrap_or(true),
        unique_player_names: input.unique_player_names.unwrap_or(false),
        min_value: finite(errors, "board.min_value", input.min_value),
        max_value: finite(errors, "board.max_value", input.max_value),
    };
    let mut sample =
        Board::unsaved(defaults.board_type, defaults.sort_direction, defaults.min_value, defaults.max_value);
    sample.keep_strategy = defaults.keep_strategy;
    let mut board_errors = FieldErrors::new();
    check_board(&sample, &mut board_errors);
    for (field, codes) in board_errors.fields() {
        for code in codes {
            errors.add(format!("board.{field}"), *code);
        }
    }
    defaults
}

/// Most periods a new (or re-started) template may already have begun: its boards are stamped
/// out at once.
pub const MAX_PAST_PERIODS: usize = 1000;

/// The rules between a template's fields, checked on the template as it would be saved: the
/// window, and patterns that render into a valid board name and slug.
fn check_template(t: &BoardTemplate, errors: &mut FieldErrors) {
    if let Some(d) = t.duration_seconds
        && !(DURATION_MIN_SECONDS..=DURATION_MAX_SECONDS).contains(&d)
    {
        errors.add("duration_seconds", FieldCode::OutOfRange);
    }
    if t.ends_at.is_some_and(|e| e <= t.starts_at) {
        errors.add("ends_at", FieldCode::NotAfterStartsAt);
    }
    let labels = PeriodLabels::of(t.starts_at, t.time_zone.tz(), 1);
    if let Err(code) = Name::parse(&t.name_pattern.render(&labels)) {
        errors.add("name_pattern", code);
    }
    if let Err(code) = Slug::parse(&t.slug_pattern.render(&labels)) {
        errors.add("slug_pattern", code);
    }
}

/// A start far in the past would have the scheduler stamp out every period since (a minutely
/// schedule from a year ago is half a million boards): at most [`MAX_PAST_PERIODS`]. Checked
/// where `starts_at` is set (the scheduler counts from a template's latest board once it has
/// one).
fn check_past_periods(t: &BoardTemplate, errors: &mut FieldErrors) {
    let tz = t.time_zone.tz();
    let mut period = t.schedule.last_at_or_before(tz, t.starts_at);
    let at = now();
    let mut past = 0;
    while let Some(p) = period.filter(|p| *p <= at && t.ends_at.is_none_or(|e| *p < e)) {
        past += 1;
        if past > MAX_PAST_PERIODS {
            errors.add("starts_at", FieldCode::OutOfRange);
            return;
        }
        period = t.schedule.next_after(tz, p);
    }
}

fn pattern(errors: &mut FieldErrors, field: &str, given: Option<String>, default: String) -> Pattern {
    let text = given.unwrap_or(default);
    errors.check(field, Pattern::parse(&text)).unwrap_or_else(|| Pattern::from_trusted(text))
}

impl Admin {
    /// Creates a template in a game the principal can see.
    pub async fn create_template(&self, p: &Principal, cmd: CreateTemplate) -> ServiceResult<BoardTemplate> {
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
        let (slug, generated) = slug_or_derived(cmd.slug.as_deref(), &cmd.name, "template", &mut errors);
        let slug_text = slug.as_ref().map(|s| s.as_str().to_owned()).unwrap_or_default();
        let name_text = name.as_ref().map(|n| n.as_str().to_owned()).unwrap_or_default();
        let schedule = errors.check("schedule", Schedule::parse(&cmd.schedule));
        let time_zone = match cmd.time_zone.as_deref() {
            Some(z) => errors.check("time_zone", TimeZone::parse(z)),
            None => Some(TimeZone::UTC),
        };
        let at = now();
        let template = BoardTemplate {
            id: TemplateId::generate(),
            account_id: game.account_id,
            game_id: game.id,
            name: name.unwrap_or_else(|| Name::from_trusted(String::new())),
            slug: slug.clone().unwrap_or_else(|| Slug::from_trusted(String::new())),
            name_pattern: pattern(&mut errors, "name_pattern", cmd.name_pattern, format!("{name_text} #{{series}}")),
            slug_pattern: pattern(&mut errors, "slug_pattern", cmd.slug_pattern, format!("{slug_text}-{{series}}")),
            schedule: match schedule {
                Some(s) => s,
                None => return Err(ServiceError::validation(errors)),
            },
            time_zone: time_zone.unwrap_or(TimeZone::UTC),
            duration_seconds: cmd.duration_seconds,
            board: board_defaults(&mut errors, cmd.board.unwrap_or_default()),
            is_active: cmd.is_active.unwrap_or(true),
            starts_at: cmd.starts_at.map(truncate).unwrap_or(at),
            ends_at: cmd.ends_at.map(truncate),
            created_at: at,
            updated_at: at,
            deleted_at: None,
        };
        if errors.is_empty() {
            check_template(&template, &mut errors);
            check_past_periods(&template, &mut errors);
        }
        errors.into_result()?;
        let Some(slug) = slug else {
            return Err(ServiceError::field("slug", FieldCode::InvalidFormat));
        };
        let stored = insert_with_slug(slug, generated, |slug| {
            let row = BoardTemplate { slug, ..template.clone() };
            let store = self.store.clone();
            async move { store.insert_template(&row).await }
        })
        .await?;
        Ok(BoardTemplate { slug: stored, ..template })
    }

    /// One template the principal can see.
    pub async fn get_template(&self, p: &Principal, id: TemplateId) -> ServiceResult<BoardTemplate> {
        let t = self.store.get_template(id).await?.ok_or_else(|| ServiceError::not_found("board template"))?;
        self.visible(p, t.account_id, t, "board template")
    }

    /// Templates of one account, filtered.
    pub async fn list_templates(
        &self,
        p: &Principal,
        q: TemplateListQuery,
        params: &ListParams,
    ) -> ServiceResult<Page<BoardTemplate>> {
        let account_id = self.list_scope(p, q.account_id)?;
        if let Some(slug) = &q.slug {
            Slug::parse(slug).map_err(|code| ServiceError::field("slug", code))?;
        }
        let scope = format!(
            "templates|{account_id}|{}|{}",
            q.game_id.map(|g| g.to_string()).unwrap_or_default(),
            q.slug.as_deref().unwrap_or_default()
        );
        let req = PageRequest::prepare(params, BoardTemplate::SORTABLE, "created_at:desc", &scope, &self.cursors)?;
        let filter = TemplateFilter { account_id, game_id: q.game_id, slug: q.slug };
        let rows = self.store.list_templates(&filter, &req).await?;
        Ok(req.finish(rows, &self.cursors))
    }

    /// Applies a patch; the next period is stamped out by the new settings.
    pub async fn update_template(
        &self,
        p: &Principal,
        id: TemplateId,
        cmd: UpdateTemplate,
    ) -> ServiceResult<BoardTemplate> {
        let mut t = self.get_template(p, id).await?;
        let mut errors = FieldErrors::new();
        if let Some(name) = cmd.name.required("name", &mut errors) {
            t.name = errors.check("name", Name::parse(&name)).unwrap_or(t.name);
        }
        if let Some(slug) = cmd.slug.required("slug", &mut errors) {
            t.slug = errors.check("slug", Slug::parse(&slug)).unwrap_or(t.slug);
        }
        if let Some(v) = cmd.name_pattern.required("name_pattern", &mut errors) {
            t.name_pattern = errors.check("name_pattern", Pattern::parse(&v)).unwrap_or(t.name_pattern);
        }
        if let Some(v) = cmd.slug_pattern.required("slug_pattern", &mut errors) {
            t.slug_pattern = errors.check("slug_pattern", Pattern::parse(&v)).unwrap_or(t.slug_pattern);
        }
        if let Some(v) = cmd.schedule.required("schedule", &mut errors) {
            t.schedule = errors.check("schedule", Schedule::parse(&v)).unwrap_or(t.schedule);
        }
        if let Some(v) = cmd.time_zone.required("time_zone", &mut errors) {
            t.time_zone = errors.check("time_zone", TimeZone::parse(&v)).unwrap_or(t.time_zone);
        }
        if let Some(v) = cmd.duration_seconds.optional() {
            t.duration_seconds = v;
        }
        if let Some(v) = cmd.board.required("board", &mut errors) {
            t.board = board_defaults(&mut errors, v);
        }
        if let Some(v) = cmd.is_active.required("is_active", &mut errors) {
            t.is_active = v;
        }
        let restarted = match cmd.starts_at.required("starts_at", &mut errors) {
            Some(v) => {
                t.starts_at = truncate(v);
                true
            }
            None => false,
        };
        if let Some(v) = cmd.ends_at.optional() {
            t.ends_at = v.map(truncate);
        }
        let deleted = cmd.deleted.required("deleted", &mut errors).unwrap_or(false);
        if errors.is_empty() {
            check_template(&t, &mut errors);
            if restarted {
                check_past_periods(&t, &mut errors);
            }
        }
        errors.into_result()?;
        t.updated_at = now();
        if deleted {
            t.deleted_at = Some(t.updated_at);
        }
        self.store.update_template(&t).await.map_err(conflict)?;
        Ok(t)
    }

    /// Soft-deletes a template; the boards it stamped out stay.
    pub async fn delete_template(&self, p: &Principal, id: TemplateId) -> ServiceResult<()> {
        let cmd = UpdateTemplate { deleted: Patch::Value(true), ..Default::default() };
        self.update_template(p, id, cmd).await.map(|_| ())
    }
}
