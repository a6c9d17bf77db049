//! A counted B+-tree of [`RankKey`]s: the order-statistic index behind [`super::Ranking`].
//!
//! Why not a crate: at 10 M entries every random lookup is a chain of cache misses, and the
//! general-purpose ordered sets we measured (indexset's two-level tree with a Fenwick tree over
//! node sizes) spend ~25 of them per rank and need two passes to tell whether a key is present.
//! This tree is built for the one access pattern the engine has:
//!
//! * nodes live in two arenas (`Vec`s) and refer to each other by `u32` index;
//! * keys are stored column-wise (values, times, ids in separate arrays), so a binary search
//!   reads the dense 8-byte value column and touches the time and id columns only on ties;
//! * every inner node keeps the size of each child's subtree, so rank, select and counting are
//!   one descent from the root summing at most `F` small integers per level;
//! * leaves are chained left to right, so a page is one descent plus a walk.
//!
//! Deletions rebalance (merge with or borrow from a sibling) so nodes stay at least a third
//! full and memory stays bounded whatever the sequence of operations. Subtree sizes are `u32`:
//! one pool holds fewer than 4 billion entries (which would need 128 GiB of keys anyway).
//! Correctness is checked by the property test in the parent module (with tiny nodes so that
//! every split, merge and borrow happens) and by [`Tree::check`].

use std::cmp::Ordering;
use std::fmt;

use super::RankKey;

/// "No node" in a leaf's `next` link.
const NIL: u32 = u32::MAX;

/// One leaf: up to `L` keys, sorted, stored column-wise.
#[derive(Clone)]
struct Leaf<const L: usize> {
    len: u32,
    next: u32,
    scores: [u64; L],
    ats: [i64; L],
    ids: [u128; L],
}

/// One inner node: up to `F` children with their subtree sizes. Separator `i` is a key no
/// greater than any key of child `i + 1` and greater than every key of child `i`.
#[derive(Clone)]
struct Inner<const F: usize> {
    len: u32,
    counts: [u32; F],
    children: [u32; F],
    sep_scores: [u64; F],
    sep_ats: [i64; F],
    sep_ids: [u128; F],
}

/// Compares the key stored at column position `i` with `key`, reading the time and id
/// columns only when the values tie.
#[inline]
fn cmp_at(scores: &[u64], ats: &[i64], ids: &[u128], i: usize, key: &RankKey) -> Ordering {
    match scores[i].cmp(&key.score) {
        Ordering::Equal => match ats[i].cmp(&key.at) {
            Ordering::Equal => ids[i].cmp(&key.id),
            other => other,
        },
        other => other,
    }
}

/// The first position in `0..len` whose predicate is false (the predicate is monotone).
#[inline]
fn partition(len: usize, mut below: impl FnMut(usize) -> bool) -> usize {
    let (mut lo, mut hi) = (0, len);
    while lo < hi {
        let mid = lo + (hi - lo) / 2;
        if below(mid) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    lo
}

impl<const L: usize> Leaf<L> {
    fn empty() -> Self {
        Self { len: 0, next: NIL, scores: [0; L], ats: [0; L], ids: [0; L] }
    }

    fn len(&self) -> usize {
        self.len as usize
    }

    fn key(&self, i: usize) -> RankKey {
        RankKey { score: self.scores[i], at: self.ats[i], id: self.ids[i] }
    }

    fn set(&mut self, i: usize, key: RankKey) {
        self.scores[i] = key.score;
        self.ats[i] = key.at;
        self.ids[i] = key.id;
    }

    /// The position of the first key not less than `key`.
    fn lower_bound(&self, key: &RankKey) -> usize {
        partition(self.len(), |i| cmp_at(&self.scores, &self.ats, &self.ids, i, key) == Ordering::Less)
    }

    fn holds_at(&self, i: usize, key: &RankKey) -> bool {
        i < self.len() && cmp_at(&self.scores, &self.ats, &self.ids, i, key) == Ordering::Equal
    }

    /// Inserts at `i`; the leaf must have room.
    fn insert_at(&mut self, i: usize, key: RankKey) {
        let len = self.len();
        self.scores.copy_within(i..len, i + 1);
        self.ats.copy_within(i..len, i + 1);
        self.ids.copy_within(i..len, i + 1);
        self.set(i, key);
        self.len += 1;
    }

    fn remove_at(&mut self, i: usize) {
        let len = self.len();
        self.scores.copy_within(i + 1..len, i);
        self.ats.copy_within(i + 1..len, i);
        self.ids.copy_within(i + 1..len, i);
        self.len -= 1;
    }

    /// Moves the keys from `from` on into `other` (which must be empty).
    fn move_tail(&mut self, from: usize, other: &mut Self) {
        let len = self.len();
        let n = len - from;
        other.scores[..n].copy_from_slice(&self.scores[from..len]);
        other.ats[..n].copy_from_slice(&self.ats[from..len]);
        other.ids[..n].copy_from_slice(&self.ids[from..len]);
        other.len = n as u32;
        self.len = from as u32;
    }

    fn keys(&self) -> impl Iterator<Item = RankKey> + '_ {
        (0..self.len()).map(|i| self.key(i))
    }
}

