//! Community rankings: per category and metric, the approved runs ordered by that metric, with
//! the community's obsolescence rule and variable filters (community spec, "Ranking").
//!
//! A run's **group** is its runner set and its values of the category's obsoleting variables:
//! in each group only the best run by the metric is current, the others are obsolete. A run's
//! **cell** is its full combination of variable values; each cell holds two counted trees
//! ([`Ranking`]), its current runs and its obsolete ones. A filtered read merges the cells whose
//! combination matches the filter, so a filter never re-groups runs: obsolescence is a property
//! of the run, whatever the reader filters by. The shared rank of a value is one plus the
//! number of current runs with a strictly better value in the matching cells (390, 390, 400 →
//! 1, 1, 3); ties are listed by `played_on`, then by run id (submission order). Obsolete runs,
//! when asked for, are listed in the same order with the rank their value has among the
//! current runs.
//!
//! Every index entry remembers the run's `updated_at`, also for runs that no longer rank, so
//! an older copy of a run arriving after a newer one (two writers publishing in the other order
//! than they committed) is ignored.

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

use chrono::{DateTime, Utc};

use super::{RankKey, Ranking};
use crate::id::{CategoryId, MetricId, RunId, VariableId, VariableValueId};
use crate::model::SortDirection;
use crate::model::community::{Category, MetricSort, Run, Variable};

/// A category as submissions and reads check against it: the category with its metrics and
/// the variables assigned to it, as of the category's last reset.
#[derive(Debug, Clone, PartialEq)]
pub struct Shape {
    /// The category (its `updated_at` is the version a submission is checked against).
    pub category: Category,
    /// Its variables.
    pub variables: Vec<Variable>,
}

/// What a category's rankings are built over: its metrics and its variables.
#[derive(Debug, Clone, PartialEq)]
pub struct Layout {
    /// The category.
    pub category: CategoryId,
    /// Its metrics in order, with their sort.
    pub metrics: Vec<(MetricId, MetricSort)>,
    /// The variables assigned to it, by id.
    pub variables: Vec<LayoutVariable>,
}

/// A variable as the rankings see it.
#[derive(Debug, Clone, PartialEq)]
pub struct LayoutVariable {
    /// The variable.
    pub id: VariableId,
    /// Its slug (what filters name).
    pub slug: String,
    /// Whether runs with different values of it rank apart.
    pub obsoleting: bool,
    /// Its values and their slugs.
    pub values: Vec<(VariableValueId, String)>,
}

/// One value per layout variable (in layout order); `None` where the run gives none.
type Combo = Box<[Option<VariableValueId>]>;

fn direction(sort: MetricSort) -> SortDirection {
    match sort {
        MetricSort::Asc => SortDirection::Ascending,
        MetricSort::Desc => SortDirection::Descending,
    }
}

/// The tie-break time of a run: its `played_on` day, so earlier days list first.
fn played_micros(run: &Run) -> i64 {
    crate::time::to_day_number(run.played_on).saturating_mul(86_400_000_000)
}

#[derive(Debug, Default)]
struct Cell {
    current: Ranking,
    obsolete: Ranking,
}

#[derive(Debug)]
struct MetricIndex {
    direction: SortDirection,
    groups: HashMap<(String, Combo), BTreeSet<RankKey>>,
    /// By combination and whether the run links a video (so `video_only` selects cells too).
    cells: HashMap<(Combo, bool), Cell>,
}

#[derive(Debug, Clone)]
struct Entry {
    run: Arc<Run>,
    combo: Combo,
    ranked: bool,
}

impl Entry {
    fn cell(&self) -> (Combo, bool) {
        (self.combo.clone(), self.run.video)
    }
}

/// The rankings of one category.
#[derive(Debug)]
pub struct CategoryIndex {
    layout: Arc<Layout>,
    entries: HashMap<u128, Entry>,
    metrics: Vec<MetricIndex>,
}

/// What a read selects.
#[derive(Debug, Clone)]
pub struct RankQuery {
    /// The metric ranked by.
    pub metric: MetricId,
    /// For each variable, the values a run may have (any of them).
    pub filter: Vec<(VariableId, Vec<VariableValueId>)>,
    /// Obsolete runs too.
    pub include_obsolete: bool,
    /// Only runs with a video (ranks counted among them).
    pub video_only: bool,
    /// Only the first `top` places (ties may carry it past `top` runs).
    pub top: Option<u64>,
}

/// One time a record fell.
#[derive(Debug, Clone)]
pub struct RecordRun {
    /// The run that set it.
    pub run: Arc<Run>,
    /// Its value.
    pub value: f64,
    /// The record it beat, if there was one.
    pub previous: Option<f64>,
}

