//! [`PgEventBus`]: events shared by every server process on one PostgreSQL
//! database through `LISTEN`/`NOTIFY`. A published event is delivered to
//! this process's subscribers at once and sent as a notification; each
//! process delivers the notifications of the others (its own carry its
//! origin and are skipped), so every event reaches every socket once.

use crate::SqlStore;
use sea_orm::sqlx::postgres::PgListener;
use sea_orm::{ConnectionTrait, DbBackend, Statement};
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use studiobrain_kernel::{Event, EventBus};
use tokio::sync::mpsc;

/// The notification channel.
const CHANNEL: &str = "studiobrain_events";

/// Largest notification PostgreSQL accepts, less a margin.
const MAX_PAYLOAD: usize = 7_900;

/// A notification: the event and the process that sent it.
#[derive(Serialize, Deserialize)]
struct Envelope {
    origin: String,
    event: Event,
}

/// The cross-process event bus.
pub struct PgEventBus {
    origin: String,
    local: Arc<dyn EventBus>,
    outgoing: mpsc::UnboundedSender<String>,
}

impl PgEventBus {
    /// Starts listening on `url` (a dedicated connection) and sending
    /// through `store`; received events go to `local`.
    ///
    /// # Errors
    /// The listening connection cannot be opened.
    pub async fn start(
        url: &str,
        store: &SqlStore,
        local: Arc<dyn EventBus>,
    ) -> anyhow::Result<Arc<Self>> {
        let origin = uuid::Uuid::now_v7().to_string();
        let mut listener = PgListener::connect(url).await?;
        listener.listen(CHANNEL).await?;
        let (outgoing, mut queue) = mpsc::unbounded_channel::<String>();
        let db = store.db.clone();
        tokio::spawn(async move {
            while let Some(payload) = queue.recv().await {
                let notify = Statement::from_sql_and_values(
                    DbBackend::Postgres,
                    "SELECT pg_notify($1, $2)",
                    [CHANNEL.into(), payload.into()],
                );
                if let Err(err) = db.execute_raw(notify).await {
                    tracing::warn!(%err, "event not sent to other servers");
                }
            }
        });
        let receiver_origin = origin.clone();
        let deliver = local.clone();
        tokio::spawn(async move {
            loop {
                match listener.recv().await {
                    Ok(notification) => {
                        match serde_json::from_str::<Envelope>(notification.payload()) {
                            Ok(envelope) if envelope.origin != receiver_origin => {
                                deliver.publish(envelope.event);
                            }
                            Ok(_) => {}
                            Err(err) => tracing::warn!(%err, "unreadable event notification"),
                        }
                    }
                    Err(err) => {
                        tracing::warn!(%err, "event listener lost its connection; retrying");
                        tokio::time::sleep(std::time::Duration::from_secs(1)).await;
                    }
                }
            }
        });
        Ok(Arc::new(Self {
            origin,
            local,
            outgoing,
        }))
    }
}

impl EventBus for PgEventBus {
    fn publish(&self, event: Event) {
        let envelope = Envelope {
            origin: self.origin.clone(),
            event,
        };
        match serde_json::to_string(&envelope) {
            Ok(payload) if payload.len() <= MAX_PAYLOAD => {
                // The sender task lives as long as the runtime.
                let _ = self.outgoing.send(payload);
            }
            Ok(_) => tracing::warn!("event too large for other servers; delivered locally only"),
            Err(err) => tracing::warn!(%err, "event not serialisable"),
        }
        self.local.publish(envelope.event);
    }
}
