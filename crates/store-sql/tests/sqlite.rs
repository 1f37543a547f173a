//! The identity ports on SQLite: the shared contract suite plus the
//! connection settings of desktop mode.

mod common;

use common::{LATEST_MIGRATION, ports};
use studiobrain_auth::AuthError;
use studiobrain_auth::contract::{membership, run_all, tenant, user};
use studiobrain_auth::models::Role;
use studiobrain_migration::{Migrator, MigratorTrait};
use studiobrain_store_sql::SqlStore;
use tempfile::TempDir;

/// A migrated store in a fresh database file; the directory lives as long
/// as the returned guard.
async fn store() -> (SqlStore, TempDir) {
    let dir = tempfile::tempdir().expect("temp dir");
    let url = format!(
        "sqlite://{}?mode=rwc",
        dir.path().join("studiobrain.db").display()
    );
    let store = SqlStore::connect(&url).await.expect("connect");
    store.migrate().await.expect("migrate");
    (store, dir)
}

#[tokio::test]
async fn contract_suite_passes() {
    let (store, _dir) = store().await;
    run_all(&ports(&store)).await;
}

#[tokio::test]
async fn migrations_are_recorded_and_rerunnable() {
    let (store, _dir) = store().await;
    assert_eq!(
        store.migration_version().await.expect("version").as_deref(),
        Some(LATEST_MIGRATION)
    );
    store.migrate().await.expect("second run is a no-op");
    store.ping().await.expect("ping");
}

#[tokio::test]
async fn migrations_roll_back_and_reapply() {
    let (store, dir) = store().await;
    let url = format!("sqlite://{}", dir.path().join("studiobrain.db").display());
    let db = sea_orm::Database::connect(&url)
        .await
        .expect("second connection");
    Migrator::refresh(&db).await.expect("down then up");
    db.close().await.expect("close");
    run_all(&ports(&store)).await;
}

#[tokio::test]
async fn fresh_database_has_no_version() {
    let store = SqlStore::connect("sqlite::memory:").await.expect("connect");
    assert_eq!(store.migration_version().await.expect("version"), None);
    store
        .migrate()
        .await
        .expect("in-memory databases migrate too");
    assert_eq!(
        store.migration_version().await.expect("version").as_deref(),
        Some(LATEST_MIGRATION)
    );
}

#[tokio::test]
async fn uses_wal_and_enforces_foreign_keys() {
    let (store, dir) = store().await;
    let ports = ports(&store);
    let orphan = membership(&tenant(), &user(), Role::Viewer);
    assert!(
        matches!(
            ports.tenants.insert_membership(&orphan).await,
            Err(AuthError::Unexpected(_))
        ),
        "a membership of unknown tenant and user is rejected"
    );
    assert!(
        dir.path().join("studiobrain.db-wal").exists(),
        "write-ahead log in use"
    );
}
