//! Contract section "Web Auth (cookie-based)": the browser login that sets
//! the httpOnly session cookies, the session read-back and tenant switching.

use super::account::LoginRequest;
use super::dto::{TenantOut, UserOut};
use super::throttle;
use crate::body::JsonBody;
use crate::cookies::with_session_cookies;
use crate::error::ApiResult;
use crate::extract::Auth;
use crate::state::AppState;
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use serde::{Deserialize, Serialize};
use studiobrain_auth::service::SignUp;
use studiobrain_auth::{AuthError, SessionTokens};
use studiobrain_kernel::TenantId;
use utoipa::ToSchema;

/// Exactly the contract's login response.
#[derive(Debug, Serialize, ToSchema)]
pub struct WebLoginOut {
    /// Access JWT (also set as the `sb_access` cookie).
    pub access_token: String,
    /// Always `bearer`.
    pub token_type: &'static str,
    /// Active tenant.
    pub tenant_id: String,
    /// Signed-in user.
    pub user_id: String,
    /// Role in the active tenant.
    pub role: String,
}

/// Answers a browser session: the contract's login JSON, cookies set.
pub fn web_session(state: &AppState, tokens: &SessionTokens) -> HttpResponse {
    with_session_cookies(
        actix_web::http::StatusCode::OK,
        tokens,
        &state.settings.auth,
    )
    .json(WebLoginOut {
        access_token: tokens.access_token.clone(),
        token_type: "bearer",
        tenant_id: tokens.tenant_id.to_string(),
        user_id: tokens.user.id.to_string(),
        role: tokens.role.as_str().to_owned(),
    })
}

/// Log in with e-mail and password; sets the httpOnly session cookies.
#[utoipa::path(tag = "Web Auth", request_body = LoginRequest,
    responses((status = 200, body = WebLoginOut), (status = 401), (status = 429)))]
#[post("/api/auth/web/login")]
pub async fn web_login(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: JsonBody<LoginRequest>,
) -> ApiResult<HttpResponse> {
    throttle(&state, &req, "login", Some(&body.email))?;
    let tokens = state.auth.login(&body.email, &body.password).await?;
    Ok(web_session(&state, &tokens))
}

/// Body of `POST /api/auth/web/google-sso`.
#[derive(Debug, Deserialize, ToSchema)]
pub struct GoogleSsoRequest {
    /// A Google ID token (JWT).
    pub id_token: String,
}

/// Log in with a Google ID token (verified against Google's keys).
#[utoipa::path(tag = "Web Auth", request_body = GoogleSsoRequest,
    responses((status = 200, body = WebLoginOut), (status = 401), (status = 403, description = "unknown account and registration closed"), (status = 503, description = "Google sign-in is not configured")))]
#[post("/api/auth/web/google-sso")]
pub async fn google_sso(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: JsonBody<GoogleSsoRequest>,
) -> ApiResult<HttpResponse> {
    throttle(&state, &req, "login", None)?;
    let sign_up = if state.settings.registration_open() {
        SignUp::Allowed
    } else {
        SignUp::Refused
    };
    let tokens = state
        .auth
        .sign_in_with_google_id_token(&body.id_token, sign_up)
        .await?;
    Ok(web_session(&state, &tokens))
}

/// A tenant the user belongs to.
#[derive(Debug, Serialize, ToSchema)]
pub struct TenantChoice {
    /// The tenant.
    #[serde(flatten)]
    pub tenant: TenantOut,
    /// The user's role there.
    pub role: String,
}

/// The session behind the cookie.
#[derive(Debug, Serialize, ToSchema)]
pub struct SessionOut {
    /// Always true (an invalid session answers 401).
    pub authenticated: bool,
    /// The user in the active tenant.
    pub user: UserOut,
    /// Active tenant id.
    pub tenant_id: String,
    /// Every tenant the user may switch to.
    pub tenants: Vec<TenantChoice>,
}

/// The current session (cookie or bearer).
#[utoipa::path(tag = "Web Auth", responses((status = 200, body = SessionOut), (status = 401)))]
#[get("/api/auth/web/session")]
pub async fn session(state: web::Data<AppState>, auth: Auth) -> ApiResult<web::Json<SessionOut>> {
    let user = state.auth.get_member(&auth.0, &auth.0.user_id).await?;
    let tenants = state
        .auth
        .tenants_of(&auth.0.user_id)
        .await?
        .into_iter()
        .filter(|(_, m)| m.is_active)
        .map(|(tenant, m)| TenantChoice {
            tenant: tenant.into(),
            role: m.role.as_str().to_owned(),
        })
        .collect();
    Ok(web::Json(SessionOut {
        authenticated: true,
        user: user.into(),
        tenant_id: auth.0.tenant_id.to_string(),
        tenants,
    }))
}

/// Body of `POST /api/auth/web/select-tenant`.
#[derive(Debug, Deserialize, ToSchema)]
pub struct SelectTenantRequest {
    /// Tenant to switch to.
    pub tenant_id: String,
}

/// Switch the active tenant; answers a new session for it.
#[utoipa::path(tag = "Web Auth", request_body = SelectTenantRequest,
    responses((status = 200, body = WebLoginOut), (status = 404, description = "not a member")))]
#[post("/api/auth/web/select-tenant")]
pub async fn select_tenant(
    state: web::Data<AppState>,
    auth: Auth,
    body: JsonBody<SelectTenantRequest>,
) -> ApiResult<HttpResponse> {
    let tenant =
        TenantId::parse(body.tenant_id.clone()).map_err(|_| AuthError::NotFound("tenant"))?;
    let tokens = state.auth.select_tenant(&auth.0, &tenant).await?;
    Ok(web_session(&state, &tokens))
}
