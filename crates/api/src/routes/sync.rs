//! Contract sections "Markdown Sync", "Entity Sync (bulk)" and
//! `/api/markdown/sync-from-files`: reconciles of the caller's project
//! folder with the database, their status, single-entity reads and
//! write-backs, and validation of every entity.

use crate::config::Mode;
use crate::error::ApiResult;
use crate::extract::Auth;
use crate::routes::entities::{EntityOut, ValidationErrorOut};
use crate::state::AppState;
use actix_web::{get, post, web};
use serde::Serialize;
use std::collections::BTreeSet;
use studiobrain_auth::Permission;
use studiobrain_entity::entity::entity_dir;
use studiobrain_entity::{EntityError, EntityId, EntityType};
use studiobrain_kernel::{SyncSummary, TenantId};
use studiobrain_sync::{PendingChanges, Scope, SyncReport, SyncRun, Trigger};
use utoipa::ToSchema;

/// The counts of a sync run.
#[derive(Debug, Serialize, ToSchema)]
pub struct SyncCountsOut {
    /// Entities whose file appeared.
    pub created: u64,
    /// Entities whose file changed.
    pub updated: u64,
    /// Entities whose file disappeared.
    pub deleted: u64,
    /// Entities whose file moved.
    pub renamed: u64,
    /// Files that could not be read or parsed (files that do not parse stay
    /// indexed as invalid entities).
    pub failed: u64,
    /// Entity files compared.
    pub scanned: u64,
    /// Wall time in milliseconds.
    pub duration_ms: u64,
}

impl From<SyncSummary> for SyncCountsOut {
    fn from(s: SyncSummary) -> Self {
        Self {
            created: s.created,
            updated: s.updated,
            deleted: s.deleted,
            renamed: s.renamed,
            failed: s.failed,
            scanned: s.scanned,
            duration_ms: s.duration_ms,
        }
    }
}

/// The result of a sync run.
#[derive(Debug, Serialize, ToSchema)]
pub struct SyncResultOut {
    /// `completed`.
    pub status: &'static str,
    /// Its counts.
    #[serde(flatten)]
    pub counts: SyncCountsOut,
    /// What failed, per file.
    pub failures: Vec<String>,
}

impl From<SyncReport> for SyncResultOut {
    fn from(report: SyncReport) -> Self {
        Self {
            status: "completed",
            counts: report.summary.into(),
            failures: report.failures,
        }
    }
}

/// One finished run, as the status reports it.
#[derive(Debug, Serialize, ToSchema)]
pub struct SyncRunOut {
    /// `startup`, `periodic`, `watcher` or `request`.
    pub trigger: &'static str,
    /// Start (RFC 3339).
    pub started_at: String,
    /// End (RFC 3339).
    pub finished_at: String,
    /// Its counts (zero when it failed).
    #[serde(flatten)]
    pub counts: SyncCountsOut,
    /// Why the run failed as a whole, if it did.
    pub error: Option<String>,
}

impl From<SyncRun> for SyncRunOut {
    fn from(run: SyncRun) -> Self {
        Self {
            trigger: run.trigger.as_str(),
            started_at: run.started_at.to_rfc3339(),
            finished_at: run.finished_at.to_rfc3339(),
            counts: run.summary.into(),
            error: run.error,
        }
    }
}

/// Whether a sync runs, and the last result.
#[derive(Debug, Serialize, ToSchema)]
pub struct SyncStatusOut {
    /// A reconcile runs now.
    pub running: bool,
    /// The last finished run, if any.
    pub last_result: Option<SyncRunOut>,
    /// The desktop file watcher runs.
    pub watcher_running: bool,
}

/// Sync status of the caller's project (desktop: the local project; an
/// anonymous caller in cloud mode learns only whether the watcher runs).
#[utoipa::path(tag = "Sync", responses((status = 200, body = SyncStatusOut)))]
#[get("/api/sync/status")]
pub async fn sync_status(
    state: web::Data<AppState>,
    auth: Option<Auth>,
) -> web::Json<SyncStatusOut> {
    let tenant = match auth {
        Some(auth) => Some(auth.0.tenant_id),
        None if state.settings.server.mode == Mode::Desktop => Some(TenantId::local()),
        None => None,
    };
    let status = tenant
        .map(|t| state.live.reconciler.status(&t))
        .unwrap_or_default();
    web::Json(SyncStatusOut {
        running: status.running,
        last_result: status.last.map(SyncRunOut::from),
        watcher_running: state.live.watcher.status().running,
    })
}

/// File changes a sync would apply.
#[derive(Debug, Serialize, ToSchema)]
pub struct PendingChangesOut {
    /// Whether anything would change.
    pub has_changes: bool,
    /// `type/id` of new files.
    pub created: Vec<String>,
    /// `type/id` of changed files.
    pub updated: Vec<String>,
    /// `type/id` of files gone.
    pub deleted: Vec<String>,
    /// `type/old -> type/new` of moved files.
    pub renamed: Vec<String>,
}

