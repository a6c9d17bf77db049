//! The ranking engine: an in-memory order-statistic index per board and pool (live / test).
//!
//! Every ranked entry is a [`RankKey`]: its value mapped to an order-preserving integer (flipped
//! for descending boards, so "better" is always "smaller"), the time it reached that value, and
//! its id. Keys are unique, so the index is a set: a counted B+-tree of our own ([`tree`], why
//! not a crate is explained there) answers rank, select (entry at an offset), pages and windows
//! in O(log n). The index holds keys only: the entries' other fields live in the store, which the
//! services read by id. Ties are ordered as the spec says: earlier `updated_at` first, then id.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use crate::id::BoardId;
use crate::model::SortDirection;

pub mod activity;
pub mod community;
mod tree;

use tree::Tree;

/// The sort key of one ranked entry. Smaller keys rank higher.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RankKey {
    score: u64,
    at: i64,
    id: u128,
}

/// Maps an `f64` to a `u64` whose unsigned order is the float's total order.
fn ordered_bits(value: f64) -> u64 {
    let bits = value.to_bits();
    if bits >> 63 == 1 { !bits } else { bits | (1 << 63) }
}

impl RankKey {
    /// The key of an entry with `value` on a board sorted in `direction`, which reached that
    /// value at `at_micros`, with id bits `id`.
    pub fn new(value: f64, direction: SortDirection, at_micros: i64, id: u128) -> Self {
        let bits = ordered_bits(value);
        let score = match direction {
            SortDirection::Ascending => bits,
            SortDirection::Descending => !bits,
        };
        Self { score, at: at_micros, id }
    }

    /// A key that sorts after every real entry with this value (and before every worse value):
    /// where a new entry with `value` would be placed now.
    pub fn after_ties(value: f64, direction: SortDirection) -> Self {
        Self::new(value, direction, i64::MAX, u128::MAX)
    }

    /// Rebuilds a key from its parts (as carried by a cursor).
    pub fn from_parts(score_bits: u64, at_micros: i64, id: u128) -> Self {
        Self { score: score_bits, at: at_micros, id }
    }

    /// The order-preserving value bits (already flipped for descending boards).
    pub fn score_bits(&self) -> u64 {
        self.score
    }

    /// The value this key was made from, on a board sorted in `direction`.
    pub fn value(&self, direction: SortDirection) -> f64 {
        let bits = match direction {
            SortDirection::Ascending => self.score,
            SortDirection::Descending => !self.score,
        };
        f64::from_bits(if bits >> 63 == 1 { bits & !(1 << 63) } else { !bits })
    }

    /// The entry's id bits.
    pub fn id(&self) -> u128 {
        self.id
    }

    /// When the entry reached its value (microseconds).
    pub fn at_micros(&self) -> i64 {
        self.at
    }

    /// The value and time parts as a cursor carries them (32 hex digits; the id travels as
    /// the entry's own id).
    pub fn cursor_text(&self) -> String {
        format!("{:016x}{:016x}", self.score, self.at as u64)
    }

    /// Rebuilds a key from [`Self::cursor_text`] and the entry's id bits.
    pub fn from_cursor_text(text: &str, id: u128) -> Option<Self> {
        if text.len() != 32 || !text.is_ascii() {
            return None;
        }
        let score = u64::from_str_radix(&text[..16], 16).ok()?;
        let at = u64::from_str_radix(&text[16..], 16).ok()? as i64;
        Some(Self { score, at, id })
    }
}

/// Keys per leaf and children per inner node of the index. At 10 M random keys leaves of 32,
/// 64 and 128 keys measured within 10% of each other (BENCHMARKS.md); 64 keeps a leaf's value
/// column at 512 bytes, eight cache lines.
const LEAF_SIZE: usize = 64;
const INNER_SIZE: usize = 32;

