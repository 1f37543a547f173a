//! The `provider_connections` table.

use sea_orm::entity::prelude::*;

/// A row of `provider_connections`; `scopes` is a JSON array of strings.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "provider_connections")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub tenant_id: String,
    #[sea_orm(primary_key, auto_increment = false)]
    pub user_id: String,
    #[sea_orm(primary_key, auto_increment = false)]
    pub provider: String,
    #[sea_orm(column_type = "Text")]
    pub sealed_access_token: String,
    #[sea_orm(column_type = "Text", nullable)]
    pub sealed_refresh_token: Option<String>,
    pub expires_at: Option<DateTimeUtc>,
    #[sea_orm(column_type = "JsonBinary")]
    pub scopes: Json,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

/// No relations are navigated.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
