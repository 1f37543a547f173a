//! The HTTP error model: every error body is `{"detail": "..."}`. Domain
//! errors map to statuses in one table (`status_of`); 5xx bodies are
//! opaque and their cause is logged with the request id.

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;
use studiobrain_auth::AuthError;
use studiobrain_entity::EntityError;
use studiobrain_graph::GraphError;
use studiobrain_graph::embeddings::EmbeddingError;

/// The JSON error body.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ErrorBody {
    /// Human-readable explanation.
    pub detail: String,
    /// The failing fields of a validation failure.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldErrorOut>,
}

/// One failing field.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct FieldErrorOut {
    /// The field.
    pub field: String,
    /// What is wrong.
    pub message: String,
}

impl ErrorBody {
    /// A body with only a message.
    pub fn new(detail: impl Into<String>) -> Self {
        Self {
            detail: detail.into(),
            errors: Vec::new(),
        }
    }
}

/// An error answered over HTTP.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// A domain error of the identity crate.
    #[error(transparent)]
    Auth(#[from] AuthError),
    /// A domain error of the entity crate.
    #[error(transparent)]
    Entity(#[from] EntityError),
    /// A plain error with an explicit status.
    #[error("{detail}")]
    Status {
        /// Status to answer.
        status: StatusCode,
        /// Message for the client.
        detail: String,
    },
}

impl ApiError {
    /// An error with the given status and message.
    pub fn new(status: StatusCode, detail: impl Into<String>) -> Self {
        Self::Status {
            status,
            detail: detail.into(),
        }
    }

    /// 400 Bad Request.
    pub fn bad_request(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, detail)
    }

    /// 403 Forbidden.
    pub fn forbidden(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, detail)
    }

    /// 503 Service Unavailable, naming what is missing.
    pub fn not_configured(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::SERVICE_UNAVAILABLE, detail)
    }
}

impl From<GraphError> for ApiError {
    /// Entity errors keep their statuses; an embeddings provider that is
    /// not configured is 503 naming the setting, one that fails is 502.
    fn from(err: GraphError) -> Self {
        match err {
            GraphError::Entity(err) => Self::Entity(err),
            GraphError::Embeddings(EmbeddingError::NotConfigured(setting)) => {
                Self::not_configured(setting)
            }
            GraphError::Embeddings(err @ EmbeddingError::Provider(_)) => {
                Self::new(StatusCode::BAD_GATEWAY, err.to_string())
            }
        }
    }
}

/// The table from entity-domain error to status code.
fn entity_status(err: &EntityError) -> StatusCode {
    match err {
        EntityError::Invalid(_) => StatusCode::BAD_REQUEST,
        EntityError::Forbidden(_) => StatusCode::FORBIDDEN,
        EntityError::NotFound(_) => StatusCode::NOT_FOUND,
        EntityError::AlreadyExists(_) | EntityError::Conflict(_) => StatusCode::CONFLICT,
        EntityError::Stale { .. } => StatusCode::PRECONDITION_FAILED,
        EntityError::Rejected { .. } => StatusCode::UNPROCESSABLE_ENTITY,
        EntityError::NotConfigured(_) => StatusCode::SERVICE_UNAVAILABLE,
        EntityError::Unexpected(_) => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

/// The table from identity-domain error to status code.
fn status_of(err: &AuthError) -> StatusCode {
    match err {
        AuthError::Invalid(_) => StatusCode::BAD_REQUEST,
        AuthError::Unauthenticated => StatusCode::UNAUTHORIZED,
        AuthError::Forbidden(_) => StatusCode::FORBIDDEN,
        AuthError::NotFound(_) => StatusCode::NOT_FOUND,
        AuthError::AlreadyExists(_) => StatusCode::CONFLICT,
        AuthError::RateLimited(_) => StatusCode::TOO_MANY_REQUESTS,
        AuthError::NotConfigured(_) => StatusCode::SERVICE_UNAVAILABLE,
        AuthError::Unexpected(_) => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            ApiError::Auth(err) => status_of(err),
            ApiError::Entity(err) => entity_status(err),
            ApiError::Status { status, .. } => *status,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let status = self.status_code();
        let detail = if status.is_server_error() && status != StatusCode::SERVICE_UNAVAILABLE {
            tracing::error!(error = ?self, "request failed");
            "internal server error".to_owned()
        } else {
            self.to_string()
        };
        let mut response = HttpResponse::build(status);
        if let ApiError::Auth(AuthError::RateLimited(wait)) = self {
            let secs = wait.as_secs().max(1).to_string();
            if let Ok(value) = HeaderValue::from_str(&secs) {
                response.insert_header((header::RETRY_AFTER, value));
            }
        }
        if status == StatusCode::UNAUTHORIZED {
            response.insert_header((header::WWW_AUTHENTICATE, "Bearer"));
        }
        let errors = match self {
            ApiError::Entity(EntityError::Rejected { errors, .. }) => errors
                .iter()
                .map(|e| FieldErrorOut {
                    field: e.field.clone(),
                    message: e.message.clone(),
                })
                .collect(),
            _ => Vec::new(),
        };
        response.json(ErrorBody { detail, errors })
    }
}

/// Result of a handler.
pub type ApiResult<T> = Result<T, ApiError>;
