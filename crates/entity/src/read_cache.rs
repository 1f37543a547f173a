//! [`ReadCache`]: answers the service computed a moment ago, served from
//! memory for [`READ_CACHE_TTL`].
//!
//! One caller computes each answer: callers that miss the same key wait
//! for it instead of all asking the index at once (a burst of requests
//! for a page that is not cached yet), and when an entry expires the
//! first caller refreshes it while the others keep the current copy. An
//! answer computed before a write forgot entries is not kept, so a reader
//! that saw its write succeed never gets an older copy back.

use crate::error::EntityResult;
use crate::locks::StripedLocks;
use std::collections::HashMap;
use std::hash::Hash;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

/// How long an answer is served from memory. Every write through the
/// service drops what it made stale at once; other server processes
/// sharing the database see a change within twice this time (one request
/// refreshes an expired entry while the others keep the current copy).
pub(crate) const READ_CACHE_TTL: Duration = Duration::from_secs(1);

/// Answers by key, each with the time it stops being fresh.
pub(crate) struct ReadCache<K, V> {
    entries: Mutex<HashMap<K, (V, Instant)>>,
    /// Most entries kept; the cache is emptied when full.
    most: usize,
    /// Counts forgets: an answer computed across one is not kept.
    generation: AtomicU64,
    fills: StripedLocks,
}

/// What a key finds in the cache.
enum Found<V> {
    Fresh(V),
    /// Expired: the caller refreshes it, the others keep this copy.
    Refresh,
    Missing,
}

impl<K: Hash + Eq + Clone, V: Clone> ReadCache<K, V> {
    /// An empty cache of at most `most` entries.
    pub(crate) fn new(most: usize) -> Self {
        Self {
            entries: Mutex::new(HashMap::new()),
            most,
            generation: AtomicU64::new(0),
            fills: StripedLocks::default(),
        }
    }

    fn entries(&self) -> MutexGuard<'_, HashMap<K, (V, Instant)>> {
        self.entries.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn find(&self, key: &K) -> Found<V> {
        let now = Instant::now();
        match self.entries().get_mut(key) {
            Some((value, fresh_until)) if *fresh_until > now => Found::Fresh(value.clone()),
            Some((_, fresh_until)) => {
                *fresh_until = now + READ_CACHE_TTL;
                Found::Refresh
            }
            None => Found::Missing,
        }
    }

    /// The fresh answer for `key`, or the one `fill` computes, kept for
    /// [`READ_CACHE_TTL`] unless the cache forgot entries meanwhile.
    ///
    /// # Errors
    /// What `fill` answers; the entry is then dropped.
    pub(crate) async fn get_or_fill<F>(&self, key: K, fill: F) -> EntityResult<V>
    where
        F: AsyncFnOnce() -> EntityResult<V>,
    {
        let _filling = match self.find(&key) {
            Found::Fresh(value) => return Ok(value),
            Found::Refresh => None,
            Found::Missing => {
                let filling = self.fills.lock(&key).await;
                if let Found::Fresh(value) = self.find(&key) {
                    return Ok(value);
                }
                Some(filling)
            }
        };
        let generation = self.generation.load(Ordering::SeqCst);
        let value = match fill().await {
            Ok(value) => value,
            Err(err) => {
                self.entries().remove(&key);
                return Err(err);
            }
        };
        let mut entries = self.entries();
        if self.generation.load(Ordering::SeqCst) == generation {
            if entries.len() >= self.most {
                entries.clear();
            }
            entries.insert(key, (value.clone(), Instant::now() + READ_CACHE_TTL));
        }
        Ok(value)
    }

    /// Forgets the answer for `key`.
    pub(crate) fn remove(&self, key: &K) {
        let mut entries = self.entries();
        self.generation.fetch_add(1, Ordering::SeqCst);
        entries.remove(key);
    }

    /// Forgets every answer.
    pub(crate) fn clear(&self) {
        let mut entries = self.entries();
        self.generation.fetch_add(1, Ordering::SeqCst);
        entries.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::ReadCache;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[tokio::test]
    async fn callers_that_miss_together_share_one_fill() {
        let cache = Arc::new(ReadCache::<&str, usize>::new(10));
        let fills = Arc::new(AtomicUsize::new(0));
        let callers: Vec<_> = (0..8)
            .map(|_| {
                let (cache, fills) = (cache.clone(), fills.clone());
                tokio::spawn(async move {
                    cache
                        .get_or_fill("page", async || {
                            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
                            Ok(fills.fetch_add(1, Ordering::SeqCst) + 1)
                        })
                        .await
                })
            })
            .collect();
        for caller in callers {
            assert_eq!(caller.await.unwrap().unwrap(), 1);
        }
        assert_eq!(fills.load(Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn an_answer_computed_across_a_forget_is_not_kept() {
        let cache = ReadCache::<&str, &str>::new(10);
        let stale = cache
            .get_or_fill("entity", async || {
                // A write lands and forgets the entity while this reads.
                cache.remove(&"entity");
                Ok("before the write")
            })
            .await;
        assert_eq!(stale.unwrap(), "before the write");
        let next = cache.get_or_fill("entity", async || Ok("after")).await;
        assert_eq!(next.unwrap(), "after");
        let kept = cache.get_or_fill("entity", async || Ok("unused")).await;
        assert_eq!(kept.unwrap(), "after", "a fresh answer is served");
        cache.clear();
        let refilled = cache.get_or_fill("entity", async || Ok("again")).await;
        assert_eq!(refilled.unwrap(), "again");
    }
}