/// Where a page starts: after (forward) or before (backward) a key; the first page has none.
#[derive(Debug, Clone, Copy)]
pub enum Boundary {
    /// From the top.
    Start,
    /// The runs after this key.
    After(RankKey),
    /// The runs before this key.
    Before(RankKey),
}

/// One listed run.
#[derive(Debug, Clone)]
pub struct RankedRun {
    /// Its shared rank among the current runs.
    pub rank: u64,
    /// Whether a better run of its group exists.
    pub obsolete: bool,
    /// Its value of the metric.
    pub value: f64,
    /// Its place (what a cursor carries).
    pub key: RankKey,
    /// The run.
    pub run: Arc<Run>,
}

/// A page of a ranking.
#[derive(Debug, Clone, Default)]
pub struct RankPage {
    /// The runs, best first.
    pub runs: Vec<RankedRun>,
    /// Whether runs come before the first.
    pub has_prev: bool,
    /// Whether runs come after the last.
    pub has_next: bool,
}

impl CategoryIndex {
    /// An index of `runs` (those that rank) over `layout`.
    pub fn build(layout: Arc<Layout>, runs: impl IntoIterator<Item = Arc<Run>>) -> Self {
        let metrics = layout
            .metrics
            .iter()
            .map(|(_, sort)| MetricIndex { direction: direction(*sort), groups: HashMap::new(), cells: HashMap::new() })
            .collect();
        let mut index = Self { layout, entries: HashMap::new(), metrics };
        for run in runs {
            index.upsert(run);
        }
        index
    }

    /// Rebuilds over a new layout and a fresh read of the approved runs made at `read_at`:
    /// a run this index knows in a newer state than the read keeps that state, and a ranked
    /// run the read does not have stays only if it changed after the read.
    pub fn rebuild(&self, layout: Arc<Layout>, runs: &[Arc<Run>], read_at: DateTime<Utc>) -> Self {
        let mut next = Self::build(layout, std::iter::empty());
        let fresh: HashMap<u128, &Arc<Run>> = runs.iter().map(|r| (r.id.bits(), r)).collect();
        for (bits, entry) in &self.entries {
            let keep = match fresh.get(bits) {
                // The read has it: the newer copy wins (upsert ignores the older one).
                Some(run) => run.updated_at < entry.run.updated_at,
                // Not approved when read: kept if it changed after the read, or if it does not
                // rank anyway (remembering its time).
                None => entry.run.updated_at > read_at || !entry.ranked,
            };
            if keep {
                next.upsert(entry.run.clone());
            }
        }
        for run in runs {
            next.upsert(run.clone());
        }
        next
    }

    /// The layout in force.
    pub fn layout(&self) -> &Arc<Layout> {
        &self.layout
    }

    /// How many runs rank.
    pub fn ranked(&self) -> usize {
        self.entries.values().filter(|e| e.ranked).count()
    }

    fn combo(&self, run: &Run) -> Combo {
        self.layout
            .variables
            .iter()
            .map(|v| run.variables.iter().find(|(id, _)| *id == v.id).map(|(_, value)| *value))
            .collect()
    }

    fn group_key(&self, run: &Run, combo: &Combo) -> (String, Combo) {
        let obsoleting =
            self.layout.variables.iter().zip(combo.iter()).map(|(v, c)| if v.obsoleting { *c } else { None });
        (run.runner_key(), obsoleting.collect())
    }

    /// Applies a run's current state (ranked or not). A copy older than the one the index
    /// has is ignored.
    pub fn upsert(&mut self, run: Arc<Run>) {
        let bits = run.id.bits();
        if let Some(old) = self.entries.get(&bits) {
            if old.run.updated_at > run.updated_at {
                return;
            }
            let old = old.clone();
            if old.ranked {
                self.unrank(&old);
            }
        }
        let combo = self.combo(&run);
        let entry = Entry { ranked: run.ranks(), run, combo };
        self.entries.insert(bits, entry.clone());
        if entry.ranked {
            self.rank(&entry);
        }
    }

    fn rank(&mut self, entry: &Entry) {
        let group = self.group_key(&entry.run, &entry.combo);
        for (m, (metric, _)) in self.layout.metrics.iter().enumerate() {
            let Some(value) = entry.run.metric(*metric) else { continue };
            let index = &mut self.metrics[m];
            let key = RankKey::new(value, index.direction, played_micros(&entry.run), entry.run.id.bits());
            let members = index.groups.entry(group.clone()).or_default();
            let previous = members.first().copied();
            members.insert(key);
            if members.first() == Some(&key) {
                index.cells.entry(entry.cell()).or_default().current.insert(key);
                if let Some(there) = previous.and_then(|p| self.entries.get(&p.id())).map(Entry::cell)
                    && let Some(previous) = previous
                {
                    let cell = index.cells.entry(there).or_default();
                    cell.current.remove(&previous);
                    cell.obsolete.insert(previous);
                }
            } else {
                index.cells.entry(entry.cell()).or_default().obsolete.insert(key);
            }
        }
    }

