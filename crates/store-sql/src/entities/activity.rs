//! The `activity` table: the log of entity changes.

use sea_orm::entity::prelude::*;

/// A row of `activity`.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "activity")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub tenant_id: String,
    pub at: DateTimeUtc,
    pub action: String,
    pub entity_type: String,
    pub entity_id: String,
    pub previous_id: Option<String>,
    pub revision: i64,
    pub changed_by: String,
}

/// No relations are navigated.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
