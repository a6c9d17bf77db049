//! Categories of a leaderboard and their metrics: the leaderboard's moderators (and site
//! admins) create, edit and delete them; anyone reads them. A category has 1–10 metrics, at
//! least one of them required, with slugs unique in the category.

use serde::Deserialize;

use super::{Community, MemberPrincipal};
use crate::error::{ErrorCode, FieldCode, FieldErrors, ServiceError, ServiceResult};
use crate::id::{CategoryId, LeaderboardId, MetricId};
use crate::model::community::{Category, Metric, MetricKind, MetricSort};
use crate::model::{Name, Slug, Text};
use crate::service::Patch;
use crate::service::slugs::{conflict, insert_with_slug, slug_or_derived};
use crate::time::now;

/// Most metrics a category has.
pub const MAX_METRICS: usize = 10;
/// Most runners a category allows.
pub const MAX_PLAYERS: i64 = 100;

/// One metric as given: an `id` keeps an existing metric of the category (in a `PATCH`).
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MetricInput {
    /// An existing metric of this category to keep (its id stays); absent: a new metric.
    #[serde(default)]
    pub id: Option<MetricId>,
    /// Display name, 1–100 characters.
    #[serde(default)]
    pub name: Option<String>,
    /// Unique in the category; derived from the name when absent.
    #[serde(default)]
    pub slug: Option<String>,
    /// `time`, `score` or `count`.
    #[serde(default)]
    pub kind: Option<MetricKind>,
    /// `asc` or `desc`; default `asc` for times, `desc` otherwise.
    #[serde(default)]
    pub sort: Option<MetricSort>,
    /// Whether every run must give it (default `true`).
    #[serde(default)]
    pub required: Option<bool>,
}

/// `POST /v1/community/categories`
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateCategory {
    /// The leaderboard.
    #[serde(default)]
    pub leaderboard_id: Option<LeaderboardId>,
    /// Display name, 1–100 characters.
    #[serde(default)]
    pub name: Option<String>,
    /// Unique in the leaderboard; derived from the name when absent.
    #[serde(default)]
    pub slug: Option<String>,
    /// The rules, up to 10 000 characters.
    #[serde(default)]
    pub rules: Option<String>,
    /// Fewest runners, 1–100 (default 1).
    #[serde(default)]
    pub players_min: Option<i64>,
    /// Most runners, `players_min`–100 (default `players_min`).
    #[serde(default)]
    pub players_max: Option<i64>,
    /// 1–10 metrics, at least one required.
    #[serde(default)]
    pub metrics: Option<Vec<MetricInput>>,
}

/// `PATCH /v1/community/categories/{id}`: `metrics`, when given, replaces the list (entries
/// with an `id` keep that metric).
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateCategory {
    /// New name.
    #[serde(default)]
    #[schema(value_type = String)]
    pub name: Patch<String>,
    /// New slug.
    #[serde(default)]
    #[schema(value_type = String)]
    pub slug: Patch<String>,
    /// New rules.
    #[serde(default)]
    #[schema(value_type = String)]
    pub rules: Patch<String>,
    /// New fewest runners (applies to new runs only).
    #[serde(default)]
    #[schema(value_type = i64)]
    pub players_min: Patch<i64>,
    /// New most runners (applies to new runs only).
    #[serde(default)]
    #[schema(value_type = i64)]
    pub players_max: Patch<i64>,
    /// The new list of metrics.
    #[serde(default)]
    #[schema(value_type = Vec<MetricInput>)]
    pub metrics: Patch<Vec<MetricInput>>,
}

