//! The entity domain's error type.

/// One failed check of an entity's content, reported with 422.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct FieldError {
    /// The field at fault.
    pub field: String,
    /// What is wrong.
    pub message: String,
}

/// Everything that can go wrong in the entity domain. The API maps each
/// variant to one HTTP status.
#[derive(Debug, thiserror::Error)]
pub enum EntityError {
    /// Malformed input: a bad id, type, path or document (400).
    #[error("{0}")]
    Invalid(String),
    /// The caller may not do this (403).
    #[error("{0}")]
    Forbidden(String),
    /// No such entity, type or file in this tenant (404).
    #[error("{0}")]
    NotFound(String),
    /// The id is taken (409).
    #[error("{0}")]
    AlreadyExists(String),
    /// The request collides with the current state, such as a file changed
    /// on disk since it was indexed (409).
    #[error("{0}")]
    Conflict(String),
    /// `If-Match` named another revision (412).
    #[error("the entity changed since it was read (expected {expected}, found {found})")]
    Stale {
        /// The hash the caller sent.
        expected: String,
        /// The current hash.
        found: String,
    },
    /// Well-formed input that fails the schema (422).
    #[error("{message}")]
    Rejected {
        /// Summary.
        message: String,
        /// The failing fields.
        errors: Vec<FieldError>,
    },
    /// A needed outside service is not configured (503).
    #[error("{0}")]
    NotConfigured(String),
    /// Anything unexpected (500).
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

/// Shorthand for results of this crate.
pub type EntityResult<T> = Result<T, EntityError>;
