//! A small time-bounded cache for the hot path (API-key grants, boards, identities), so that a
//! submission does not pay a store round-trip for facts that rarely change.
//!
//! Entries expire after a fixed time (bounding how stale another node's change can look here)
//! and the services clear the relevant cache whenever they change the underlying rows, so a
//! change made through this node is seen at once. The map is cleared wholesale when it grows
//! past its bound; a 40-line map is simpler than another dependency for this.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// A bounded map whose entries expire.
#[derive(Debug)]
pub struct TtlCache<K, V> {
    map: Mutex<HashMap<K, (V, Instant)>>,
    ttl: Duration,
    max: usize,
}

impl<K: Eq + Hash, V: Clone> TtlCache<K, V> {
    /// A cache keeping entries for `ttl`, at most `max` of them.
    pub fn new(ttl: Duration, max: usize) -> Self {
        Self { map: Mutex::new(HashMap::new()), ttl, max }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<K, (V, Instant)>> {
        self.map.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The cached value, if present and fresh.
    pub fn get(&self, key: &K) -> Option<V> {
        let map = self.lock();
        map.get(key).filter(|(_, at)| at.elapsed() < self.ttl).map(|(v, _)| v.clone())
    }

    /// Caches a value.
    pub fn put(&self, key: K, value: V) {
        let mut map = self.lock();
        if map.len() >= self.max {
            map.clear();
        }
        map.insert(key, (value, Instant::now()));
    }

    /// Caches a value unless a fresh one is already there (a reader's fill must not replace a
    /// newer value a writer put meanwhile).
    pub fn put_if_absent(&self, key: K, value: V) {
        let mut map = self.lock();
        if map.get(&key).is_some_and(|(_, at)| at.elapsed() < self.ttl) {
            return;
        }
        if map.len() >= self.max {
            map.clear();
        }
        map.insert(key, (value, Instant::now()));
    }

    /// Forgets one entry.
    pub fn remove(&self, key: &K) {
        self.lock().remove(key);
    }

    /// Forgets the entries `keep` says no to.
    pub fn retain(&self, mut keep: impl FnMut(&K, &V) -> bool) {
        self.lock().retain(|k, (v, _)| keep(k, v));
    }

    /// Forgets everything (after a change that may affect any entry).
    pub fn clear(&self) {
        self.lock().clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_expire_and_the_bound_holds() {
        let cache = TtlCache::new(Duration::from_millis(30), 2);
        cache.put(1, "a");
        assert_eq!(cache.get(&1), Some("a"));
        std::thread::sleep(Duration::from_millis(40));
        assert_eq!(cache.get(&1), None);
        cache.put(1, "a");
        cache.put(2, "b");
        cache.put(3, "c");
        assert_eq!(cache.get(&1), None);
        assert_eq!(cache.get(&3), Some("c"));
        cache.clear();
        assert_eq!(cache.get(&3), None);
    }
}