    fn unrank(&mut self, entry: &Entry) {
        let group = self.group_key(&entry.run, &entry.combo);
        for (m, (metric, _)) in self.layout.metrics.iter().enumerate() {
            let Some(value) = entry.run.metric(*metric) else { continue };
            let index = &mut self.metrics[m];
            let key = RankKey::new(value, index.direction, played_micros(&entry.run), entry.run.id.bits());
            let Some(members) = index.groups.get_mut(&group) else { continue };
            let was_best = members.first() == Some(&key);
            members.remove(&key);
            let next = members.first().copied();
            if members.is_empty() {
                index.groups.remove(&group);
            }
            let here = entry.cell();
            if let Some(cell) = index.cells.get_mut(&here) {
                if was_best {
                    cell.current.remove(&key);
                } else {
                    cell.obsolete.remove(&key);
                }
                if cell.current.is_empty() && cell.obsolete.is_empty() {
                    index.cells.remove(&here);
                }
            }
            if let (true, Some(next)) = (was_best, next)
                && let Some(there) = self.entries.get(&next.id()).map(Entry::cell)
            {
                let cell = index.cells.entry(there).or_default();
                cell.obsolete.remove(&next);
                cell.current.insert(next);
            }
        }
    }

    /// Whether a combination passes a filter.
    fn matches(&self, combo: &Combo, filter: &[(VariableId, Vec<VariableValueId>)]) -> bool {
        filter.iter().all(|(id, values)| {
            let p = self.layout.variables.iter().position(|v| v.id == *id);
            p.and_then(|p| combo.get(p).copied().flatten()).is_some_and(|v| values.contains(&v))
        })
    }

    /// The cells of `metric` that a query selects.
    fn cells(&self, m: usize, query: &RankQuery) -> Vec<&Cell> {
        self.metrics[m]
            .cells
            .iter()
            .filter(|((combo, video), _)| (*video || !query.video_only) && self.matches(combo, &query.filter))
            .map(|(_, cell)| cell)
            .collect()
    }

    /// The index as it was on `day`: the runs that rank now and were played on or before it,
    /// grouped afresh (a runner's best then is current then).
    pub fn as_of(&self, day: chrono::NaiveDate) -> Self {
        Self::build(self.layout.clone(), self.ranked_by(day))
    }

    /// The runs that rank now and were played on or before `day`.
    fn ranked_by(&self, day: chrono::NaiveDate) -> Vec<Arc<Run>> {
        self.entries.values().filter(|e| e.ranked && e.run.played_on <= day).map(|e| e.run.clone()).collect()
    }

    /// Each time the record by `query.metric` fell among the runs `query` selects (obsolete
    /// ones included: a record is a record even once its runner beat it), in the order the
    /// runs were played (then submitted). `None` when the category has no such metric.
    pub fn records(&self, query: &RankQuery) -> Option<Vec<RecordRun>> {
        let (metric, sort) = self.layout.metrics.iter().find(|(id, _)| *id == query.metric).copied()?;
        let mut runs: Vec<(&Arc<Run>, f64)> = self
            .entries
            .values()
            .filter(|e| e.ranked && (e.run.video || !query.video_only) && self.matches(&e.combo, &query.filter))
            .filter_map(|e| e.run.metric(metric).map(|v| (&e.run, v)))
            .collect();
        runs.sort_by_key(|(r, _)| (r.played_on, r.submitted_at, r.id));
        let mut out: Vec<RecordRun> = Vec::new();
        for (run, value) in runs {
            let previous = out.last().map(|r| r.value);
            if previous.is_none_or(|p| crate::model::community::better(value, p, sort)) {
                out.push(RecordRun { run: run.clone(), value, previous });
            }
        }
        Some(out)
    }

