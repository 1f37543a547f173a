//! Errors of the graph use cases.

use crate::embeddings::EmbeddingError;
use studiobrain_entity::EntityError;

/// Why a graph use case failed.
#[derive(Debug, thiserror::Error)]
pub enum GraphError {
    /// The entity domain refused or failed (unknown entity, bad input,
    /// storage failure).
    #[error(transparent)]
    Entity(#[from] EntityError),
    /// The embeddings provider is not configured or failed.
    #[error(transparent)]
    Embeddings(#[from] EmbeddingError),
}

/// Result of a graph use case.
pub type GraphResult<T> = Result<T, GraphError>;