/// The ranked keys of one board pool. The node sizes are parameters only so that tests can
/// use tiny nodes and reach every split, merge and borrow; the service uses the defaults.
#[derive(Debug)]
pub struct Ranking<const L: usize = LEAF_SIZE, const F: usize = INNER_SIZE> {
    tree: Tree<L, F>,
    version: u64,
}

/// Source of ranking versions: unique across every ranking of the process, so a version seen
/// once never comes back (not even when a pool is replaced by a rebuilt one).
static NEXT_VERSION: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);

fn next_version() -> u64 {
    NEXT_VERSION.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
}

/// A window of a ranking: the 0-based offset of its first key, and the keys.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Window {
    /// Offset of `keys[0]` (its rank is `offset + 1`).
    pub offset: usize,
    /// The keys, best first.
    pub keys: Vec<RankKey>,
}

/// A window around a value that is not on the board: the keys around it and the 0-based
/// position at which a placeholder for the value goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValueWindow {
    /// How many entries rank above the value (the placeholder's rank is `position + 1`).
    pub position: usize,
    /// Offset of the first real key in `keys`.
    pub offset: usize,
    /// The real keys of the window (`limit - 1` of them at most), best first; the placeholder
    /// belongs between `keys[position - offset - 1]` and `keys[position - offset]`.
    pub keys: Vec<RankKey>,
}

/// The first offset of a `limit`-long window centred on `target` in a list of `len` items:
/// `(limit - 1) / 2` items above the target where possible, shifted at the edges.
pub fn window_start(target: usize, len: usize, limit: usize) -> usize {
    let above = limit.saturating_sub(1) / 2;
    target.saturating_sub(above).min(len.saturating_sub(limit))
}

impl<const L: usize, const F: usize> Default for Ranking<L, F> {
    fn default() -> Self {
        Self::empty()
    }
}

impl Ranking {
    /// An empty ranking.
    pub fn new() -> Self {
        Self::default()
    }
}

impl<const L: usize, const F: usize> Ranking<L, F> {
    /// An empty ranking with the given node sizes.
    pub fn empty() -> Self {
        Self { tree: Tree::new(), version: next_version() }
    }

    /// Changes whenever the ranking does (any insert, removal or update): a page rendered at
    /// one version is still exact while the version is the same.
    pub fn version(&self) -> u64 {
        self.version
    }

    /// Builds a ranking from keys in any order (duplicates count once), packing its nodes.
    pub fn from_keys(keys: impl IntoIterator<Item = RankKey>) -> Self {
        let mut keys: Vec<RankKey> = keys.into_iter().collect();
        keys.sort_unstable();
        keys.dedup();
        Self { tree: Tree::from_sorted(&keys), version: next_version() }
    }

    /// Number of ranked entries.
    pub fn len(&self) -> usize {
        self.tree.len()
    }

    /// Whether nothing is ranked.
    pub fn is_empty(&self) -> bool {
        self.tree.len() == 0
    }

    /// Adds a key; false if it was already present.
    pub fn insert(&mut self, key: RankKey) -> bool {
        self.version = next_version();
        self.tree.insert(key)
    }

    /// Removes a key; false if it was absent.
    pub fn remove(&mut self, key: &RankKey) -> bool {
        self.version = next_version();
        self.tree.remove(key)
    }

    /// Replaces `old` (if present) by `new`.
    pub fn update(&mut self, old: Option<&RankKey>, new: RankKey) {
        self.version = next_version();
        if let Some(old) = old {
            self.tree.remove(old);
        }
        self.tree.insert(new);
    }

    /// The 1-based rank of a present key.
    pub fn rank(&self, key: &RankKey) -> Option<usize> {
        self.tree.position(key).map(|p| p + 1)
    }

    /// How many keys sort before `key` (whether or not it is present).
    pub fn count_before(&self, key: &RankKey) -> usize {
        self.tree.count_before(key)
    }

    /// The key at a 0-based offset.
    pub fn at(&self, offset: usize) -> Option<RankKey> {
        self.tree.at(offset)
    }

