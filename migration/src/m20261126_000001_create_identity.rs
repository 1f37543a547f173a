//! Identity tables: tenants, users, memberships, refresh tokens, API keys,
//! invites, one-time tokens, teams and permission templates. Ids are strings,
//! timestamps carry a time zone (text on SQLite), documents are JSON.

use sea_orm_migration::{prelude::*, schema::*};

/// Creates the identity tables.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Tenants {
    Table,
    Id,
    Name,
    Slug,
    Plan,
    Settings,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
    Email,
    DisplayName,
    PasswordHash,
    TokenVersion,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Memberships {
    Table,
    TenantId,
    UserId,
    Role,
    PermissionTemplateId,
    SubscriptionTier,
    IsActive,
    CreatedAt,
}

#[derive(DeriveIden)]
enum RefreshTokens {
    Table,
    Id,
    FamilyId,
    UserId,
    ActiveTenantId,
    TokenHash,
    ExpiresAt,
    UsedAt,
    RevokedAt,
    CreatedAt,
}

#[derive(DeriveIden)]
enum ApiKeys {
    Table,
    Id,
    TenantId,
    UserId,
    Name,
    Prefix,
    KeyHash,
    Role,
    Scope,
    CreatedAt,
    RevokedAt,
}

#[derive(DeriveIden)]
enum Invites {
    Table,
    Id,
    TenantId,
    Email,
    Role,
    TokenHash,
    InvitedBy,
    ExpiresAt,
    AcceptedAt,
    CreatedAt,
}

#[derive(DeriveIden)]
enum OneTimeTokens {
    Table,
    TokenHash,
    Purpose,
    Payload,
    ExpiresAt,
    ConsumedAt,
}

#[derive(DeriveIden)]
enum Teams {
    Table,
    Id,
    TenantId,
    Name,
    Description,
    MemberIds,
    CreatedAt,
}

#[derive(DeriveIden)]
enum PermissionTemplates {
    Table,
    Id,
    TenantId,
    Name,
    Description,
    Permissions,
    CreatedAt,
}

/// Owner columns shared by several tables.
#[derive(DeriveIden)]
enum Owner {
    TenantId,
    UserId,
}

/// A foreign key from `table.column` to `target.id` that cascades deletes.
fn cascade(
    table: impl IntoIden,
    column: impl IntoIden,
    target: impl IntoIden,
    target_id: impl IntoIden,
) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .from_tbl(table)
        .from_col(column)
        .to_tbl(target)
        .to_col(target_id)
        .on_delete(ForeignKeyAction::Cascade)
        .take()
}

/// A foreign key `table.tenant_id -> tenants.id` that cascades deletes.
pub(crate) fn tenant_fk(table: impl IntoIden) -> ForeignKeyCreateStatement {
    cascade(table, Owner::TenantId, Tenants::Table, Tenants::Id)
}

/// A foreign key `table.user_id -> users.id` that cascades deletes.
pub(crate) fn user_fk(table: impl IntoIden) -> ForeignKeyCreateStatement {
    cascade(table, Owner::UserId, Users::Table, Users::Id)
}

