//! The web session cookies: `sb_access` (the access JWT, sent on every
//! request) and `sb_refresh` (sent only to `/api/auth`). Both httpOnly;
//! SameSite Lax and Strict; Secure when configured.

use crate::config::AuthSettings;
use actix_web::HttpResponseBuilder;
use actix_web::cookie::{Cookie, SameSite, time::Duration};
use actix_web::http::StatusCode;
use studiobrain_auth::SessionTokens;

/// Name of the access-token cookie.
pub const ACCESS_COOKIE: &str = "sb_access";
/// Name of the refresh-token cookie.
pub const REFRESH_COOKIE: &str = "sb_refresh";

/// The two cookies that carry a session.
pub fn session_cookies(
    tokens: &SessionTokens,
    refresh_days: i64,
    secure: bool,
) -> [Cookie<'static>; 2] {
    let access = Cookie::build(ACCESS_COOKIE, tokens.access_token.clone())
        .path("/")
        .http_only(true)
        .secure(secure)
        .same_site(SameSite::Lax)
        .max_age(Duration::seconds(tokens.expires_in))
        .finish();
    let refresh = Cookie::build(REFRESH_COOKIE, tokens.refresh_token.clone())
        .path("/api/auth")
        .http_only(true)
        .secure(secure)
        .same_site(SameSite::Strict)
        .max_age(Duration::days(refresh_days))
        .finish();
    [access, refresh]
}

/// Cookies that clear the session.
pub fn cleared_cookies() -> [Cookie<'static>; 2] {
    let mut access = Cookie::build(ACCESS_COOKIE, "")
        .path("/")
        .http_only(true)
        .finish();
    access.make_removal();
    let mut refresh = Cookie::build(REFRESH_COOKIE, "")
        .path("/api/auth")
        .http_only(true)
        .finish();
    refresh.make_removal();
    [access, refresh]
}

/// A response builder with `status` that sets the session's cookies.
pub fn with_session_cookies(
    status: StatusCode,
    tokens: &SessionTokens,
    auth: &AuthSettings,
) -> HttpResponseBuilder {
    let mut response = HttpResponseBuilder::new(status);
    for cookie in session_cookies(tokens, auth.refresh_token_days, auth.cookie_secure) {
        response.cookie(cookie);
    }
    response
}
