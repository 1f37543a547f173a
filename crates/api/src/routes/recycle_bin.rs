//! Contract section "Entities", recycle bin (`/api/recycle-bin/entity`):
//! list deleted entities, restore one to where it was, and (admins) remove
//! one or all of them for good.

use crate::error::ApiResult;
use crate::extract::Auth;
use crate::routes::entities::EntityOut;
use crate::state::AppState;
use actix_web::{delete, get, post, web};
use serde::Serialize;
use studiobrain_auth::Permission;
use studiobrain_auth::models::Role;
use studiobrain_entity::trash::RecycledEntity;
use utoipa::ToSchema;

/// One entity in the recycle bin.
#[derive(Debug, Serialize, ToSchema)]
pub struct RecycledEntityOut {
    /// Type.
    pub entity_type: String,
    /// Id.
    pub entity_id: String,
    /// Display name when it was deleted.
    pub name: String,
    /// When it was deleted (RFC 3339).
    pub deleted_at: String,
    /// The copy a restore brings back, relative to the project root; null
    /// when only the index row is left.
    pub trash_path: Option<String>,
}

impl From<RecycledEntity> for RecycledEntityOut {
    fn from(item: RecycledEntity) -> Self {
        Self {
            entity_type: item.entity_type.to_string(),
            entity_id: item.id.to_string(),
            name: item.name,
            deleted_at: item.deleted_at.to_rfc3339(),
            trash_path: item.trash_path,
        }
    }
}

/// The recycle bin's content.
#[derive(Debug, Serialize, ToSchema)]
pub struct RecycleBinOut {
    /// Entities in the bin.
    pub total: u64,
    /// Most recently deleted first.
    pub entities: Vec<RecycledEntityOut>,
}

/// Result of a permanent delete.
#[derive(Debug, Serialize, ToSchema)]
pub struct PurgedOut {
    /// What happened.
    pub message: String,
    /// Type.
    pub entity_type: String,
    /// Id.
    pub entity_id: String,
}

/// Result of emptying the bin.
#[derive(Debug, Serialize, ToSchema)]
pub struct EmptiedOut {
    /// What happened.
    pub message: String,
    /// Entities removed for good.
    pub deleted_count: u64,
}

/// List the deleted entities of the caller's tenant.
#[utoipa::path(tag = "Entities", responses((status = 200, body = RecycleBinOut)), security(("bearer" = [])))]
#[get("/api/recycle-bin/entity")]
pub async fn list_recycled(
    state: web::Data<AppState>,
    auth: Auth,
) -> ApiResult<web::Json<RecycleBinOut>> {
    auth.0.require(Permission::EntitiesRead)?;
    let bin = state.entities.recycle_bin(&auth.0.tenant_id).await?;
    Ok(web::Json(RecycleBinOut {
        total: bin.len() as u64,
        entities: bin.into_iter().map(RecycledEntityOut::from).collect(),
    }))
}

/// Restore an entity: its newest copy in the bin goes back where it was and
/// is indexed again.
#[utoipa::path(tag = "Entities", params(("type" = String, Path), ("id" = String, Path)),
    responses((status = 200, body = EntityOut), (status = 404, description = "not in the recycle bin"),
        (status = 409, description = "the id was used again since the delete")),
    security(("bearer" = [])))]
#[post("/api/recycle-bin/entity/{type}/{id}/restore")]
pub async fn restore_entity(
    state: web::Data<AppState>,
    auth: Auth,
    path: web::Path<(String, String)>,
) -> ApiResult<web::Json<EntityOut>> {
    auth.0.require(Permission::EntitiesDelete)?;
    let (entity_type, id) = path.into_inner();
    let view = state
        .entities
        .restore(&auth.0.tenant_id, &entity_type, &id, &auth.actor())
        .await?;
    Ok(web::Json(view.into()))
}

/// Delete an entity for good: its copies in the bin and its row (admin).
#[utoipa::path(tag = "Entities", params(("type" = String, Path), ("id" = String, Path)),
    responses((status = 200, body = PurgedOut), (status = 404, description = "not in the recycle bin")),
    security(("bearer" = [])))]
#[delete("/api/recycle-bin/entity/{type}/{id}/permanent")]
pub async fn purge_entity(
    state: web::Data<AppState>,
    auth: Auth,
    path: web::Path<(String, String)>,
) -> ApiResult<web::Json<PurgedOut>> {
    auth.0.require_role(Role::Admin)?;
    let (entity_type, id) = path.into_inner();
    state
        .entities
        .purge(&auth.0.tenant_id, &entity_type, &id)
        .await?;
    Ok(web::Json(PurgedOut {
        message: "deleted permanently".into(),
        entity_type,
        entity_id: id,
    }))
}

/// Empty the entity recycle bin (admin).
#[utoipa::path(tag = "Entities", responses((status = 200, body = EmptiedOut)), security(("bearer" = [])))]
#[post("/api/recycle-bin/entity/empty")]
pub async fn empty_recycle_bin(
    state: web::Data<AppState>,
    auth: Auth,
) -> ApiResult<web::Json<EmptiedOut>> {
    auth.0.require_role(Role::Admin)?;
    let deleted_count = state.entities.empty_recycle_bin(&auth.0.tenant_id).await?;
    Ok(web::Json(EmptiedOut {
        message: "recycle bin emptied".into(),
        deleted_count,
    }))
}
