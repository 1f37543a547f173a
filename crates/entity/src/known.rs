//! [`KnownEntities`]: entities recently seen to exist, so that validating
//! an entity's references does not ask the index again for each one.
//!
//! Knowing that an entity exists stays true until one is deleted, renamed
//! or changed outside the service (a reconcile); those paths forget
//! everything. A create only adds an entity, so what is known stays true.
//! Other server processes sharing the database are not heard from: what is
//! known is also forgotten after [`KNOWN_FOR`].

use crate::ids::{EntityId, EntityType};
use std::collections::HashSet;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};
use studiobrain_kernel::TenantId;

/// How long what is known is trusted before it is asked again.
const KNOWN_FOR: Duration = Duration::from_secs(5);

/// Most entities remembered; everything is forgotten when full.
const MOST_KNOWN: usize = 100_000;

/// One entity of one tenant.
type Key = (TenantId, EntityType, EntityId);

/// Entities known to exist.
#[derive(Debug)]
pub(crate) struct KnownEntities {
    state: Mutex<Known>,
}

#[derive(Debug)]
struct Known {
    keys: HashSet<Key>,
    /// When everything was last forgotten: no entity is remembered longer
    /// than [`KNOWN_FOR`] from then.
    since: Instant,
    /// Counts forgets: what was looked up before one is not learnt after.
    generation: u64,
}

/// What [`KnownEntities::sort`] found: the keys known to exist and those
/// the index must be asked about.
pub(crate) struct Sorted {
    /// Known to exist.
    pub known: HashSet<(EntityType, EntityId)>,
    /// To look up.
    pub unknown: Vec<(EntityType, EntityId)>,
    /// The generation to hand back to [`KnownEntities::learn`].
    pub generation: u64,
}

impl Default for KnownEntities {
    fn default() -> Self {
        Self {
            state: Mutex::new(Known {
                keys: HashSet::new(),
                since: Instant::now(),
                generation: 0,
            }),
        }
    }
}

impl KnownEntities {
    fn state(&self) -> std::sync::MutexGuard<'_, Known> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Splits `keys` of `tenant` into those known to exist and the rest.
    pub(crate) fn sort(&self, tenant: &TenantId, keys: &[(EntityType, EntityId)]) -> Sorted {
        let mut state = self.state();
        if state.since.elapsed() > KNOWN_FOR {
            state.forget();
        }
        let mut sorted = Sorted {
            known: HashSet::new(),
            unknown: Vec::new(),
            generation: state.generation,
        };
        for (entity_type, id) in keys {
            let key = (tenant.clone(), entity_type.clone(), id.clone());
            if state.keys.contains(&key) {
                sorted.known.insert((key.1, key.2));
            } else {
                sorted.unknown.push((key.1, key.2));
            }
        }
        sorted
    }

    /// Remembers that `found` of `tenant` exist, as looked up in
    /// `generation`: nothing is learnt if everything was forgotten since.
    pub(crate) fn learn<'a>(
        &self,
        tenant: &TenantId,
        generation: u64,
        found: impl IntoIterator<Item = &'a (EntityType, EntityId)>,
    ) {
        let mut state = self.state();
        if state.generation != generation {
            return;
        }
        for (entity_type, id) in found {
            if state.keys.len() >= MOST_KNOWN {
                state.forget();
                return;
            }
            state
                .keys
                .insert((tenant.clone(), entity_type.clone(), id.clone()));
        }
    }

    /// Forgets everything (an entity may be gone).
    pub(crate) fn forget(&self) {
        self.state().forget();
    }
}

impl Known {
    fn forget(&mut self) {
        self.keys.clear();
        self.since = Instant::now();
        self.generation += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::KnownEntities;
    use crate::ids::{EntityId, EntityType};
    use studiobrain_kernel::TenantId;

    fn key(id: &str) -> (EntityType, EntityId) {
        (
            EntityType::parse("character").unwrap(),
            EntityId::parse(id).unwrap(),
        )
    }

    #[test]
    fn learnt_entities_are_known_per_tenant_until_forgotten() {
        let known = KnownEntities::default();
        let (ours, theirs) = (
            TenantId::parse("ours").unwrap(),
            TenantId::parse("theirs").unwrap(),
        );
        let keys = [key("ada"), key("bob")];
        let first = known.sort(&ours, &keys);
        assert!(first.known.is_empty());
        assert_eq!(first.unknown, keys.to_vec());
        known.learn(&ours, first.generation, &keys[..1]);

        let second = known.sort(&ours, &keys);
        assert_eq!(
            second.known.into_iter().collect::<Vec<_>>(),
            vec![key("ada")]
        );
        assert_eq!(second.unknown, vec![key("bob")]);
        assert!(
            known.sort(&theirs, &keys).known.is_empty(),
            "another tenant's entity of the same id is not known"
        );

        known.forget();
        assert!(known.sort(&ours, &keys).known.is_empty());
    }

    #[test]
    fn a_lookup_older_than_a_forget_teaches_nothing() {
        let known = KnownEntities::default();
        let tenant = TenantId::parse("ours").unwrap();
        let keys = [key("ada")];
        let before = known.sort(&tenant, &keys);
        // An entity is deleted while the index is being asked.
        known.forget();
        known.learn(&tenant, before.generation, &keys);
        assert!(known.sort(&tenant, &keys).known.is_empty());
    }
}
