//! Runs and participations: submitting a run with its co-runners (every rule of the contract
//! that a request alone can break is checked here, the ones that depend on other runs in the
//! store's transaction), filling a participation, and the reads of runs.
//!
//! A run's `variables` and `metrics` are JSON objects keyed by id; the body parser refuses a
//! key given twice before this code sees it. Metric values are checked by kind: `time`
//! (milliseconds) and `count` are whole numbers ≥ 0, `score` any finite number; `-0` is stored
//! as `0`, so two runs that differ only there are identical.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use super::{Community, MemberPrincipal};
use crate::error::{ErrorCode, FieldCode, FieldErrors, ServiceError, ServiceResult};
use crate::id::{CategoryId, LeaderboardId, MemberId, MetricId, ParticipationId, RunId, VariableId, VariableValueId};
use crate::model::Text;
use crate::model::community::{Category, MetricKind, Participation, Run, RunStatus, Runner, Variable, VodUrl};
use crate::page::{ListParams, Page, PageRequest};
use crate::service::slugs::conflict;
use crate::store::{NewRun, RunFilter, RunScope, StoreError};
use crate::time::now;

/// The largest whole number a metric holds exactly (2^53).
const MAX_WHOLE: f64 = 9_007_199_254_740_992.0;

/// Most co-runners a request may list (the category's `players_max` is the real limit).
const MAX_RUNNERS: usize = 100;

/// A participation as given.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ParticipationInput {
    /// Up to 2 000 characters.
    #[serde(default)]
    pub comment: Option<String>,
    /// An `http` or `https` link to a video.
    #[serde(default)]
    pub vod_url: Option<String>,
}

/// `POST /v1/community/runs`
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SubmitRun {
    /// The category.
    #[serde(default)]
    pub category_id: Option<CategoryId>,
    /// The day it was played, `YYYY-MM-DD`, not after tomorrow (UTC).
    #[serde(default)]
    pub played_on: Option<String>,
    /// The submitter's participation; it must be filled (a comment or a video).
    #[serde(default)]
    pub participation: Option<ParticipationInput>,
    /// The other runners (the submitter is always one, listed or not).
    #[serde(default)]
    pub runners: Option<Vec<MemberId>>,
    /// `{variable_id: value_id}`, each variable of the category at most once.
    #[serde(default)]
    #[schema(value_type = Object)]
    pub variables: Option<BTreeMap<String, String>>,
    /// `{metric_id: value}`: `time` in whole milliseconds, `count` whole, `score` any finite number.
    #[serde(default)]
    #[schema(value_type = Object)]
    pub metrics: Option<BTreeMap<String, f64>>,
}

/// One runner as shown: a deleted account shows as `{"deleted": true}`.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(untagged)]
pub enum RunnerView {
    /// A live account.
    Member {
        /// `mbr_…`
        id: MemberId,
        /// Their name.
        name: String,
    },
    /// A deleted account.
    Deleted {
        /// Always `true`.
        deleted: bool,
    },
}

impl From<&Runner> for RunnerView {
    fn from(r: &Runner) -> Self {
        if r.deleted { Self::Deleted { deleted: true } } else { Self::Member { id: r.id, name: r.name.clone() } }
    }
}

/// A run as anyone sees it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct RunView {
    /// `run_…`
    pub id: RunId,
    /// Its category.
    pub category_id: CategoryId,
    /// The category's leaderboard.
    pub leaderboard_id: LeaderboardId,
    /// Who submitted it (`null` once their account is deleted).
    pub submitted_by: Option<MemberId>,
    /// Every runner, the submitter first.
    pub runners: Vec<RunnerView>,
    /// The day it was played.
    pub played_on: NaiveDate,
    /// When it was submitted.
    pub submitted_at: DateTime<Utc>,
    /// `created`, `submitted`, `approved` or `rejected`.
    #[schema(value_type = String)]
    pub status: RunStatus,
    /// `{variable_id: value_id}`
    pub variables: BTreeMap<VariableId, VariableValueId>,
    /// `{metric_id: value}`
    pub metrics: BTreeMap<MetricId, f64>,
    /// Whether a participation links a video.
    pub video: bool,
    /// Last change of its status.
    pub updated_at: DateTime<Utc>,
}

