//! Community rankings from the ranking engine: every change that moves a run in or out of a
//! ranking (a judgement, a ban, a deleted account) publishes the runs' states after the commit,
//! and every change of a category's shape (its metrics, its variables, their values) publishes
//! a reset of that category, on the change feed; this node's [`CommunityRankings`] follows the
//! feed like every other node's. At start-up every category is rebuilt from the stored runs.
//!
//! Reads: `GET /v1/community/categories/{id}/leaderboard?metric=&var.…=&include_obsolete=`,
//! one metric (by id or slug; default the category's first required metric), cursor pages
//! with absolute shared ranks.

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::NaiveDate;
use serde::Serialize;

use super::Community;
use super::runs::RunView;
use crate::error::{ErrorCode, FieldCode, ServiceError, ServiceResult};
use crate::id::{CategoryId, MetricId, RunId};
use crate::model::community::{Category, Run, RunStatus};
use crate::page::{ListParams, Page, PageRequest, Pagination, SortValue, Traversal};
use crate::ranking::RankKey;
use crate::ranking::community::{Boundary, CommunityRankings, Layout, LayoutVariable, RankPage, RankQuery, Shape};
use crate::shared::{Change, RunChange, Subscriber};
use crate::store::{RunFilter, RunScope};
use crate::time::now;

/// This node's community rankings, following the change feed.
pub(super) struct RankingCopies(pub(super) Arc<CommunityRankings>);

impl Subscriber for RankingCopies {
    fn apply(&self, change: &Change) {
        let Change::Runs(change) = change else { return };
        match change {
            RunChange::Reset { layout, shape, runs, read_at } => {
                self.0.reset(layout.clone(), shape.clone(), runs, *read_at);
            }
            RunChange::Runs(runs) => self.0.upsert(runs),
            RunChange::Dropped(category) => self.0.drop_category(*category),
        }
    }
}

/// A ranking read's parameters besides the page.
#[derive(Debug, Clone, Default)]
pub struct RankingQuery {
    /// `metric=`: a metric id or slug of the category.
    pub metric: Option<String>,
    /// `include_obsolete=true`
    pub include_obsolete: bool,
    /// `video_only=true`: only runs with a video.
    pub video_only: bool,
    /// `top=N`: only the first N places (ties may carry it past N runs).
    pub top: Option<u64>,
    /// `as_of=YYYY-MM-DD`: the ranking as it was that day.
    pub as_of: Option<NaiveDate>,
    /// Each `var.<slug>` parameter with its comma-separated value slugs.
    pub variables: Vec<(String, String)>,
}

/// One time a record fell.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct RecordView {
    /// The record it set.
    pub value: f64,
    /// The record it beat (`null` for the first).
    pub previous: Option<f64>,
    /// By how much (`null` for the first).
    pub improvement: Option<f64>,
    /// The run.
    pub run: RunView,
}

/// The moderation queue of a leaderboard: its runs awaiting judgement, oldest first.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct QueueView {
    /// The runs, oldest submission first.
    pub data: Vec<RunView>,
    /// Cursors and counts of this page.
    pub pagination: Pagination,
    /// How many runs await judgement in all.
    pub total: u64,
    /// How many per category (categories with none left out).
    pub by_category: BTreeMap<CategoryId, u64>,
}

/// One ranked run.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct RankedRunView {
    /// Shared rank among the current runs of the selection (ties share one).
    pub rank: u64,
    /// Its value of the metric ranked by.
    pub value: f64,
    /// Whether a better run of the same runners and obsoleting values exists.
    pub obsolete: bool,
    /// The run.
    pub run: RunView,
}

/// Other nodes' community changes, which travel as references: runs are read again by id,
/// categories rebuilt from the store, so this node ends with their current state whatever the
/// order.
pub(super) struct RemoteRuns {
    pub(super) store: Arc<dyn crate::store::Store>,
    pub(super) rankings: Arc<CommunityRankings>,
}

