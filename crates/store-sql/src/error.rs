//! Mapping of database failures to [`AuthError`].

use sea_orm::{DbErr, SqlErr};
use studiobrain_auth::AuthError;

/// Any database failure: unexpected.
pub(crate) fn db(err: DbErr) -> AuthError {
    AuthError::Unexpected(err.into())
}

/// A write failure, where a unique-constraint violation means `what` is taken.
pub(crate) fn taken(what: &'static str) -> impl FnOnce(DbErr) -> AuthError {
    move |err| match err.sql_err() {
        Some(SqlErr::UniqueConstraintViolation(_)) => AuthError::AlreadyExists(what.to_owned()),
        _ => db(err),
    }
}

/// A stored value that no longer parses (a corrupt or foreign row).
pub(crate) fn corrupt(err: impl Into<anyhow::Error>) -> AuthError {
    AuthError::Unexpected(err.into().context("invalid value in the database"))
}
