//! `entities`: the index of every tenant's entity files, one row per
//! tenant, entity type and id, rebuildable from the project folder. Deleted
//! entities keep their row with `deleted_at` set (the recycle bin).
//! Tenant-owned, so on PostgreSQL it gets the application role's grants and
//! forced row-level security like the identity tables.

use crate::m20261126_000001_create_identity::tenant_fk;
use crate::rls::{grant_app_role, isolate_tenant};
use sea_orm_migration::{prelude::*, schema::*, sea_orm::DbBackend};

/// Creates the `entities` table.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Entities {
    Table,
    TenantId,
    EntityType,
    EntityId,
    Name,
    Status,
    Fields,
    Body,
    Path,
    ContentHash,
    Revision,
    CreatedAt,
    UpdatedAt,
    DeletedAt,
}

/// The table's name, as the PostgreSQL hardening spells it.
const TABLE: &str = "entities";

/// An index named `name` on the tenant, the type and `column`: the lists of
/// one type filtered or sorted by `column`.
fn by_type_and(name: &str, column: Entities) -> IndexCreateStatement {
    Index::create()
        .name(name)
        .table(Entities::Table)
        .col(Entities::TenantId)
        .col(Entities::EntityType)
        .col(column)
        .take()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Entities::Table)
                    .col(string(Entities::TenantId))
                    .col(string(Entities::EntityType))
                    .col(string(Entities::EntityId))
                    .col(text(Entities::Name))
                    .col(text(Entities::Status))
                    .col(json_binary(Entities::Fields))
                    .col(text(Entities::Body))
                    .col(text(Entities::Path))
                    .col(text(Entities::ContentHash))
                    .col(big_integer(Entities::Revision))
                    .col(timestamp_with_time_zone(Entities::CreatedAt))
                    .col(timestamp_with_time_zone(Entities::UpdatedAt))
                    .col(timestamp_with_time_zone_null(Entities::DeletedAt))
                    .primary_key(
                        Index::create()
                            .col(Entities::TenantId)
                            .col(Entities::EntityType)
                            .col(Entities::EntityId),
                    )
                    .foreign_key(&mut tenant_fk(Entities::Table))
                    .take(),
            )
            .await?;
        manager
            .create_index(by_type_and(
                "idx_entities_tenant_id_entity_type_status",
                Entities::Status,
            ))
            .await?;
        manager
            .create_index(by_type_and(
                "idx_entities_tenant_id_entity_type_updated_at",
                Entities::UpdatedAt,
            ))
            .await?;
        if manager.get_database_backend() == DbBackend::Postgres {
            grant_app_role(manager, &[TABLE]).await?;
            isolate_tenant(manager, TABLE, None).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // Dropping the table drops its indexes, policy and grants with it.
        manager
            .drop_table(Table::drop().table(Entities::Table).take())
            .await
    }
}
