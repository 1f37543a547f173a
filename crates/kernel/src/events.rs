//! Domain events and the [`EventBus`] port that carries them to live
//! clients (WebSocket sockets, the activity log) in this and other server
//! processes. Events are notifications: the files and the database stay the
//! truth, so a missed event is repaired by the next read, never by replay.

use crate::ids::{TenantId, UserId};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Who or what made a change.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Actor {
    /// A signed-in user (through the API).
    User(UserId),
    /// An edit on disk, picked up by the file watcher or a reconcile.
    FileWatcher,
}

impl Actor {
    /// The wire form: the user id, or `file_watcher`.
    pub fn as_str(&self) -> &str {
        match self {
            Self::User(user) => user.as_str(),
            Self::FileWatcher => "file_watcher",
        }
    }
}

impl std::fmt::Display for Actor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What happened to an entity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EntityAction {
    /// A new entity.
    Created,
    /// Its file changed.
    Updated,
    /// Moved to the recycle bin, or its file was removed.
    Deleted,
    /// It got a new id (its `previous_id` is set).
    Renamed,
}

impl EntityAction {
    /// The wire form (`created`, `updated`, `deleted`, `renamed`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Created => "created",
            Self::Updated => "updated",
            Self::Deleted => "deleted",
            Self::Renamed => "renamed",
        }
    }

    /// Parses the wire form.
    pub fn parse(raw: &str) -> Option<Self> {
        [Self::Created, Self::Updated, Self::Deleted, Self::Renamed]
            .into_iter()
            .find(|action| action.as_str() == raw)
    }
}

/// One change of one entity.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EntityChange {
    /// Created, updated, deleted or renamed.
    pub action: EntityAction,
    /// Entity type.
    pub entity_type: String,
    /// Entity id (the new one for a rename).
    pub entity_id: String,
    /// The id before a rename.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub previous_id: Option<String>,
    /// Revision after the change (the last one for a delete).
    pub revision: i64,
    /// A user id, or `file_watcher`.
    pub changed_by: String,
}

/// Counts of one sync run.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncSummary {
    /// Entities whose file appeared.
    pub created: u64,
    /// Entities whose file changed.
    pub updated: u64,
    /// Entities whose file disappeared.
    pub deleted: u64,
    /// Entities whose file moved (same content, new id or place).
    pub renamed: u64,
    /// Files that could not be read.
    pub failed: u64,
    /// Files compared.
    pub scanned: u64,
    /// Wall time of the run.
    pub duration_ms: u64,
}

/// What a user is doing, as presence reports it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PresenceState {
    /// Connected.
    Online,
    /// Disconnected (last socket closed or timed out).
    Offline,
    /// Editing the named entity.
    Editing,
    /// Connected, editing nothing.
    Idle,
}

/// The payload of an event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum EventKind {
    /// An entity was created, updated, deleted or renamed.
    EntityUpdated(EntityChange),
    /// A sync of the project folder finished.
    SyncCompleted(SyncSummary),
    /// A user came online, went offline, or started or stopped editing.
    PresenceUpdate {
        /// The user.
        user_id: String,
        /// What they do now.
        state: PresenceState,
        /// The entity type being edited (`editing` only).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        entity_type: Option<String>,
        /// The entity id being edited (`editing` only).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        entity_id: Option<String>,
    },
}

/// An event of one tenant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Event {
    /// The tenant it belongs to; only that tenant's sockets receive it.
    pub tenant_id: TenantId,
    /// When it happened.
    pub at: DateTime<Utc>,
    /// What happened.
    #[serde(flatten)]
    pub kind: EventKind,
}

/// Carries events to every subscriber of this process and, with a shared
/// adapter, of the other server processes.
///
/// `publish` never blocks and never fails the caller's change: delivery is
/// best effort (adapters log what they cannot deliver).
pub trait EventBus: Send + Sync {
    /// Sends `event` to every subscriber.
    fn publish(&self, event: Event);
}

/// A bus without subscribers, for embedders that need no live events.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoEvents;

impl EventBus for NoEvents {
    fn publish(&self, _event: Event) {}
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_have_a_flat_wire_form_with_a_type_tag() {
        let event = Event {
            tenant_id: TenantId::local(),
            at: DateTime::from_timestamp(0, 0).expect("epoch"),
            kind: EventKind::EntityUpdated(EntityChange {
                action: EntityAction::Renamed,
                entity_type: "character".into(),
                entity_id: "rex".into(),
                previous_id: Some("rexx".into()),
                revision: 3,
                changed_by: Actor::FileWatcher.to_string(),
            }),
        };
        let json = serde_json::to_value(&event).expect("json");
        assert_eq!(json["type"], "entity_updated");
        assert_eq!(json["tenant_id"], "local");
        assert_eq!(json["action"], "renamed");
        assert_eq!(json["previous_id"], "rexx");
        assert_eq!(json["changed_by"], "file_watcher");
        let back: Event = serde_json::from_value(json).expect("parses back");
        assert_eq!(back, event);
    }

    #[test]
    fn actions_parse_their_wire_form() {
        for action in ["created", "updated", "deleted", "renamed"] {
            assert_eq!(
                EntityAction::parse(action).map(EntityAction::as_str),
                Some(action)
            );
        }
        assert_eq!(EntityAction::parse("moved"), None);
    }
}