impl From<&Run> for RunView {
    fn from(run: &Run) -> Self {
        let submitter_deleted = run.runners.iter().any(|r| r.id == run.submitted_by && r.deleted);
        Self {
            id: run.id,
            category_id: run.category_id,
            leaderboard_id: run.leaderboard_id,
            submitted_by: (!submitter_deleted).then_some(run.submitted_by),
            runners: run.runners.iter().map(RunnerView::from).collect(),
            played_on: run.played_on,
            submitted_at: run.submitted_at,
            status: run.status,
            variables: run.variables.iter().copied().collect(),
            metrics: run.metrics.iter().copied().collect(),
            video: run.video,
            updated_at: run.updated_at,
        }
    }
}

impl From<Run> for RunView {
    fn from(run: Run) -> Self {
        Self::from(&run)
    }
}

/// A run list's filters: `status=` and `var.<variable_slug>=<value_slug>[,…]`.
#[derive(Debug, Clone, Default)]
pub struct RunQuery {
    /// `status=`
    pub status: Option<String>,
    /// Each `var.<slug>` parameter with its comma-separated value slugs, as given.
    pub variables: Vec<(String, String)>,
}

/// `PATCH /v1/community/participations/{id}`
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FillParticipation {
    /// Up to 2 000 characters.
    #[serde(default)]
    pub comment: Option<String>,
    /// An `http` or `https` link to a video.
    #[serde(default)]
    pub vod_url: Option<String>,
}

/// Parses a participation's comment and video; `field` prefixes the field names. Both blank
/// or absent is `required` on `empty_field`: a participation is filled by one or the other.
fn parse_participation(
    comment: Option<&str>,
    vod_url: Option<&str>,
    field: &str,
    empty_field: &str,
    errors: &mut FieldErrors,
) -> (Option<Text<2000>>, Option<VodUrl>) {
    let blank = |s: Option<&str>| s.is_none_or(|s| s.trim().is_empty());
    if blank(comment) && blank(vod_url) {
        errors.add(empty_field, FieldCode::Required);
    }
    let comment = comment
        .filter(|c| !c.trim().is_empty())
        .and_then(|c| errors.check(&format!("{field}comment"), Text::<2000>::parse(c, false)));
    let vod = vod_url
        .filter(|v| !v.trim().is_empty())
        .and_then(|v| errors.check(&format!("{field}vod_url"), VodUrl::parse(v)));
    (comment, vod)
}

/// A metric value checked against its kind (`-0` becomes `0`).
fn metric_value(kind: MetricKind, v: f64) -> Result<f64, FieldCode> {
    if !v.is_finite() {
        return Err(FieldCode::NotFinite);
    }
    let v = if v == 0.0 { 0.0 } else { v };
    match kind {
        MetricKind::Score => Ok(v),
        MetricKind::Time | MetricKind::Count if v.fract() != 0.0 => Err(FieldCode::InvalidValue),
        MetricKind::Time | MetricKind::Count if !(0.0..=MAX_WHOLE).contains(&v) => Err(FieldCode::OutOfRange),
        MetricKind::Time | MetricKind::Count => Ok(v),
    }
}

/// Walks a JSON object keyed by ids (`variables`, `metrics`): each key must parse as an id
/// (`invalid_id`) and name a different one than the keys before it — ids parse ignoring case,
/// so two keys of different case can name one (`duplicate`). `accept` checks each entry under
/// its field name (`<object>.<key>`). Returns the ids named.
fn keyed_ids<I: std::str::FromStr + PartialEq + Copy, V>(
    given: &BTreeMap<String, V>,
    object: &str,
    errors: &mut FieldErrors,
    mut accept: impl FnMut(I, &V, String, &mut FieldErrors),
) -> Vec<I> {
    let mut seen: Vec<I> = Vec::with_capacity(given.len());
    for (key, value) in given {
        let field = format!("{object}.{key}");
        let Ok(id) = key.parse::<I>() else {
            errors.add(field, FieldCode::InvalidId);
            continue;
        };
        if seen.contains(&id) {
            errors.add(field, FieldCode::Duplicate);
            continue;
        }
        seen.push(id);
        accept(id, value, field, errors);
    }
    seen
}

