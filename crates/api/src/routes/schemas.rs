//! Contract section "Schemas" (`/api/schemas`): the JSON Schema (draft
//! 2020-12) of every entity type. A project's own `_Schemas/<type>.json`
//! (the upstream `schemas/<type>.json`) wins over the schema derived from
//! the template. Public: signed-in callers see their project's, anyone else
//! the shipped types' derived schemas.

use crate::error::ApiResult;
use crate::extract::Auth;
use crate::state::AppState;
use actix_web::{get, web};
use serde_json::Value;
use std::collections::BTreeMap;

/// The JSON Schema of every entity type, by type.
#[utoipa::path(tag = "Schemas", responses((status = 200, body = Object, description = "entity type → JSON Schema")))]
#[get("/api/schemas")]
pub async fn list_schemas(
    state: web::Data<AppState>,
    auth: Option<Auth>,
) -> ApiResult<web::Json<BTreeMap<String, Value>>> {
    let tenant = auth.as_ref().map(|a| &a.0.tenant_id);
    Ok(web::Json(state.entities.type_schemas(tenant).await?))
}

/// The JSON Schema of one entity type.
#[utoipa::path(tag = "Schemas", params(("type" = String, Path)), responses((status = 200, body = Object), (status = 404)))]
#[get("/api/schemas/{type}")]
pub async fn get_schema(
    state: web::Data<AppState>,
    auth: Option<Auth>,
    path: web::Path<String>,
) -> ApiResult<web::Json<Value>> {
    let tenant = auth.as_ref().map(|a| &a.0.tenant_id);
    Ok(web::Json(state.entities.type_schema(tenant, &path).await?))
}
