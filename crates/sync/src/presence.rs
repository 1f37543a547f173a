//! [`Presence`]: who of a tenant is connected and what they edit, kept from
//! live sockets. A connection vanishes when its socket closes or when it
//! has not been seen (no ping, no message) for the time-to-live. Each change
//! yields the `presence_update` event to announce.

use chrono::{DateTime, Duration, Utc};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use studiobrain_kernel::events::PresenceState;
use studiobrain_kernel::{Clock, Event, EventKind, TenantId, UserId};

/// One socket's registration.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ConnectionId(u64);

/// What one connection does.
#[derive(Debug, Clone)]
struct Connection {
    user_id: UserId,
    connected_at: DateTime<Utc>,
    last_seen: DateTime<Utc>,
    editing: Option<EditTarget>,
}

/// An entity being edited, and since when.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EditTarget {
    /// Entity type.
    pub entity_type: String,
    /// Entity id.
    pub entity_id: String,
    /// When the editing started.
    pub since: DateTime<Utc>,
}

/// A connected user of a tenant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OnlineUser {
    /// The user.
    pub user_id: UserId,
    /// Open sockets.
    pub connections: usize,
    /// First of their sockets to connect.
    pub since: DateTime<Utc>,
    /// Last sign of life.
    pub last_seen: DateTime<Utc>,
    /// What their sockets edit.
    pub editing: Vec<EditTarget>,
}

/// An entity and who edits it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Editor {
    /// The user.
    pub user_id: UserId,
    /// What they edit.
    pub target: EditTarget,
}

/// Live presence of every tenant of this server.
pub struct Presence {
    clock: Arc<dyn Clock>,
    ttl: Duration,
    next: Mutex<u64>,
    tenants: Mutex<HashMap<TenantId, HashMap<ConnectionId, Connection>>>,
}

impl Presence {
    /// Presence whose connections expire after `ttl` without a sign of life.
    pub fn new(clock: Arc<dyn Clock>, ttl: Duration) -> Self {
        Self {
            clock,
            ttl,
            next: Mutex::new(0),
            tenants: Mutex::new(HashMap::new()),
        }
    }

    fn tenants(
        &self,
    ) -> std::sync::MutexGuard<'_, HashMap<TenantId, HashMap<ConnectionId, Connection>>> {
        self.tenants.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn event(
        &self,
        tenant: &TenantId,
        user: &UserId,
        state: PresenceState,
        target: Option<&EditTarget>,
    ) -> Event {
        Event {
            tenant_id: tenant.clone(),
            at: self.clock.now(),
            kind: EventKind::PresenceUpdate {
                user_id: user.to_string(),
                state,
                entity_type: target.map(|t| t.entity_type.clone()),
                entity_id: target.map(|t| t.entity_id.clone()),
            },
        }
    }

    /// Registers a socket of `user`; the event says they came online when
    /// it is their first socket.
    pub fn connect(&self, tenant: &TenantId, user: &UserId) -> (ConnectionId, Option<Event>) {
        let id = {
            let mut next = self.next.lock().unwrap_or_else(|p| p.into_inner());
            *next += 1;
            ConnectionId(*next)
        };
        let now = self.clock.now();
        let mut tenants = self.tenants();
        let connections = tenants.entry(tenant.clone()).or_default();
        let first = !connections.values().any(|c| c.user_id == *user);
        connections.insert(
            id,
            Connection {
                user_id: user.clone(),
                connected_at: now,
                last_seen: now,
                editing: None,
            },
        );
        drop(tenants);
        (
            id,
            first.then(|| self.event(tenant, user, PresenceState::Online, None)),
        )
    }

    /// Records a sign of life (a ping or a message). False when the
    /// connection is unknown (it expired): the socket should close.
    pub fn touch(&self, tenant: &TenantId, connection: ConnectionId) -> bool {
        let now = self.clock.now();
        match self
            .tenants()
            .get_mut(tenant)
            .and_then(|c| c.get_mut(&connection))
        {
            Some(found) => {
                found.last_seen = now;
                true
            }
            None => false,
        }
    }

    /// The connection edits an entity now (or nothing, with `None`).
    /// Returns the event to announce, `None` if the connection is unknown.
    pub fn set_editing(
        &self,
        tenant: &TenantId,
        connection: ConnectionId,
        target: Option<(String, String)>,
    ) -> Option<Event> {
        let now = self.clock.now();
        let mut tenants = self.tenants();
        let found = tenants.get_mut(tenant)?.get_mut(&connection)?;
        found.last_seen = now;
        found.editing = target.map(|(entity_type, entity_id)| EditTarget {
            entity_type,
            entity_id,
            since: now,
        });
        let (user, editing) = (found.user_id.clone(), found.editing.clone());
        drop(tenants);
        Some(match editing {
            Some(target) => self.event(tenant, &user, PresenceState::Editing, Some(&target)),
            None => self.event(tenant, &user, PresenceState::Idle, None),
        })
    }

    /// Removes a connection; the event says its user went offline when it
    /// was their last.
    pub fn disconnect(&self, tenant: &TenantId, connection: ConnectionId) -> Option<Event> {
        let mut tenants = self.tenants();
        let connections = tenants.get_mut(tenant)?;
        let gone = connections.remove(&connection)?;
        let last = !connections.values().any(|c| c.user_id == gone.user_id);
        if connections.is_empty() {
            tenants.remove(tenant);
        }
        drop(tenants);
        last.then(|| self.event(tenant, &gone.user_id, PresenceState::Offline, None))
    }