/// Maps the store's refusals of a run or a judgement to their codes.
pub(super) fn run_conflict(e: StoreError) -> ServiceError {
    match &e {
        StoreError::Conflict { constraint } => match constraint.as_str() {
            "identical" => ServiceError::new(ErrorCode::DuplicateRun, "an identical run of these runners exists"),
            "not_an_improvement" => ServiceError::new(
                ErrorCode::NotAnImprovement,
                "the run must beat each existing run of these runners and variable values in at least one metric",
            ),
            "submitter_banned" => ServiceError::new(ErrorCode::MemberBanned, "you are banned from this leaderboard"),
            "runner_banned" => {
                ServiceError::new(ErrorCode::RunnerBanned, "a runner is banned from the site or from this leaderboard")
            }
            "not_submitted" => {
                ServiceError::new(ErrorCode::RunNotSubmitted, "a participation of the run is still empty")
            }
            "filled" => ServiceError::new(ErrorCode::ParticipationFilled, "the participation is already filled in"),
            _ => conflict(e),
        },
        StoreError::NotFound => ServiceError::not_found("category"),
        _ => conflict(e),
    }
}

impl Community {
    /// Checks the variables of a submission against the category's.
    fn parse_run_variables(
        given: &BTreeMap<String, String>,
        category: &Category,
        variables: &[Variable],
        errors: &mut FieldErrors,
    ) -> Vec<(VariableId, VariableValueId)> {
        let mut out = Vec::with_capacity(given.len());
        let seen = keyed_ids(given, "variables", errors, |id: VariableId, value, field, errors| {
            let Some(variable) = variables.iter().find(|v| v.id == id) else {
                return errors.add(field, FieldCode::NotInCategory);
            };
            match value.parse::<VariableValueId>() {
                Ok(v) if variable.values.iter().any(|x| x.id == v) => out.push((id, v)),
                Ok(_) => errors.add(field, FieldCode::NotInCategory),
                Err(_) => errors.add(field, FieldCode::InvalidId),
            }
        });
        for variable in variables {
            let required = variable.categories.iter().any(|a| a.category_id == category.id && a.required);
            if required && !seen.contains(&variable.id) {
                errors.add(format!("variables.{}", variable.id), FieldCode::Required);
            }
        }
        out.sort_unstable();
        out
    }

    /// Checks the metrics of a submission against the category's.
    fn parse_run_metrics(
        given: &BTreeMap<String, f64>,
        category: &Category,
        errors: &mut FieldErrors,
    ) -> Vec<(MetricId, f64)> {
        let mut out = Vec::with_capacity(given.len());
        let seen = keyed_ids(given, "metrics", errors, |id: MetricId, value, field, errors| {
            let Some(metric) = category.metrics.iter().find(|m| m.id == id) else {
                return errors.add(field, FieldCode::NotInCategory);
            };
            if let Some(v) = errors.check(&field, metric_value(metric.kind, *value)) {
                out.push((id, v));
            }
        });
        for metric in category.metrics.iter().filter(|m| m.required) {
            if !seen.contains(&metric.id) {
                errors.add(format!("metrics.{}", metric.id), FieldCode::Required);
            }
        }
        if given.is_empty() && category.metrics.iter().all(|m| !m.required) {
            errors.add("metrics", FieldCode::TooFew);
        }
        out.sort_unstable_by_key(|(id, _)| *id);
        out
    }

    /// Checks the other runners: live members, none listed twice, the count (submitter
    /// included) within the category's range.
    async fn parse_runners(
        &self,
        p: &MemberPrincipal,
        listed: &[MemberId],
        category: &Category,
        errors: &mut FieldErrors,
    ) -> ServiceResult<Vec<Runner>> {
        let submitter = Runner { id: p.member.id, name: p.member.name.as_str().to_owned(), deleted: false };
        let mut runners = vec![submitter];
        if listed.len() > MAX_RUNNERS {
            errors.add("runners", FieldCode::TooMany);
            return Ok(runners);
        }
        for (i, id) in listed.iter().enumerate() {
            let field = format!("runners[{i}]");
            if listed[..i].contains(id) {
                errors.add(field, FieldCode::Duplicate);
                continue;
            }
            if *id == p.member.id {
                continue;
            }
            match self.admin.store().get_member(*id).await? {
                Some(m) => runners.push(Runner { id: m.id, name: m.name.as_str().to_owned(), deleted: false }),
                None => errors.add(field, FieldCode::NotFound),
            }
        }
        let count = runners.len() as u32;
        if errors.is_empty() {
            if count < category.players_min {
                errors.add("runners", FieldCode::TooFew);
            } else if count > category.players_max {
                errors.add("runners", FieldCode::TooMany);
            }
        }
        Ok(runners)
    }

