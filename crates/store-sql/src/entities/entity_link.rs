//! The `entity_links` table: the links of every live entity, one row each.

use sea_orm::entity::prelude::*;

/// A link: its source entity and position there, its target (`target_type`
/// empty when the link names only an id), the field holding it (empty in
/// the body), its label and origin (`field`, `wikilink`, `markdown_link`).
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "entity_links")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub tenant_id: String,
    #[sea_orm(primary_key, auto_increment = false)]
    pub source_type: String,
    #[sea_orm(primary_key, auto_increment = false)]
    pub source_id: String,
    #[sea_orm(primary_key, auto_increment = false)]
    pub position: i32,
    pub target_type: String,
    pub target_id: String,
    pub field: String,
    pub label: Option<String>,
    pub origin: String,
}

/// No relations are navigated.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
