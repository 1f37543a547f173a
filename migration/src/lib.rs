//! Database migrations of StudioBrain. One set serves SQLite and PostgreSQL:
//! tables are written with the schema builder, PostgreSQL-only hardening
//! (the application role and row-level security) checks the backend.

pub use sea_orm_migration::prelude::*;

mod m20261126_000001_create_identity;
mod m20261126_000002_secure_identity;
mod m20261127_000003_create_provider_connections;
mod m20261127_000004_create_entities;
mod m20261127_000005_live_sync;
mod m20261127_000006_search_and_links;
mod m20261127_000007_search_without_prefix_index;
mod m20261127_000008_search_in_batches;
mod m20261128_000009_search_in_a_file_of_its_own;
mod rls;

/// Every migration of StudioBrain, oldest first.
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261126_000001_create_identity::Migration),
            Box::new(m20261126_000002_secure_identity::Migration),
            Box::new(m20261127_000003_create_provider_connections::Migration),
            Box::new(m20261127_000004_create_entities::Migration),
            Box::new(m20261127_000005_live_sync::Migration),
            Box::new(m20261127_000006_search_and_links::Migration),
            Box::new(m20261127_000007_search_without_prefix_index::Migration),
            Box::new(m20261127_000008_search_in_batches::Migration),
            Box::new(m20261128_000009_search_in_a_file_of_its_own::Migration),
        ]
    }
}