impl<const F: usize> Inner<F> {
    fn empty() -> Self {
        Self { len: 0, counts: [0; F], children: [0; F], sep_scores: [0; F], sep_ats: [0; F], sep_ids: [0; F] }
    }

    fn len(&self) -> usize {
        self.len as usize
    }

    fn sep(&self, i: usize) -> RankKey {
        RankKey { score: self.sep_scores[i], at: self.sep_ats[i], id: self.sep_ids[i] }
    }

    fn set_sep(&mut self, i: usize, key: RankKey) {
        self.sep_scores[i] = key.score;
        self.sep_ats[i] = key.at;
        self.sep_ids[i] = key.id;
    }

    /// The child whose range holds `key`: the number of separators not greater than it.
    fn child_for(&self, key: &RankKey) -> usize {
        partition(self.len() - 1, |i| {
            cmp_at(&self.sep_scores, &self.sep_ats, &self.sep_ids, i, key) != Ordering::Greater
        })
    }

    /// Entries in the children before `child`.
    fn before(&self, child: usize) -> usize {
        self.counts[..child].iter().map(|&c| c as usize).sum()
    }

    /// Inserts child `node` (with `count` entries) at position `i >= 1`, separated from its
    /// left neighbour by `sep`; the node must have room.
    fn insert_child(&mut self, i: usize, sep: RankKey, node: u32, count: u32) {
        let len = self.len();
        self.children.copy_within(i..len, i + 1);
        self.counts.copy_within(i..len, i + 1);
        self.sep_scores.copy_within(i - 1..len - 1, i);
        self.sep_ats.copy_within(i - 1..len - 1, i);
        self.sep_ids.copy_within(i - 1..len - 1, i);
        self.children[i] = node;
        self.counts[i] = count;
        self.set_sep(i - 1, sep);
        self.len += 1;
    }

    /// Removes child `i >= 1` and the separator on its left.
    fn remove_child(&mut self, i: usize) {
        let len = self.len();
        self.children.copy_within(i + 1..len, i);
        self.counts.copy_within(i + 1..len, i);
        self.sep_scores.copy_within(i..len - 1, i - 1);
        self.sep_ats.copy_within(i..len - 1, i - 1);
        self.sep_ids.copy_within(i..len - 1, i - 1);
        self.len -= 1;
    }

    /// The node's children as (child, count) and its separators, in order.
    fn parts(&self) -> (Vec<(u32, u32)>, Vec<RankKey>) {
        let children = (0..self.len()).map(|i| (self.children[i], self.counts[i])).collect();
        let seps = (0..self.len().saturating_sub(1)).map(|i| self.sep(i)).collect();
        (children, seps)
    }

    /// Replaces the node's content (`seps.len() + 1 == children.len()`).
    fn fill(&mut self, children: &[(u32, u32)], seps: &[RankKey]) {
        for (i, &(child, count)) in children.iter().enumerate() {
            self.children[i] = child;
            self.counts[i] = count;
        }
        for (i, &sep) in seps.iter().enumerate() {
            self.set_sep(i, sep);
        }
        self.len = children.len() as u32;
    }
}

