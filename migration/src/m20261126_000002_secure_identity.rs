//! PostgreSQL hardening of the identity tables (a no-op on SQLite).
//!
//! Requests run under `studiobrain_app`, a role that neither owns the tables
//! nor bypasses row-level security. Every table with a `tenant_id` column has
//! forced RLS confining rows to `app.tenant_id`, a transaction-local setting
//! the store sets per request. A few lookups that happen before the tenant is
//! known are opened up for reading only, each by its own setting.

use crate::rls::{APP_ROLE, grant_app_role, isolate_tenant, release_tenant, revoke_app_role};
use sea_orm_migration::{prelude::*, sea_orm::DbBackend};

/// Creates the application role, grants it the identity tables and enables
/// row-level security on the tenant-owned ones.
#[derive(DeriveMigrationName)]
pub struct Migration;

/// Tables the application role may read and write.
const TABLES: [&str; 9] = [
    "tenants",
    "users",
    "memberships",
    "refresh_tokens",
    "api_keys",
    "invites",
    "one_time_tokens",
    "teams",
    "permission_templates",
];

/// The tenant-owned tables with the extra, read-only visibility clause of each.
const TENANT_TABLES: [(&str, Option<&str>); 5] = [
    (
        "memberships",
        Some("user_id = NULLIF(current_setting('app.user_id', true), '')"),
    ),
    (
        "api_keys",
        Some("key_hash = NULLIF(current_setting('app.lookup_hash', true), '')"),
    ),
    (
        "invites",
        Some("token_hash = NULLIF(current_setting('app.lookup_hash', true), '')"),
    ),
    ("teams", None),
    ("permission_templates", None),
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() != DbBackend::Postgres {
            return Ok(());
        }
        let db = manager.get_connection();
        // Roles are cluster-wide and test databases migrate concurrently, so
        // creation tolerates losing the race.
        db.execute_unprepared(&format!(
            "DO $$ BEGIN \
               IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{APP_ROLE}') THEN \
                 CREATE ROLE {APP_ROLE} NOLOGIN NOBYPASSRLS; \
               END IF; \
             EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; \
             END $$"
        ))
        .await?;
        db.execute_unprepared(&format!(
            "DO $$ BEGIN \
               IF NOT pg_has_role(current_user, '{APP_ROLE}', 'MEMBER') THEN \
                 EXECUTE format('GRANT {APP_ROLE} TO %I', current_user); \
               END IF; \
             END $$"
        ))
        .await?;
        db.execute_unprepared(&format!("GRANT USAGE ON SCHEMA public TO {APP_ROLE}"))
            .await?;
        grant_app_role(manager, &TABLES).await?;
        for (table, lookup) in TENANT_TABLES {
            isolate_tenant(manager, table, lookup).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() != DbBackend::Postgres {
            return Ok(());
        }
        for (table, _) in TENANT_TABLES {
            release_tenant(manager, table).await?;
        }
        // The role is shared by every database of the cluster: only this
        // database's grants are withdrawn.
        revoke_app_role(manager, &TABLES).await?;
        Ok(())
    }
}
