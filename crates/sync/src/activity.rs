//! The activity log: every entity change, as announced on the event bus,
//! kept per tenant for the activity feed, its history and the dashboard.
//! The [`ActivityLog`] port stores entries; [`entry_of`] turns an event into
//! one.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use studiobrain_entity::EntityResult;
use studiobrain_kernel::{EntityAction, Event, EventKind, IdGen, TenantId};

/// One recorded change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActivityEntry {
    /// Time-ordered id (UUIDv7).
    pub id: String,
    /// Tenant.
    pub tenant_id: TenantId,
    /// When it happened.
    pub at: DateTime<Utc>,
    /// What happened.
    pub action: EntityAction,
    /// Entity type.
    pub entity_type: String,
    /// Entity id (the new one after a rename).
    pub entity_id: String,
    /// The id before a rename.
    pub previous_id: Option<String>,
    /// Revision after the change.
    pub revision: i64,
    /// A user id, or `file_watcher`.
    pub changed_by: String,
}

/// Which entries to list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ActivityQuery {
    /// Only this entity type.
    pub entity_type: Option<String>,
    /// Only this entity id.
    pub entity_id: Option<String>,
    /// Only changes by this user id (or `file_watcher`).
    pub changed_by: Option<String>,
    /// Only this action.
    pub action: Option<EntityAction>,
    /// Entries to skip.
    pub offset: u64,
    /// Most entries to return.
    pub limit: u64,
}

/// One page of the log, newest first.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ActivityPage {
    /// Matching entries in all pages.
    pub total: u64,
    /// This page.
    pub entries: Vec<ActivityEntry>,
}

/// Stores the activity of every tenant.
#[cfg_attr(feature = "mock", mockall::automock)]
#[async_trait]
pub trait ActivityLog: Send + Sync {
    /// Appends entries (of one or several tenants), in one transaction.
    async fn append(&self, entries: &[ActivityEntry]) -> EntityResult<()>;
    /// A page of `tenant`'s entries matching `query`, newest first.
    async fn history(&self, tenant: &TenantId, query: &ActivityQuery)
    -> EntityResult<ActivityPage>;
}

/// The entry an event records, if it is an entity change.
pub fn entry_of(event: &Event, ids: &dyn IdGen) -> Option<ActivityEntry> {
    let EventKind::EntityUpdated(change) = &event.kind else {
        return None;
    };
    Some(ActivityEntry {
        id: ids.new_id(),
        tenant_id: event.tenant_id.clone(),
        at: event.at,
        action: change.action,
        entity_type: change.entity_type.clone(),
        entity_id: change.entity_id.clone(),
        previous_id: change.previous_id.clone(),
        revision: change.revision,
        changed_by: change.changed_by.clone(),
    })
}

/// Whether `entry` matches the filters of `query` (for adapters that
/// filter in memory).
pub fn matches(entry: &ActivityEntry, query: &ActivityQuery) -> bool {
    query
        .entity_type
        .as_ref()
        .is_none_or(|t| *t == entry.entity_type)
        && query
            .entity_id
            .as_ref()
            .is_none_or(|i| *i == entry.entity_id)
        && query
            .changed_by
            .as_ref()
            .is_none_or(|u| *u == entry.changed_by)
        && query.action.is_none_or(|a| a == entry.action)
}

#[cfg(test)]
mod tests {
    use super::*;
    use studiobrain_kernel::{EntityChange, UuidV7Gen};

    #[test]
    fn entity_changes_are_recorded_and_other_events_are_not() {
        let change = Event {
            tenant_id: TenantId::local(),
            at: DateTime::<Utc>::UNIX_EPOCH,
            kind: EventKind::EntityUpdated(EntityChange {
                action: EntityAction::Updated,
                entity_type: "character".into(),
                entity_id: "rex".into(),
                previous_id: None,
                revision: 2,
                changed_by: "file_watcher".into(),
            }),
        };
        let entry = entry_of(&change, &UuidV7Gen).expect("recorded");
        assert_eq!((entry.entity_id.as_str(), entry.revision), ("rex", 2));
        assert!(matches(
            &entry,
            &ActivityQuery {
                changed_by: Some("file_watcher".into()),
                ..Default::default()
            }
        ));
        assert!(!matches(
            &entry,
            &ActivityQuery {
                action: Some(EntityAction::Deleted),
                ..Default::default()
            }
        ));
        let sync = Event {
            kind: EventKind::SyncCompleted(Default::default()),
            ..change
        };
        assert!(entry_of(&sync, &UuidV7Gen).is_none());
    }
}
