//! Contract section "OAuth": sign-in with Google or Microsoft through the
//! authorization-code flow with PKCE, and the provider list. The Google
//! Drive consent routes belong to the Drive integration; until its token
//! store exists they answer 503 naming what is missing.

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

async fn finish(state: &AppState, provider: &str, query: CallbackQuery) -> ApiResult<HttpResponse> {
    if let Some(error) = query.error {
        return Err(ApiError::new(
            actix_web::http::StatusCode::UNAUTHORIZED,
            format!("the provider refused the sign-in: {error}"),
        ));
    }
    let (Some(code), Some(oauth_state)) = (query.code, query.state) else {
        return Err(ApiError::bad_request(
            "the callback needs the code and state parameters",
        ));
    };
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

fn drive_unavailable() -> ApiResult<HttpResponse> {
    Err(ApiError::not_configured(
        "Google Drive is not configured: set drive.client_id, drive.client_secret and drive.redirect_url",
    ))
}

/// Start the Google Drive consent flow.
#[utoipa::path(tag = "OAuth", responses((status = 401), (status = 503, description = "Drive not configured")), security(("bearer" = [])))]
#[get("/api/auth/oauth/google/drive")]
pub async fn drive_start(_auth: Auth) -> ApiResult<HttpResponse> {
    drive_unavailable()
}

/// Google Drive consent callback.
#[utoipa::path(tag = "OAuth", responses((status = 401), (status = 503, description = "Drive not configured")), security(("bearer" = [])))]
#[get("/api/auth/oauth/google/drive/callback")]
pub async fn drive_callback(_auth: Auth) -> ApiResult<HttpResponse> {
    drive_unavailable()
}
