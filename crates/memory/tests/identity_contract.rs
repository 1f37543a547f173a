//! Runs the identity port contract suite against the in-memory adapters.

use std::sync::Arc;
use studiobrain_auth::AuthPorts;
use studiobrain_memory::{MemoryIdentityStore, RecordingOutbox};

#[tokio::test]
async fn memory_store_honours_identity_contract() {
    let ports = AuthPorts::from_store(
        Arc::new(MemoryIdentityStore::new()),
        Arc::new(RecordingOutbox::default()),
    );
    studiobrain_auth::contract::run_all(&ports).await;
}
