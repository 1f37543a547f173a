//! Contract section "OAuth". No provider adapter is configured in this
//! build, so the provider list is empty and every flow answers 503 naming
//! the settings it needs.

use crate::error::{ApiError, ApiResult};
use actix_web::{HttpResponse, get, web};
use serde::Serialize;
use utoipa::ToSchema;

/// Configured OAuth providers.
#[derive(Debug, Serialize, ToSchema)]
pub struct ProvidersOut {
    /// Provider ids (`google`, `microsoft`, `google_drive`).
    pub providers: Vec<String>,
}

/// List the OAuth providers that are configured.
#[utoipa::path(tag = "OAuth", responses((status = 200, body = ProvidersOut)))]
#[get("/api/auth/oauth/providers")]
pub async fn providers() -> web::Json<ProvidersOut> {
    web::Json(ProvidersOut {
        providers: Vec::new(),
    })
}

fn unconfigured(provider: &str) -> ApiResult<HttpResponse> {
    Err(ApiError::not_configured(format!(
        "OAuth provider '{provider}' is not configured: set auth.oauth.{provider}.client_id, \
         auth.oauth.{provider}.client_secret, auth.oauth.{provider}.auth_url and auth.oauth.{provider}.token_url"
    )))
}

macro_rules! unconfigured_route {
    ($name:ident, $path:literal, $provider:literal, $doc:literal) => {
        #[doc = $doc]
        #[utoipa::path(tag = "OAuth", responses((status = 503, description = "provider not configured")))]
        #[get($path)]
        pub async fn $name() -> ApiResult<HttpResponse> {
            unconfigured($provider)
        }
    };
}

unconfigured_route!(
    google_start,
    "/api/auth/oauth/google",
    "google",
    "Start the Google sign-in flow."
);
unconfigured_route!(
    google_callback,
    "/api/auth/oauth/google/callback",
    "google",
    "Google sign-in callback."
);
unconfigured_route!(
    microsoft_start,
    "/api/auth/oauth/microsoft",
    "microsoft",
    "Start the Microsoft sign-in flow."
);
unconfigured_route!(
    microsoft_callback,
    "/api/auth/oauth/microsoft/callback",
    "microsoft",
    "Microsoft sign-in callback."
);
unconfigured_route!(
    drive_start,
    "/api/auth/oauth/google/drive",
    "google_drive",
    "Start the Google Drive consent flow."
);
unconfigured_route!(
    drive_callback,
    "/api/auth/oauth/google/drive/callback",
    "google_drive",
    "Google Drive consent callback."
);
