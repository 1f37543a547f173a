//! HTTP routes, one module per contract section. Each handler parses the
//! request, calls one use case and shapes the response; no business rules
//! live here.

pub mod account;
pub mod activity;
pub mod api_keys;
pub mod crossref;
pub mod desktop;
pub mod dto;
pub mod entities;
pub mod entity_tools;
pub mod fallback;
pub mod health;
pub mod layouts;
pub mod maintenance;
pub mod markdown_ops;
pub mod oauth;
pub mod recycle_bin;
pub mod rules;
pub mod schemas;
pub mod search;
pub mod sync;
pub mod teams;
pub mod templates;
pub mod tenants;
pub mod users;
pub mod web_auth;
pub mod ws;

use crate::client::client_ip;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use actix_web::HttpRequest;
use studiobrain_auth::AuthError;
use studiobrain_kernel::UserId;

/// Counts one attempt of `action` against the client address and, when
/// given, the account; answers 429 with `Retry-After` when over the limit.
pub fn throttle(
    state: &AppState,
    req: &HttpRequest,
    action: &str,
    account: Option<&str>,
) -> ApiResult<()> {
    let ip = client_ip(req, &state.settings.server.trusted_proxies)
        .map(|ip| ip.to_string())
        .unwrap_or_default();
    let by_ip = format!("{action}:ip:{ip}");
    let by_account = account.map(|a| format!("{action}:acct:{}", a.trim().to_lowercase()));
    let mut keys = vec![by_ip.as_str()];
    keys.extend(by_account.as_deref());
    state
        .throttle
        .check(&keys)
        .map_err(|wait| ApiError::Auth(AuthError::RateLimited(wait)))
}

/// Parses a user id from the path; a malformed id cannot exist, so 404.
pub fn user_id(raw: &str) -> ApiResult<UserId> {
    UserId::parse(raw).map_err(|_| ApiError::Auth(AuthError::NotFound("user")))
}