#[async_trait::async_trait]
impl crate::shared::Resolver for RemoteRuns {
    async fn resolve(&self, reference: &crate::shared::Reference) -> crate::store::StoreResult<Vec<Change>> {
        match reference {
            // A category this node never indexed is read on first use.
            crate::shared::Reference::Category(id) if self.rankings.has(*id) => {
                Ok(vec![read_reset(&self.store, *id).await?.0])
            }
            crate::shared::Reference::Category(_) => Ok(Vec::new()),
            crate::shared::Reference::Runs(ids) => {
                let mut by_category: BTreeMap<CategoryId, Vec<Arc<Run>>> = BTreeMap::new();
                for id in ids {
                    if let Some(run) = self.store.get_run(*id).await? {
                        by_category.entry(run.category_id).or_default().push(Arc::new(run));
                    }
                }
                Ok(by_category
                    .into_iter()
                    .filter(|(category, _)| self.rankings.has(*category))
                    .map(|(_, runs)| Change::Runs(RunChange::Runs(Arc::new(runs))))
                    .collect())
            }
        }
    }
}

/// A category's reset as the store has it now (its layout and approved runs), or its removal
/// when it is gone; with how many runs rank.
async fn read_reset(
    store: &Arc<dyn crate::store::Store>,
    category: CategoryId,
) -> crate::store::StoreResult<(Change, usize)> {
    let read_at = now();
    let Some(c) = store.get_category(category).await? else {
        return Ok((Change::Runs(RunChange::Dropped(category)), 0));
    };
    let variables = store.variables_of(category).await?;
    let runs: Vec<Arc<Run>> = store.approved_runs(category).await?.into_iter().map(Arc::new).collect();
    let mut layout_variables: Vec<LayoutVariable> = variables
        .iter()
        .map(|v| LayoutVariable {
            id: v.id,
            slug: v.slug.as_str().to_owned(),
            obsoleting: v.categories.iter().any(|a| a.category_id == category && a.obsoleting),
            values: v.values.iter().map(|x| (x.id, x.slug.as_str().to_owned())).collect(),
        })
        .collect();
    layout_variables.sort_by_key(|v| v.id);
    let layout =
        Layout { category, metrics: c.metrics.iter().map(|m| (m.id, m.sort)).collect(), variables: layout_variables };
    let n = runs.len();
    let reset = Change::Runs(RunChange::Reset {
        layout: Arc::new(layout),
        shape: Arc::new(Shape { category: c, variables }),
        runs: Arc::new(runs),
        read_at,
    });
    Ok((reset, n))
}

impl Community {
    /// Reads a category's layout and approved runs and publishes its reset (or its removal
    /// when it is gone).
    pub(super) async fn reset_rankings(&self, category: CategoryId) -> ServiceResult<usize> {
        let (reset, n) = read_reset(self.admin.store(), category).await?;
        self.admin.shared().changes.publish(reset);
        Ok(n)
    }

    /// A category and its variables from memory (read and indexed on first use): what
    /// submissions and reads check against without a store round trip. 404 when it is gone.
    pub(super) async fn shape(&self, category: CategoryId) -> ServiceResult<Arc<Shape>> {
        if let Some(shape) = self.rankings.shape(category) {
            return Ok(shape);
        }
        self.reset_rankings(category).await?;
        self.rankings.shape(category).ok_or_else(|| ServiceError::not_found("category"))
    }

    /// Publishes runs in their state after a commit; a category this node has no rankings for
    /// yet is reset instead (which reads them).
    pub(super) async fn publish_runs(&self, runs: Vec<Run>) -> ServiceResult<()> {
        let mut by_category: BTreeMap<CategoryId, Vec<Arc<Run>>> = BTreeMap::new();
        for run in runs {
            by_category.entry(run.category_id).or_default().push(Arc::new(run));
        }
        for (category, runs) in by_category {
            if self.rankings.has(category) {
                self.admin.shared().changes.publish(Change::Runs(RunChange::Runs(Arc::new(runs))));
            } else {
                self.reset_rankings(category).await?;
            }
        }
        Ok(())
    }

