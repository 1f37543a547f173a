//! Test support shared by the SQLite and PostgreSQL suites: the identity
//! ports over a store, and a fresh migrated database per test on either
//! backend. Test crates declare it `pub mod common;` as each uses only part
//! of it.
//!
//! PostgreSQL tests need `STUDIOBRAIN_TEST_POSTGRES_URL` (a superuser or
//! CREATEDB role, e.g. `postgres://postgres@127.0.0.1:5432/test`); without
//! it they are skipped, except under `CI`, where a skipped suite is a failure.

use sea_orm::{ConnectionTrait, Database, DatabaseConnection};
use std::future::Future;
use std::sync::{Arc, Mutex};
use studiobrain_auth::AuthPorts;
use studiobrain_auth::error::AuthResult;
use studiobrain_auth::models::OutgoingEmail;
use studiobrain_auth::ports::Outbox;
use studiobrain_store_sql::SqlStore;
use tempfile::TempDir;

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
pub const LATEST_MIGRATION: &str = "m20261128_000009_search_in_a_file_of_its_own";

/// A migrated store in a fresh SQLite file, `studiobrain.db` in the
/// returned directory, which lives as long as the guard.
pub async fn sqlite_store() -> (SqlStore, TempDir) {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = sqlite_store_in(dir.path()).await;
    (store, dir)
}

/// The migrated store of `studiobrain.db` in `dir`: created, or opened
/// again after an earlier store there was closed.
pub async fn sqlite_store_in(dir: &std::path::Path) -> SqlStore {
    let url = format!("sqlite://{}?mode=rwc", dir.join("studiobrain.db").display());
    let store = SqlStore::connect(&url).await.expect("connect");
    store.migrate().await.expect("migrate");
    store
}

/// The server to test against, or `None` to skip.
fn server_url() -> Option<String> {
    match std::env::var("STUDIOBRAIN_TEST_POSTGRES_URL") {
        Ok(url) => Some(url),
        Err(_) if std::env::var_os("CI").is_some() => {
            panic!("STUDIOBRAIN_TEST_POSTGRES_URL must be set in CI")
        }
        Err(_) => {
            println!("skipped: STUDIOBRAIN_TEST_POSTGRES_URL not set");
            None
        }
    }
}

/// `url` pointing at database `name` instead, query string kept.
pub fn with_database(url: &str, name: &str) -> String {
    let (base, query) = url
        .split_once('?')
        .map_or((url, None), |(base, q)| (base, Some(q)));
    let authority = base.find("://").map_or(0, |scheme| scheme + 3);
    let end = base[authority..]
        .find('/')
        .map_or(base.len(), |slash| authority + slash);
    let query = query.map(|q| format!("?{q}")).unwrap_or_default();
    format!("{}/{name}{query}", &base[..end])
}

/// Runs `test` against a migrated store on a fresh PostgreSQL database, handing it an
/// owner connection for catalog queries, and drops the database afterwards,
/// whether the test passed or not.
pub async fn on_fresh_database<F, Fut>(test: F)
where
    F: FnOnce(SqlStore, DatabaseConnection) -> Fut + Send + 'static,
    Fut: Future<Output = ()> + Send,
{
    let Some(server) = server_url() else { return };
    let admin = Database::connect(&server)
        .await
        .expect("connect to the test server");
    let name = format!("studiobrain_test_{}", uuid::Uuid::new_v4().simple());
    admin
        .execute_unprepared(&format!("CREATE DATABASE {name}"))
        .await
        .expect("create database");
    let url = with_database(&server, &name);
    let outcome = tokio::spawn(async move {
        let store = SqlStore::connect(&url).await.expect("connect");
        store.migrate().await.expect("migrate");
        let owner = Database::connect(&url).await.expect("owner connection");
        test(store, owner).await;
    })
    .await;
    admin
        .execute_unprepared(&format!("DROP DATABASE {name} WITH (FORCE)"))
        .await
        .expect("drop database");
    if let Err(failure) = outcome {
        std::panic::resume_unwind(failure.into_panic());
    }
}
