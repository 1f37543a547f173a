//! Contract section "Teams and Users (Admin)", the `/api/users` part: members
//! of the caller's tenant. A user of another tenant answers 404.

use super::dto::{ApiKeyOut, CreatedApiKeyOut, MessageOut, UserOut};
use super::user_id;
use crate::body::JsonBody;
use crate::error::ApiResult;
use crate::extract::Auth;
use crate::state::AppState;
use actix_web::{HttpResponse, delete, get, post, put, web};
use serde::{Deserialize, Serialize};
use studiobrain_auth::models::Role;
use studiobrain_auth::service::UserUpdate;
use utoipa::ToSchema;

/// Members of the caller's tenant (administrators).
#[utoipa::path(tag = "Users", responses((status = 200, body = Vec<UserOut>), (status = 403)), security(("bearer" = [])))]
#[get("/api/users")]
pub async fn list_users(
    state: web::Data<AppState>,
    auth: Auth,
) -> ApiResult<web::Json<Vec<UserOut>>> {
    let members = state.auth.list_members(&auth.0).await?;
    Ok(web::Json(members.into_iter().map(UserOut::from).collect()))
}

/// The caller.
#[utoipa::path(tag = "Users", responses((status = 200, body = UserOut)), security(("bearer" = [])))]
#[get("/api/users/current")]
pub async fn current_user(state: web::Data<AppState>, auth: Auth) -> ApiResult<web::Json<UserOut>> {
    Ok(web::Json(
        state
            .auth
            .get_member(&auth.0, &auth.0.user_id)
            .await?
            .into(),
    ))
}

/// One member (administrators, or the caller themselves).
#[utoipa::path(tag = "Users", params(("id" = String, Path)), responses((status = 200, body = UserOut), (status = 404)), security(("bearer" = [])))]
#[get("/api/users/{id}")]
pub async fn get_user(
    state: web::Data<AppState>,
    auth: Auth,
    id: web::Path<String>,
) -> ApiResult<web::Json<UserOut>> {
    Ok(web::Json(
        state.auth.get_member(&auth.0, &user_id(&id)?).await?.into(),
    ))
}

/// Body of `PUT /api/users/{id}`. Unknown keys (such as `id` or
/// `tenant_id`) are refused with 400.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateUserRequest {
    /// New display name.
    #[serde(default)]
    #[schema(min_length = 1, max_length = 200, pattern = "\\S")]
    pub display_name: Option<String>,
    /// New login address.
    #[serde(default)]
    #[schema(format = Email)]
    pub email: Option<String>,
    /// New role.
    #[serde(default)]
    #[schema(pattern = "^(owner|admin|editor|viewer)$")]
    pub role: Option<String>,
    /// Activate or deactivate.
    #[serde(default)]
    pub is_active: Option<bool>,
    /// Permission template to assign; `""` clears it.
    #[serde(default)]
    pub permission_template_id: Option<String>,
}

/// Update a member (administrators).
#[utoipa::path(tag = "Users", params(("id" = String, Path)), request_body = UpdateUserRequest,
    responses((status = 200, body = UserOut), (status = 400), (status = 403), (status = 404)), security(("bearer" = [])))]
#[put("/api/users/{id}")]
pub async fn update_user(
    state: web::Data<AppState>,
    auth: Auth,
    id: web::Path<String>,
    body: JsonBody<UpdateUserRequest>,
) -> ApiResult<web::Json<UserOut>> {
    let body = body.into_inner();
    let update = UserUpdate {
        display_name: body.display_name,
        email: body.email,
        role: body.role.as_deref().map(Role::parse).transpose()?,
        is_active: body.is_active,
        permission_template_id: body
            .permission_template_id
            .map(|t| if t.is_empty() { None } else { Some(t) }),
    };
    Ok(web::Json(
        state
            .auth
            .update_member(&auth.0, &user_id(&id)?, update)
            .await?
            .into(),
    ))
}

/// Remove a member from the tenant (administrators).
#[utoipa::path(tag = "Users", params(("id" = String, Path)), responses((status = 204), (status = 403), (status = 404)), security(("bearer" = [])))]
#[delete("/api/users/{id}")]
pub async fn delete_user(
    state: web::Data<AppState>,
    auth: Auth,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    state.auth.remove_member(&auth.0, &user_id(&id)?).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Body of `PUT /api/users/{id}/password`.
#[derive(Debug, Deserialize, ToSchema)]
pub struct AdminPasswordRequest {
    /// The new password.
    #[schema(min_length = 8, max_length = 256)]
    pub new_password: String,
}

/// Set a member's password (administrators); revokes their sessions.
#[utoipa::path(tag = "Users", params(("id" = String, Path)), request_body = AdminPasswordRequest,
    responses((status = 200, body = MessageOut), (status = 403), (status = 404)), security(("bearer" = [])))]