    /// A page of the ranking `query` selects, `limit` runs from `boundary`. `None` when the
    /// category has no such metric.
    pub fn page(&self, query: &RankQuery, boundary: Boundary, limit: usize) -> Option<RankPage> {
        let m = self.layout.metrics.iter().position(|(id, _)| *id == query.metric)?;
        let cells = self.cells(m, query);
        let mut trees: Vec<(&Ranking, bool)> = cells.iter().map(|c| (&c.current, false)).collect();
        if query.include_obsolete {
            trees.extend(cells.iter().map(|c| (&c.obsolete, true)));
        }
        // `top`: a run is within the first N places when its value is no worse than the N-th
        // best current value, so the list ends before the first key past that value.
        let end_key = query.top.and_then(|top| top_cutoff(&cells, top));
        let want = limit + 1;
        let mut keys: Vec<(RankKey, bool)> = Vec::new();
        let mut elsewhere = false;
        for (tree, obsolete) in &trees {
            let upper = end_key.map_or(tree.len(), |k| tree.count_before(&k));
            let (start, end) = match boundary {
                Boundary::Start => (0, want.min(upper)),
                Boundary::After(k) => {
                    let start = tree.count_before(&k) + usize::from(tree.rank(&k).is_some());
                    elsewhere |= start > 0;
                    (start.min(upper), (start + want).min(upper))
                }
                Boundary::Before(k) => {
                    let end = tree.count_before(&k).min(upper);
                    elsewhere |= end < upper;
                    (end.saturating_sub(want), end)
                }
            };
            keys.extend(tree.page(start, end - start).keys.into_iter().map(|k| (k, *obsolete)));
        }
        keys.sort_unstable();
        let more = keys.len() > limit;
        match boundary {
            Boundary::Before(_) => {
                let skip = keys.len().saturating_sub(limit);
                keys.drain(..skip);
            }
            _ => keys.truncate(limit),
        }
        let (has_prev, has_next) = match boundary {
            Boundary::Start => (false, more),
            Boundary::After(_) => (elsewhere, more),
            Boundary::Before(_) => (more, elsewhere),
        };
        let direction = self.metrics[m].direction;
        // Ranks: one count per distinct value (ties share it), over the selected current trees.
        let mut last: Option<(u64, u64)> = None;
        let runs: Vec<RankedRun> = keys
            .into_iter()
            .filter_map(|(key, obsolete)| {
                let run = self.entries.get(&key.id())?.run.clone();
                let rank = match last {
                    Some((bits, rank)) if bits == key.score_bits() => rank,
                    _ => {
                        let floor = RankKey::from_parts(key.score_bits(), i64::MIN, 0);
                        let better: usize = cells.iter().map(|c| c.current.count_before(&floor)).sum();
                        better as u64 + 1
                    }
                };
                last = Some((key.score_bits(), rank));
                Some(RankedRun { rank, obsolete, value: key.value(direction), key, run })
            })
            .collect();
        Some(RankPage { runs, has_prev, has_next })
    }
}

/// The first key past the `top` first places of `cells`: every key before it has a rank of
/// `top` or better. `None` when fewer than `top` current runs exist (nothing is cut). Found by
/// a binary search on the value bits (64 steps of one count per cell).
fn top_cutoff(cells: &[&Cell], top: u64) -> Option<RankKey> {
    let at_or_better = |bits: u64| -> u64 {
        let past = match bits.checked_add(1) {
            Some(next) => RankKey::from_parts(next, i64::MIN, 0),
            None => return cells.iter().map(|c| c.current.len() as u64).sum(),
        };
        cells.iter().map(|c| c.current.count_before(&past) as u64).sum()
    };
    if at_or_better(u64::MAX) < top {
        return None;
    }
    // The smallest value bits with at least `top` current runs at or better than them.
    let (mut lo, mut hi) = (0u64, u64::MAX);
    while lo < hi {
        let mid = lo + (hi - lo) / 2;
        if at_or_better(mid) >= top { hi = mid } else { lo = mid + 1 }
    }
    lo.checked_add(1).map(|next| RankKey::from_parts(next, i64::MIN, 0))
}

/// Every category's rankings, and its shape.
#[derive(Debug, Default)]
pub struct CommunityRankings {
    categories: std::sync::RwLock<HashMap<CategoryId, CategoryIndex>>,
    shapes: std::sync::RwLock<HashMap<CategoryId, Arc<Shape>>>,
    /// Each category's version: changes with every change applied to it (a rendered page is
    /// reused while it holds).
    versions: std::sync::RwLock<HashMap<CategoryId, u64>>,
}

/// Source of category versions: unique across the process, so a version never comes back.
static NEXT_VERSION: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);

impl CommunityRankings {
    fn read<T>(&self, f: impl FnOnce(&HashMap<CategoryId, CategoryIndex>) -> T) -> T {
        f(&self.categories.read().unwrap_or_else(std::sync::PoisonError::into_inner))
    }

    fn write<T>(&self, f: impl FnOnce(&mut HashMap<CategoryId, CategoryIndex>) -> T) -> T {
        f(&mut self.categories.write().unwrap_or_else(std::sync::PoisonError::into_inner))
    }

    /// Gives the categories new versions (after a change to them was applied).
    fn bump(&self, categories: impl IntoIterator<Item = CategoryId>) {
        let mut versions = self.versions.write().unwrap_or_else(std::sync::PoisonError::into_inner);
        for category in categories {
            versions.insert(category, NEXT_VERSION.fetch_add(1, std::sync::atomic::Ordering::Relaxed));
        }
    }

