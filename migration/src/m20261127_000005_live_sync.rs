//! Live sync: `entities.parse_error` (a file that does not parse stays
//! indexed, invalid, with the reason) and the tenant-owned `activity` log of
//! entity changes, fed by the event bus, with the same grants and forced
//! row-level security as every tenant-owned table.

use crate::m20261126_000001_create_identity::tenant_fk;
use crate::rls::{grant_app_role, isolate_tenant};
use sea_orm_migration::{prelude::*, schema::*, sea_orm::DbBackend};

/// Adds `entities.parse_error` and creates `activity`.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Entities {
    Table,
    ParseError,
}

#[derive(DeriveIden)]
enum Activity {
    Table,
    Id,
    TenantId,
    At,
    Action,
    EntityType,
    EntityId,
    PreviousId,
    Revision,
    ChangedBy,
}

/// The activity table's name, as the PostgreSQL hardening spells it.
const ACTIVITY: &str = "activity";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Entities::Table)
                    .add_column(text_null(Entities::ParseError))
                    .take(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Activity::Table)
                    // UUIDv7: unique and ordered by time.
                    .col(string(Activity::Id).primary_key())
                    .col(string(Activity::TenantId))
                    .col(timestamp_with_time_zone(Activity::At))
                    .col(string(Activity::Action))
                    .col(string(Activity::EntityType))
                    .col(string(Activity::EntityId))
                    .col(string_null(Activity::PreviousId))
                    .col(big_integer(Activity::Revision))
                    .col(string(Activity::ChangedBy))
                    .foreign_key(&mut tenant_fk(Activity::Table))
                    .take(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_activity_tenant_id_id")
                    .table(Activity::Table)
                    .col(Activity::TenantId)
                    .col(Activity::Id)
                    .take(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_activity_tenant_id_entity")
                    .table(Activity::Table)
                    .col(Activity::TenantId)
                    .col(Activity::EntityType)
                    .col(Activity::EntityId)
                    .take(),
            )
            .await?;
        if manager.get_database_backend() == DbBackend::Postgres {
            grant_app_role(manager, &[ACTIVITY]).await?;
            isolate_tenant(manager, ACTIVITY, None).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Activity::Table).take())
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Entities::Table)
                    .drop_column(Entities::ParseError)
                    .take(),
            )
            .await
    }
}
