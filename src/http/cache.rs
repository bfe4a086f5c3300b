//! The one cache type of the HTTP layer: a bounded map from keys to shared values, held for
//! one data version at a time.
//!
//! Everything the server caches is a function of (data version, key): analysis responses,
//! the programme's city-wide hot sets, hexagon outlines (which depend on no data at all, so
//! they live at a constant version). A value of an older version is never useful again
//! (snapshots only move forward), so a newer version empties the cache, a stale writer (a
//! request that started on the previous snapshot) is ignored, and a full cache is cleared
//! rather than tracked entry by entry: the next requests refill it, and there is no LRU
//! bookkeeping on the hot path.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::{Arc, Mutex};

/// Shared values by key, for one data version; at most `capacity` entries (0: caches
/// nothing).
#[derive(Debug)]
pub struct VersionedCache<K, V> {
    capacity: usize,
    inner: Mutex<Inner<K, V>>,
}

#[derive(Debug)]
struct Inner<K, V> {
    version: i64,
    entries: HashMap<K, Arc<V>>,
}

impl<K: Eq + Hash, V> VersionedCache<K, V> {
    #[must_use]
    pub fn new(capacity: usize) -> Self {
        Self {
            capacity,
            inner: Mutex::new(Inner {
                version: i64::MIN,
                entries: HashMap::new(),
            }),
        }
    }

    /// The value of `key` at `version`, if held.
    pub fn get(&self, version: i64, key: &K) -> Option<Arc<V>> {
        let inner = self.inner.lock().ok()?;
        (inner.version == version)
            .then(|| inner.entries.get(key).cloned())
            .flatten()
    }

    /// Keeps `value` for `key` at `version`: a newer version replaces everything held, an
    /// older one is not kept.
    pub fn put(&self, version: i64, key: K, value: Arc<V>) {
        if self.capacity == 0 {
            return;
        }
        let Ok(mut inner) = self.inner.lock() else {
            return;
        };
        if version < inner.version {
            return;
        }
        if version > inner.version || inner.entries.len() >= self.capacity {
            inner.entries.clear();
            inner.version = version;
        }
        inner.entries.insert(key, value);
    }

    /// The value of `key` at `version`, computed by `make` (outside the lock) and kept
    /// when it is not held.
    pub fn get_or_insert_with(&self, version: i64, key: K, make: impl FnOnce() -> V) -> Arc<V> {
        if let Some(v) = self.get(version, &key) {
            return v;
        }
        let v = Arc::new(make());
        self.put(version, key, Arc::clone(&v));
        v
    }

    /// Entries held (for tests and diagnostics).
    pub fn len(&self) -> usize {
        self.inner.lock().map_or(0, |i| i.entries.len())
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn holds_one_version_and_stays_bounded() {
        let c: VersionedCache<u32, String> = VersionedCache::new(3);
        c.put(1, 10, Arc::new("a".into()));
        assert_eq!(c.get(1, &10).as_deref().map(String::as_str), Some("a"));
        // Another version sees nothing; a newer one empties the cache.
        assert!(c.get(2, &10).is_none());
        c.put(2, 20, Arc::new("b".into()));
        assert!(c.get(1, &10).is_none());
        assert_eq!(c.len(), 1);
        // A request still on the older snapshot does not put its result back.
        c.put(1, 10, Arc::new("stale".into()));
        assert!(c.get(1, &10).is_none() && c.len() == 1);
        // Full: cleared, then refilled.
        for k in 21..=23 {
            c.put(2, k, Arc::new(k.to_string()));
        }
        assert!(c.len() <= 3);
        assert_eq!(c.get(2, &23).as_deref().map(String::as_str), Some("23"));
    }

    #[test]
    fn computes_once_and_capacity_zero_keeps_nothing() {
        let c: VersionedCache<&str, u32> = VersionedCache::new(8);
        let mut calls = 0;
        for _ in 0..3 {
            let v = c.get_or_insert_with(5, "k", || {
                calls += 1;
                7
            });
            assert_eq!(*v, 7);
        }
        assert_eq!(calls, 1);
        let off: VersionedCache<&str, u32> = VersionedCache::new(0);
        off.put(1, "k", Arc::new(1));
        assert!(off.is_empty());
    }
}
