//! The storage behind the identity ports, chosen by the database URL:
//! `memory:` (in-memory adapters), `sqlite:` or `postgres:` (SeaORM).

use anyhow::Context;
use std::sync::Arc;
use studiobrain_auth::AuthPorts;
use studiobrain_auth::ports::Outbox;
use studiobrain_memory::MemoryIdentityStore;
use studiobrain_store_sql::SqlStore;

/// An opened store.
#[derive(Clone)]
pub enum Storage {
    /// In-memory adapters; nothing survives a restart.
    Memory(Arc<MemoryIdentityStore>),
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
            return Ok(Self::Memory(Arc::new(MemoryIdentityStore::new())));
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

    /// Applies pending migrations (nothing to do in memory).
    ///
    /// # Errors
    /// A failed migration.
    pub async fn migrate(&self) -> anyhow::Result<()> {
        match self {
            Self::Memory(_) => Ok(()),
            Self::Sql { store, .. } => store.migrate().await,
        }
    }

    /// The identity ports on this store, with e-mail going to `outbox`.
    pub fn auth_ports(&self, outbox: Arc<dyn Outbox>) -> AuthPorts {
        match self {
            Self::Memory(store) => AuthPorts::from_store(store.clone(), outbox),
            Self::Sql { store, .. } => AuthPorts::from_store(Arc::new(store.clone()), outbox),
        }
    }

    /// Checks the database answers.
    ///
    /// # Errors
    /// The connection failure.
    pub async fn ping(&self) -> anyhow::Result<()> {
        match self {
            Self::Memory(_) => Ok(()),
            Self::Sql { store, .. } => store.ping().await,
        }
    }

    /// Name of the newest applied migration.
    ///
    /// # Errors
    /// The query failure.
    pub async fn migration_version(&self) -> anyhow::Result<Option<String>> {
        match self {
            Self::Memory(_) => Ok(None),
            Self::Sql { store, .. } => store.migration_version().await,
        }
    }

    /// `memory`, `sqlite` or `postgres`.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Memory(_) => "memory",
            Self::Sql { postgres: true, .. } => "postgres",
            Self::Sql {
                postgres: false, ..
            } => "sqlite",
        }
    }
}
