//! [`WriteLocks`]: who may write what at once. Writes of different
//! entities run concurrently (their file fsyncs overlap); writes of one
//! entity take turns; a project-wide writer (a reconcile, a rename that
//! rewrites references, emptying the recycle bin) waits for the others and
//! runs alone.

use crate::ids::{EntityId, EntityType};
use std::hash::BuildHasher as _;
use studiobrain_kernel::TenantId;
use tokio::sync::{Mutex, MutexGuard, RwLock, RwLockReadGuard, RwLockWriteGuard};

/// Entity locks are striped: two entities share a lock only when their keys
/// hash alike, which is rare and merely serialises them.
const STRIPES: usize = 64;

/// A fixed set of locks, one picked by the hash of a key: holders of
/// different keys rarely wait for each other, holders of one key always do.
pub(crate) struct StripedLocks {
    stripes: Vec<Mutex<()>>,
    hasher: std::collections::hash_map::RandomState,
}

impl Default for StripedLocks {
    fn default() -> Self {
        Self {
            stripes: (0..STRIPES).map(|_| Mutex::new(())).collect(),
            hasher: std::collections::hash_map::RandomState::new(),
        }
    }
}

impl StripedLocks {
    /// Waits until no other holder of `key`'s lock runs.
    pub(crate) async fn lock(&self, key: &impl std::hash::Hash) -> MutexGuard<'_, ()> {
        let hash = self.hasher.hash_one(key);
        let stripe = usize::try_from(hash % STRIPES as u64).unwrap_or_default();
        self.stripes[stripe].lock().await
    }
}

/// The write locks of one entity service.
#[derive(Default)]
pub struct WriteLocks {
    project: RwLock<()>,
    entities: StripedLocks,
}

/// Held while one entity is written: other writers of the same entity wait,
/// writers of other entities do not.
pub struct EntityWriteGuard<'a> {
    _project: RwLockReadGuard<'a, ()>,
    _entity: MutexGuard<'a, ()>,
}

impl WriteLocks {
    /// Waits until no other writer runs, then excludes them all.
    pub async fn project(&self) -> RwLockWriteGuard<'_, ()> {
        self.project.write().await
    }

    /// Waits until no project-wide writer runs and no other writer of this
    /// entity does.
    pub async fn entity(
        &self,
        tenant: &TenantId,
        entity_type: &EntityType,
        id: &EntityId,
    ) -> EntityWriteGuard<'_> {
        let project = self.project.read().await;
        let entity = self.entities.lock(&(tenant, entity_type, id)).await;
        EntityWriteGuard {
            _project: project,
            _entity: entity,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn key(id: &str) -> (TenantId, EntityType, EntityId) {
        (
            TenantId::local(),
            EntityType::parse("character").expect("type"),
            EntityId::parse(id).expect("id"),
        )
    }

    #[tokio::test]
    async fn one_entity_takes_turns_and_a_project_writer_runs_alone() {
        let locks = WriteLocks::default();
        let (t, ty, rex) = key("rex");
        let held = locks.entity(&t, &ty, &rex).await;
        let again =
            tokio::time::timeout(Duration::from_millis(50), locks.entity(&t, &ty, &rex)).await;
        assert!(again.is_err(), "the same entity waits");
        let project = tokio::time::timeout(Duration::from_millis(50), locks.project()).await;
        assert!(
            project.is_err(),
            "a project writer waits for entity writers"
        );
        drop(held);
        let project = locks.project().await;
        let blocked =
            tokio::time::timeout(Duration::from_millis(50), locks.entity(&t, &ty, &rex)).await;
        assert!(blocked.is_err(), "entity writers wait for a project writer");
        drop(project);
        let _ = locks.entity(&t, &ty, &rex).await;
    }
}
