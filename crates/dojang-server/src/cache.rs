//! A small time-bounded cache for values that change rarely (relying parties, members, devices,
//! certificates). Only found values are cached; every change made by this process invalidates
//! its entries at once, and the time bound limits how long a change made by *another* instance
//! on a shared PostgreSQL can go unseen.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Entries kept before expired ones are swept.
const SWEEP_AT: usize = 50_000;

/// Values of type `V` by key `K`, each for at most `ttl`.
#[derive(Debug)]
pub struct TtlCache<K, V> {
    ttl: Duration,
    entries: Mutex<HashMap<K, (Arc<V>, Instant)>>,
}

impl<K: Eq + Hash + Clone, V> TtlCache<K, V> {
    /// A cache keeping entries for `ttl`.
    pub fn new(ttl: Duration) -> Self {
        Self {
            ttl,
            entries: Mutex::new(HashMap::new()),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<K, (Arc<V>, Instant)>> {
        // Every critical section is a single map operation: a poisoned lock holds a valid map.
        self.entries.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The cached value, if fresh.
    pub fn get(&self, key: &K) -> Option<Arc<V>> {
        let entries = self.lock();
        entries
            .get(key)
            .filter(|(_, at)| at.elapsed() < self.ttl)
            .map(|(v, _)| v.clone())
    }

    /// Remember a value.
    pub fn put(&self, key: K, value: Arc<V>) {
        let mut entries = self.lock();
        if entries.len() >= SWEEP_AT {
            let ttl = self.ttl;
            entries.retain(|_, (_, at)| at.elapsed() < ttl);
        }
        entries.insert(key, (value, Instant::now()));
    }

    /// Forget every entry whose value matches.
    pub fn forget_where(&self, matches: impl Fn(&V) -> bool) {
        self.lock().retain(|_, (v, _)| !matches(v));
    }

    /// The cached value, or `load`'s (cached if found).
    pub async fn get_or_load<E, F>(&self, key: &K, load: F) -> Result<Option<Arc<V>>, E>
    where
        F: std::future::Future<Output = Result<Option<V>, E>>,
    {
        if let Some(v) = self.get(key) {
            return Ok(Some(v));
        }
        let Some(v) = load.await? else {
            return Ok(None);
        };
        let v = Arc::new(v);
        self.put(key.clone(), v.clone());
        Ok(Some(v))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn caches_found_values_for_the_ttl_only() {
        let c: TtlCache<u32, String> = TtlCache::new(Duration::from_millis(50));
        let v = c
            .get_or_load(&1, async { Ok::<_, ()>(Some("a".to_owned())) })
            .await
            .unwrap();
        assert_eq!(v.as_deref().map(String::as_str), Some("a"));
        // Cached: the loader is not consulted.
        let v = c
            .get_or_load(&1, async { Ok::<_, ()>(Some("b".to_owned())) })
            .await
            .unwrap();
        assert_eq!(v.as_deref().map(String::as_str), Some("a"));
        // Not found is not cached.
        assert!(
            c.get_or_load(&2, async { Ok::<_, ()>(None) })
                .await
                .unwrap()
                .is_none()
        );
        assert!(c.get(&2).is_none());
        c.forget_where(|v| v == "a");
        assert!(c.get(&1).is_none());
        c.put(3, Arc::new("c".into()));
        std::thread::sleep(Duration::from_millis(60));
        assert!(c.get(&3).is_none(), "expired");
    }
}