/// What an insertion below a node did.
enum Inserted {
    /// The key was already present.
    Present,
    /// Inserted without splitting this node.
    Done,
    /// Inserted and this node split: the new right sibling, its least key bound and its size.
    Split(RankKey, u32, u32),
}

/// The counted B+-tree: leaves of up to `L` keys, inner nodes of up to `F` children.
#[derive(Clone)]
pub(super) struct Tree<const L: usize, const F: usize> {
    leaves: Vec<Leaf<L>>,
    inners: Vec<Inner<F>>,
    free_leaves: Vec<u32>,
    free_inners: Vec<u32>,
    root: u32,
    /// Inner levels above the leaves (0: the root is a leaf).
    height: usize,
    len: usize,
}

impl<const L: usize, const F: usize> fmt::Debug for Tree<L, F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Tree").field("len", &self.len).field("height", &self.height).finish_non_exhaustive()
    }
}

impl<const L: usize, const F: usize> Default for Tree<L, F> {
    fn default() -> Self {
        Self::new()
    }
}

impl<const L: usize, const F: usize> Tree<L, F> {
    /// Below this many keys a non-root leaf is merged with or refilled from a sibling.
    const MIN_LEAF: usize = L.div_ceil(3);
    /// Below this many children a non-root inner node is merged or refilled.
    const MIN_INNER: usize = F.div_ceil(3);
    /// How full bulk building packs leaves and inner nodes (7/8), leaving room for inserts.
    const BUILD_LEAF: usize = L - L / 8;
    const BUILD_INNER: usize = F - F / 8;

    /// Node sizes the algorithms need (checked when the tree type is instantiated).
    const VALID_SIZES: () = assert!(L >= 4 && F >= 4 && L < 65_536 && F < 65_536, "node sizes");

    /// An empty tree.
    pub(super) fn new() -> Self {
        let () = Self::VALID_SIZES;
        Self {
            leaves: vec![Leaf::empty()],
            inners: Vec::new(),
            free_leaves: Vec::new(),
            free_inners: Vec::new(),
            root: 0,
            height: 0,
            len: 0,
        }
    }

    /// Builds a tree from strictly increasing keys, packing nodes 7/8 full.
    pub(super) fn from_sorted(keys: &[RankKey]) -> Self {
        let mut tree = Self::new();
        if keys.is_empty() {
            return tree;
        }
        tree.leaves.clear();
        // Level 0: (node, least key, size) of every leaf, chained left to right.
        let mut level: Vec<(u32, RankKey, u32)> = Vec::new();
        for chunk in even_chunks(keys.len(), Self::BUILD_LEAF) {
            let mut leaf = Leaf::empty();
            for (i, key) in keys[chunk.clone()].iter().enumerate() {
                leaf.set(i, *key);
            }
            leaf.len = chunk.len() as u32;
            let id = tree.leaves.len() as u32;
            if let Some(prev) = tree.leaves.last_mut() {
                prev.next = id;
            }
            tree.leaves.push(leaf);
            level.push((id, keys[chunk.start], chunk.len() as u32));
        }
        while level.len() > 1 {
            let mut up = Vec::new();
            for chunk in even_chunks(level.len(), Self::BUILD_INNER) {
                let group = &level[chunk];
                let mut inner = Inner::empty();
                let children: Vec<(u32, u32)> = group.iter().map(|&(n, _, c)| (n, c)).collect();
                let seps: Vec<RankKey> = group[1..].iter().map(|&(_, k, _)| k).collect();
                inner.fill(&children, &seps);
                let id = tree.inners.len() as u32;
                tree.inners.push(inner);
                up.push((id, group[0].1, group.iter().map(|&(_, _, c)| c).sum()));
            }
            level = up;
            tree.height += 1;
        }
        tree.root = level[0].0;
        tree.len = keys.len();
        tree
    }

    /// Number of keys.
    pub(super) fn len(&self) -> usize {
        self.len
    }

    /// Descends to the leaf whose range holds `key`; returns it and the number of keys in
    /// the leaves before it.
    fn find_leaf(&self, key: &RankKey) -> (&Leaf<L>, usize) {
        let mut node = self.root;
        let mut before = 0;
        for _ in 0..self.height {
            let inner = &self.inners[node as usize];
            let child = inner.child_for(key);
            before += inner.before(child);
            node = inner.children[child];
        }
        (&self.leaves[node as usize], before)
    }

