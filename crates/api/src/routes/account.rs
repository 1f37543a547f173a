//! Contract section "User Management" (`/api/auth/*`): registration, login,
//! token refresh and logout, the current profile, passwords and invites.

use super::dto::{MessageOut, TokenOut, UserOut};
use super::throttle;
use crate::body::JsonBody;
use crate::cookies::{REFRESH_COOKIE, cleared_cookies, with_session_cookies};
use crate::error::{ApiError, ApiResult};
use crate::extract::Auth;
use crate::state::AppState;
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use serde::{Deserialize, Serialize};
use studiobrain_auth::models::Role;
use studiobrain_auth::service::RegisterInput;
use studiobrain_auth::{AuthError, SessionTokens};
use utoipa::ToSchema;

/// Body of `POST /api/auth/register` and `POST /api/register`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RegisterRequest {
    /// Login address.
    #[schema(format = Email)]
    pub email: String,
    /// At least 8 characters.
    #[schema(min_length = 8, max_length = 256)]
    pub password: String,
    /// Display name.
    #[serde(default)]
    pub display_name: Option<String>,
    /// Name of the studio (tenant) to create.
    #[serde(default)]
    pub tenant_name: Option<String>,
}

/// Body of the login routes.
#[derive(Debug, Deserialize, ToSchema)]
pub struct LoginRequest {
    /// Login address.
    pub email: String,
    /// Password.
    pub password: String,
}

/// Body of `POST /api/auth/refresh` (or send the refresh cookie).
#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct RefreshRequest {
    /// The refresh token from the last login or refresh.
    #[serde(default)]
    pub refresh_token: Option<String>,
}

/// Body of `POST /api/auth/set-password`.
#[derive(Debug, Deserialize, ToSchema)]
pub struct SetPasswordRequest {
    /// Current password (required when one is set).
    #[serde(default)]
    pub current_password: Option<String>,
    /// New password, at least 8 characters.
    #[schema(min_length = 8, max_length = 256)]
    pub new_password: String,
}

/// Body of `POST /api/auth/forgot-password`.
#[derive(Debug, Deserialize, ToSchema)]
pub struct ForgotPasswordRequest {
    /// Address of the account.
    pub email: String,
}

/// Body of `POST /api/auth/reset-password`.
#[derive(Debug, Deserialize, ToSchema)]
pub struct ResetPasswordRequest {
    /// Token from the e-mail.
    pub token: String,
    /// New password.
    #[schema(min_length = 8, max_length = 256)]
    pub new_password: String,
}

/// Body of `POST /api/auth/create-invite`.
#[derive(Debug, Deserialize, ToSchema)]
pub struct CreateInviteRequest {
    /// Address to invite.
    #[schema(format = Email)]
    pub email: String,
    /// Role on acceptance (default `editor`).
    #[serde(default)]
    #[schema(pattern = "^(owner|admin|editor|viewer)$")]
    pub role: Option<String>,
}

/// An invite just created.
#[derive(Debug, Serialize, ToSchema)]
pub struct InviteOut {
    /// Invite id.
    pub id: String,
    /// Address invited.
    pub email: String,
    /// Role granted.
    pub role: String,
    /// Tenant to join.
    pub tenant_id: String,
    /// Expiry (RFC 3339).
    pub expires_at: String,
    /// Link token (also e-mailed).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub token: Option<String>,
}

/// Body of `POST /api/auth/register-with-invite`.
#[derive(Debug, Deserialize, ToSchema)]
pub struct RegisterWithInviteRequest {
    /// Link token.
    pub token: String,
    /// Password for the new account (or the existing account's password).
    #[schema(min_length = 8, max_length = 256)]
    pub password: String,
    /// Display name for a new account.
    #[serde(default)]
    pub display_name: Option<String>,
}

/// Answers a new session: tokens in the body, cookies set.
pub fn session_response(
    state: &AppState,
    tokens: &SessionTokens,
    status: actix_web::http::StatusCode,
) -> HttpResponse {
    with_session_cookies(status, tokens, &state.settings.auth).json(TokenOut::from(tokens))
}