    /// Drops every connection not seen within the time-to-live; returns
    /// the offline events of users left without a connection.
    pub fn expire(&self) -> Vec<Event> {
        let cutoff = self.clock.now() - self.ttl;
        let stale: Vec<(TenantId, ConnectionId)> = self
            .tenants()
            .iter()
            .flat_map(|(tenant, connections)| {
                connections
                    .iter()
                    .filter(|(_, c)| c.last_seen < cutoff)
                    .map(|(id, _)| (tenant.clone(), *id))
            })
            .collect();
        stale
            .into_iter()
            .filter_map(|(tenant, id)| self.disconnect(&tenant, id))
            .collect()
    }

    /// Whether the connection is still registered.
    pub fn is_live(&self, tenant: &TenantId, connection: ConnectionId) -> bool {
        self.tenants()
            .get(tenant)
            .is_some_and(|c| c.contains_key(&connection))
    }

    /// The connected users of `tenant`, by user id.
    pub fn online(&self, tenant: &TenantId) -> Vec<OnlineUser> {
        let tenants = self.tenants();
        let mut users: HashMap<&UserId, OnlineUser> = HashMap::new();
        for connection in tenants.get(tenant).into_iter().flat_map(HashMap::values) {
            let user = users
                .entry(&connection.user_id)
                .or_insert_with(|| OnlineUser {
                    user_id: connection.user_id.clone(),
                    connections: 0,
                    since: connection.connected_at,
                    last_seen: connection.last_seen,
                    editing: Vec::new(),
                });
            user.connections += 1;
            user.since = user.since.min(connection.connected_at);
            user.last_seen = user.last_seen.max(connection.last_seen);
            user.editing.extend(connection.editing.clone());
        }
        let mut users: Vec<OnlineUser> = users.into_values().collect();
        users.sort_by(|a, b| a.user_id.cmp(&b.user_id));
        users
    }

    /// Who edits what in `tenant`, by entity then user.
    pub fn editors(&self, tenant: &TenantId) -> Vec<Editor> {
        let mut editors: Vec<Editor> = self
            .online(tenant)
            .into_iter()
            .flat_map(|user| {
                let user_id = user.user_id;
                user.editing.into_iter().map(move |target| Editor {
                    user_id: user_id.clone(),
                    target,
                })
            })
            .collect();
        editors.sort_by(|a, b| {
            (&a.target.entity_type, &a.target.entity_id, &a.user_id).cmp(&(
                &b.target.entity_type,
                &b.target.entity_id,
                &b.user_id,
            ))
        });
        editors.dedup();
        editors
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use studiobrain_kernel::FixedClock;

    fn setup() -> (Arc<FixedClock>, Presence, TenantId, UserId) {
        let clock = Arc::new(FixedClock::new(DateTime::<Utc>::UNIX_EPOCH));
        let presence = Presence::new(clock.clone(), Duration::seconds(60));
        let tenant = TenantId::parse("t1").expect("tenant");
        let user = UserId::parse("u1").expect("user");
        (clock, presence, tenant, user)
    }

    fn state(event: &Event) -> PresenceState {
        match &event.kind {
            EventKind::PresenceUpdate { state, .. } => state.clone(),
            other => panic!("not presence: {other:?}"),
        }
    }

    #[test]
    fn a_user_is_online_from_the_first_socket_to_the_last() {
        let (_, presence, tenant, user) = setup();
        let (a, online) = presence.connect(&tenant, &user);
        assert_eq!(online.as_ref().map(state), Some(PresenceState::Online));
        let (b, again) = presence.connect(&tenant, &user);
        assert!(again.is_none(), "a second socket is not news");
        assert_eq!(presence.online(&tenant)[0].connections, 2);
        assert!(presence.disconnect(&tenant, a).is_none());
        let offline = presence.disconnect(&tenant, b).expect("last socket");
        assert_eq!(state(&offline), PresenceState::Offline);
        assert!(presence.online(&tenant).is_empty());
    }

    #[test]
    fn editing_is_reported_per_entity_and_cleared_by_idle() {
        let (_, presence, tenant, user) = setup();
        let (a, _) = presence.connect(&tenant, &user);
        let event = presence
            .set_editing(&tenant, a, Some(("character".into(), "rex".into())))
            .expect("known");
        assert_eq!(state(&event), PresenceState::Editing);
        let editors = presence.editors(&tenant);
        assert_eq!(editors.len(), 1);
        assert_eq!(editors[0].target.entity_id, "rex");
        let idle = presence.set_editing(&tenant, a, None).expect("known");
        assert_eq!(state(&idle), PresenceState::Idle);
        assert!(presence.editors(&tenant).is_empty());
    }

    #[test]
    fn silent_connections_expire_and_other_tenants_see_nothing() {
        let (clock, presence, tenant, user) = setup();
        let (a, _) = presence.connect(&tenant, &user);
        let other = TenantId::parse("t2").expect("tenant");
        assert!(presence.online(&other).is_empty());
        clock.advance(Duration::seconds(59));
        assert!(presence.touch(&tenant, a));
        clock.advance(Duration::seconds(59));
        assert!(presence.expire().is_empty(), "touched within the ttl");
        clock.advance(Duration::seconds(2));
        let gone = presence.expire();
        assert_eq!(gone.len(), 1);
        assert!(!presence.is_live(&tenant, a));
        assert!(!presence.touch(&tenant, a), "an expired socket must close");
    }
}
