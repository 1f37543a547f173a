//! Contract section "Desktop", projects and watcher: the desktop's local
//! projects (list, create, delete, activate, scan) and the file watcher
//! switch. These routes carry no credentials, so they answer only to
//! clients on this machine (loopback), in every mode.

use crate::client::client_ip;
use crate::error::{ApiError, ApiResult};
use crate::routes::sync::{SyncResultOut, WatcherStatusOut};
use crate::state::AppState;
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, delete, get, post, web};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;
use studiobrain_entity::EntityError;
use studiobrain_entity::ports::Vault;
use studiobrain_entity::service::id_of;
use studiobrain_kernel::{Actor, TenantId};
use studiobrain_sync::{Scope, Trigger};
use studiobrain_vault_fs::{FsVault, Project, ProjectRegistry};
use utoipa::{IntoParams, ToSchema};

/// Refuses any client that is not on this machine.
fn loopback_only(state: &AppState, req: &HttpRequest) -> ApiResult<()> {
    match client_ip(req, &state.settings.server.trusted_proxies) {
        Some(ip) if ip.is_loopback() => Ok(()),
        _ => Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "desktop routes answer only to clients on this machine",
        )),
    }
}

/// The project registry (desktop mode only).
fn registry<'a>(state: &'a AppState, req: &HttpRequest) -> ApiResult<&'a Arc<ProjectRegistry>> {
    loopback_only(state, req)?;
    state.live.projects.as_ref().ok_or_else(|| {
        ApiError::new(
            StatusCode::NOT_FOUND,
            "local projects exist only in desktop mode",
        )
    })
}

/// One local project.
#[derive(Debug, Serialize, ToSchema)]
pub struct ProjectOut {
    /// Name.
    pub name: String,
    /// Folder.
    pub path: String,
    /// When it was added (RFC 3339).
    pub created_at: String,
    /// Whether it is the active project.
    pub active: bool,
}

impl ProjectOut {
    fn of(project: Project, active: &str) -> Self {
        Self {
            active: project.name == active,
            name: project.name,
            path: project.path.display().to_string(),
            created_at: project.created_at.to_rfc3339(),
        }
    }
}

/// The local projects.
#[derive(Debug, Serialize, ToSchema)]
pub struct ProjectsOut {
    /// By name.
    pub projects: Vec<ProjectOut>,
    /// The active project's name.
    pub active: String,
}

/// List local projects.
#[utoipa::path(tag = "Desktop", responses((status = 200, body = ProjectsOut), (status = 403)))]
#[get("/api/desktop/projects")]
pub async fn list_projects(
    state: web::Data<AppState>,
    req: HttpRequest,
) -> ApiResult<web::Json<ProjectsOut>> {
    let (projects, active) = registry(&state, &req)?.list();
    Ok(web::Json(ProjectsOut {
        projects: projects
            .into_iter()
            .map(|p| ProjectOut::of(p, &active))
            .collect(),
        active,
    }))
}

/// A new project.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateProjectRequest {
    /// Unique name: 1 to 64 letters, digits, `-`, `_` or spaces, neither
    /// starting nor ending with a space.
    #[schema(min_length = 1, max_length = 64, pattern = "^[^\\s](.*[^\\s])?$")]
    pub name: String,
    /// Absolute folder; default `<data_dir>/projects/<name>`.
    #[serde(default)]
    pub path: Option<String>,
}

/// Create a project: the folder is laid out and seeded with the shipped
/// templates and rules (an existing project folder is adopted as it is).
#[utoipa::path(tag = "Desktop", request_body = CreateProjectRequest,
    responses((status = 201, body = ProjectOut), (status = 400), (status = 403), (status = 409)))]
#[post("/api/desktop/projects")]
pub async fn create_project(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: crate::body::JsonBody<CreateProjectRequest>,
) -> ApiResult<HttpResponse> {
    let registry = registry(&state, &req)?;
    let body = body.into_inner();
    let path = match body.path {
        Some(path) => PathBuf::from(path),
        None => state
            .settings
            .server
            .data_dir
            .join("projects")
            .join(&body.name),
    };
    if path.exists() && !path.is_dir() {
        return Err(EntityError::Invalid(format!("{} is not a folder", path.display())).into());
    }
    let created = !path.exists();
    let project = registry.add(&body.name, &path, chrono::Utc::now())?;
    if let Err(err) = state.live.vaults.seed_project(&path, false) {
        // Not laid out: take it off the list again (and remove what we made).
        let _ = registry.remove(&project.name);
        if created {
            let _ = std::fs::remove_dir_all(&path);
        }
        return Err(err.into());
    }
    let active = registry.list().1;
    Ok(HttpResponse::Created().json(ProjectOut::of(project, &active)))
}

/// Options of a project removal.
#[derive(Debug, Deserialize, IntoParams)]
pub struct DeleteProjectQuery {
    /// Also delete the project's folder and everything in it.
    #[serde(default)]
    pub delete_files: bool,
}

/// Result of a removal.
#[derive(Debug, Serialize, ToSchema)]
pub struct ProjectDeletedOut {
    /// The project's name.
    pub name: String,
    /// Its folder.
    pub path: String,
    /// Whether the folder was deleted (only with `delete_files=true`).
    pub files_deleted: bool,
}

