//! Contract sections "Tenants" and "Registration".

use super::account::{RegisterRequest, register_account};
use super::dto::{TenantOut, TokenOut};
use crate::body::JsonBody;
use crate::error::ApiResult;
use crate::extract::Auth;
use crate::state::AppState;
use actix_web::{HttpRequest, HttpResponse, get, post, put, web};
use serde::Deserialize;
use utoipa::ToSchema;

/// Register a new tenant and its owner.
#[utoipa::path(tag = "Registration", request_body = RegisterRequest,
    responses((status = 201, body = TokenOut), (status = 403, description = "registration disabled"), (status = 409), (status = 429)))]
#[post("/api/register")]
pub async fn register_tenant(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: JsonBody<RegisterRequest>,
) -> ApiResult<HttpResponse> {
    register_account(&state, &req, body.into_inner()).await
}

/// Body of `POST /api/tenants`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateTenantRequest {
    /// Display name.
    #[schema(min_length = 1, max_length = 200, pattern = "\\S")]
    pub name: String,
}

/// Create another tenant owned by the caller (administrators).
#[utoipa::path(tag = "Tenants", request_body = CreateTenantRequest,
    responses((status = 201, body = TenantOut), (status = 403)), security(("bearer" = [])))]
#[post("/api/tenants")]
pub async fn create_tenant(
    state: web::Data<AppState>,
    auth: Auth,
    body: JsonBody<CreateTenantRequest>,
) -> ApiResult<HttpResponse> {
    let tenant = state.auth.create_tenant(&auth.0, &body.name).await?;
    state.entities.prepare_project(&tenant.id)?;
    Ok(HttpResponse::Created().json(TenantOut::from(tenant)))
}

/// The active tenant.
#[utoipa::path(tag = "Tenants", responses((status = 200, body = TenantOut)), security(("bearer" = [])))]
#[get("/api/tenants/me")]
pub async fn current_tenant(
    state: web::Data<AppState>,
    auth: Auth,
) -> ApiResult<web::Json<TenantOut>> {
    Ok(web::Json(state.auth.current_tenant(&auth.0).await?.into()))
}

/// Body of `PUT /api/tenants/me`. `id`, `slug` and `plan` cannot be set here.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateTenantRequest {
    /// New display name.
    #[serde(default)]
    #[schema(min_length = 1, max_length = 200, pattern = "\\S")]
    pub name: Option<String>,
    /// Settings to merge in (top-level keys replace).
    #[serde(default)]
    #[schema(value_type = Option<Object>)]
    pub settings: Option<serde_json::Value>,
}

/// Update the active tenant (administrators).
#[utoipa::path(tag = "Tenants", request_body = UpdateTenantRequest,
    responses((status = 200, body = TenantOut), (status = 400), (status = 403)), security(("bearer" = [])))]
#[put("/api/tenants/me")]
pub async fn update_tenant(
    state: web::Data<AppState>,
    auth: Auth,
    body: JsonBody<UpdateTenantRequest>,
) -> ApiResult<web::Json<TenantOut>> {
    let body = body.into_inner();
    let tenant = state
        .auth
        .update_current_tenant(&auth.0, body.name.as_deref(), body.settings)
        .await?;
    Ok(web::Json(tenant.into()))
}