/// Shared by both registration routes.
pub async fn register_account(
    state: &AppState,
    req: &HttpRequest,
    body: RegisterRequest,
) -> ApiResult<HttpResponse> {
    if !state.settings.registration_open() {
        return Err(ApiError::forbidden(
            "self-service registration is disabled on this server",
        ));
    }
    throttle(state, req, "register", Some(&body.email))?;
    let account = state
        .auth
        .register(RegisterInput {
            email: body.email,
            password: body.password,
            display_name: body.display_name,
            tenant_name: body.tenant_name,
        })
        .await?;
    // The studio's project folder exists from the start, seeded.
    state.entities.prepare_project(&account.tenant.id)?;
    Ok(session_response(
        state,
        &account.session,
        actix_web::http::StatusCode::CREATED,
    ))
}

/// Register a new user with a tenant of their own.
#[utoipa::path(tag = "User Management", request_body = RegisterRequest,
    responses((status = 201, body = TokenOut), (status = 403, description = "registration disabled"), (status = 409, description = "e-mail taken"), (status = 429, description = "rate limited")))]
#[post("/api/auth/register")]
pub async fn register(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: JsonBody<RegisterRequest>,
) -> ApiResult<HttpResponse> {
    register_account(&state, &req, body.into_inner()).await
}

/// Log in and receive a JWT and a refresh token.
#[utoipa::path(tag = "User Management", request_body = LoginRequest,
    responses((status = 200, body = TokenOut), (status = 401, description = "invalid credentials"), (status = 429, description = "rate limited")))]
#[post("/api/auth/login")]
pub async fn login(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: JsonBody<LoginRequest>,
) -> ApiResult<HttpResponse> {
    throttle(&state, &req, "login", Some(&body.email))?;
    let tokens = state.auth.login(&body.email, &body.password).await?;
    Ok(session_response(
        &state,
        &tokens,
        actix_web::http::StatusCode::OK,
    ))
}

/// Exchange a refresh token (body or cookie) for a new pair.
#[utoipa::path(tag = "User Management", request_body(content = RefreshRequest, description = "omit to use the refresh cookie"),
    responses((status = 200, body = TokenOut), (status = 401, description = "invalid, expired or reused")))]
#[post("/api/auth/refresh")]
pub async fn refresh(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: Option<JsonBody<RefreshRequest>>,
) -> ApiResult<HttpResponse> {
    let from_body = body.and_then(|b| b.into_inner().refresh_token);
    let token = match from_body {
        Some(token) => token,
        None => {
            let cookie = req
                .cookie(REFRESH_COOKIE)
                .ok_or(AuthError::Unauthenticated)?;
            crate::extract::check_origin(&req, &state.settings.server.cors_origins)?;
            cookie.value().to_owned()
        }
    };
    let tokens = state.auth.refresh(&token).await?;
    Ok(session_response(
        &state,
        &tokens,
        actix_web::http::StatusCode::OK,
    ))
}

/// Log out everywhere: revokes every refresh and access token of the user.
#[utoipa::path(tag = "User Management", responses((status = 200, body = MessageOut), (status = 401)), security(("bearer" = [])))]
#[post("/api/auth/logout")]
pub async fn logout(state: web::Data<AppState>, auth: Auth) -> ApiResult<HttpResponse> {
    state.auth.logout(&auth.0).await?;
    let mut response = HttpResponse::Ok();
    for cookie in cleared_cookies() {
        response.cookie(cookie);
    }
    Ok(response.json(MessageOut::new("logged out")))
}

/// The caller's profile in the active tenant.
#[utoipa::path(tag = "User Management", responses((status = 200, body = UserOut), (status = 401)), security(("bearer" = [])))]
#[get("/api/auth/me")]
pub async fn me(state: web::Data<AppState>, auth: Auth) -> ApiResult<web::Json<UserOut>> {
    let view = state.auth.get_member(&auth.0, &auth.0.user_id).await?;
    Ok(web::Json(view.into()))
}

/// Change the caller's password; revokes every other session.
#[utoipa::path(tag = "User Management", request_body = SetPasswordRequest,
    responses((status = 200, body = TokenOut), (status = 400), (status = 401)), security(("bearer" = [])))]