    /// Up to `limit` keys from a 0-based offset.
    pub fn page(&self, offset: usize, limit: usize) -> Window {
        Window { offset, keys: self.tree.range(offset, limit) }
    }

    /// The best `n` keys.
    pub fn top(&self, n: usize) -> Window {
        self.page(0, n)
    }

    /// A `limit`-long window centred on a present key; `None` if the key is absent.
    pub fn around_key(&self, key: &RankKey, limit: usize) -> Option<Window> {
        let rank = self.rank(key)?;
        Some(self.page(window_start(rank - 1, self.len(), limit), limit))
    }

    /// A `limit`-long window (placeholder included) centred on where `value` would rank.
    pub fn around_value(&self, value: f64, direction: SortDirection, limit: usize) -> ValueWindow {
        let position = self.count_before(&RankKey::after_ties(value, direction));
        let start = window_start(position, self.len() + 1, limit);
        let real = limit.saturating_sub(1).min(self.len());
        let offset = if start > position { start - 1 } else { start };
        let page = self.page(offset, real);
        ValueWindow { position, offset: page.offset, keys: page.keys }
    }
}

/// Which entries of a board are ranked together.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct PoolKey {
    /// The board.
    pub board: BoardId,
    /// Test entries are ranked apart from live ones.
    pub is_test: bool,
}

/// Every board's rankings, shared by the whole process.
#[derive(Debug, Default)]
pub struct Engine {
    pools: RwLock<HashMap<PoolKey, Arc<RwLock<Ranking>>>>,
}

impl Engine {
    /// An empty engine.
    pub fn new() -> Self {
        Self::default()
    }

    /// The ranking of a pool, created empty if needed.
    pub fn pool(&self, key: PoolKey) -> Arc<RwLock<Ranking>> {
        if let Some(pool) = self.pools.read().unwrap_or_else(std::sync::PoisonError::into_inner).get(&key) {
            return pool.clone();
        }
        self.pools.write().unwrap_or_else(std::sync::PoisonError::into_inner).entry(key).or_default().clone()
    }

    /// Replaces a pool's ranking (used when rebuilding).
    pub fn set_pool(&self, key: PoolKey, ranking: Ranking) {
        self.pools
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .insert(key, Arc::new(RwLock::new(ranking)));
    }

    /// How many keys a pool holds, unless its writer holds it this instant (never waits).
    pub fn try_len(&self, key: PoolKey) -> Option<usize> {
        let pool = self.pools.read().unwrap_or_else(std::sync::PoisonError::into_inner).get(&key)?.clone();
        let ranking = pool.try_read().ok()?;
        Some(ranking.len())
    }

    /// Runs `f` with read access to a pool.
    pub fn read<T>(&self, key: PoolKey, f: impl FnOnce(&Ranking) -> T) -> T {
        let pool = self.pool(key);
        let guard = pool.read().unwrap_or_else(std::sync::PoisonError::into_inner);
        f(&guard)
    }

    /// Runs `f` with write access to a pool.
    pub fn write<T>(&self, key: PoolKey, f: impl FnOnce(&mut Ranking) -> T) -> T {
        let pool = self.pool(key);
        let mut guard = pool.write().unwrap_or_else(std::sync::PoisonError::into_inner);
        f(&mut guard)
    }