#[put("/api/users/{id}/password")]
pub async fn change_user_password(
    state: web::Data<AppState>,
    auth: Auth,
    id: web::Path<String>,
    body: JsonBody<AdminPasswordRequest>,
) -> ApiResult<web::Json<MessageOut>> {
    state
        .auth
        .admin_set_password(&auth.0, &user_id(&id)?, &body.new_password)
        .await?;
    Ok(web::Json(MessageOut::new("password changed")))
}

/// The member's AI-service key (metadata; the secret is shown only when created).
#[utoipa::path(tag = "Users", params(("id" = String, Path)), responses((status = 200, body = ApiKeyOut), (status = 404)), security(("bearer" = [])))]
#[get("/api/users/{id}/api-key")]
pub async fn get_ai_key(
    state: web::Data<AppState>,
    auth: Auth,
    id: web::Path<String>,
) -> ApiResult<web::Json<ApiKeyOut>> {
    Ok(web::Json(
        state.auth.ai_key_of(&auth.0, &user_id(&id)?).await?.into(),
    ))
}

/// Replace the member's AI-service key; the new secret is shown once.
#[utoipa::path(tag = "Users", params(("id" = String, Path)), responses((status = 201, body = CreatedApiKeyOut), (status = 404)), security(("bearer" = [])))]
#[post("/api/users/{id}/api-key/regenerate")]
pub async fn regenerate_ai_key(
    state: web::Data<AppState>,
    auth: Auth,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let created = state
        .auth
        .regenerate_ai_key(&auth.0, &user_id(&id)?)
        .await?;
    Ok(HttpResponse::Created().json(CreatedApiKeyOut::from(created)))
}

/// A member's subscription tier.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct SubscriptionOut {
    /// The member.
    #[serde(default)]
    pub user_id: String,
    /// `free`, `indie`, `team` or `enterprise`.
    pub tier: String,
}

/// The member's subscription tier (the member or administrators).
#[utoipa::path(tag = "Users", params(("id" = String, Path)), responses((status = 200, body = SubscriptionOut), (status = 404)), security(("bearer" = [])))]
#[get("/api/users/{id}/subscription")]
pub async fn get_subscription(
    state: web::Data<AppState>,
    auth: Auth,
    id: web::Path<String>,
) -> ApiResult<web::Json<SubscriptionOut>> {
    let view = state.auth.get_member(&auth.0, &user_id(&id)?).await?;
    Ok(web::Json(SubscriptionOut {
        user_id: view.user.id.to_string(),
        tier: view.membership.subscription_tier,
    }))
}

/// Body of `PUT /api/users/{id}/subscription`.
#[derive(Debug, Deserialize, ToSchema)]
pub struct SubscriptionRequest {
    /// New tier.
    #[schema(pattern = "^(free|indie|team|enterprise)$")]
    pub tier: String,
}

/// Set the member's subscription tier (administrators).
#[utoipa::path(tag = "Users", params(("id" = String, Path)), request_body = SubscriptionRequest,
    responses((status = 200, body = SubscriptionOut), (status = 400), (status = 403), (status = 404)), security(("bearer" = [])))]
#[put("/api/users/{id}/subscription")]
pub async fn set_subscription(
    state: web::Data<AppState>,
    auth: Auth,
    id: web::Path<String>,
    body: JsonBody<SubscriptionRequest>,
) -> ApiResult<web::Json<SubscriptionOut>> {
    let view = state
        .auth
        .set_subscription_tier(&auth.0, &user_id(&id)?, &body.tier)
        .await?;
    Ok(web::Json(SubscriptionOut {
        user_id: view.user.id.to_string(),
        tier: view.membership.subscription_tier,
    }))
}

/// Re-send a tenant invitation to a member's address (administrators).
#[utoipa::path(tag = "Users", params(("id" = String, Path)), responses((status = 201, body = MessageOut), (status = 403), (status = 404)), security(("bearer" = [])))]
#[post("/api/users/{id}/invite")]
pub async fn send_invite(
    state: web::Data<AppState>,
    auth: Auth,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let member = state.auth.get_member(&auth.0, &user_id(&id)?).await?;
    let role = member.membership.role.max(Role::Admin);
    state
        .auth
        .create_invite(&auth.0, member.user.email.as_str(), role)
        .await?;
    Ok(HttpResponse::Created().json(MessageOut::new(format!(
        "invitation sent to {}",
        member.user.email.as_str()
    ))))
}
