//! The identity domain's error type.

use std::time::Duration;

/// Everything that can go wrong in the identity domain. The API maps each
/// variant to one HTTP status in a single table.
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    /// Input failed validation (maps to 400 or 422).
    #[error("{0}")]
    Invalid(String),
    /// Missing, malformed, expired or revoked credentials (401). The message
    /// is deliberately the same for every cause.
    #[error("invalid credentials")]
    Unauthenticated,
    /// The caller is authenticated but lacks the role or permission (403).
    #[error("{0}")]
    Forbidden(String),
    /// The resource does not exist or belongs to another tenant (404).
    #[error("{0} not found")]
    NotFound(&'static str),
    /// A unique value is taken (409), e.g. an e-mail address.
    #[error("{0}")]
    AlreadyExists(String),
    /// Too many attempts; retry after the given duration (429).
    #[error("too many attempts")]
    RateLimited(Duration),
    /// A required outside service is not configured (503); names the setting.
    #[error("{0}")]
    NotConfigured(String),
    /// Anything unexpected (500); the cause chain is logged, never returned.
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

/// Shorthand for results of this crate.
pub type AuthResult<T> = Result<T, AuthError>;