    /// A category's version, while it has rankings.
    pub fn version(&self, category: CategoryId) -> Option<u64> {
        self.versions.read().unwrap_or_else(std::sync::PoisonError::into_inner).get(&category).copied()
    }

    /// Replaces a category's index by one over `layout` and the approved runs read at
    /// `read_at` (see [`CategoryIndex::rebuild`]).
    /// A reset read from an older version of the category than the one in force (two resets
    /// racing) is ignored: the newer one read later.
    pub fn reset(&self, layout: Arc<Layout>, shape: Arc<Shape>, runs: &[Arc<Run>], read_at: DateTime<Utc>) {
        let category = layout.category;
        {
            let mut shapes = self.shapes.write().unwrap_or_else(std::sync::PoisonError::into_inner);
            if shapes.get(&category).is_some_and(|held| held.category.updated_at > shape.category.updated_at) {
                return;
            }
            shapes.insert(category, shape);
        }
        // Rebuilt under the write lock, so no run update published meanwhile is lost (a reset
        // follows a category or variable edit: rare).
        self.write(|all| {
            let built = match all.get(&category) {
                Some(old) => old.rebuild(layout, runs, read_at),
                None => CategoryIndex::build(layout, runs.iter().cloned()),
            };
            all.insert(category, built);
        });
        self.bump([category]);
    }

    /// Applies runs' current states. Runs of a category without an index are skipped (the
    /// category's reset brings them).
    pub fn upsert(&self, runs: &[Arc<Run>]) {
        self.write(|all| {
            for run in runs {
                if let Some(index) = all.get_mut(&run.category_id) {
                    index.upsert(run.clone());
                }
            }
        });
        self.bump(runs.iter().map(|r| r.category_id));
    }

    /// Forgets a deleted category.
    pub fn drop_category(&self, category: CategoryId) {
        self.write(|all| {
            all.remove(&category);
        });
        self.shapes.write().unwrap_or_else(std::sync::PoisonError::into_inner).remove(&category);
        self.versions.write().unwrap_or_else(std::sync::PoisonError::into_inner).remove(&category);
    }

    /// A category's shape as of its last reset.
    pub fn shape(&self, category: CategoryId) -> Option<Arc<Shape>> {
        self.shapes.read().unwrap_or_else(std::sync::PoisonError::into_inner).get(&category).cloned()
    }

    /// Whether a category has an index.
    pub fn has(&self, category: CategoryId) -> bool {
        self.read(|all| all.contains_key(&category))
    }

    /// A page of a category's ranking: `None` when the category or the metric has no index.
    pub fn page(&self, category: CategoryId, query: &RankQuery, boundary: Boundary, limit: usize) -> Option<RankPage> {
        self.read(|all| all.get(&category)?.page(query, boundary, limit))
    }

    /// [`Self::page`] over the category as it was on `day` (built for the read: O(n log n)).
    pub fn page_as_of(
        &self,
        category: CategoryId,
        day: chrono::NaiveDate,
        query: &RankQuery,
        boundary: Boundary,
        limit: usize,
    ) -> Option<RankPage> {
        // The runs are collected under the lock; the day's index is built outside it.
        let (layout, runs) = self.read(|all| all.get(&category).map(|i| (i.layout.clone(), i.ranked_by(day))))?;
        CategoryIndex::build(layout, runs).page(query, boundary, limit)
    }

    /// Each time a category's record fell (see [`CategoryIndex::records`]).
    pub fn records(&self, category: CategoryId, query: &RankQuery) -> Option<Vec<RecordRun>> {
        self.read(|all| all.get(&category)?.records(query))
    }

    /// How many runs rank, over every category.
    pub fn total(&self) -> usize {
        self.read(|all| all.values().map(CategoryIndex::ranked).sum())
    }

    /// Whether a run is known to the index of its category in a state at least as new as
    /// `updated_at` (used by tests and the feed's catch-up).
    pub fn knows(&self, category: CategoryId, run: RunId, updated_at: DateTime<Utc>) -> bool {
        self.read(|all| {
            all.get(&category).and_then(|i| i.entries.get(&run.bits())).is_some_and(|e| e.run.updated_at >= updated_at)
        })
    }
}

#[cfg(test)]
mod tests {
    use chrono::NaiveDate;
    use proptest::prelude::*;

    use super::*;
    use crate::id::{LeaderboardId, MemberId};
    use crate::model::community::{RunStatus, Runner};

    struct World {
        layout: Arc<Layout>,
        members: Vec<MemberId>,
        /// Every run "as stored", in submission order.
        runs: Vec<Run>,
        clock: i64,
    }

    fn at(t: i64) -> DateTime<Utc> {
        DateTime::UNIX_EPOCH + chrono::Duration::seconds(t)
    }

