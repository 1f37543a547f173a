//! Mapping of database failures to the error types of the domains the store
//! serves: [`AuthError`] and [`EntityError`].

use sea_orm::{DbErr, SqlErr};
use studiobrain_auth::AuthError;
use studiobrain_entity::EntityError;

/// A database failure of the store's plumbing (transactions and their
/// scope), before it becomes the calling port's error: always unexpected.
#[derive(Debug, thiserror::Error)]
#[error(transparent)]
pub(crate) struct DbFailure(#[from] pub(crate) DbErr);

impl From<DbFailure> for AuthError {
    fn from(failure: DbFailure) -> Self {
        db(failure.0)
    }
}

impl From<DbFailure> for EntityError {
    fn from(failure: DbFailure) -> Self {
        EntityError::Unexpected(failure.0.into())
    }
}

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