    /// Total keys across pools.
    pub fn total(&self) -> usize {
        let pools = self.pools.read().unwrap_or_else(std::sync::PoisonError::into_inner);
        pools.values().map(|p| p.read().unwrap_or_else(std::sync::PoisonError::into_inner).len()).sum()
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn key(value: f64, at: i64, id: u128) -> RankKey {
        RankKey::new(value, SortDirection::Descending, at, id)
    }

    #[test]
    fn higher_values_rank_first_on_descending_boards_and_ties_go_to_the_earlier() {
        let mut r = Ranking::new();
        let a = key(10.0, 5, 1);
        let b = key(20.0, 9, 2);
        let c = key(10.0, 3, 3);
        for k in [a, b, c] {
            r.insert(k);
        }
        assert_eq!(r.rank(&b), Some(1));
        assert_eq!(r.rank(&c), Some(2));
        assert_eq!(r.rank(&a), Some(3));
        assert_eq!(r.rank(&key(10.0, 4, 1)), None);
    }

    #[test]
    fn ascending_boards_rank_small_values_first_including_negatives() {
        let asc = |v| RankKey::new(v, SortDirection::Ascending, 0, 0);
        let mut values = [3.5, -2.0, 0.0, -0.5, 1e9, f64::INFINITY, f64::NEG_INFINITY];
        let mut keys: Vec<RankKey> = values.iter().map(|v| asc(*v)).collect();
        keys.sort();
        values.sort_by(f64::total_cmp);
        assert_eq!(keys, values.iter().map(|v| asc(*v)).collect::<Vec<_>>());
    }

    #[test]
    fn a_key_gives_back_its_value() {
        for v in [0.0, -0.0, 1.5, -2.25, 1e300, -1e-300, f64::INFINITY, f64::NEG_INFINITY] {
            for dir in [SortDirection::Ascending, SortDirection::Descending] {
                assert_eq!(RankKey::new(v, dir, 0, 0).value(dir).to_bits(), v.to_bits(), "{v} {dir:?}");
            }
        }
    }

    #[test]
    fn windows_are_centred_and_shifted_at_the_edges() {
        assert_eq!(window_start(10, 100, 5), 8);
        assert_eq!(window_start(0, 100, 5), 0);
        assert_eq!(window_start(1, 100, 5), 0);
        assert_eq!(window_start(99, 100, 5), 95);
        assert_eq!(window_start(2, 3, 5), 0);
    }

    #[test]
    fn a_value_window_on_an_empty_board_is_the_placeholder_alone() {
        let r = Ranking::new();
        let w = r.around_value(5.0, SortDirection::Descending, 5);
        assert_eq!((w.position, w.offset, w.keys.len()), (0, 0, 0));
    }

    #[derive(Debug, Clone)]
    enum Op {
        Insert(i8, u8, u8),
        Remove(usize),
        Update(usize, i8, u8),
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            (any::<i8>(), any::<u8>(), any::<u8>()).prop_map(|(v, t, i)| Op::Insert(v, t, i)),
            any::<usize>().prop_map(Op::Remove),
            (any::<usize>(), any::<i8>(), any::<u8>()).prop_map(|(i, v, t)| Op::Update(i, v, t)),
        ]
    }

    fn direction() -> impl Strategy<Value = SortDirection> {
        prop_oneof![Just(SortDirection::Ascending), Just(SortDirection::Descending)]
    }

    /// The naive model: a sorted Vec of (value, at, id) compared in the board's order.
    fn model_sort(model: &mut [(f64, i64, u128)], dir: SortDirection) {
        model.sort_by(|a, b| {
            let by_value = match dir {
                SortDirection::Descending => b.0.total_cmp(&a.0),
                SortDirection::Ascending => a.0.total_cmp(&b.0),
            };
            by_value.then(a.1.cmp(&b.1)).then(a.2.cmp(&b.2))
        });
    }

    /// The window of `limit` items around `target` in a list of `len`, by the documented rule
    /// and built independently of `window_start`: take up to `(limit - 1) / 2` items above the
    /// target and fill the rest below; what the bottom edge leaves unfilled is taken above.
    /// Returns the first and one-past-last offsets.
    fn model_window(target: usize, len: usize, limit: usize) -> (usize, usize) {
        if len == 0 || limit == 0 {
            return (0, 0);
        }
        let mut above = ((limit - 1) / 2).min(target);
        let below = (limit - 1 - above).min(len - 1 - target);
        above = (limit - 1 - below).min(target);
        (target - above, target + below + 1)
    }

