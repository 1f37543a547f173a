//! `provider_connections`: users' consents to outside services (Google
//! Drive), one row per tenant, user and provider, holding sealed tokens.
//! Tenant-owned, so on PostgreSQL it gets the application role's grants and
//! forced row-level security like the identity tables.

use crate::m20261126_000001_create_identity::{tenant_fk, user_fk};
use crate::rls::{grant_app_role, isolate_tenant};
use sea_orm_migration::{prelude::*, schema::*, sea_orm::DbBackend};

/// Creates the `provider_connections` table.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum ProviderConnections {
    Table,
    TenantId,
    UserId,
    Provider,
    SealedAccessToken,
    SealedRefreshToken,
    ExpiresAt,
    Scopes,
    CreatedAt,
    UpdatedAt,
}

/// The table's name, as the PostgreSQL hardening spells it.
const TABLE: &str = "provider_connections";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(ProviderConnections::Table)
                    .col(string(ProviderConnections::TenantId))
                    .col(string(ProviderConnections::UserId))
                    .col(string(ProviderConnections::Provider))
                    .col(text(ProviderConnections::SealedAccessToken))
                    .col(text_null(ProviderConnections::SealedRefreshToken))
                    .col(timestamp_with_time_zone_null(
                        ProviderConnections::ExpiresAt,
                    ))
                    .col(json_binary(ProviderConnections::Scopes))
                    .col(timestamp_with_time_zone(ProviderConnections::CreatedAt))
                    .col(timestamp_with_time_zone(ProviderConnections::UpdatedAt))
                    .primary_key(
                        Index::create()
                            .col(ProviderConnections::TenantId)
                            .col(ProviderConnections::UserId)
                            .col(ProviderConnections::Provider),
                    )
                    .foreign_key(&mut tenant_fk(ProviderConnections::Table))
                    .foreign_key(&mut user_fk(ProviderConnections::Table))
                    .take(),
            )
            .await?;
        if manager.get_database_backend() == DbBackend::Postgres {
            grant_app_role(manager, &[TABLE]).await?;
            isolate_tenant(manager, TABLE, None).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // Dropping the table drops its policy and grants with it.
        manager
            .drop_table(Table::drop().table(ProviderConnections::Table).take())
            .await
    }
}