    /// Submits a run: the caller is its first runner and fills their participation now; the
    /// other runners get empty ones.
    pub async fn submit_run(&self, p: &MemberPrincipal, cmd: SubmitRun) -> ServiceResult<RunView> {
        let Some(category_id) = cmd.category_id else {
            return Err(ServiceError::field("category_id", FieldCode::Required));
        };
        let shape = match self.shape(category_id).await {
            Ok(shape) => shape,
            Err(e) if e.code == ErrorCode::NotFound => {
                return Err(ServiceError::field("category_id", FieldCode::NotFound));
            }
            Err(e) => return Err(e),
        };
        let (category, variables) = (shape.category.clone(), &shape.variables);
        let mut errors = FieldErrors::new();
        let today = now().date_naive();
        let played_on = match cmd.played_on.as_deref() {
            None => {
                errors.add("played_on", FieldCode::Required);
                None
            }
            Some(s) => match NaiveDate::parse_from_str(s, "%Y-%m-%d") {
                Ok(d) if today.succ_opt().is_some_and(|tomorrow| d > tomorrow) => {
                    errors.add("played_on", FieldCode::InFuture);
                    None
                }
                Ok(d) => Some(d),
                Err(_) => {
                    errors.add("played_on", FieldCode::InvalidFormat);
                    None
                }
            },
        };
        let participation = cmd.participation.unwrap_or_default();
        let (comment, vod_url) = parse_participation(
            participation.comment.as_deref(),
            participation.vod_url.as_deref(),
            "participation.",
            "participation",
            &mut errors,
        );
        let runners = self.parse_runners(p, cmd.runners.as_deref().unwrap_or_default(), &category, &mut errors).await?;
        let values = Self::parse_run_variables(&cmd.variables.unwrap_or_default(), &category, variables, &mut errors);
        let metrics = Self::parse_run_metrics(&cmd.metrics.unwrap_or_default(), &category, &mut errors);
        errors.into_result()?;
        let Some(played_on) = played_on else {
            return Err(ServiceError::field("played_on", FieldCode::Required));
        };
        let at = now();
        let id = RunId::generate();
        let participations: Vec<Participation> = runners
            .iter()
            .enumerate()
            .map(|(i, r)| Participation {
                id: ParticipationId::generate(),
                run_id: id,
                user_id: r.id,
                comment: if i == 0 { comment.clone() } else { None },
                vod_url: if i == 0 { vod_url.clone() } else { None },
                filled_at: (i == 0).then_some(at),
            })
            .collect();
        let run = Run {
            id,
            category_id,
            leaderboard_id: category.leaderboard_id,
            submitted_by: p.member.id,
            status: RunStatus::derive(runners.len() > 1, None),
            runners,
            played_on,
            submitted_at: at,
            variables: values,
            metrics,
            video: vod_url.is_some(),
            updated_at: at,
        };
        let job = NewRun { run, participations, metrics: category.metrics, category_read_at: category.updated_at };
        let run = job.run.clone();
        self.runs.submit(job).await?;
        Ok(run.into())
    }

    /// A run (anyone).
    pub async fn get_run(&self, id: RunId) -> ServiceResult<Run> {
        self.admin.store().get_run(id).await?.ok_or_else(|| ServiceError::not_found("run"))
    }