/// Validates a list of metrics against the category's current ones (`existing`: ids that may
/// be kept).
fn parse_metrics(inputs: &[MetricInput], existing: &[Metric], errors: &mut FieldErrors) -> Vec<Metric> {
    if inputs.is_empty() {
        errors.add("metrics", FieldCode::TooFew);
    }
    if inputs.len() > MAX_METRICS {
        errors.add("metrics", FieldCode::TooMany);
    }
    let mut out = Vec::with_capacity(inputs.len());
    for (i, m) in inputs.iter().enumerate() {
        let field = |f: &str| format!("metrics[{i}].{f}");
        let kept = m.id.and_then(|id| existing.iter().find(|e| e.id == id));
        if m.id.is_some() && kept.is_none() {
            errors.add(field("id"), FieldCode::NotFound);
        }
        if m.id.is_some() && inputs.iter().filter(|o| o.id == m.id).count() > 1 {
            errors.add(field("id"), FieldCode::Duplicate);
        }
        let given = m.name.clone().or_else(|| kept.map(|k| k.name.to_string()));
        let name = errors.parse_required(&field("name"), given.as_deref(), Name::parse);
        let slug = match (&m.slug, kept) {
            (Some(s), _) => errors.check(&field("slug"), Slug::parse(s)),
            (None, Some(k)) => Some(k.slug.clone()),
            (None, None) => Some(Slug::from_name(given.as_deref().unwrap_or_default(), "metric")),
        };
        let kind = m.kind.or(kept.map(|k| k.kind));
        if kind.is_none() {
            errors.add(field("kind"), FieldCode::Required);
        }
        if let (Some(name), Some(slug), Some(kind)) = (name, slug, kind) {
            if out.iter().any(|o: &Metric| o.slug == slug) {
                errors.add(field("slug"), FieldCode::Duplicate);
            }
            let sort = m.sort.or(kept.map(|k| k.sort)).unwrap_or(match kind {
                MetricKind::Time => MetricSort::Asc,
                MetricKind::Score | MetricKind::Count => MetricSort::Desc,
            });
            let required = m.required.or(kept.map(|k| k.required)).unwrap_or(true);
            out.push(Metric { id: m.id.unwrap_or_else(MetricId::generate), name, slug, kind, sort, required });
        }
    }
    if !inputs.is_empty() && out.len() == inputs.len() && !out.iter().any(|m| m.required) {
        errors.add("metrics", FieldCode::NoRequiredMetric);
    }
    out
}

fn players(min: i64, max: i64, errors: &mut FieldErrors) -> (u32, u32) {
    if !(1..=MAX_PLAYERS).contains(&min) {
        errors.add("players_min", FieldCode::OutOfRange);
    }
    if !(min.max(1)..=MAX_PLAYERS).contains(&max) {
        errors.add("players_max", FieldCode::OutOfRange);
    }
    (u32::try_from(min.clamp(1, MAX_PLAYERS)).unwrap_or(1), u32::try_from(max.clamp(1, MAX_PLAYERS)).unwrap_or(1))
}

impl Community {
    async fn moderate(&self, p: &MemberPrincipal, leaderboard: LeaderboardId) -> ServiceResult<()> {
        if self.moderates(p, leaderboard).await? {
            Ok(())
        } else {
            Err(ServiceError::forbidden("only this leaderboard's moderators and site admins change its categories"))
        }
    }

