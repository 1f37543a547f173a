//! Group commit of single-entity upserts on SQLite.
//!
//! SQLite has one writer, and a write transaction holds it for several
//! round trips between the caller's task and the connection's thread
//! (begin, the row, the links, commit), each waiting for both to be
//! scheduled. Under concurrent writes that hold, not the work, bounds the
//! rate. So concurrent upserts queue here, rounds run on a thread of their
//! own, and a round writes every queued upsert of a tenant in one
//! transaction: one hold and one commit for the whole group. An upsert asks
//! for a round only when none is due yet: one queued while a round is due
//! is taken by that round, so a busy writer is not woken once per upsert.
//! The full-text index follows in batches of its own, beside the writer
//! ([`crate::search_index`]), started by a round after its callers have
//! their answers.
//!
//! A group that fails is written again one upsert at a time, so one bad
//! row fails only its own caller. Rounds run apart from their callers: a
//! caller that gives up waiting (a client that disconnects) abandons
//! neither its own write nor the others'.

use crate::SqlStore;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, OnceLock, PoisonError};
use studiobrain_entity::{Entity, EntityError, EntityResult};
use studiobrain_kernel::TenantId;
use tokio::sync::oneshot;

/// Most upserts written in one transaction.
const MOST_PER_GROUP: usize = 256;

/// One queued upsert and where its outcome goes.
struct Queued {
    tenant: TenantId,
    entity: Entity,
    done: oneshot::Sender<EntityResult<()>>,
}

/// Queued upserts of one tenant, written together.
struct Group {
    tenant: TenantId,
    entities: Vec<Entity>,
    done: Vec<oneshot::Sender<EntityResult<()>>>,
}

/// The upserts waiting for the writer, and the writer's turn.
#[derive(Default)]
pub(crate) struct UpsertQueue {
    queued: Mutex<Vec<Queued>>,
    /// A round has been asked for and has not yet looked at the queue: an
    /// upsert queued now will be taken by it.
    round_due: AtomicBool,
    turn: tokio::sync::Mutex<()>,
}

impl std::fmt::Debug for UpsertQueue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let queued = self.queued.lock().map_or(0, |queued| queued.len());
        f.debug_struct("UpsertQueue")
            .field("queued", &queued)
            .finish()
    }
}

impl UpsertQueue {
    /// Queues an upsert; the receiver answers once it is written.
    fn enqueue(&self, tenant: &TenantId, entity: Entity) -> oneshot::Receiver<EntityResult<()>> {
        let (done, written) = oneshot::channel();
        self.queued
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(Queued {
                tenant: tenant.clone(),
                entity,
                done,
            });
        written
    }

    /// Whether the caller that just queued an upsert must ask for a round:
    /// true unless one is due already.
    fn needs_round(&self) -> bool {
        !self.round_due.swap(true, Ordering::SeqCst)
    }

    /// Takes up to [`MOST_PER_GROUP`] queued upserts, oldest first, grouped
    /// by tenant (each group in queue order). From here on an upsert queued
    /// asks for a round of its own: this one may have passed it by.
    fn take_groups(&self) -> Vec<Group> {
        self.round_due.store(false, Ordering::SeqCst);
        let taken: Vec<Queued> = {
            let mut queued = self.queued.lock().unwrap_or_else(PoisonError::into_inner);
            let count = queued.len().min(MOST_PER_GROUP);
            queued.drain(..count).collect()
        };
        let mut groups: Vec<Group> = Vec::new();
        for Queued {
            tenant,
            entity,
            done,
        } in taken
        {
            match groups.iter_mut().find(|group| group.tenant == tenant) {
                Some(group) => {
                    group.entities.push(entity);
                    group.done.push(done);
                }
                None => groups.push(Group {
                    tenant,
                    entities: vec![entity],
                    done: vec![done],
                }),
            }
        }
        groups
    }
}

/// Upserts `entity` in a group with whatever other upserts are queued.
///
/// # Errors
/// The entity's own write fails.
pub(crate) async fn upsert(
    store: &SqlStore,
    tenant: &TenantId,
    entity: &Entity,
) -> EntityResult<()> {
    let written = store.upserts.enqueue(tenant, entity.clone());
    if store.upserts.needs_round() {
        let store = store.clone();
        rounds().spawn(async move {
            let _turn = store.upserts.turn.lock().await;
            write_queued(&store).await;
        });
    }
    written.await.unwrap_or_else(|_| {
        Err(EntityError::Unexpected(anyhow::anyhow!(
            "the index write was abandoned"
        )))
    })
}

/// The runtime the writing rounds run on: one thread of its own, so that a
/// round, which waits on the connection's thread several times while it
/// holds the writer, is resumed as soon as the connection answers instead
/// of queueing behind the HTTP work of a busy worker.
fn rounds() -> &'static tokio::runtime::Handle {
    static ROUNDS: OnceLock<tokio::runtime::Handle> = OnceLock::new();
    ROUNDS.get_or_init(|| {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a runtime for the SQLite writer's rounds");
        let handle = runtime.handle().clone();
        std::thread::Builder::new()
            .name("sqlite-rounds".to_owned())
            .spawn(move || runtime.block_on(std::future::pending::<()>()))
            .expect("a thread for the SQLite writer's rounds");
        handle
    })
}

/// Writes every queued upsert, a group per tenant and transaction; a group
/// that fails is written again one upsert at a time.
async fn write_queued(store: &SqlStore) {
    loop {
        let groups = store.upserts.take_groups();
        if groups.is_empty() {
            return;
        }
        for group in groups {
            let written = group.entities.len();
            match store.write_all(&group.tenant, &group.entities).await {
                Ok(()) => {
                    for done in group.done {
                        let _ = done.send(Ok(()));
                    }
                }
                Err(failure) if group.done.len() == 1 => {
                    if let Some(done) = group.done.into_iter().next() {
                        let _ = done.send(Err(failure));
                    }
                }
                Err(_) => {
                    for (entity, done) in group.entities.iter().zip(group.done) {
                        let alone = std::slice::from_ref(entity);
                        let _ = done.send(store.write_all(&group.tenant, alone).await);
                    }
                }
            }
            // Starts a full-text batch, if one is due, beside the writer.
            store.index_search_if_due(written);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::UpsertQueue;

    #[test]
    fn a_round_is_asked_for_once_until_it_looks_at_the_queue() {
        let queue = UpsertQueue::default();
        assert!(queue.needs_round(), "the first upsert asks for a round");
        assert!(!queue.needs_round(), "later ones find it due");
        assert!(queue.take_groups().is_empty());
        assert!(
            queue.needs_round(),
            "after the round looked, the next upsert asks again"
        );
    }
}