    /// Resolves `var.<slug>=<value>[,…]` filters against a category's variables: an unknown
    /// variable or value is a 422 naming the parameter.
    pub(super) fn variable_filter(
        variables: &[Variable],
        given: &[(String, String)],
    ) -> ServiceResult<Vec<(VariableId, Vec<VariableValueId>)>> {
        if given.is_empty() {
            return Ok(Vec::new());
        }
        let mut errors = FieldErrors::new();
        let mut out: Vec<(VariableId, Vec<VariableValueId>)> = Vec::new();
        for (slug, values) in given {
            let field = format!("var.{slug}");
            let Some(variable) = variables.iter().find(|v| v.slug.as_str() == slug) else {
                errors.add(field, FieldCode::NotInCategory);
                continue;
            };
            if out.iter().any(|(id, _)| *id == variable.id) {
                errors.add(field, FieldCode::Duplicate);
                continue;
            }
            let mut ids = Vec::new();
            for value in values.split(',').map(str::trim) {
                match variable.values.iter().find(|v| v.slug.as_str() == value) {
                    Some(v) if !ids.contains(&v.id) => ids.push(v.id),
                    Some(_) => {}
                    None => errors.add(field.clone(), FieldCode::NotInCategory),
                }
            }
            ids.sort_unstable();
            out.push((variable.id, ids));
        }
        errors.into_result()?;
        out.sort_unstable_by_key(|(id, _)| *id);
        Ok(out)
    }

    /// A page of a category's runs (anyone), newest submission first by default; sortable by
    /// `submitted_at` and `played_on`.
    pub async fn list_runs(
        &self,
        category: CategoryId,
        query: &RunQuery,
        params: &ListParams,
    ) -> ServiceResult<Page<RunView>> {
        let shape = self.shape(category).await?;
        let status = match query.status.as_deref() {
            None | Some("") => None,
            Some(s) => Some(RunStatus::parse(s).ok_or_else(|| ServiceError::field("status", FieldCode::InvalidEnum))?),
        };
        let variables = Self::variable_filter(&shape.variables, &query.variables)?;
        let scope = format!(
            "community-runs:{category}:{}:{}",
            status.map_or("", RunStatus::as_str),
            variables
                .iter()
                .map(|(v, ids)| format!("{v}={}", ids.iter().map(ToString::to_string).collect::<Vec<_>>().join(",")))
                .collect::<Vec<_>>()
                .join(";")
        );
        let codec = self.admin.cursors();
        let req = PageRequest::prepare(params, Run::SORTABLE, "submitted_at:desc", &scope, codec)?;
        let filter = RunFilter { scope: RunScope::Category(category), status, variables };
        let rows = self.admin.store().list_runs(&filter, &req).await?;
        Ok(req.finish(rows, codec).map(RunView::from))
    }

    /// A run's participations, the submitter's first (anyone).
    pub async fn run_participations(&self, id: RunId) -> ServiceResult<Vec<Participation>> {
        self.get_run(id).await?;
        Ok(self.admin.store().participations_of(id).await?)
    }

    /// A participation (anyone).
    pub async fn get_participation(&self, id: ParticipationId) -> ServiceResult<Participation> {
        self.admin.store().get_participation(id).await?.ok_or_else(|| ServiceError::not_found("participation"))
    }

    /// The caller's participations, newest run first; only those still to fill in when
    /// `empty_only`.
    pub async fn my_participations(&self, p: &MemberPrincipal, empty_only: bool) -> ServiceResult<Vec<Participation>> {
        Ok(self.admin.store().member_participations(p.member.id, empty_only).await?)
    }

    /// Fills the caller's own empty participation (409 once filled); the run's status follows.
    pub async fn fill_participation(
        &self,
        p: &MemberPrincipal,
        id: ParticipationId,
        cmd: FillParticipation,
    ) -> ServiceResult<Participation> {
        let mut participation = self.get_participation(id).await?;
        if participation.user_id != p.member.id {
            return Err(ServiceError::forbidden("a runner fills in only their own participation"));
        }
        if !participation.is_empty() {
            return Err(ServiceError::new(ErrorCode::ParticipationFilled, "the participation is already filled in"));
        }
        let mut errors = FieldErrors::new();
        let (comment, vod_url) =
            parse_participation(cmd.comment.as_deref(), cmd.vod_url.as_deref(), "", "comment", &mut errors);
        errors.into_result()?;
        participation.comment = comment;
        participation.vod_url = vod_url;
        participation.filled_at = Some(now());
        self.admin.store().fill_participation(&participation).await.map_err(run_conflict)?;
        Ok(participation)
    }
}
