//! Contract section "Teams and Users (Admin)": teams and permission templates.

use super::dto::{PermissionTemplateOut, TeamOut};
use super::user_id;
use crate::body::JsonBody;
use crate::error::ApiResult;
use crate::extract::Auth;
use crate::state::AppState;
use actix_web::{HttpResponse, get, post, web};
use serde::Deserialize;
use utoipa::ToSchema;

/// Body of `POST /api/teams`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateTeamRequest {
    /// Unique name in the tenant.
    #[schema(min_length = 1, max_length = 200, pattern = "\\S")]
    pub name: String,
    /// Free text.
    #[serde(default)]
    pub description: String,
    /// Members (must belong to the tenant).
    #[serde(default)]
    #[schema(schema_with = crate::openapi::user_ids)]
    pub member_ids: Vec<String>,
}

/// Create a team.
#[utoipa::path(tag = "Teams", request_body = CreateTeamRequest,
    responses((status = 201, body = TeamOut), (status = 400), (status = 403), (status = 409)), security(("bearer" = [])))]
#[post("/api/teams")]
pub async fn create_team(
    state: web::Data<AppState>,
    auth: Auth,
    body: JsonBody<CreateTeamRequest>,
) -> ApiResult<HttpResponse> {
    let body = body.into_inner();
    let members = body
        .member_ids
        .iter()
        .map(|raw| {
            user_id(raw).map_err(|_| {
                crate::error::ApiError::bad_request(format!("invalid user id '{raw}'"))
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    let team = state
        .auth
        .create_team(&auth.0, &body.name, &body.description, members)
        .await?;
    Ok(HttpResponse::Created().json(TeamOut::from(team)))
}

/// Teams of the tenant.
#[utoipa::path(tag = "Teams", responses((status = 200, body = Vec<TeamOut>)), security(("bearer" = [])))]
#[get("/api/teams")]
pub async fn list_teams(
    state: web::Data<AppState>,
    auth: Auth,
) -> ApiResult<web::Json<Vec<TeamOut>>> {
    let teams = state.auth.list_teams(&auth.0).await?;
    Ok(web::Json(teams.into_iter().map(TeamOut::from).collect()))
}

/// One team.
#[utoipa::path(tag = "Teams", params(("id" = String, Path)), responses((status = 200, body = TeamOut), (status = 404)), security(("bearer" = [])))]
#[get("/api/teams/{id}")]
pub async fn get_team(
    state: web::Data<AppState>,
    auth: Auth,
    id: web::Path<String>,
) -> ApiResult<web::Json<TeamOut>> {
    Ok(web::Json(state.auth.get_team(&auth.0, &id).await?.into()))
}

/// Body of `POST /api/permission-templates`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateTemplateRequest {
    /// Unique name in the tenant.
    #[schema(min_length = 1, max_length = 200, pattern = "\\S")]
    pub name: String,
    /// Free text.
    #[serde(default)]
    pub description: String,
    /// Permission names: `entities:read`, `entities:write`, `entities:delete`,
    /// `ai:use`, `templates:manage`, `users:manage`, `settings:manage`,
    /// `billing:manage`.
    #[schema(schema_with = crate::openapi::permission_names)]
    pub permissions: Vec<String>,
}

/// Create a permission template (administrators).
#[utoipa::path(tag = "Teams", request_body = CreateTemplateRequest,
    responses((status = 201, body = PermissionTemplateOut), (status = 400), (status = 403), (status = 409)), security(("bearer" = [])))]
#[post("/api/permission-templates")]
pub async fn create_permission_template(
    state: web::Data<AppState>,
    auth: Auth,
    body: JsonBody<CreateTemplateRequest>,
) -> ApiResult<HttpResponse> {
    let template = state
        .auth
        .create_permission_template(&auth.0, &body.name, &body.description, &body.permissions)
        .await?;
    Ok(HttpResponse::Created().json(PermissionTemplateOut::from(template)))
}

/// Permission templates of the tenant.
#[utoipa::path(tag = "Teams", responses((status = 200, body = Vec<PermissionTemplateOut>)), security(("bearer" = [])))]
#[get("/api/permission-templates")]
pub async fn list_permission_templates(
    state: web::Data<AppState>,
    auth: Auth,
) -> ApiResult<web::Json<Vec<PermissionTemplateOut>>> {
    let templates = state.auth.list_permission_templates(&auth.0).await?;
    Ok(web::Json(
        templates
            .into_iter()
            .map(PermissionTemplateOut::from)
            .collect(),
    ))
}