    /// Re-reads runs a cascade changed and publishes them.
    pub(super) async fn publish_run_ids(&self, ids: &[RunId]) -> ServiceResult<()> {
        let mut runs = Vec::with_capacity(ids.len());
        for id in ids {
            if let Some(run) = self.admin.store().get_run(*id).await? {
                runs.push(run);
            }
        }
        self.publish_runs(runs).await
    }

    /// Rebuilds every category's rankings from the stored runs, logging progress. Returns how
    /// many runs rank.
    pub async fn load_rankings(&self) -> ServiceResult<u64> {
        let started = std::time::Instant::now();
        let categories = self.admin.store().category_ids().await?;
        let mut runs = 0u64;
        for (i, category) in categories.iter().enumerate() {
            runs += self.reset_rankings(*category).await? as u64;
            if (i + 1) % 100 == 0 {
                tracing::info!(
                    categories = i + 1,
                    of = categories.len(),
                    runs,
                    elapsed_s = started.elapsed().as_secs_f64(),
                    "loading community rankings"
                );
            }
        }
        tracing::info!(
            categories = categories.len(),
            runs,
            elapsed_s = started.elapsed().as_secs_f64(),
            "community rankings loaded"
        );
        Ok(runs)
    }

    /// The metric a read ranks by: the one named (id or slug), else the category's first
    /// required one.
    fn ranking_metric(category: &Category, named: Option<&str>) -> ServiceResult<MetricId> {
        match named {
            None | Some("") => category.metrics.iter().find(|m| m.required).or(category.metrics.first()).map(|m| m.id),
            Some(named) => {
                category.metrics.iter().find(|m| m.slug.as_str() == named || m.id.to_string() == named).map(|m| m.id)
            }
        }
        .ok_or_else(|| ServiceError::field("metric", FieldCode::NotInCategory))
    }

    /// The engine query a read asks for.
    fn rank_query(shape: &Shape, query: &RankingQuery) -> ServiceResult<RankQuery> {
        if query.top == Some(0) {
            return Err(ServiceError::field("top", FieldCode::OutOfRange));
        }
        Ok(RankQuery {
            metric: Self::ranking_metric(&shape.category, query.metric.as_deref())?,
            filter: Self::variable_filter(&shape.variables, &query.variables)?,
            include_obsolete: query.include_obsolete,
            video_only: query.video_only,
            top: query.top,
        })
    }

    /// A page of a category's ranking by one metric (anyone).
    pub async fn ranking(
        &self,
        category: CategoryId,
        query: &RankingQuery,
        params: &ListParams,
    ) -> ServiceResult<Page<RankedRunView>> {
        let shape = self.shape(category).await?;
        let rank_query = Self::rank_query(&shape, query)?;
        let scope = format!(
            "community-ranking:{category}:{}:{}:{}:{:?}:{:?}:{}",
            rank_query.metric,
            query.include_obsolete,
            query.video_only,
            query.top,
            query.as_of,
            rank_query
                .filter
                .iter()
                .map(|(v, ids)| format!("{v}={}", ids.iter().map(ToString::to_string).collect::<Vec<_>>().join(",")))
                .collect::<Vec<_>>()
                .join(";")
        );
        let codec = self.admin.cursors();
        let req = PageRequest::prepare(params, &["rank"], "rank:asc", &scope, codec)?;
        if req.sort.keys().first().is_some_and(|k| k.direction == crate::page::Direction::Desc) {
            return Err(ServiceError::new(ErrorCode::InvalidSort, "rank sorts ascending only (best first)"));
        }
        let boundary = match &req.keyset {
            None => Boundary::Start,
            Some(k) => {
                let key = decode_cursor(&k.values)?;
                match k.traversal {
                    Traversal::Forward => Boundary::After(key),
                    Traversal::Backward => Boundary::Before(key),
                }
            }
        };
        let limit = req.limit as usize;
        let read = |rankings: &CommunityRankings| match query.as_of {
            Some(day) => rankings.page_as_of(category, day, &rank_query, boundary, limit),
            None => rankings.page(category, &rank_query, boundary, limit),
        };
        let page: RankPage = match read(&self.rankings) {
            Some(page) => page,
            None => {
                // Not indexed here yet (created on another node a moment ago): build it now.
                self.reset_rankings(category).await?;
                read(&self.rankings).unwrap_or_default()
            }
        };
        let cursor = |key: RankKey, run: RunId, traversal| {
            req.sign(vec![SortValue::Text(key.cursor_text()), SortValue::Text(run.to_string())], traversal, codec)
        };
        let next_cursor = match (page.has_next, page.runs.last()) {
            (true, Some(last)) => Some(cursor(last.key, last.run.id, Traversal::Forward)),
            _ => None,
        };
        let prev_cursor = match (page.has_prev, page.runs.first()) {
            (true, Some(first)) => Some(cursor(first.key, first.run.id, Traversal::Backward)),
            _ => None,
        };
        let data: Vec<RankedRunView> = page
            .runs
            .into_iter()
            .map(|r| RankedRunView { rank: r.rank, value: r.value, obsolete: r.obsolete, run: RunView::from(&*r.run) })
            .collect();
        Ok(Page::with_cursors(data, next_cursor, prev_cursor))
    }