    #[test]
    fn the_window_model_centres_and_shifts_as_documented() {
        assert_eq!(model_window(10, 100, 5), (8, 13));
        assert_eq!(model_window(0, 100, 5), (0, 5));
        assert_eq!(model_window(99, 100, 5), (95, 100));
        assert_eq!(model_window(2, 3, 5), (0, 3));
        assert_eq!(model_window(3, 10, 4), (2, 6), "an even limit puts the extra item below");
    }

    /// Checks the queries the service makes against the sorted model: ranks and offsets of
    /// `sample` entries, the top, pages, windows around entries and around `value`.
    fn queries_agree<const L: usize, const F: usize>(
        ranking: &Ranking<L, F>,
        model: &[(f64, i64, u128)],
        dir: SortDirection,
        limit: usize,
        value: f64,
        sample: &[usize],
    ) -> Result<(), TestCaseError> {
        let k = |e: &(f64, i64, u128)| RankKey::new(e.0, dir, e.1, e.2);
        prop_assert_eq!(ranking.len(), model.len());
        for &i in sample.iter().filter(|i| **i < model.len()) {
            let e = &model[i];
            prop_assert_eq!(ranking.rank(&k(e)), Some(i + 1));
            prop_assert_eq!(ranking.count_before(&k(e)), i);
            prop_assert_eq!(ranking.at(i), Some(k(e)));
            let w = ranking.around_key(&k(e), limit).unwrap();
            let (from, to) = model_window(i, model.len(), limit);
            let expected: Vec<RankKey> = model[from..to].iter().map(k).collect();
            prop_assert_eq!(w.offset, from);
            prop_assert_eq!(w.keys, expected);
            let page = ranking.page(i, limit);
            let expected: Vec<RankKey> = model.iter().skip(i).take(limit).map(k).collect();
            prop_assert_eq!(page.keys, expected);
        }
        prop_assert_eq!(ranking.at(model.len()), None);
        let expected_top: Vec<RankKey> = model.iter().take(limit).map(k).collect();
        prop_assert_eq!(ranking.top(limit).keys, expected_top);
        // A value window: the placeholder goes after every entry at least as good, and the
        // window is taken around it in the list with the placeholder in.
        let position = model
            .iter()
            .filter(|e| match dir {
                SortDirection::Descending => e.0 >= value,
                SortDirection::Ascending => e.0 <= value,
            })
            .count();
        let w = ranking.around_value(value, dir, limit);
        prop_assert_eq!(w.position, position);
        let mut virtual_list: Vec<Option<RankKey>> = model.iter().map(|e| Some(k(e))).collect();
        virtual_list.insert(position, None);
        let (from, to) = model_window(position, virtual_list.len(), limit);
        let expected: Vec<RankKey> = virtual_list[from..to].iter().flatten().copied().collect();
        prop_assert_eq!(w.keys, expected);
        Ok(())
    }