/// Take a project off the list; its folder stays unless `delete_files=true`.
#[utoipa::path(tag = "Desktop", params(("name" = String, Path), DeleteProjectQuery),
    responses((status = 200, body = ProjectDeletedOut), (status = 403), (status = 404), (status = 409, description = "The active project")))]
#[delete("/api/desktop/projects/{name}")]
pub async fn delete_project(
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<String>,
    query: web::Query<DeleteProjectQuery>,
) -> ApiResult<web::Json<ProjectDeletedOut>> {
    let project = registry(&state, &req)?.remove(&path)?;
    let files_deleted = query.delete_files && project.path.exists();
    if files_deleted {
        let folder = project.path.clone();
        tokio::task::spawn_blocking(move || std::fs::remove_dir_all(folder))
            .await
            .map_err(|err| EntityError::Unexpected(anyhow::Error::new(err)))?
            .map_err(|err| {
                EntityError::Unexpected(
                    anyhow::Error::new(err).context("deleting the project folder"),
                )
            })?;
    }
    Ok(web::Json(ProjectDeletedOut {
        name: project.name,
        path: project.path.display().to_string(),
        files_deleted,
    }))
}

/// The project switched to, and the reconcile that followed.
#[derive(Debug, Serialize, ToSchema)]
pub struct ActivatedOut {
    /// The now active project.
    pub project: ProjectOut,
    /// The index brought in line with its folder.
    pub sync: SyncResultOut,
}

/// Make a project the active one, without a restart.
#[utoipa::path(tag = "Desktop", params(("name" = String, Path)),
    responses((status = 200, body = ActivatedOut), (status = 403), (status = 404)))]
#[post("/api/desktop/projects/{name}/activate")]
pub async fn activate_project(
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<String>,
) -> ApiResult<web::Json<ActivatedOut>> {
    let registry = registry(&state, &req)?;
    let project = registry.get(&path)?;
    let report = state.live.switch_project(&project).await?;
    registry.activate(&project.name)?;
    Ok(web::Json(ActivatedOut {
        project: ProjectOut::of(project.clone(), &project.name),
        sync: report.into(),
    }))
}

/// What a project folder holds.
#[derive(Debug, Serialize, ToSchema)]
pub struct ScanOut {
    /// The project's name.
    pub name: String,
    /// Entity files found.
    pub entities: u64,
    /// Entity files per type.
    pub by_type: BTreeMap<String, u64>,
    /// The reconcile run (the active project only).
    pub sync: Option<SyncResultOut>,
}

/// Scan a project for entity files; the active project is also reconciled.
#[utoipa::path(tag = "Desktop", params(("name" = String, Path)),
    responses((status = 200, body = ScanOut), (status = 403), (status = 404)))]
#[post("/api/desktop/projects/{name}/scan")]
pub async fn scan_project(
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<String>,
) -> ApiResult<web::Json<ScanOut>> {
    let registry = registry(&state, &req)?;
    let project = registry.get(&path)?;
    if !project.path.is_dir() {
        return Err(
            EntityError::NotFound(format!("{} does not exist", project.path.display())).into(),
        );
    }
    let local = TenantId::local();
    let sync = if registry.list().1 == project.name {
        let report = state
            .live
            .reconciler
            .reconcile(&local, Scope::All, Trigger::Request, &Actor::FileWatcher)
            .await?;
        Some(report.into())
    } else {
        None
    };
    let vault = FsVault::new(project.path.clone());
    let mut by_type = BTreeMap::new();
    for template in state.entities.templates(&local).await?.templates() {
        let files = vault.list(&template.folder_name, ".md").await?;
        let count = files
            .iter()
            .filter(|p| id_of(template, p).is_some())
            .count() as u64;
        by_type.insert(template.entity_type.to_string(), count);
    }
    Ok(web::Json(ScanOut {
        name: project.name,
        entities: by_type.values().sum(),
        by_type,
        sync,
    }))
}

/// File watcher status.
#[utoipa::path(tag = "Desktop", responses((status = 200, body = WatcherStatusOut), (status = 403)))]
#[get("/api/desktop/watcher/status")]
pub async fn watcher_status(
    state: web::Data<AppState>,
    req: HttpRequest,
) -> ApiResult<web::Json<WatcherStatusOut>> {
    loopback_only(&state, &req)?;
    Ok(web::Json(WatcherStatusOut::of(&state)))
}

/// Start watching the active project.
#[utoipa::path(tag = "Desktop", responses((status = 200, body = WatcherStatusOut), (status = 403), (status = 404)))]
#[post("/api/desktop/watcher/start")]
pub async fn watcher_start(
    state: web::Data<AppState>,
    req: HttpRequest,
) -> ApiResult<web::Json<WatcherStatusOut>> {
    registry(&state, &req)?;
    state
        .live
        .watcher
        .start(&state.live.desktop_root())
        .map_err(EntityError::Unexpected)?;
    Ok(web::Json(WatcherStatusOut::of(&state)))
}

/// Stop watching (the periodic reconcile still runs).
#[utoipa::path(tag = "Desktop", responses((status = 200, body = WatcherStatusOut), (status = 403)))]
#[post("/api/desktop/watcher/stop")]
pub async fn watcher_stop(
    state: web::Data<AppState>,
    req: HttpRequest,
) -> ApiResult<web::Json<WatcherStatusOut>> {
    loopback_only(&state, &req)?;
    state.live.watcher.stop();
    Ok(web::Json(WatcherStatusOut::of(&state)))
}