impl From<PendingChanges> for PendingChangesOut {
    fn from(p: PendingChanges) -> Self {
        Self {
            has_changes: !p.is_empty(),
            created: p.created,
            updated: p.updated,
            deleted: p.deleted,
            renamed: p.renamed,
        }
    }
}

/// Compare the folder with the database without changing anything.
#[utoipa::path(tag = "Sync", responses((status = 200, body = PendingChangesOut)), security(("bearer" = [])))]
#[get("/api/sync/check-changes")]
pub async fn check_changes(
    state: web::Data<AppState>,
    auth: Auth,
) -> ApiResult<web::Json<PendingChangesOut>> {
    auth.0.require(Permission::EntitiesRead)?;
    let pending = state
        .live
        .reconciler
        .pending(&auth.0.tenant_id, Scope::All)
        .await?;
    Ok(web::Json(pending.into()))
}

async fn run(state: &AppState, auth: &Auth, scope: Scope) -> ApiResult<web::Json<SyncResultOut>> {
    auth.0.require(Permission::EntitiesWrite)?;
    let report = state
        .live
        .reconciler
        .reconcile(&auth.0.tenant_id, scope, Trigger::Request, &auth.actor())
        .await?;
    Ok(web::Json(report.into()))
}

/// Apply the detected file changes to the database.
#[utoipa::path(tag = "Sync", responses((status = 200, body = SyncResultOut)), security(("bearer" = [])))]
#[post("/api/sync/import-changes")]
pub async fn import_changes(
    state: web::Data<AppState>,
    auth: Auth,
) -> ApiResult<web::Json<SyncResultOut>> {
    run(&state, &auth, Scope::All).await
}

/// Full re-sync of every Markdown file (templates and rules read again).
#[utoipa::path(tag = "Sync", responses((status = 200, body = SyncResultOut)), security(("bearer" = [])))]
#[post("/api/sync/refresh-all")]
pub async fn refresh_all(
    state: web::Data<AppState>,
    auth: Auth,
) -> ApiResult<web::Json<SyncResultOut>> {
    run(&state, &auth, Scope::All).await
}

/// Sync every entity type from the files.
#[utoipa::path(tag = "Entity Sync", responses((status = 200, body = SyncResultOut)), security(("bearer" = [])))]
#[post("/api/entity/sync/all")]
pub async fn sync_all_types(
    state: web::Data<AppState>,
    auth: Auth,
) -> ApiResult<web::Json<SyncResultOut>> {
    run(&state, &auth, Scope::All).await
}

/// Sync one entity type from its folder.
#[utoipa::path(tag = "Entity Sync", params(("type" = String, Path)), responses((status = 200, body = SyncResultOut), (status = 404)), security(("bearer" = [])))]
#[post("/api/entity/sync/{type}")]
pub async fn sync_type(
    state: web::Data<AppState>,
    auth: Auth,
    path: web::Path<String>,
) -> ApiResult<web::Json<SyncResultOut>> {
    let template = state.entities.template(&auth.0.tenant_id, &path).await?;
    let types: BTreeSet<EntityType> = [template.entity_type.clone()].into();
    run(&state, &auth, Scope::Types(types)).await
}

/// Sync from the file system.
#[utoipa::path(tag = "Markdown", responses((status = 200, body = SyncResultOut)), security(("bearer" = [])))]
#[post("/api/markdown/sync-from-files")]
pub async fn sync_from_files(
    state: web::Data<AppState>,
    auth: Auth,
) -> ApiResult<web::Json<SyncResultOut>> {
    run(&state, &auth, Scope::All).await
}

/// Read one entity's file into the database (just that entity is
/// compared) and return it.
#[utoipa::path(tag = "Sync", params(("type" = String, Path), ("id" = String, Path)), responses((status = 200, body = EntityOut), (status = 404)), security(("bearer" = [])))]
#[post("/api/sync/from-markdown/{type}/{id}")]
pub async fn from_markdown(
    state: web::Data<AppState>,
    auth: Auth,
    path: web::Path<(String, String)>,
) -> ApiResult<web::Json<EntityOut>> {
    auth.0.require(Permission::EntitiesWrite)?;
    let (entity_type, id) = path.into_inner();
    let tenant = &auth.0.tenant_id;
    let template = state.entities.template(tenant, &entity_type).await?;
    let missing = || EntityError::NotFound(format!("Entity not found: {entity_type}/{id}"));
    let entity_id = EntityId::parse(&id).map_err(|_| missing())?;
    // The entity's folder names just that entity: its files (either layout)
    // are compared with its row, nothing else is read.
    let folder = entity_dir(&template, &entity_id);
    state
        .live
        .reconciler
        .reconcile(
            tenant,
            Scope::Paths(vec![folder]),
            Trigger::Request,
            &auth.actor(),
        )
        .await?;
    let view = state.entities.get(tenant, &entity_type, &id).await?;
    Ok(web::Json(view.into()))
}

/// Result of a write-back.
#[derive(Debug, Serialize, ToSchema)]
pub struct SavedOut {
    /// Whether the file was written (false: it already matched).
    pub written: bool,
    /// Type.
    pub entity_type: String,
    /// Id.
    pub entity_id: String,
}

