//! PostgreSQL hardening shared by the migrations: grants to the application
//! role and forced row-level security on tenant-owned tables. Callers check
//! the backend first; these helpers assume PostgreSQL.

use sea_orm_migration::prelude::*;

/// Role every request runs as; shared by all databases of a cluster.
pub(crate) const APP_ROLE: &str = "studiobrain_app";

/// The row-level condition shared by every tenant-owned table.
pub(crate) const SAME_TENANT: &str =
    "tenant_id = NULLIF(current_setting('app.tenant_id', true), '')";

/// Lets the application role read and write `tables`.
pub(crate) async fn grant_app_role(
    manager: &SchemaManager<'_>,
    tables: &[&str],
) -> Result<(), DbErr> {
    manager
        .get_connection()
        .execute_unprepared(&format!(
            "GRANT SELECT, INSERT, UPDATE, DELETE ON {} TO {APP_ROLE}",
            tables.join(", ")
        ))
        .await?;
    Ok(())
}

/// Withdraws every privilege of the application role on `tables`.
pub(crate) async fn revoke_app_role(
    manager: &SchemaManager<'_>,
    tables: &[&str],
) -> Result<(), DbErr> {
    manager
        .get_connection()
        .execute_unprepared(&format!(
            "REVOKE ALL ON {} FROM {APP_ROLE}",
            tables.join(", ")
        ))
        .await?;
    Ok(())
}

/// Enables and forces row-level security on `table`, confining every row to
/// the transaction's `app.tenant_id`. `lookup`, if any, is an extra clause
/// under which rows are also visible (never writable).
pub(crate) async fn isolate_tenant(
    manager: &SchemaManager<'_>,
    table: &str,
    lookup: Option<&str>,
) -> Result<(), DbErr> {
    let using = match lookup {
        Some(lookup) => format!("{SAME_TENANT} OR {lookup}"),
        None => SAME_TENANT.to_owned(),
    };
    manager
        .get_connection()
        .execute_unprepared(&format!(
            "ALTER TABLE {table} ENABLE ROW LEVEL SECURITY; \
             ALTER TABLE {table} FORCE ROW LEVEL SECURITY; \
             CREATE POLICY tenant_isolation ON {table} FOR ALL TO PUBLIC \
               USING ({using}) WITH CHECK ({SAME_TENANT})"
        ))
        .await?;
    Ok(())
}

/// Undoes [`isolate_tenant`] on `table`.
pub(crate) async fn release_tenant(manager: &SchemaManager<'_>, table: &str) -> Result<(), DbErr> {
    manager
        .get_connection()
        .execute_unprepared(&format!(
            "DROP POLICY IF EXISTS tenant_isolation ON {table}; \
             ALTER TABLE {table} NO FORCE ROW LEVEL SECURITY; \
             ALTER TABLE {table} DISABLE ROW LEVEL SECURITY"
        ))
        .await?;
    Ok(())
}
