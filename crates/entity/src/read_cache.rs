//! [`ReadCache`]: answers the service computed a moment ago, served from
//! memory until they expire.
//!
//! One caller computes each answer: callers that miss the same key wait
//! for it instead of all asking the index at once (a burst of requests
//! for a page that is not cached yet), and when an entry expires the
//! first caller refreshes it while the others keep the current copy. An
//! answer computed while a write forgot its key (or the whole cache) is
//! not kept, so a reader that saw its write succeed never gets an older
//! copy back. Waiting callers fill in turn when the first one fails (an id
//! that does not exist): a burst of such misses is served one after the
//! other, as is the rare key whose stripe of locks it shares.

use crate::error::EntityResult;
use crate::locks::StripedLocks;
use std::collections::HashMap;
use std::hash::Hash;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

/// How long a single read or a list page is served from memory. Every
/// write through the service drops what it made stale at once; other
/// server processes sharing the database see a change within twice this
/// time (one request refreshes an expired entry while the others keep the
/// current copy).
pub(crate) const READ_CACHE_TTL: Duration = Duration::from_secs(1);

/// Answers by key, each with the time it stops being fresh.
pub(crate) struct ReadCache<K, V> {
    state: Mutex<State<K, V>>,
    /// Most keys kept; the cache is emptied when full.
    most: usize,
    /// How long an answer stays fresh.
    ttl: Duration,
    fills: StripedLocks,
}

struct State<K, V> {
    slots: HashMap<K, Slot<V>>,
    /// Counts [`ReadCache::clear`]s.
    generation: u64,
}

/// One key: its answer, if any, and how often it was forgotten.
struct Slot<V> {
    answer: Option<(V, Instant)>,
    version: u64,
}

/// When an answer was asked for: kept only if neither its key nor the
/// cache was forgotten since.
#[derive(Clone, Copy, PartialEq, Eq)]
struct Stamp {
    generation: u64,
    version: u64,
}

/// What a key finds in the cache.
enum Found<V> {
    Fresh(V),
    /// Expired: the caller refreshes it, the others keep this copy.
    Refresh(Stamp),
    Missing(Stamp),
}

impl<K: Hash + Eq + Clone, V: Clone> ReadCache<K, V> {
    /// An empty cache of at most `most` keys whose answers stay fresh for
    /// `ttl`.
    pub(crate) fn new(most: usize, ttl: Duration) -> Self {
        Self {
            state: Mutex::new(State {
                slots: HashMap::new(),
                generation: 0,
            }),
            most,
            ttl,
            fills: StripedLocks::default(),
        }
    }

    fn state(&self) -> MutexGuard<'_, State<K, V>> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn find(&self, key: &K) -> Found<V> {
        let now = Instant::now();
        let mut state = self.state();
        let generation = state.generation;
        let Some(slot) = state.slots.get_mut(key) else {
            return Found::Missing(Stamp {
                generation,
                version: 0,
            });
        };
        let stamp = Stamp {
            generation,
            version: slot.version,
        };
        match &mut slot.answer {
            Some((value, fresh_until)) if *fresh_until > now => Found::Fresh(value.clone()),
            Some((_, fresh_until)) => {
                *fresh_until = now + self.ttl;
                Found::Refresh(stamp)
            }
            None => Found::Missing(stamp),
        }
    }

    /// The fresh answer for `key`, or the one `fill` computes, kept until
    /// it expires unless its key or the cache was forgotten meanwhile.
    ///
    /// # Errors
    /// What `fill` answers; the key's answer is then dropped.
    pub(crate) async fn get_or_fill<F>(&self, key: K, fill: F) -> EntityResult<V>
    where
        F: AsyncFnOnce() -> EntityResult<V>,
    {
        let (stamp, _filling) = match self.find(&key) {
            Found::Fresh(value) => return Ok(value),
            Found::Refresh(stamp) => (stamp, None),
            Found::Missing(_) => {
                let filling = self.fills.lock(&key).await;
                match self.find(&key) {
                    Found::Fresh(value) => return Ok(value),
                    Found::Refresh(stamp) | Found::Missing(stamp) => (stamp, Some(filling)),
                }
            }
        };
        let outcome = fill().await;
        let mut state = self.state();
        let current = Stamp {
            generation: state.generation,
            version: state.slots.get(&key).map_or(0, |slot| slot.version),
        };
        match &outcome {
            Ok(value) if current == stamp => {
                if state.slots.len() >= self.most && !state.slots.contains_key(&key) {
                    state.forget_all();
                }
                let answer = Some((value.clone(), Instant::now() + self.ttl));
                state
                    .slots
                    .entry(key)
                    .or_insert(Slot {
                        answer: None,
                        version: current.version,
                    })
                    .answer = answer;
            }
            // Failed, or forgotten meanwhile: an older copy must not stay.
            _ => {
                if let Some(slot) = state.slots.get_mut(&key) {
                    slot.answer = None;
                }
            }
        }
        outcome
    }

    /// Forgets the answer for `key`, also one being computed.
    pub(crate) fn remove(&self, key: &K) {
        let mut state = self.state();
        if state.slots.len() >= self.most && !state.slots.contains_key(key) {
            state.forget_all();
            return;
        }
        let slot = state.slots.entry(key.clone()).or_insert(Slot {
            answer: None,
            version: 0,
        });
        slot.answer = None;
        slot.version += 1;
    }

    /// Forgets every answer, also those being computed.
    pub(crate) fn clear(&self) {
        self.state().forget_all();
    }
}

impl<K, V> State<K, V> {
    fn forget_all(&mut self) {
        self.slots.clear();
        self.generation += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::{READ_CACHE_TTL, ReadCache};
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[tokio::test]
    async fn callers_that_miss_together_share_one_fill() {
        let cache = Arc::new(ReadCache::<&str, usize>::new(10, READ_CACHE_TTL));
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
    async fn an_answer_computed_across_a_forget_of_its_key_is_not_kept() {
        let cache = ReadCache::<&str, &str>::new(10, READ_CACHE_TTL);
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

    #[tokio::test]
    async fn a_forget_of_another_key_does_not_drop_an_answer() {
        let cache = ReadCache::<&str, &str>::new(10, READ_CACHE_TTL);
        let filled = cache
            .get_or_fill("read", async || {
                cache.remove(&"written");
                Ok("kept")
            })
            .await;
        assert_eq!(filled.unwrap(), "kept");
        let again = cache.get_or_fill("read", async || Ok("unused")).await;
        assert_eq!(again.unwrap(), "kept");
    }

    #[tokio::test]
    async fn an_expired_copy_refreshed_across_a_forget_is_dropped() {
        let cache = ReadCache::<&str, &str>::new(10, std::time::Duration::ZERO);
        let first = cache.get_or_fill("entity", async || Ok("old")).await;
        assert_eq!(first.unwrap(), "old");
        // Expired at once: this caller refreshes while a write forgets it.
        let refreshed = cache
            .get_or_fill("entity", async || {
                cache.remove(&"entity");
                Ok("computed before the write")
            })
            .await;
        assert_eq!(refreshed.unwrap(), "computed before the write");
        let next = cache.get_or_fill("entity", async || Ok("new")).await;
        assert_eq!(next.unwrap(), "new", "the old copy did not stay");
    }
}
