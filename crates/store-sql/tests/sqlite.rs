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
    assert!(
        dir.path().join("studiobrain.db-search-wal").exists(),
        "the full-text index, a file of its own, has a write-ahead log too"
    );
    store.close().await.expect("close");
    for log in ["studiobrain.db-wal", "studiobrain.db-search-wal"] {
        assert!(
            !dir.path().join(log).exists(),
            "closing copies {log} back and removes it"
        );
    }
}

#[tokio::test]
async fn the_write_ahead_log_is_copied_back_and_starts_over() {
    let (store, _dir) = sqlite_store().await;
    // The migrations are still in the log: the writer leaves checkpoints to
    // the checkpointer until the log is large.
    let first = store
        .checkpoint_wal()
        .await
        .expect("checkpoint")
        .expect("a SQLite file has a log");
    assert!(first.log_frames > 0, "{first:?}");
    assert_eq!(first.copied_frames, first.log_frames, "no reader holds it");
    // The next write starts the log over from its beginning.
    ports(&store)
        .tenants
        .insert_tenant(&tenant())
        .await
        .expect("a write");
    let next = store
        .checkpoint_wal()
        .await
        .expect("checkpoint")
        .expect("a SQLite file has a log");
    assert!(
        next.log_frames < first.log_frames,
        "{next:?} after {first:?}"
    );
    assert_eq!(next.copied_frames, next.log_frames);

    let memory = SqlStore::connect("sqlite::memory:").await.expect("connect");
    assert_eq!(memory.checkpoint_wal().await.expect("no-op"), None);
}
