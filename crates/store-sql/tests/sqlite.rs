//! The identity ports on SQLite: the shared contract suite plus the
//! connection settings of desktop mode.

pub mod common;

use common::{LATEST_MIGRATION, ports, sqlite_store};
use studiobrain_auth::AuthError;
use studiobrain_auth::contract::{membership, run_all, tenant, user};
use studiobrain_auth::models::Role;
use studiobrain_migration::{Migrator, MigratorTrait};
use studiobrain_store_sql::SqlStore;

#[tokio::test]
async fn contract_suite_passes() {
    let (store, _dir) = sqlite_store().await;
    run_all(&ports(&store)).await;
}

#[tokio::test]
async fn migrations_are_recorded_and_rerunnable() {
    let (store, _dir) = sqlite_store().await;
    assert_eq!(
        store.migration_version().await.expect("version").as_deref(),
        Some(LATEST_MIGRATION)
    );
    store.migrate().await.expect("second run is a no-op");
    store.ping().await.expect("ping");
}

#[tokio::test]
async fn migrations_roll_back_and_reapply() {
    let (store, dir) = sqlite_store().await;
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
    let (store, dir) = sqlite_store().await;
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
