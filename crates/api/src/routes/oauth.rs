//! Contract section "OAuth": sign-in with Google or Microsoft through the
//! authorization-code flow with PKCE, the provider list, and the signed-in
//! member's consent to Google Drive (tokens stored sealed).

use super::web_auth::web_session;
use crate::error::{ApiError, ApiResult};
use crate::extract::Auth;
use crate::state::AppState;
use actix_web::http::header;
use actix_web::{HttpResponse, get, web};
use serde::{Deserialize, Serialize};
use studiobrain_auth::service::SignUp;
use utoipa::{IntoParams, ToSchema};

/// Configured OAuth providers.
#[derive(Debug, Serialize, ToSchema)]
pub struct ProvidersOut {
    /// Provider ids (`google`, `microsoft`).
    pub providers: Vec<String>,
}

/// List the OAuth providers that are configured.
#[utoipa::path(tag = "OAuth", responses((status = 200, body = ProvidersOut)))]
#[get("/api/auth/oauth/providers")]
pub async fn providers(state: web::Data<AppState>) -> web::Json<ProvidersOut> {
    web::Json(ProvidersOut {
        providers: state.auth.oauth_providers(),
    })
}

/// Query of a provider's redirect back to us.
#[derive(Debug, Deserialize, IntoParams)]
pub struct CallbackQuery {
    /// Authorization code.
    pub code: Option<String>,
    /// The state issued when the flow started.
    pub state: Option<String>,
    /// Set by the provider when the user declined or the request failed.
    pub error: Option<String>,
}

async fn start(state: &AppState, provider: &str) -> ApiResult<HttpResponse> {
    let url = state.auth.start_oauth(provider).await?;
    Ok(HttpResponse::Found()
        .insert_header((header::LOCATION, url))
        .finish())
}

/// The code and state of a callback, or why there are none.
fn callback_parameters(query: CallbackQuery) -> ApiResult<(String, String)> {
    if let Some(error) = query.error {
        return Err(ApiError::new(
            actix_web::http::StatusCode::UNAUTHORIZED,
            format!("the provider refused: {error}"),
        ));
    }
    match (query.code, query.state) {
        (Some(code), Some(state)) => Ok((code, state)),
        _ => Err(ApiError::bad_request(
            "the callback needs the code and state parameters",
        )),
    }
}

async fn finish(state: &AppState, provider: &str, query: CallbackQuery) -> ApiResult<HttpResponse> {
    let (code, oauth_state) = callback_parameters(query)?;
    let sign_up = if state.settings.registration_open() {
        SignUp::Allowed
    } else {
        SignUp::Refused
    };
    let tokens = state
        .auth
        .finish_oauth(provider, &code, &oauth_state, sign_up)
        .await?;
    Ok(web_session(state, &tokens))
}

/// Start the Google sign-in flow (302 to Google).
#[utoipa::path(tag = "OAuth", responses((status = 302, description = "redirect to the provider"), (status = 503, description = "provider not configured")))]
#[get("/api/auth/oauth/google")]
pub async fn google_start(state: web::Data<AppState>) -> ApiResult<HttpResponse> {
    start(&state, "google").await
}

/// Google sign-in callback: signs in and sets the session cookies.
#[utoipa::path(tag = "OAuth", params(CallbackQuery),
    responses((status = 200, body = super::web_auth::WebLoginOut), (status = 400), (status = 401), (status = 503)))]
#[get("/api/auth/oauth/google/callback")]
pub async fn google_callback(
    state: web::Data<AppState>,
    query: web::Query<CallbackQuery>,
) -> ApiResult<HttpResponse> {
    finish(&state, "google", query.into_inner()).await
}

/// Start the Microsoft sign-in flow (302 to Microsoft).
#[utoipa::path(tag = "OAuth", responses((status = 302, description = "redirect to the provider"), (status = 503, description = "provider not configured")))]
#[get("/api/auth/oauth/microsoft")]
pub async fn microsoft_start(state: web::Data<AppState>) -> ApiResult<HttpResponse> {
    start(&state, "microsoft").await
}

/// Microsoft sign-in callback: signs in and sets the session cookies.
#[utoipa::path(tag = "OAuth", params(CallbackQuery),
    responses((status = 200, body = super::web_auth::WebLoginOut), (status = 400), (status = 401), (status = 503)))]
#[get("/api/auth/oauth/microsoft/callback")]
pub async fn microsoft_callback(
    state: web::Data<AppState>,
    query: web::Query<CallbackQuery>,
) -> ApiResult<HttpResponse> {
    finish(&state, "microsoft", query.into_inner()).await
}

/// The caller's connection to an outside service (tokens never shown).
#[derive(Debug, Serialize, ToSchema)]
pub struct ConnectionOut {
    /// Service id (`google_drive`).
    pub provider: String,
    /// Always true once the callback succeeded.
    pub connected: bool,
    /// Scopes granted.
    pub scopes: Vec<String>,
    /// Access-token expiry (RFC 3339), if known.
    pub expires_at: Option<String>,
    /// Whether a refresh token was granted (offline access).
    pub offline_access: bool,
}

/// Start the Google Drive consent flow (302 to Google).
#[utoipa::path(tag = "OAuth", responses((status = 302, description = "redirect to the provider"), (status = 401), (status = 503, description = "Drive not configured")), security(("bearer" = [])))]
#[get("/api/auth/oauth/google/drive")]
pub async fn drive_start(state: web::Data<AppState>, auth: Auth) -> ApiResult<HttpResponse> {
    let url = state.auth.start_consent(&auth.0, "google_drive").await?;
    Ok(HttpResponse::Found()
        .insert_header((header::LOCATION, url))
        .finish())
}

/// Google Drive consent callback: stores the granted tokens, sealed.
#[utoipa::path(tag = "OAuth", params(CallbackQuery),
    responses((status = 200, body = ConnectionOut), (status = 400), (status = 401), (status = 503, description = "Drive not configured")), security(("bearer" = [])))]
#[get("/api/auth/oauth/google/drive/callback")]
pub async fn drive_callback(
    state: web::Data<AppState>,
    auth: Auth,
    query: web::Query<CallbackQuery>,
) -> ApiResult<web::Json<ConnectionOut>> {
    let (code, oauth_state) = callback_parameters(query.into_inner())?;
    let connection = state
        .auth
        .finish_consent(&auth.0, "google_drive", &code, &oauth_state)
        .await?;
    Ok(web::Json(ConnectionOut {
        provider: connection.provider,
        connected: true,
        scopes: connection.scopes,
        expires_at: connection.expires_at.map(|t| t.to_rfc3339()),
        offline_access: connection.sealed_refresh_token.is_some(),
    }))
}