/// A plain index named `idx_<table>_<column>`.
fn index(name: &str, table: impl IntoIden, column: impl IntoIden) -> IndexCreateStatement {
    Index::create().name(name).table(table).col(column).take()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Tenants::Table)
                    .col(string(Tenants::Id).primary_key())
                    .col(string(Tenants::Name))
                    .col(string_uniq(Tenants::Slug))
                    .col(string(Tenants::Plan))
                    .col(json_binary(Tenants::Settings))
                    .col(timestamp_with_time_zone(Tenants::CreatedAt))
                    .take(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Users::Table)
                    .col(string(Users::Id).primary_key())
                    .col(string_uniq(Users::Email))
                    .col(string(Users::DisplayName))
                    .col(string_null(Users::PasswordHash))
                    .col(big_integer(Users::TokenVersion))
                    .col(timestamp_with_time_zone(Users::CreatedAt))
                    .col(timestamp_with_time_zone(Users::UpdatedAt))
                    .take(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Memberships::Table)
                    .col(string(Memberships::TenantId))
                    .col(string(Memberships::UserId))
                    .col(string(Memberships::Role))
                    .col(string_null(Memberships::PermissionTemplateId))
                    .col(string(Memberships::SubscriptionTier))
                    .col(boolean(Memberships::IsActive))
                    .col(timestamp_with_time_zone(Memberships::CreatedAt))
                    .primary_key(
                        Index::create()
                            .col(Memberships::TenantId)
                            .col(Memberships::UserId),
                    )
                    .foreign_key(&mut tenant_fk(Memberships::Table))
                    .foreign_key(&mut user_fk(Memberships::Table))
                    .take(),
            )
            .await?;
        manager
            .create_index(index(
                "idx_memberships_user_id",
                Memberships::Table,
                Memberships::UserId,
            ))
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(RefreshTokens::Table)
                    .col(string(RefreshTokens::Id).primary_key())
                    .col(string(RefreshTokens::FamilyId))
                    .col(string(RefreshTokens::UserId))
                    .col(string(RefreshTokens::ActiveTenantId))
                    .col(string_uniq(RefreshTokens::TokenHash))
                    .col(timestamp_with_time_zone(RefreshTokens::ExpiresAt))
                    .col(timestamp_with_time_zone_null(RefreshTokens::UsedAt))
                    .col(timestamp_with_time_zone_null(RefreshTokens::RevokedAt))
                    .col(timestamp_with_time_zone(RefreshTokens::CreatedAt))
                    .foreign_key(&mut user_fk(RefreshTokens::Table))
                    .take(),
            )
            .await?;
        manager
            .create_index(index(
                "idx_refresh_tokens_family_id",
                RefreshTokens::Table,
                RefreshTokens::FamilyId,
            ))
            .await?;
        manager
            .create_index(index(
                "idx_refresh_tokens_user_id",
                RefreshTokens::Table,
                RefreshTokens::UserId,
            ))
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(ApiKeys::Table)
                    .col(string(ApiKeys::Id).primary_key())
                    .col(string(ApiKeys::TenantId))
                    .col(string(ApiKeys::UserId))
                    .col(string(ApiKeys::Name))
                    .col(string(ApiKeys::Prefix))
                    .col(string_uniq(ApiKeys::KeyHash))
                    .col(string(ApiKeys::Role))
                    .col(string(ApiKeys::Scope))
                    .col(timestamp_with_time_zone(ApiKeys::CreatedAt))
                    .col(timestamp_with_time_zone_null(ApiKeys::RevokedAt))
                    .foreign_key(&mut tenant_fk(ApiKeys::Table))
                    .foreign_key(&mut user_fk(ApiKeys::Table))
                    .take(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Invites::Table)
                    .col(string(Invites::Id).primary_key())
                    .col(string(Invites::TenantId))
                    .col(string(Invites::Email))
                    .col(string(Invites::Role))
                    .col(string_uniq(Invites::TokenHash))
                    .col(string(Invites::InvitedBy))
                    .col(timestamp_with_time_zone(Invites::ExpiresAt))
                    .col(timestamp_with_time_zone_null(Invites::AcceptedAt))
                    .col(timestamp_with_time_zone(Invites::CreatedAt))
                    .foreign_key(&mut tenant_fk(Invites::Table))
                    .take(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(OneTimeTokens::Table)
                    .col(string(OneTimeTokens::TokenHash).primary_key())
                    .col(string(OneTimeTokens::Purpose))
                    .col(json_binary(OneTimeTokens::Payload))
                    .col(timestamp_with_time_zone(OneTimeTokens::ExpiresAt))
                    .col(timestamp_with_time_zone_null(OneTimeTokens::ConsumedAt))
                    .take(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Teams::Table)
                    .col(string(Teams::Id).primary_key())
                    .col(string(Teams::TenantId))
                    .col(string(Teams::Name))
                    .col(text(Teams::Description))
                    .col(json_binary(Teams::MemberIds))
                    .col(timestamp_with_time_zone(Teams::CreatedAt))
                    .index(
                        Index::create()
                            .name("uq_teams_tenant_id_name")
                            .col(Teams::TenantId)
                            .col(Teams::Name)
                            .unique(),
                    )
                    .foreign_key(&mut tenant_fk(Teams::Table))
                    .take(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(PermissionTemplates::Table)
                    .col(string(PermissionTemplates::Id).primary_key())
                    .col(string(PermissionTemplates::TenantId))
                    .col(string(PermissionTemplates::Name))
                    .col(text(PermissionTemplates::Description))
                    .col(json_binary(PermissionTemplates::Permissions))
                    .col(timestamp_with_time_zone(PermissionTemplates::CreatedAt))
                    .index(
                        Index::create()
                            .name("uq_permission_templates_tenant_id_name")
                            .col(PermissionTemplates::TenantId)
                            .col(PermissionTemplates::Name)
                            .unique(),
                    )
                    .foreign_key(&mut tenant_fk(PermissionTemplates::Table))
                    .take(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let tables: [DynIden; 9] = [
            PermissionTemplates::Table.into_iden(),
            Teams::Table.into_iden(),
            OneTimeTokens::Table.into_iden(),
            Invites::Table.into_iden(),
            ApiKeys::Table.into_iden(),
            RefreshTokens::Table.into_iden(),
            Memberships::Table.into_iden(),
            Users::Table.into_iden(),
            Tenants::Table.into_iden(),
        ];
        for table in tables {
            manager
                .drop_table(Table::drop().table(table).take())
                .await?;
        }
        Ok(())
    }
}