    /// How many keys sort before `key` (present or not).
    pub(super) fn count_before(&self, key: &RankKey) -> usize {
        let (leaf, before) = self.find_leaf(key);
        before + leaf.lower_bound(key)
    }

    /// The 0-based position of a present key.
    pub(super) fn position(&self, key: &RankKey) -> Option<usize> {
        let (leaf, before) = self.find_leaf(key);
        let i = leaf.lower_bound(key);
        leaf.holds_at(i, key).then_some(before + i)
    }

    /// The leaf holding position `offset` and the position within it (`offset < len`).
    fn select(&self, mut offset: usize) -> (u32, usize) {
        let mut node = self.root;
        for _ in 0..self.height {
            let inner = &self.inners[node as usize];
            let mut child = 0;
            while child + 1 < inner.len() && offset >= inner.counts[child] as usize {
                offset -= inner.counts[child] as usize;
                child += 1;
            }
            node = inner.children[child];
        }
        (node, offset)
    }

    /// The key at a 0-based offset.
    pub(super) fn at(&self, offset: usize) -> Option<RankKey> {
        (offset < self.len).then(|| {
            let (leaf, i) = self.select(offset);
            self.leaves[leaf as usize].key(i)
        })
    }

    /// Up to `limit` keys from a 0-based offset.
    pub(super) fn range(&self, offset: usize, limit: usize) -> Vec<RankKey> {
        let mut out = Vec::with_capacity(limit.min(self.len.saturating_sub(offset)));
        if offset >= self.len || limit == 0 {
            return out;
        }
        let (mut leaf, mut i) = self.select(offset);
        while leaf != NIL && out.len() < limit {
            let node = &self.leaves[leaf as usize];
            let take = (node.len() - i).min(limit - out.len());
            out.extend((i..i + take).map(|j| node.key(j)));
            leaf = node.next;
            i = 0;
        }
        out
    }

    fn new_leaf(&mut self) -> u32 {
        if let Some(id) = self.free_leaves.pop() {
            self.leaves[id as usize] = Leaf::empty();
            return id;
        }
        self.leaves.push(Leaf::empty());
        (self.leaves.len() - 1) as u32
    }

    fn new_inner(&mut self) -> u32 {
        if let Some(id) = self.free_inners.pop() {
            self.inners[id as usize] = Inner::empty();
            return id;
        }
        self.inners.push(Inner::empty());
        (self.inners.len() - 1) as u32
    }

    /// Adds a key; false if it was already present.
    pub(super) fn insert(&mut self, key: RankKey) -> bool {
        match self.insert_below(self.root, self.height, key) {
            Inserted::Present => false,
            Inserted::Done => {
                self.len += 1;
                true
            }
            Inserted::Split(sep, right, right_count) => {
                self.len += 1;
                let left_count = (self.len - right_count as usize) as u32;
                let root = self.new_inner();
                self.inners[root as usize].fill(&[(self.root, left_count), (right, right_count)], &[sep]);
                self.root = root;
                self.height += 1;
                true
            }
        }
    }

    fn insert_below(&mut self, node: u32, height: usize, key: RankKey) -> Inserted {
        if height == 0 {
            return self.insert_into_leaf(node, key);
        }
        let child = self.inners[node as usize].child_for(&key);
        let below = self.inners[node as usize].children[child];
        match self.insert_below(below, height - 1, key) {
            Inserted::Present => Inserted::Present,
            Inserted::Done => {
                self.inners[node as usize].counts[child] += 1;
                Inserted::Done
            }
            Inserted::Split(sep, right, right_count) => {
                let inner = &mut self.inners[node as usize];
                inner.counts[child] = inner.counts[child] + 1 - right_count;
                if inner.len() < F {
                    inner.insert_child(child + 1, sep, right, right_count);
                    return Inserted::Done;
                }
                // Full: split in two halves, then add the new child to the half it belongs to.
                let (mut children, mut seps) = inner.parts();
                children.insert(child + 1, (right, right_count));
                seps.insert(child, sep);
                let half = children.len() / 2;
                let up = seps[half - 1];
                self.inners[node as usize].fill(&children[..half], &seps[..half - 1]);
                let sibling = self.new_inner();
                self.inners[sibling as usize].fill(&children[half..], &seps[half..]);
                let count = children[half..].iter().map(|&(_, c)| c).sum();
                Inserted::Split(up, sibling, count)
            }
        }
    }