    /// The record history of a category by one metric among the runs a filter selects (anyone):
    /// each approved run that beat the record of its day, oldest first. `top`, `as_of` and
    /// `include_obsolete` do not apply (every approved run can have set a record).
    pub async fn records(&self, category: CategoryId, query: &RankingQuery) -> ServiceResult<Vec<RecordView>> {
        let shape = self.shape(category).await?;
        let rank_query = Self::rank_query(&shape, query)?;
        let records = match self.rankings.records(category, &rank_query) {
            Some(records) => records,
            None => {
                self.reset_rankings(category).await?;
                self.rankings.records(category, &rank_query).unwrap_or_default()
            }
        };
        Ok(records
            .into_iter()
            .map(|r| RecordView {
                value: r.value,
                previous: r.previous,
                improvement: r.previous.map(|p| (p - r.value).abs()),
                run: RunView::from(&*r.run),
            })
            .collect())
    }

    /// A leaderboard's moderation queue (anyone: runs are public): the runs of all its
    /// categories that await judgement, oldest submission first, with counts.
    pub async fn queue(&self, leaderboard: &str, params: &ListParams) -> ServiceResult<QueueView> {
        let lb = self.get_leaderboard(leaderboard).await?;
        let codec = self.admin.cursors();
        let req = PageRequest::prepare(
            params,
            Run::SORTABLE,
            "submitted_at:asc",
            &format!("community-queue:{}", lb.id),
            codec,
        )?;
        let filter = RunFilter {
            scope: RunScope::Leaderboard(lb.id),
            status: Some(RunStatus::Submitted),
            variables: Vec::new(),
        };
        let rows = self.admin.store().list_runs(&filter, &req).await?;
        let page = req.finish(rows, codec).map(RunView::from);
        let by_category: BTreeMap<CategoryId, u64> =
            self.admin.store().count_runs(lb.id, RunStatus::Submitted).await?.into_iter().collect();
        Ok(QueueView { data: page.data, pagination: page.pagination, total: by_category.values().sum(), by_category })
    }
}

fn decode_cursor(values: &[SortValue]) -> ServiceResult<RankKey> {
    let invalid = || ServiceError::new(ErrorCode::InvalidCursor, "the cursor is malformed or was modified");
    let (Some(SortValue::Text(k)), Some(SortValue::Text(id))) = (values.first(), values.get(1)) else {
        return Err(invalid());
    };
    let id: RunId = id.parse().map_err(|_| invalid())?;
    RankKey::from_cursor_text(k, id.bits()).ok_or_else(invalid)
}
