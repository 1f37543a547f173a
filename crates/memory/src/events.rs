//! [`LocalEventBus`]: the [`EventBus`] of one server process, a broadcast
//! channel. Each subscriber has a bounded queue: one that falls behind by
//! more than the capacity is told it lagged (a WebSocket then drops its
//! client rather than slowing everyone else).

use std::sync::Arc;
use studiobrain_kernel::{Event, EventBus};
use tokio::sync::broadcast;

/// In-process fan-out of events.
#[derive(Debug, Clone)]
pub struct LocalEventBus {
    sender: broadcast::Sender<Arc<Event>>,
}

impl LocalEventBus {
    /// A bus whose subscribers each queue at most `capacity` events.
    pub fn new(capacity: usize) -> Self {
        Self {
            sender: broadcast::channel(capacity.max(1)).0,
        }
    }

    /// A new subscriber, receiving every event published from now on.
    pub fn subscribe(&self) -> broadcast::Receiver<Arc<Event>> {
        self.sender.subscribe()
    }

    /// Current subscribers.
    pub fn subscribers(&self) -> usize {
        self.sender.receiver_count()
    }
}

impl EventBus for LocalEventBus {
    fn publish(&self, event: Event) {
        // No subscriber is not an error: nobody listens right now.
        let _ = self.sender.send(Arc::new(event));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use studiobrain_kernel::{EventKind, TenantId};

    fn event() -> Event {
        Event {
            tenant_id: TenantId::local(),
            at: chrono::DateTime::<chrono::Utc>::UNIX_EPOCH,
            kind: EventKind::SyncCompleted(Default::default()),
        }
    }

    #[tokio::test]
    async fn every_subscriber_gets_each_event_and_laggards_are_told() {
        let bus = LocalEventBus::new(2);
        let mut fast = bus.subscribe();
        let mut slow = bus.subscribe();
        bus.publish(event());
        assert_eq!(*fast.recv().await.expect("event"), event());
        bus.publish(event());
        bus.publish(event());
        assert!(matches!(
            slow.recv().await,
            Err(broadcast::error::RecvError::Lagged(1))
        ));
        assert_eq!(bus.subscribers(), 2);
    }
}
