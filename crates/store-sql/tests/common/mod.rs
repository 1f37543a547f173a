//! Test support shared by the SQLite and PostgreSQL suites.

use std::sync::{Arc, Mutex};
use studiobrain_auth::AuthPorts;
use studiobrain_auth::error::AuthResult;
use studiobrain_auth::models::OutgoingEmail;
use studiobrain_auth::ports::Outbox;
use studiobrain_store_sql::SqlStore;

/// An outbox that only records what it is handed.
#[derive(Default)]
pub struct RecordingOutbox(Mutex<Vec<OutgoingEmail>>);

#[async_trait::async_trait]
impl Outbox for RecordingOutbox {
    async fn send(&self, email: &OutgoingEmail) -> AuthResult<()> {
        self.0.lock().expect("outbox lock").push(email.clone());
        Ok(())
    }
}

/// Every identity port backed by `store`.
pub fn ports(store: &SqlStore) -> AuthPorts {
    AuthPorts::from_store(
        Arc::new(store.clone()),
        Arc::new(RecordingOutbox::default()),
    )
}

/// Name of the newest migration.
pub const LATEST_MIGRATION: &str = "m20261127_000003_create_provider_connections";
