//! The `Auth` extractor: turns a bearer token (JWT or `sb_` API key) or the
//! session cookie into a [`Principal`], and enforces the rules every
//! authenticated route shares: cookie requests that change state must come
//! from an allowed origin; viewers cannot write; AI-only keys are refused
//! outside AI routes.

use crate::cookies::ACCESS_COOKIE;
use crate::error::ApiError;
use crate::state::AppState;
use actix_web::dev::Payload;
use actix_web::http::{Method, header};
use actix_web::{FromRequest, HttpRequest, web};
use std::future::Future;
use std::pin::Pin;
use studiobrain_auth::models::Role;
use studiobrain_auth::{AuthError, Principal};

/// Routes a viewer may still POST to: they change only the caller's own
/// session or password.
const SELF_SERVICE: &[&str] = &[
    "/api/auth/logout",
    "/api/auth/refresh",
    "/api/auth/set-password",
    "/api/auth/web/select-tenant",
];

/// An authenticated caller.
#[derive(Debug, Clone)]
pub struct Auth(pub Principal);

impl Auth {
    /// The caller as the author of a change (events and activity).
    pub fn actor(&self) -> studiobrain_kernel::Actor {
        studiobrain_kernel::Actor::User(self.0.user_id.clone())
    }
}

/// Where the credential came from.
enum Presented {
    Bearer(String),
    Cookie(String),
}

fn presented(req: &HttpRequest) -> Option<Presented> {
    if let Some(value) = req.headers().get(header::AUTHORIZATION) {
        let raw = value.to_str().ok()?;
        let (scheme, token) = raw.split_once(' ')?;
        return scheme
            .eq_ignore_ascii_case("bearer")
            .then(|| Presented::Bearer(token.trim().to_owned()));
    }
    req.cookie(ACCESS_COOKIE)
        .map(|c| Presented::Cookie(c.value().to_owned()))
}

fn is_unsafe(method: &Method) -> bool {
    !matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

/// A cookie-authenticated state change must carry no `Origin` (non-browser
/// client) or one that is this server or a configured origin.
pub fn check_origin(req: &HttpRequest, allowed: &[String]) -> Result<(), ApiError> {
    let Some(origin) = req
        .headers()
        .get(header::ORIGIN)
        .and_then(|v| v.to_str().ok())
    else {
        return Ok(());
    };
    let own = format!(
        "{}://{}",
        req.connection_info().scheme(),
        req.connection_info().host()
    );
    if origin == own || allowed.iter().any(|a| a == origin) {
        Ok(())
    } else {
        Err(ApiError::forbidden("cross-origin request refused"))
    }
}

impl FromRequest for Auth {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            let state = req
                .app_data::<web::Data<AppState>>()
                .ok_or_else(|| {
                    ApiError::Auth(AuthError::Unexpected(anyhow::anyhow!("state missing")))
                })?
                .clone();
            let token = match presented(&req).ok_or(AuthError::Unauthenticated)? {
                Presented::Bearer(token) => token,
                Presented::Cookie(token) => {
                    if is_unsafe(req.method()) {
                        check_origin(&req, &state.settings.server.cors_origins)?;
                    }
                    token
                }
            };
            let principal = state.auth.authenticate(&token).await?;
            if principal.is_ai_key() {
                return Err(ApiError::forbidden(
                    "this API key may only be used for AI routes",
                ));
            }
            if principal.role == Role::Viewer
                && is_unsafe(req.method())
                && !SELF_SERVICE.contains(&req.path())
            {
                return Err(ApiError::forbidden("viewers cannot make changes"));
            }
            Ok(Auth(principal))
        })
    }
}