    /// Creates a category (the leaderboard's moderators and site admins).
    pub async fn create_category(&self, p: &MemberPrincipal, cmd: CreateCategory) -> ServiceResult<Category> {
        let mut errors = FieldErrors::new();
        let Some(leaderboard_id) = cmd.leaderboard_id else {
            return Err(ServiceError::field("leaderboard_id", FieldCode::Required));
        };
        if self.admin.store().get_leaderboard(leaderboard_id).await?.is_none() {
            return Err(ServiceError::field("leaderboard_id", FieldCode::NotFound));
        }
        self.moderate(p, leaderboard_id).await?;
        let given = cmd.name.clone().unwrap_or_default();
        let name = errors.parse_required("name", cmd.name.as_deref(), Name::parse);
        let (slug, generated) = slug_or_derived(cmd.slug.as_deref(), &given, "category", &mut errors);
        let rules = errors.check("rules", Text::parse(cmd.rules.as_deref().unwrap_or_default(), true));
        let min = cmd.players_min.unwrap_or(1);
        let (players_min, players_max) = players(min, cmd.players_max.unwrap_or(min), &mut errors);
        let metrics = match &cmd.metrics {
            None => {
                errors.add("metrics", FieldCode::Required);
                Vec::new()
            }
            Some(list) => parse_metrics(list, &[], &mut errors),
        };
        errors.into_result()?;
        let (Some(name), Some(slug), Some(rules)) = (name, slug, rules) else {
            return Err(ServiceError::new(ErrorCode::Internal, "validated fields went missing"));
        };
        let at = now();
        let mut category = Category {
            id: CategoryId::generate(),
            leaderboard_id,
            name,
            slug: slug.clone(),
            rules,
            players_min,
            players_max,
            metrics,
            created_at: at,
            updated_at: at,
        };
        category.slug = insert_with_slug(slug, generated, |slug| {
            let row = Category { slug, ..category.clone() };
            let store = self.admin.store().clone();
            async move { store.insert_category(&row).await }
        })
        .await?;
        self.reset_rankings(category.id).await?;
        Ok(category)
    }

    /// A category (anyone).
    pub async fn get_category(&self, id: CategoryId) -> ServiceResult<Category> {
        self.admin.store().get_category(id).await?.ok_or_else(|| ServiceError::not_found("category"))
    }

    /// The categories of a leaderboard, by creation (anyone).
    pub async fn categories(&self, id_or_slug: &str) -> ServiceResult<Vec<Category>> {
        let leaderboard = self.get_leaderboard(id_or_slug).await?;
        Ok(self.admin.store().categories_of(leaderboard.id).await?)
    }

    /// Edits a category (the leaderboard's moderators and site admins). Player counts apply to
    /// new runs only.
    pub async fn update_category(
        &self,
        p: &MemberPrincipal,
        id: CategoryId,
        cmd: UpdateCategory,
    ) -> ServiceResult<Category> {
        let mut category = self.get_category(id).await?;
        let read_at = category.updated_at;
        self.moderate(p, category.leaderboard_id).await?;
        let mut errors = FieldErrors::new();
        if let Some(name) = cmd.name.required("name", &mut errors) {
            category.name = errors.check("name", Name::parse(&name)).unwrap_or(category.name);
        }
        if let Some(slug) = cmd.slug.required("slug", &mut errors) {
            category.slug = errors.check("slug", Slug::parse(&slug)).unwrap_or(category.slug);
        }
        if let Some(rules) = cmd.rules.required("rules", &mut errors) {
            category.rules = errors.check("rules", Text::parse(&rules, true)).unwrap_or(category.rules);
        }
        let min = cmd.players_min.required("players_min", &mut errors).unwrap_or(i64::from(category.players_min));
        let max = cmd.players_max.required("players_max", &mut errors).unwrap_or(i64::from(category.players_max));
        (category.players_min, category.players_max) = players(min, max, &mut errors);
        if let Some(list) = cmd.metrics.required("metrics", &mut errors) {
            category.metrics = parse_metrics(&list, &category.metrics, &mut errors);
        }
        errors.into_result()?;
        category.updated_at = now();
        self.admin.store().update_category(&category, read_at).await.map_err(conflict)?;
        self.reset_rankings(category.id).await?;
        Ok(category)
    }

    /// Deletes a category and its metrics (the leaderboard's moderators and site admins).
    pub async fn delete_category(&self, p: &MemberPrincipal, id: CategoryId) -> ServiceResult<()> {
        let category = self.get_category(id).await?;
        self.moderate(p, category.leaderboard_id).await?;
        self.admin.store().delete_category(id).await?;
        self.reset_rankings(id).await?;
        Ok(())
    }
}