    impl World {
        fn new() -> Self {
            let variable = |slug: &str, obsoleting: bool, n: usize| LayoutVariable {
                id: VariableId::generate(),
                slug: slug.into(),
                obsoleting,
                values: (0..n).map(|i| (VariableValueId::generate(), format!("{slug}{i}"))).collect(),
            };
            let mut variables = vec![variable("platform", true, 3), variable("seed", false, 2)];
            variables.sort_by_key(|v| v.id);
            let layout = Layout {
                category: CategoryId::generate(),
                metrics: vec![(MetricId::generate(), MetricSort::Asc), (MetricId::generate(), MetricSort::Desc)],
                variables,
            };
            World {
                layout: Arc::new(layout),
                members: (0..4).map(|_| MemberId::generate()).collect(),
                runs: Vec::new(),
                clock: 1,
            }
        }

        fn tick(&mut self) -> DateTime<Utc> {
            self.clock += 1;
            at(self.clock)
        }

        fn variable(&self, slug: &str) -> &LayoutVariable {
            self.layout.variables.iter().find(|v| v.slug == slug).unwrap()
        }
    }

    #[derive(Debug, Clone)]
    enum Op {
        /// runners (bit set of 4), platform (3 = none), seed (2 = none), time, berries (None), day,
        /// approved, video
        Submit(u8, u8, u8, u8, Option<u8>, u8, bool, bool),
        Judge(usize, bool),
        Ban(usize),
        Delete(usize),
        Replace(u8, u8),
        Stale(usize),
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            4 => (1u8..16, 0u8..4, 0u8..3, 0u8..6, proptest::option::of(0u8..4), 0u8..4, any::<bool>(), any::<bool>())
                .prop_map(|(r, p, s, t, b, d, a, v)| Op::Submit(r, p, s, t, b, d, a, v)),
            2 => (any::<usize>(), any::<bool>()).prop_map(|(i, a)| Op::Judge(i, a)),
            1 => any::<usize>().prop_map(Op::Ban),
            1 => any::<usize>().prop_map(Op::Delete),
            1 => (0u8..3, 0u8..3).prop_map(|(a, b)| Op::Replace(a, b)),
            1 => any::<usize>().prop_map(Op::Stale),
        ]
    }

    /// The naive model: the expected listing of a query, computed from the stored runs.
    fn naive(world: &World, q: &RankQuery) -> Vec<(RunId, u64, bool, f64)> {
        let (m, sort) = world.layout.metrics.iter().find(|(id, _)| *id == q.metric).map(|(id, s)| (*id, *s)).unwrap();
        let oriented = |v: f64| if sort == MetricSort::Asc { v } else { -v };
        let order = |r: &Run| (oriented(r.metric(m).unwrap()), r.played_on, r.id.bits());
        let ranked: Vec<&Run> = world.runs.iter().filter(|r| r.ranks() && r.metric(m).is_some()).collect();
        let value_of = |r: &Run, v: VariableId| r.variables.iter().find(|(id, _)| *id == v).map(|(_, x)| *x);
        let group = |r: &Run| {
            let obsoleting: Vec<_> =
                world.layout.variables.iter().filter(|v| v.obsoleting).map(|v| value_of(r, v.id)).collect();
            (r.runner_key(), obsoleting)
        };
        let current = |r: &Run| {
            !ranked
                .iter()
                .any(|o| group(o) == group(r) && order(o).partial_cmp(&order(r)) == Some(std::cmp::Ordering::Less))
        };
        let matches = |r: &Run| {
            (r.video || !q.video_only)
                && q.filter.iter().all(|(v, values)| value_of(r, *v).is_some_and(|x| values.contains(&x)))
        };
        let mut listed: Vec<&Run> =
            ranked.iter().copied().filter(|r| matches(r) && (q.include_obsolete || current(r))).collect();
        listed.sort_by(|a, b| order(a).partial_cmp(&order(b)).unwrap());
        listed
            .iter()
            .map(|r| {
                let v = oriented(r.metric(m).unwrap());
                let better =
                    ranked.iter().filter(|o| matches(o) && current(o) && oriented(o.metric(m).unwrap()) < v).count();
                (r.id, better as u64 + 1, !current(r), r.metric(m).unwrap())
            })
            .filter(|(_, rank, _, _)| q.top.is_none_or(|top| *rank <= top))
            .collect()
    }

    fn listing(index: &CategoryIndex, q: &RankQuery, limit: usize) -> Vec<(RunId, u64, bool, f64)> {
        let mut out = Vec::new();
        let mut boundary = Boundary::Start;
        loop {
            let page = index.page(q, boundary, limit).unwrap();
            out.extend(page.runs.iter().map(|r| (r.run.id, r.rank, r.obsolete, r.value)));
            match (page.has_next, page.runs.last()) {
                (true, Some(last)) => boundary = Boundary::After(last.key),
                _ => return out,
            }
        }
    }

    fn queries(world: &World) -> Vec<RankQuery> {
        let platform = world.variable("platform");
        let seed = world.variable("seed");
        let filters = vec![
            vec![],
            vec![(platform.id, vec![platform.values[0].0])],
            vec![(platform.id, vec![platform.values[0].0, platform.values[2].0])],
            vec![(seed.id, vec![seed.values[1].0])],
            vec![(platform.id, vec![platform.values[1].0]), (seed.id, vec![seed.values[0].0, seed.values[1].0])],
        ];
        let mut out = Vec::new();
        for (metric, _) in &world.layout.metrics {
            for filter in &filters {
                for (include_obsolete, video_only, top) in [
                    (false, false, None),
                    (true, false, None),
                    (false, true, None),
                    (true, true, Some(2)),
                    (false, false, Some(1)),
                ] {
                    out.push(RankQuery { metric: *metric, filter: filter.clone(), include_obsolete, video_only, top });
                }
            }
        }
        out
    }

    fn apply(world: &mut World, index: &mut CategoryIndex, op: Op) {
        let publish = |index: &mut CategoryIndex, runs: &[Run]| {
            for r in runs {
                index.upsert(Arc::new(r.clone()));
            }
        };
        match op {
            Op::Submit(runners, platform, seed, time, berries, day, approved, video) => {
                let p = world
                    .variable("platform")
                    .values
                    .get(platform as usize)
                    .map(|v| (world.variable("platform").id, v.0));
                let s = world.variable("seed").values.get(seed as usize).map(|v| (world.variable("seed").id, v.0));
                let mut variables: Vec<_> = p.into_iter().chain(s).collect();
                variables.sort_unstable();
                let (time_id, berries_id) = (world.layout.metrics[0].0, world.layout.metrics[1].0);
                let mut metrics = vec![(time_id, f64::from(time) * 10.0)];
                metrics.extend(berries.map(|b| (berries_id, f64::from(b))));
                metrics.sort_unstable_by_key(|(id, _)| *id);
                let runners: Vec<Runner> = (0..4)
                    .filter(|i| runners & (1 << i) != 0)
                    .map(|i| Runner { id: world.members[i], name: format!("m{i}"), deleted: false })
                    .collect();
                let now = world.tick();
                let run = Run {
                    id: RunId::generate(),
                    category_id: world.layout.category,
                    leaderboard_id: LeaderboardId::generate(),
                    submitted_by: runners[0].id,
                    runners,
                    played_on: NaiveDate::from_ymd_opt(2026, 1, 1).unwrap() + chrono::Days::new(u64::from(day)),
                    submitted_at: now,
                    status: if approved { RunStatus::Approved } else { RunStatus::Submitted },
                    variables,
                    metrics,
                    video,
                    updated_at: now,
                };
                world.runs.push(run.clone());
                publish(index, &[run]);
            }
            Op::Judge(i, approved) if !world.runs.is_empty() => {
                let now = world.tick();
                let n = world.runs.len();
                let run = &mut world.runs[i % n];
                run.status = if approved { RunStatus::Approved } else { RunStatus::Rejected };
                run.updated_at = now;
                let run = run.clone();
                publish(index, &[run]);
            }
            Op::Ban(member) => {
                let id = world.members[member % 4];
                let now = world.tick();
                let mut changed = Vec::new();
                for run in world.runs.iter_mut().filter(|r| r.runners.iter().any(|x| x.id == id)) {
                    run.status = RunStatus::Rejected;
                    run.updated_at = now;
                    changed.push(run.clone());
                }
                publish(index, &changed);
            }
            Op::Delete(member) => {
                let id = world.members[member % 4];
                let mut changed = Vec::new();
                for run in world.runs.iter_mut() {
                    let mut touched = false;
                    for r in run.runners.iter_mut().filter(|r| r.id == id) {
                        r.deleted = true;
                        touched = true;
                    }
                    if touched {
                        changed.push(run.clone());
                    }
                }
                publish(index, &changed);
            }
            Op::Replace(from, to) if from != to => {
                // A value deleted with a replacement: the store moves the runs (their
                // `updated_at` unchanged), and the category is reset from a fresh read.
                let platform = world.variable("platform").clone();
                let (from, to) = (platform.values[from as usize].0, platform.values[to as usize].0);
                for run in world.runs.iter_mut() {
                    for (_, v) in run.variables.iter_mut().filter(|(id, v)| *id == platform.id && *v == from) {
                        *v = to;
                    }
                }
                let read_at = at(world.clock);
                let fresh: Vec<Arc<Run>> =
                    world.runs.iter().filter(|r| r.status == RunStatus::Approved).cloned().map(Arc::new).collect();
                *index = index.rebuild(world.layout.clone(), &fresh, read_at);
            }
            Op::Stale(i) if !world.runs.is_empty() => {
                // An older copy of a run arrives late: nothing changes.
                let mut old = world.runs[i % world.runs.len()].clone();
                old.updated_at -= chrono::Duration::seconds(1);
                old.status = if old.status == RunStatus::Approved { RunStatus::Rejected } else { RunStatus::Approved };
                index.upsert(Arc::new(old));
            }
            _ => {}
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(200))]
        #[test]
        fn every_ranking_matches_a_naive_model_of_the_stored_runs(ops in proptest::collection::vec(op(), 1..60)) {
            let mut world = World::new();
            let mut index = CategoryIndex::build(world.layout.clone(), std::iter::empty());
            for op in ops {
                apply(&mut world, &mut index, op);
                let day = NaiveDate::from_ymd_opt(2026, 1, 2).unwrap();
                let then = index.as_of(day);
                let earlier = World {
                    layout: world.layout.clone(),
                    members: world.members.clone(),
                    runs: world.runs.iter().filter(|r| r.played_on <= day).cloned().collect(),
                    clock: world.clock,
                };
                for q in queries(&world) {
                    prop_assert_eq!(listing(&then, &q, 4), naive(&earlier, &q), "as of {}: {:?}", day, q);
                    let expected = naive(&world, &q);
                    prop_assert_eq!(&listing(&index, &q, 3), &expected, "{:?}", q);
                    // The last page read backwards from past the end is the same list's tail.
                    if let Some(last) = expected.last() {
                        let tail = index.page(&q, Boundary::Before(RankKey::from_parts(u64::MAX, i64::MAX, u128::MAX)), 2).unwrap();
                        let got: Vec<RunId> = tail.runs.iter().map(|r| r.run.id).collect();
                        let want: Vec<RunId> = expected.iter().rev().take(2).rev().map(|e| e.0).collect();
                        prop_assert_eq!(got, want);
                        prop_assert_eq!(tail.has_prev, expected.len() > 2);
                        prop_assert_eq!(tail.runs.last().map(|r| r.run.id), Some(last.0));
                    }
                }
            }
        }
    }

    #[test]
    fn the_record_history_lists_each_run_that_beat_the_record_in_the_order_played() {
        let mut world = World::new();
        let mut index = CategoryIndex::build(world.layout.clone(), std::iter::empty());
        // (runner, time ×10, day): 500 on day 0, 450 day 1, 470 day 2 (no record), 450 day 3 (a
        // tie is no record), 400 day 3.
        for (runner, time, day) in [(1u8, 50u8, 0u8), (2, 45, 1), (4, 47, 2), (8, 45, 3), (1, 40, 3)] {
            apply(&mut world, &mut index, Op::Submit(runner, 0, 0, time, None, day, true, false));
        }
        let q = RankQuery {
            metric: world.layout.metrics[0].0,
            filter: vec![],
            include_obsolete: false,
            video_only: false,
            top: None,
        };
        let records: Vec<(f64, Option<f64>)> =
            index.records(&q).unwrap().iter().map(|r| (r.value, r.previous)).collect();
        assert_eq!(records, [(500.0, None), (450.0, Some(500.0)), (400.0, Some(450.0))]);
    }

    #[test]
    fn ties_share_a_rank_and_the_earlier_day_lists_first() {
        let mut world = World::new();
        let mut index = CategoryIndex::build(world.layout.clone(), std::iter::empty());
        // Three solo runners: 390 (day 2), 390 (day 1), 400.
        for (runner, time, day) in [(1u8, 39u8, 2u8), (2, 39, 1), (4, 40, 0)] {
            let op = Op::Submit(runner, 0, 0, 0, None, day, true, false);
            apply(&mut world, &mut index, op);
            let run = world.runs.last_mut().unwrap();
            run.metrics[0].1 = f64::from(time) * 10.0;
            let run = Arc::new(run.clone());
            index.upsert(run);
        }
        let q = RankQuery {
            metric: world.layout.metrics[0].0,
            filter: vec![],
            include_obsolete: false,
            video_only: false,
            top: None,
        };
        let got: Vec<(u64, f64, String)> = index
            .page(&q, Boundary::Start, 10)
            .unwrap()
            .runs
            .iter()
            .map(|r| (r.rank, r.value, r.run.runners[0].name.clone()))
            .collect();
        assert_eq!(got, [(1, 390.0, "m1".into()), (1, 390.0, "m0".into()), (3, 400.0, "m2".into())]);
    }
}