/// Write an entity's stored content to its Markdown file when the file is
/// missing; 409 when the file changed on disk since it was indexed.
#[utoipa::path(tag = "Sync", params(("type" = String, Path), ("id" = String, Path)), responses((status = 200, body = SavedOut), (status = 404), (status = 409)), security(("bearer" = [])))]
#[post("/api/sync/save-to-markdown/{type}/{id}")]
pub async fn save_to_markdown(
    state: web::Data<AppState>,
    auth: Auth,
    path: web::Path<(String, String)>,
) -> ApiResult<web::Json<SavedOut>> {
    auth.0.require(Permission::EntitiesWrite)?;
    let (entity_type, id) = path.into_inner();
    let written = state
        .live
        .reconciler
        .save_to_file(&auth.0.tenant_id, &entity_type, &id, &auth.actor())
        .await?;
    Ok(web::Json(SavedOut {
        written,
        entity_type,
        entity_id: id,
    }))
}

/// One invalid entity.
#[derive(Debug, Serialize, ToSchema)]
pub struct InvalidEntityOut {
    /// Type.
    pub entity_type: String,
    /// Id.
    pub entity_id: String,
    /// Name.
    pub name: String,
    /// Findings.
    pub validation_errors: Vec<ValidationErrorOut>,
}

/// Counts of one type.
#[derive(Debug, Serialize, ToSchema)]
pub struct TypeValidationOut {
    /// Type.
    pub entity_type: String,
    /// Live entities.
    pub total: u64,
    /// Invalid ones.
    pub invalid: u64,
}

/// Validation of every entity.
#[derive(Debug, Serialize, ToSchema)]
pub struct ValidateAllOut {
    /// Live entities.
    pub total: u64,
    /// Valid ones.
    pub valid: u64,
    /// Invalid ones.
    pub invalid: u64,
    /// Per type.
    pub by_type: Vec<TypeValidationOut>,
    /// The invalid entities and why.
    pub invalid_entities: Vec<InvalidEntityOut>,
}

/// Validate every entity of the project.
#[utoipa::path(tag = "Entity Sync", responses((status = 200, body = ValidateAllOut)), security(("bearer" = [])))]
#[post("/api/entity/validate/all")]
pub async fn validate_all(
    state: web::Data<AppState>,
    auth: Auth,
) -> ApiResult<web::Json<ValidateAllOut>> {
    auth.0.require(Permission::EntitiesRead)?;
    let audit = state.entities.audit(&auth.0.tenant_id).await?;
    Ok(web::Json(ValidateAllOut {
        total: audit.total,
        valid: audit.total - audit.invalid,
        invalid: audit.invalid,
        by_type: audit
            .by_type
            .into_iter()
            .map(|t| TypeValidationOut {
                entity_type: t.entity_type.to_string(),
                total: t.total,
                invalid: t.invalid,
            })
            .collect(),
        invalid_entities: audit
            .invalid_entities
            .into_iter()
            .map(|e| InvalidEntityOut {
                entity_type: e.entity_type.to_string(),
                entity_id: e.id,
                name: e.name,
                validation_errors: e.findings.iter().map(ValidationErrorOut::from).collect(),
            })
            .collect(),
    }))
}

/// The watcher's state.
#[derive(Debug, Serialize, ToSchema)]
pub struct WatcherStatusOut {
    /// Watching now.
    pub running: bool,
    /// Folder watched.
    pub root: Option<String>,
    /// When it started (RFC 3339).
    pub started_at: Option<String>,
    /// Event batches received.
    pub batches: u64,
    /// Changed paths received.
    pub paths: u64,
    /// Batches that needed a full reconcile.
    pub rescans: u64,
    /// Last batch (RFC 3339).
    pub last_event_at: Option<String>,
    /// Last failure.
    pub last_error: Option<String>,
    /// Debounce in milliseconds.
    pub debounce_ms: u64,
    /// Seconds between safety-net reconciles (0: off).
    pub periodic_interval_secs: u64,
}

impl WatcherStatusOut {
    /// The watcher's status as served.
    pub fn of(state: &AppState) -> Self {
        let s = state.live.watcher.status();
        Self {
            running: s.running,
            root: s.root.map(|r| r.display().to_string()),
            started_at: s.started_at.map(|t| t.to_rfc3339()),
            batches: s.batches,
            paths: s.paths,
            rescans: s.rescans,
            last_event_at: s.last_event_at.map(|t| t.to_rfc3339()),
            last_error: s.last_error,
            debounce_ms: s.debounce_millis,
            periodic_interval_secs: state.settings.sync.interval_secs,
        }
    }
}

/// Hybrid file watcher status (events plus the periodic safety net).
#[utoipa::path(tag = "Sync", responses((status = 200, body = WatcherStatusOut)))]
#[get("/api/sync/file-watcher/status")]
pub async fn file_watcher_status(state: web::Data<AppState>) -> web::Json<WatcherStatusOut> {
    web::Json(WatcherStatusOut::of(&state))
}