    fn insert_into_leaf(&mut self, node: u32, key: RankKey) -> Inserted {
        let leaf = &mut self.leaves[node as usize];
        let i = leaf.lower_bound(&key);
        if leaf.holds_at(i, &key) {
            return Inserted::Present;
        }
        if leaf.len() < L {
            leaf.insert_at(i, key);
            return Inserted::Done;
        }
        let sibling = self.new_leaf();
        let mut right = Leaf::empty();
        let leaf = &mut self.leaves[node as usize];
        let half = L / 2;
        leaf.move_tail(half, &mut right);
        right.next = leaf.next;
        leaf.next = sibling;
        if i <= half {
            leaf.insert_at(i, key);
        } else {
            right.insert_at(i - half, key);
        }
        let sep = right.key(0);
        let count = right.len;
        self.leaves[sibling as usize] = right;
        Inserted::Split(sep, sibling, count)
    }

    /// Removes a key; false if it was absent.
    pub(super) fn remove(&mut self, key: &RankKey) -> bool {
        if !self.remove_below(self.root, self.height, key) {
            return false;
        }
        self.len -= 1;
        while self.height > 0 && self.inners[self.root as usize].len() == 1 {
            let old = self.root;
            self.root = self.inners[old as usize].children[0];
            self.free_inners.push(old);
            self.height -= 1;
        }
        true
    }

    fn remove_below(&mut self, node: u32, height: usize, key: &RankKey) -> bool {
        if height == 0 {
            let leaf = &mut self.leaves[node as usize];
            let i = leaf.lower_bound(key);
            if !leaf.holds_at(i, key) {
                return false;
            }
            leaf.remove_at(i);
            return true;
        }
        let child = self.inners[node as usize].child_for(key);
        let below = self.inners[node as usize].children[child];
        if !self.remove_below(below, height - 1, key) {
            return false;
        }
        self.inners[node as usize].counts[child] -= 1;
        let small = if height == 1 {
            self.leaves[below as usize].len() < Self::MIN_LEAF
        } else {
            self.inners[below as usize].len() < Self::MIN_INNER
        };
        if small && self.inners[node as usize].len() > 1 {
            self.rebalance(node, child, height);
        }
        true
    }

    /// Merges the underfull child `child` of `node` with a sibling, or shares their content
    /// evenly when it would not fit in one node.
    fn rebalance(&mut self, node: u32, child: usize, height: usize) {
        let left = if child > 0 { child - 1 } else { child };
        let parent = &self.inners[node as usize];
        let (a, b) = (parent.children[left], parent.children[left + 1]);
        let between = parent.sep(left);
        if height == 1 {
            let keys: Vec<RankKey> = self.leaves[a as usize].keys().chain(self.leaves[b as usize].keys()).collect();
            if keys.len() <= L {
                let next = self.leaves[b as usize].next;
                write_leaf(&mut self.leaves[a as usize], &keys);
                self.leaves[a as usize].next = next;
                self.free_leaves.push(b);
                let parent = &mut self.inners[node as usize];
                parent.counts[left] = keys.len() as u32;
                parent.remove_child(left + 1);
            } else {
                let half = keys.len() / 2;
                write_leaf(&mut self.leaves[a as usize], &keys[..half]);
                write_leaf(&mut self.leaves[b as usize], &keys[half..]);
                let parent = &mut self.inners[node as usize];
                parent.counts[left] = half as u32;
                parent.counts[left + 1] = (keys.len() - half) as u32;
                parent.set_sep(left, keys[half]);
            }
            return;
        }
        let (mut children, mut seps) = self.inners[a as usize].parts();
        let (right_children, right_seps) = self.inners[b as usize].parts();
        children.extend(right_children);
        seps.push(between);
        seps.extend(right_seps);
        if children.len() <= F {
            self.inners[a as usize].fill(&children, &seps);
            self.free_inners.push(b);
            let total = children.iter().map(|&(_, c)| c).sum();
            let parent = &mut self.inners[node as usize];
            parent.counts[left] = total;
            parent.remove_child(left + 1);
        } else {
            let half = children.len() / 2;
            self.inners[a as usize].fill(&children[..half], &seps[..half - 1]);
            self.inners[b as usize].fill(&children[half..], &seps[half..]);
            let parent = &mut self.inners[node as usize];
            parent.counts[left] = children[..half].iter().map(|&(_, c)| c).sum();
            parent.counts[left + 1] = children[half..].iter().map(|&(_, c)| c).sum();
            parent.set_sep(left, seps[half - 1]);
        }
    }

