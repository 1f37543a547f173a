//! Contract section "Services and Health": liveness, readiness details and
//! the status of the services the server depends on.

use crate::error::ApiResult;
use crate::extract::Auth;
use crate::state::AppState;
use actix_web::{HttpResponse, get, web};
use serde::Serialize;
use utoipa::ToSchema;

/// Liveness.
#[derive(Debug, Serialize, ToSchema)]
pub struct HealthOut {
    /// Always `ok` when the process answers.
    pub status: &'static str,
}

/// Liveness probe.
#[utoipa::path(tag = "Health", responses((status = 200, body = HealthOut)))]
#[get("/health")]
pub async fn health() -> web::Json<HealthOut> {
    web::Json(HealthOut { status: "ok" })
}

/// Liveness probe under `/api`.
#[utoipa::path(tag = "Health", responses((status = 200, body = HealthOut)))]
#[get("/api/health")]
pub async fn api_health() -> web::Json<HealthOut> {
    web::Json(HealthOut { status: "ok" })
}

/// Readiness details.
#[derive(Debug, Serialize, ToSchema)]
pub struct DetailedHealthOut {
    /// `ok` or `degraded`.
    pub status: &'static str,
    /// `desktop` or `cloud`.
    pub mode: &'static str,
    /// Server version.
    pub version: &'static str,
    /// Seconds since start.
    pub uptime_seconds: u64,
    /// Database state.
    pub database: DatabaseHealth,
}

/// Database part of the readiness details.
#[derive(Debug, Serialize, ToSchema)]
pub struct DatabaseHealth {
    /// `memory`, `sqlite` or `postgres`.
    pub backend: &'static str,
    /// Whether a query succeeded just now.
    pub reachable: bool,
    /// Newest applied migration.
    pub migration_version: Option<String>,
}

/// Readiness: database reachable, migration version, uptime, mode. Answers
/// 503 when the database is unreachable.
#[utoipa::path(tag = "Health", responses((status = 200, body = DetailedHealthOut), (status = 503, body = DetailedHealthOut)))]
#[get("/health/detailed")]
pub async fn detailed(state: web::Data<AppState>) -> HttpResponse {
    let reachable = state.storage.ping().await.is_ok();
    let migration_version = if reachable {
        state.storage.migration_version().await.ok().flatten()
    } else {
        None
    };
    let body = DetailedHealthOut {
        status: if reachable { "ok" } else { "degraded" },
        mode: state.settings.server.mode.as_str(),
        version: env!("CARGO_PKG_VERSION"),
        uptime_seconds: state.started_at.elapsed().as_secs(),
        database: DatabaseHealth {
            backend: state.storage.kind(),
            reachable,
            migration_version,
        },
    };
    if reachable {
        HttpResponse::Ok().json(body)
    } else {
        HttpResponse::ServiceUnavailable().json(body)
    }
}

/// One dependency's state.
#[derive(Debug, Serialize, ToSchema)]
pub struct ServiceStatus {
    /// Service name.
    pub name: &'static str,
    /// `ok`, `unavailable` or `not_configured`.
    pub status: &'static str,
    /// Detail (backend, or the setting to configure).
    pub detail: String,
}

/// The services the server depends on.
#[derive(Debug, Serialize, ToSchema)]
pub struct ServicesOut {
    /// One entry per service.
    pub services: Vec<ServiceStatus>,
}

/// Status of the services the server depends on.
#[utoipa::path(tag = "Health", responses((status = 200, body = ServicesOut), (status = 401)), security(("bearer" = [])))]
#[get("/api/services/status")]
pub async fn services_status(
    state: web::Data<AppState>,
    _auth: Auth,
) -> ApiResult<web::Json<ServicesOut>> {
    let db_ok = state.storage.ping().await.is_ok();
    let providers = state.auth.oauth_providers();
    let services = vec![
        ServiceStatus {
            name: "database",
            status: if db_ok { "ok" } else { "unavailable" },
            detail: state.storage.kind().to_owned(),
        },
        email_status(&state),
        ServiceStatus {
            name: "oauth",
            status: if providers.is_empty() {
                "not_configured"
            } else {
                "ok"
            },
            detail: if providers.is_empty() {
                "set auth.oauth.<provider>.client_id to enable a provider".to_owned()
            } else {
                providers.join(", ")
            },
        },
    ];
    Ok(web::Json(ServicesOut { services }))
}

fn email_status(state: &AppState) -> ServiceStatus {
    let settings = &state.settings;
    if settings.server.mode == crate::config::Mode::Desktop {
        ServiceStatus {
            name: "email",
            status: "ok",
            detail: format!(
                "file outbox at {}",
                settings.server.data_dir.join("outbox").display()
            ),
        }
    } else if settings.smtp.host.is_empty() {
        ServiceStatus {
            name: "email",
            status: "not_configured",
            detail: "set smtp.host, smtp.port, smtp.security and smtp.from".to_owned(),
        }
    } else {
        ServiceStatus {
            name: "email",
            status: "ok",
            detail: format!("SMTP relay {}", settings.smtp.host),
        }
    }
}
