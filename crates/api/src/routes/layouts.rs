//! Contract section "Layouts" (`/api/layouts`): the entity editor's
//! layouts, stored as opaque JSON in `_Templates/Layouts/<type>.layout.json`
//! and checked loosely (an object with the type's `entity_type` and an
//! array of `sections`). Without a project file the shipped layout of the
//! type applies. Reads are public: signed-in callers see their project's
//! layouts, anyone else the shipped ones.

use crate::body::JsonBody;
use crate::error::ApiResult;
use crate::extract::Auth;
use crate::routes::dto::MessageOut;
use crate::state::AppState;
use actix_web::{delete, get, post, put, web};
use serde::Serialize;
use serde_json::Value;
use studiobrain_auth::Permission;
use studiobrain_entity::catalog::{LayoutSource, LayoutView};
use utoipa::ToSchema;

/// A layout as listed.
#[derive(Debug, Serialize, ToSchema)]
pub struct LayoutOut {
    /// The type laid out.
    pub entity_type: String,
    /// `project` (the project's file) or `shipped` (the default).
    pub source: String,
    /// The layout.
    #[schema(value_type = Object)]
    pub layout: Value,
}

impl From<LayoutView> for LayoutOut {
    fn from(view: LayoutView) -> Self {
        Self {
            entity_type: view.entity_type.to_string(),
            source: match view.source {
                LayoutSource::Project => "project",
                LayoutSource::Shipped => "shipped",
            }
            .to_owned(),
            layout: view.layout,
        }
    }
}

/// List the layout of every entity type that has one.
#[utoipa::path(tag = "Layouts", responses((status = 200, body = Vec<LayoutOut>)))]
#[get("/api/layouts")]
pub async fn list_layouts(
    state: web::Data<AppState>,
    auth: Option<Auth>,
) -> ApiResult<web::Json<Vec<LayoutOut>>> {
    let tenant = auth.as_ref().map(|a| &a.0.tenant_id);
    let layouts = state.entities.layouts(tenant).await?;
    Ok(web::Json(
        layouts.into_iter().map(LayoutOut::from).collect(),
    ))
}

/// The layout of an entity type: the project's, else the shipped one.
#[utoipa::path(tag = "Layouts", params(("type" = String, Path)),
    responses((status = 200, body = Object), (status = 404, description = "unknown type, or no layout for it")))]
#[get("/api/layouts/{type}")]
pub async fn get_layout(
    state: web::Data<AppState>,
    auth: Option<Auth>,
    path: web::Path<String>,
) -> ApiResult<web::Json<Value>> {
    let tenant = auth.as_ref().map(|a| &a.0.tenant_id);
    Ok(web::Json(
        state.entities.layout(tenant, &path).await?.layout,
    ))
}

/// Store the project's layout of an entity type.
#[utoipa::path(tag = "Layouts", params(("type" = String, Path)), request_body(content = Object, description = "the layout: entity_type and sections"),
    responses((status = 200, body = Object), (status = 404), (status = 422, description = "not an object with this entity_type and an array of sections")),
    security(("bearer" = [])))]
#[put("/api/layouts/{type}")]
pub async fn update_layout(
    state: web::Data<AppState>,
    auth: Auth,
    path: web::Path<String>,
    body: JsonBody<Value>,
) -> ApiResult<web::Json<Value>> {
    auth.0.require(Permission::TemplatesManage)?;
    let view = state
        .entities
        .save_layout(&auth.0.tenant_id, &path, body.into_inner())
        .await?;
    Ok(web::Json(view.layout))
}

/// Restore the shipped layout of an entity type into the project.
#[utoipa::path(tag = "Layouts", params(("type" = String, Path)),
    responses((status = 200, body = Object), (status = 404, description = "unknown type, or no layout ships for it")),
    security(("bearer" = [])))]
#[post("/api/layouts/{type}/reset")]
pub async fn reset_layout(
    state: web::Data<AppState>,
    auth: Auth,
    path: web::Path<String>,
) -> ApiResult<web::Json<Value>> {
    auth.0.require(Permission::TemplatesManage)?;
    let view = state
        .entities
        .reset_layout(&auth.0.tenant_id, &path)
        .await?;
    Ok(web::Json(view.layout))
}

/// Remove the project's layout file of an entity type (to the recycle
/// bin); the shipped layout applies again.
#[utoipa::path(tag = "Layouts", params(("type" = String, Path)),
    responses((status = 200, body = MessageOut), (status = 404, description = "unknown type, or the project has no layout file for it")),
    security(("bearer" = [])))]
#[delete("/api/layouts/{type}")]
pub async fn delete_layout(
    state: web::Data<AppState>,
    auth: Auth,
    path: web::Path<String>,
) -> ApiResult<web::Json<MessageOut>> {
    auth.0.require(Permission::TemplatesManage)?;
    state
        .entities
        .delete_layout(&auth.0.tenant_id, &path)
        .await?;
    Ok(web::Json(MessageOut::new(format!(
        "the custom layout of {} was removed",
        path.as_str()
    ))))
}