    /// Checks every structural invariant; a description of the first one broken.
    #[cfg(test)]
    pub(super) fn check(&self) -> Result<(), String> {
        let mut leaves = Vec::new();
        let (count, _) = self.check_node(self.root, self.height, None, None, true, &mut leaves)?;
        if count != self.len {
            return Err(format!("len {} but {count} keys", self.len));
        }
        for pair in leaves.windows(2) {
            if self.leaves[pair[0] as usize].next != pair[1] {
                return Err(format!("leaf {} not chained to {}", pair[0], pair[1]));
            }
        }
        if leaves.last().is_some_and(|&last| self.leaves[last as usize].next != NIL) {
            return Err("last leaf has a successor".into());
        }
        Ok(())
    }

    /// Checks a subtree whose keys must lie in `[low, high)`; its size and least key.
    #[cfg(test)]
    fn check_node(
        &self,
        node: u32,
        height: usize,
        low: Option<RankKey>,
        high: Option<RankKey>,
        root: bool,
        leaves: &mut Vec<u32>,
    ) -> Result<(usize, Option<RankKey>), String> {
        let in_range = |k: &RankKey| low.is_none_or(|l| l <= *k) && high.is_none_or(|h| *k < h);
        if height == 0 {
            let leaf = &self.leaves[node as usize];
            let keys: Vec<RankKey> = leaf.keys().collect();
            if !root && keys.len() < Self::MIN_LEAF {
                return Err(format!("leaf {node} has {} keys", keys.len()));
            }
            if !keys.windows(2).all(|w| w[0] < w[1]) || !keys.iter().all(in_range) {
                return Err(format!("leaf {node} out of order or range"));
            }
            leaves.push(node);
            return Ok((keys.len(), keys.first().copied()));
        }
        let inner = &self.inners[node as usize];
        if inner.len() < if root { 2 } else { Self::MIN_INNER } {
            return Err(format!("inner {node} has {} children", inner.len()));
        }
        let mut total = 0;
        for i in 0..inner.len() {
            let lo = if i == 0 { low } else { Some(inner.sep(i - 1)) };
            let hi = if i + 1 == inner.len() { high } else { Some(inner.sep(i)) };
            let (count, _) = self.check_node(inner.children[i], height - 1, lo, hi, false, leaves)?;
            if count != inner.counts[i] as usize {
                return Err(format!("inner {node} child {i} counted {} but holds {count}", inner.counts[i]));
            }
            total += count;
        }
        Ok((total, None))
    }

    /// Total inner nodes and leaves in use (for tests of memory bounds).
    #[cfg(test)]
    pub(super) fn nodes(&self) -> (usize, usize) {
        (self.inners.len() - self.free_inners.len(), self.leaves.len() - self.free_leaves.len())
    }
}

/// Writes `keys` into a leaf, replacing its content.
fn write_leaf<const L: usize>(leaf: &mut Leaf<L>, keys: &[RankKey]) {
    for (i, key) in keys.iter().enumerate() {
        leaf.set(i, *key);
    }
    leaf.len = keys.len() as u32;
}

/// Splits `0..len` into the fewest ranges of at most `max` items, as even as possible.
fn even_chunks(len: usize, max: usize) -> impl Iterator<Item = std::ops::Range<usize>> {
    let chunks = len.div_ceil(max).max(1);
    let (base, extra) = (len / chunks, len % chunks);
    (0..chunks).scan(0, move |start, i| {
        let size = base + usize::from(i < extra);
        let range = *start..*start + size;
        *start += size;
        Some(range)
    })
}