#[post("/api/auth/set-password")]
pub async fn set_password(
    state: web::Data<AppState>,
    auth: Auth,
    body: JsonBody<SetPasswordRequest>,
) -> ApiResult<HttpResponse> {
    let tokens = state
        .auth
        .set_password(
            &auth.0,
            body.current_password.as_deref(),
            &body.new_password,
        )
        .await?;
    Ok(session_response(
        &state,
        &tokens,
        actix_web::http::StatusCode::OK,
    ))
}

/// Request a password-reset e-mail. Always answers the same.
#[utoipa::path(tag = "User Management", request_body = ForgotPasswordRequest,
    responses((status = 202, body = MessageOut), (status = 429)))]
#[post("/api/auth/forgot-password")]
pub async fn forgot_password(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: JsonBody<ForgotPasswordRequest>,
) -> ApiResult<HttpResponse> {
    throttle(&state, &req, "forgot", Some(&body.email))?;
    state.auth.forgot_password(&body.email).await?;
    Ok(HttpResponse::Accepted().json(MessageOut::new(
        "if an account exists for this address, a reset link has been sent",
    )))
}

/// Set a new password with a reset token.
#[utoipa::path(tag = "User Management", request_body = ResetPasswordRequest,
    responses((status = 200, body = MessageOut), (status = 400, description = "invalid or expired token")))]
#[post("/api/auth/reset-password")]
pub async fn reset_password(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: JsonBody<ResetPasswordRequest>,
) -> ApiResult<web::Json<MessageOut>> {
    throttle(&state, &req, "reset", None)?;
    state
        .auth
        .reset_password(&body.token, &body.new_password)
        .await?;
    Ok(web::Json(MessageOut::new("password changed")))
}

/// Invite someone into the caller's tenant (administrators).
#[utoipa::path(tag = "User Management", request_body = CreateInviteRequest,
    responses((status = 201, body = InviteOut), (status = 403)), security(("bearer" = [])))]
#[post("/api/auth/create-invite")]
pub async fn create_invite(
    state: web::Data<AppState>,
    auth: Auth,
    body: JsonBody<CreateInviteRequest>,
) -> ApiResult<HttpResponse> {
    let role = Role::parse(body.role.as_deref().unwrap_or("editor"))?;
    let (invite, token) = state.auth.create_invite(&auth.0, &body.email, role).await?;
    Ok(HttpResponse::Created().json(InviteOut {
        id: invite.id,
        email: invite.email.as_str().to_owned(),
        role: invite.role.as_str().to_owned(),
        tenant_id: invite.tenant_id.to_string(),
        expires_at: invite.expires_at.to_rfc3339(),
        token: Some(token),
    }))
}

/// Check an invite link.
#[utoipa::path(tag = "User Management", params(("token" = String, Path)),
    responses((status = 200, body = InviteOut), (status = 404, description = "unknown, used or expired")))]
#[get("/api/auth/validate-invite/{token}")]
pub async fn validate_invite(
    state: web::Data<AppState>,
    token: web::Path<String>,
) -> ApiResult<web::Json<InviteOut>> {
    let invite = state.auth.validate_invite(&token).await?;
    Ok(web::Json(InviteOut {
        id: invite.id,
        email: invite.email.as_str().to_owned(),
        role: invite.role.as_str().to_owned(),
        tenant_id: invite.tenant_id.to_string(),
        expires_at: invite.expires_at.to_rfc3339(),
        token: None,
    }))
}

/// Accept an invite: create the account (or confirm an existing one) and join.
#[utoipa::path(tag = "User Management", request_body = RegisterWithInviteRequest,
    responses((status = 201, body = TokenOut), (status = 401), (status = 404), (status = 409)))]
#[post("/api/auth/register-with-invite")]
pub async fn register_with_invite(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: JsonBody<RegisterWithInviteRequest>,
) -> ApiResult<HttpResponse> {
    throttle(&state, &req, "register", None)?;
    let tokens = state
        .auth
        .register_with_invite(&body.token, &body.password, body.display_name.as_deref())
        .await?;
    Ok(session_response(
        &state,
        &tokens,
        actix_web::http::StatusCode::CREATED,
    ))
}
