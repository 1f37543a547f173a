//! The storage behind the identity ports, chosen by the database URL:
//! `memory:` (in-memory adapters), `sqlite:` or `postgres:` (SeaORM).

use anyhow::Context;
use std::sync::Arc;
use studiobrain_auth::AuthPorts;
use studiobrain_auth::ports::Outbox;
use studiobrain_entity::links::LinkIndex;
use studiobrain_entity::ports::EntityIndex;
use studiobrain_entity::search::SearchIndex;
use studiobrain_memory::{MemoryActivityLog, MemoryEntityIndex, MemoryIdentityStore};
use studiobrain_store_sql::SqlStore;
use studiobrain_sync::activity::ActivityLog;

/// How often a server checkpoints a SQLite database's write-ahead log: at
/// some thousand writes a second, a few MiB of log each time.
const WAL_CHECKPOINT_EVERY: std::time::Duration = std::time::Duration::from_millis(250);

/// Checkpoints `store`'s write-ahead log every [`WAL_CHECKPOINT_EVERY`];
/// ends at once for a store without one (PostgreSQL, in-memory SQLite).
async fn checkpoint_wal(store: SqlStore) {
    let mut tick = tokio::time::interval(WAL_CHECKPOINT_EVERY);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        match store.checkpoint_wal().await {
            Ok(Some(_)) => {}
            Ok(None) => return,
            Err(err) => tracing::warn!(
                err = format!("{err:#}"),
                "write-ahead log checkpoint failed"
            ),
        }
    }
}

/// An opened store.
#[derive(Clone)]
pub enum Storage {
    /// In-memory adapters; nothing survives a restart.
    Memory {
        /// Identity store.
        identity: Arc<MemoryIdentityStore>,
        /// Entity index.
        entities: Arc<MemoryEntityIndex>,
        /// Activity log.
        activity: Arc<MemoryActivityLog>,
    },
    /// SQLite or PostgreSQL.
    Sql {
        /// The pool.
        store: SqlStore,
        /// Whether it is PostgreSQL (else SQLite).
        postgres: bool,
    },
}

impl Storage {
    /// Opens the store named by `url`.
    ///
    /// # Errors
    /// An unsupported scheme or a failed connection.
    pub async fn open(url: &str) -> anyhow::Result<Self> {
        if url == "memory:" {
            return Ok(Self::Memory {
                identity: Arc::new(MemoryIdentityStore::new()),
                entities: Arc::new(MemoryEntityIndex::new()),
                activity: Arc::new(MemoryActivityLog::new()),
            });
        }
        if url.starts_with("sqlite:") || url.starts_with("postgres") {
            let store = SqlStore::connect(url)
                .await
                .context("connecting to the database")?;
            return Ok(Self::Sql {
                store,
                postgres: url.starts_with("postgres"),
            });
        }
        anyhow::bail!("unsupported database URL scheme: expected memory:, sqlite: or postgres://")
    }

    /// Starts the store's own background work: on SQLite, copying the
    /// write-ahead log back into the database every
    /// `WAL_CHECKPOINT_EVERY`, off the writer's path.
    pub fn start_maintenance(&self) {
        if let Self::Sql { store, .. } = self {
            tokio::spawn(checkpoint_wal(store.clone()));
        }
    }

    /// Applies pending migrations (nothing to do in memory).
    ///
    /// # Errors
    /// A failed migration.
    pub async fn migrate(&self) -> anyhow::Result<()> {
        match self {
            Self::Memory { .. } => Ok(()),
            Self::Sql { store, .. } => store.migrate().await,
        }
    }

    /// The identity ports on this store, with e-mail going to `outbox`.
    pub fn auth_ports(&self, outbox: Arc<dyn Outbox>) -> AuthPorts {
        match self {
            Self::Memory { identity, .. } => AuthPorts::from_store(identity.clone(), outbox),
            Self::Sql { store, .. } => AuthPorts::from_store(Arc::new(store.clone()), outbox),
        }
    }

    /// The entity index on this store.
    pub fn entity_index(&self) -> Arc<dyn EntityIndex> {
        match self {
            Self::Memory { entities, .. } => entities.clone(),
            Self::Sql { store, .. } => Arc::new(store.clone()),
        }
    }

    /// The stored links of entities on this store.
    pub fn link_index(&self) -> Arc<dyn LinkIndex> {
        match self {
            Self::Memory { entities, .. } => entities.clone(),
            Self::Sql { store, .. } => Arc::new(store.clone()),
        }
    }

    /// The full-text search index on this store.
    pub fn search_index(&self) -> Arc<dyn SearchIndex> {
        match self {
            Self::Memory { entities, .. } => entities.clone(),
            Self::Sql { store, .. } => Arc::new(store.clone()),
        }
    }

    /// The activity log on this store.
    pub fn activity_log(&self) -> Arc<dyn ActivityLog> {
        match self {
            Self::Memory { activity, .. } => activity.clone(),
            Self::Sql { store, .. } => Arc::new(store.clone()),
        }
    }

    /// Closes the database's connections (SQLite copies its write-ahead
    /// logs back into the files); later calls fail.
    ///
    /// # Errors
    /// When a pool fails to close.
    pub async fn close(&self) -> anyhow::Result<()> {
        match self {
            Self::Memory { .. } => Ok(()),
            Self::Sql { store, .. } => store.close().await,
        }
    }

    /// Checks the database answers.
    ///
    /// # Errors
    /// The connection failure.
    pub async fn ping(&self) -> anyhow::Result<()> {
        match self {
            Self::Memory { .. } => Ok(()),
            Self::Sql { store, .. } => store.ping().await,
        }
    }

    /// Name of the newest applied migration.
    ///
    /// # Errors
    /// The query failure.
    pub async fn migration_version(&self) -> anyhow::Result<Option<String>> {
        match self {
            Self::Memory { .. } => Ok(None),
            Self::Sql { store, .. } => store.migration_version().await,
        }
    }

    /// `memory`, `sqlite` or `postgres`.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Memory { .. } => "memory",
            Self::Sql { postgres: true, .. } => "postgres",
            Self::Sql {
                postgres: false, ..
            } => "sqlite",
        }
    }
}
