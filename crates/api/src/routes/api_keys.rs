//! Contract section "Teams and Users (Admin)": API keys. The contract's
//! endpoint list names them both as `/api/api-keys` and, without the prefix,
//! as `/api-keys`; both paths answer the same.

use super::dto::{ApiKeyOut, CreatedApiKeyOut};
use crate::body::JsonBody;
use crate::error::ApiResult;
use crate::extract::Auth;
use crate::state::AppState;
use actix_web::{HttpResponse, delete, get, post, web};
use serde::Deserialize;
use studiobrain_auth::models::Role;
use utoipa::ToSchema;

/// Body of `POST /api/api-keys`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateApiKeyRequest {
    /// Label.
    #[schema(min_length = 1, max_length = 100, pattern = "\\S")]
    pub name: String,
    /// Role the key acts with; default and maximum: the caller's.
    #[serde(default)]
    #[schema(pattern = "^(owner|admin|editor|viewer)$")]
    pub role: Option<String>,
}

async fn create(
    state: &AppState,
    auth: &Auth,
    body: &CreateApiKeyRequest,
) -> ApiResult<HttpResponse> {
    let role = body.role.as_deref().map(Role::parse).transpose()?;
    let created = state.auth.create_api_key(&auth.0, &body.name, role).await?;
    Ok(HttpResponse::Created().json(CreatedApiKeyOut::from(created)))
}

async fn list(state: &AppState, auth: &Auth) -> ApiResult<web::Json<Vec<ApiKeyOut>>> {
    let keys = state.auth.list_api_keys(&auth.0).await?;
    Ok(web::Json(keys.into_iter().map(ApiKeyOut::from).collect()))
}

/// Create an API key; the secret is in the response, once.
#[utoipa::path(tag = "API Keys", request_body = CreateApiKeyRequest,
    responses((status = 201, body = CreatedApiKeyOut), (status = 400), (status = 403)), security(("bearer" = [])))]
#[post("/api/api-keys")]
pub async fn create_api_key(
    state: web::Data<AppState>,
    auth: Auth,
    body: JsonBody<CreateApiKeyRequest>,
) -> ApiResult<HttpResponse> {
    create(&state, &auth, &body).await
}

/// Create an API key (unprefixed path of the contract's endpoint list).
#[utoipa::path(tag = "API Keys", request_body = CreateApiKeyRequest,
    responses((status = 201, body = CreatedApiKeyOut), (status = 400), (status = 403)), security(("bearer" = [])))]
#[post("/api-keys")]
pub async fn create_api_key_unprefixed(
    state: web::Data<AppState>,
    auth: Auth,
    body: JsonBody<CreateApiKeyRequest>,
) -> ApiResult<HttpResponse> {
    create(&state, &auth, &body).await
}

/// The caller's keys (administrators: every key of the tenant).
#[utoipa::path(tag = "API Keys", responses((status = 200, body = Vec<ApiKeyOut>)), security(("bearer" = [])))]
#[get("/api/api-keys")]
pub async fn list_api_keys(
    state: web::Data<AppState>,
    auth: Auth,
) -> ApiResult<web::Json<Vec<ApiKeyOut>>> {
    list(&state, &auth).await
}

/// The caller's keys (unprefixed path of the contract's endpoint list).
#[utoipa::path(tag = "API Keys", responses((status = 200, body = Vec<ApiKeyOut>)), security(("bearer" = [])))]
#[get("/api-keys")]
pub async fn list_api_keys_unprefixed(
    state: web::Data<AppState>,
    auth: Auth,
) -> ApiResult<web::Json<Vec<ApiKeyOut>>> {
    list(&state, &auth).await
}

/// Revoke a key.
#[utoipa::path(tag = "API Keys", params(("id" = String, Path)), responses((status = 204), (status = 404)), security(("bearer" = [])))]
#[delete("/api/api-keys/{id}")]
pub async fn revoke_api_key(
    state: web::Data<AppState>,
    auth: Auth,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    state.auth.revoke_api_key(&auth.0, &id).await?;
    Ok(HttpResponse::NoContent().finish())
}