    /// Applies `ops` to a ranking with node sizes `L` and `F` and to the sorted-Vec model; after
    /// every step checks the tree's invariants and the queries on the entry just touched, the
    /// ends and the middle, and after the last step every entry and every page.
    fn engine_agrees_with_model<const L: usize, const F: usize>(
        dir: SortDirection,
        ops: Vec<Op>,
        limit: usize,
        probe: i8,
    ) -> Result<(), TestCaseError> {
        let mut ranking = Ranking::<L, F>::empty();
        let mut model: Vec<(f64, i64, u128)> = Vec::new();
        let mut next_id = 0u128;
        let k = |e: &(f64, i64, u128)| RankKey::new(e.0, dir, e.1, e.2);
        let value = f64::from(probe) / 4.0;
        for op in ops {
            let touched = match op {
                Op::Insert(v, t, spread) => {
                    next_id += 1 + u128::from(spread);
                    let e = (f64::from(v) / 4.0, i64::from(t), next_id);
                    prop_assert!(ranking.insert(k(&e)));
                    prop_assert!(!ranking.insert(k(&e)));
                    model.push(e);
                    Some(e)
                }
                Op::Remove(i) if !model.is_empty() => {
                    let e = model.remove(i % model.len());
                    prop_assert!(ranking.remove(&k(&e)));
                    prop_assert!(!ranking.remove(&k(&e)));
                    prop_assert_eq!(ranking.rank(&k(&e)), None);
                    None
                }
                Op::Update(i, v, t) if !model.is_empty() => {
                    let i = i % model.len();
                    let old = model[i];
                    let new = (f64::from(v) / 4.0, i64::from(t) + 1000, old.2);
                    ranking.update(Some(&k(&old)), k(&new));
                    model[i] = new;
                    if old != new {
                        prop_assert_eq!(ranking.rank(&k(&old)), None);
                    }
                    Some(new)
                }
                _ => None,
            };
            if let Err(broken) = ranking.tree.check() {
                return Err(TestCaseError::fail(broken));
            }
            model_sort(&mut model, dir);
            let at = touched.and_then(|e| model.iter().position(|m| *m == e));
            let mut sample = vec![0, model.len() / 2, model.len().saturating_sub(1)];
            sample.extend(at);
            queries_agree(&ranking, &model, dir, limit, value, &sample)?;
        }
        let every: Vec<usize> = (0..model.len()).collect();
        queries_agree(&ranking, &model, dir, limit, value, &every)?;
        for offset in [model.len(), model.len() + 3] {
            prop_assert!(ranking.page(offset, limit).keys.is_empty());
        }
        // A long page crosses many leaves.
        let all: Vec<RankKey> = model.iter().map(k).collect();
        prop_assert_eq!(ranking.page(0, usize::MAX).keys, all.clone());
        // The packed build holds the same keys in the same order.
        let rebuilt = Ranking::<L, F>::from_keys(all.iter().rev().copied());
        if let Err(broken) = rebuilt.tree.check() {
            return Err(TestCaseError::fail(broken));
        }
        prop_assert_eq!(rebuilt.page(0, usize::MAX).keys, all);
        Ok(())
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 256, .. ProptestConfig::default() })]

        /// After every step of any sequence of inserts, removals and updates, the queries of the
        /// engine as the service builds them agree with a sorted Vec and a window model of
        /// their own.
        #[test]
        fn the_engine_agrees_with_a_sorted_vec(dir in direction(), ops in prop::collection::vec(op(), 0..300),
                                               limit in 1usize..12, probe in any::<i8>()) {
            engine_agrees_with_model::<LEAF_SIZE, INNER_SIZE>(dir, ops, limit, probe)?;
        }

        /// The same with tiny nodes, so that the sequences split, merge and refill leaves and
        /// inner nodes on several levels, checking the tree's invariants after every step.
        #[test]
        fn a_tree_of_tiny_nodes_agrees_with_a_sorted_vec(dir in direction(), ops in prop::collection::vec(op(), 0..400),
                                                         limit in 1usize..12, probe in any::<i8>()) {
            engine_agrees_with_model::<4, 4>(dir, ops, limit, probe)?;
        }
    }

    /// Removing most keys frees their nodes: the tree stays a third full at least.
    #[test]
    fn removals_give_back_nodes() {
        let mut ranking = Ranking::<8, 4>::empty();
        let keys: Vec<RankKey> = (0..5000u32).map(|i| key(f64::from(i % 97), i64::from(i), u128::from(i))).collect();
        for k in &keys {
            assert!(ranking.insert(*k));
        }
        for k in keys.iter().skip(50) {
            assert!(ranking.remove(k));
        }
        ranking.tree.check().unwrap();
        let (inners, leaves) = ranking.tree.nodes();
        assert_eq!(ranking.len(), 50);
        assert!(leaves <= 50 / 3 + 1, "{leaves} leaves for 50 keys");
        assert!(inners <= leaves, "{inners} inner nodes");
    }
}
