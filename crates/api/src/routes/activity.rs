//! Contract sections "Presence" and "Statistics and Activity": who of the
//! caller's tenant is connected and what they edit (from live sockets), the
//! activity feed and its history (from the event bus), and the dashboard.

use crate::error::{ApiError, ApiResult};
use crate::extract::Auth;
use crate::state::AppState;
use actix_web::http::StatusCode;
use actix_web::{get, web};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use studiobrain_auth::Permission;
use studiobrain_kernel::{EntityAction, TenantId};
use studiobrain_sync::activity::{ActivityEntry, ActivityQuery};
use studiobrain_sync::presence::EditTarget;
use utoipa::{IntoParams, ToSchema};

/// The caller's own tenant; any other answers 404 (it is not theirs to
/// know about).
fn own_tenant(auth: &Auth, raw: &str) -> ApiResult<TenantId> {
    match TenantId::parse(raw) {
        Ok(tenant) if tenant == auth.0.tenant_id => Ok(tenant),
        _ => Err(ApiError::new(
            StatusCode::NOT_FOUND,
            format!("tenant not found: {raw}"),
        )),
    }
}

/// An entity someone edits.
#[derive(Debug, Serialize, ToSchema)]
pub struct EditingOut {
    /// Entity type.
    pub entity_type: String,
    /// Entity id.
    pub entity_id: String,
    /// Since when (RFC 3339).
    pub since: String,
}

impl From<EditTarget> for EditingOut {
    fn from(t: EditTarget) -> Self {
        Self {
            entity_type: t.entity_type,
            entity_id: t.entity_id,
            since: t.since.to_rfc3339(),
        }
    }
}

/// A connected user.
#[derive(Debug, Serialize, ToSchema)]
pub struct OnlineUserOut {
    /// User id.
    pub user_id: String,
    /// Open sockets.
    pub connections: usize,
    /// Online since (RFC 3339).
    pub since: String,
    /// Last sign of life (RFC 3339).
    pub last_seen: String,
    /// What they edit.
    pub editing: Vec<EditingOut>,
}

/// Who is online.
#[derive(Debug, Serialize, ToSchema)]
pub struct PresenceOut {
    /// Tenant.
    pub tenant_id: String,
    /// Connected users.
    pub online: Vec<OnlineUserOut>,
    /// How many.
    pub count: usize,
}

/// Online users of a tenant (the caller's own only).
#[utoipa::path(tag = "Presence", params(("tenant_id" = String, Path)),
    responses((status = 200, body = PresenceOut), (status = 404)), security(("bearer" = [])))]
#[get("/api/presence/{tenant_id}")]
pub async fn presence(
    state: web::Data<AppState>,
    auth: Auth,
    path: web::Path<String>,
) -> ApiResult<web::Json<PresenceOut>> {
    let tenant = own_tenant(&auth, &path)?;
    let online: Vec<OnlineUserOut> = state
        .live
        .presence
        .online(&tenant)
        .into_iter()
        .map(|u| OnlineUserOut {
            user_id: u.user_id.to_string(),
            connections: u.connections,
            since: u.since.to_rfc3339(),
            last_seen: u.last_seen.to_rfc3339(),
            editing: u.editing.into_iter().map(EditingOut::from).collect(),
        })
        .collect();
    Ok(web::Json(PresenceOut {
        tenant_id: tenant.to_string(),
        count: online.len(),
        online,
    }))
}

/// One user editing one entity.
#[derive(Debug, Serialize, ToSchema)]
pub struct EditorOut {
    /// User id.
    pub user_id: String,
    /// Entity type.
    pub entity_type: String,
    /// Entity id.
    pub entity_id: String,
    /// Since when (RFC 3339).
    pub since: String,
}

/// Who edits what.
#[derive(Debug, Serialize, ToSchema)]
pub struct EditingListOut {
    /// Tenant.
    pub tenant_id: String,
    /// By entity, then user.
    pub editing: Vec<EditorOut>,
}

/// Who is editing what in a tenant (the caller's own only).
#[utoipa::path(tag = "Presence", params(("tenant_id" = String, Path)),
    responses((status = 200, body = EditingListOut), (status = 404)), security(("bearer" = [])))]
#[get("/api/presence/{tenant_id}/editing")]
pub async fn editing(
    state: web::Data<AppState>,
    auth: Auth,
    path: web::Path<String>,
) -> ApiResult<web::Json<EditingListOut>> {
    let tenant = own_tenant(&auth, &path)?;
    let editing = state
        .live
        .presence
        .editors(&tenant)
        .into_iter()
        .map(|e| EditorOut {
            user_id: e.user_id.to_string(),
            entity_type: e.target.entity_type,
            entity_id: e.target.entity_id,
            since: e.target.since.to_rfc3339(),
        })
        .collect();
    Ok(web::Json(EditingListOut {
        tenant_id: tenant.to_string(),
        editing,
    }))
}

/// One recorded change.
#[derive(Debug, Serialize, ToSchema)]
pub struct ActivityOut {
    /// Entry id (time-ordered).
    pub id: String,
    /// When (RFC 3339).
    pub at: String,
    /// `created`, `updated`, `deleted` or `renamed`.
    pub action: &'static str,
    /// Entity type.
    pub entity_type: String,
    /// Entity id.
    pub entity_id: String,
    /// Id before a rename.
    pub previous_id: Option<String>,
    /// Revision after the change.
    pub revision: i64,
    /// A user id, or `file_watcher`.
    pub changed_by: String,
}

impl From<ActivityEntry> for ActivityOut {
    fn from(e: ActivityEntry) -> Self {
        Self {
            id: e.id,
            at: e.at.to_rfc3339(),
            action: e.action.as_str(),
            entity_type: e.entity_type,
            entity_id: e.entity_id,
            previous_id: e.previous_id,
            revision: e.revision,
            changed_by: e.changed_by,
        }
    }
}

/// Query of the recent feed.
#[derive(Debug, Deserialize, IntoParams)]
pub struct RecentQuery {
    /// Most entries (1 to 100, default 20).
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<u64>,
}

/// The recent feed (named apart from `search::RecentOut`: OpenAPI
/// components are named after the type alone).
#[derive(Debug, Serialize, ToSchema)]
pub struct ActivityFeedOut {
    /// Newest first.
    pub activities: Vec<ActivityOut>,
}

fn limit_of(limit: Option<u64>, default: u64) -> ApiResult<u64> {
    match limit.unwrap_or(default) {
        limit @ 1..=100 => Ok(limit),
        other => Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            format!("limit must be between 1 and 100, not {other}"),
        )),
    }
}

/// Recent changes of the caller's tenant.
#[utoipa::path(tag = "Activity", params(RecentQuery), responses((status = 200, body = ActivityFeedOut), (status = 422)), security(("bearer" = [])))]
#[get("/api/activity/recent")]
pub async fn recent_activity(
    state: web::Data<AppState>,
    auth: Auth,
    query: web::Query<RecentQuery>,
) -> ApiResult<web::Json<ActivityFeedOut>> {
    auth.0.require(Permission::EntitiesRead)?;
    let query = ActivityQuery {
        limit: limit_of(query.limit, 20)?,
        ..ActivityQuery::default()
    };
    let page = state
        .live
        .activity
        .history(&auth.0.tenant_id, &query)
        .await?;
    Ok(web::Json(ActivityFeedOut {
        activities: page.entries.into_iter().map(ActivityOut::from).collect(),
    }))
}

/// Filters of the history.
#[derive(Debug, Deserialize, IntoParams)]
pub struct HistoryQuery {
    /// Entries to skip.
    pub offset: Option<u64>,
    /// Most entries (1 to 100, default 50).
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<u64>,
    /// Only this entity type.
    pub entity_type: Option<String>,
    /// Only this entity id.
    pub entity_id: Option<String>,
    /// Only changes by this user id (or `file_watcher`).
    pub user_id: Option<String>,
    /// Only `created`, `updated`, `deleted` or `renamed`.
    #[param(pattern = "^(created|updated|deleted|renamed)$")]
    pub action: Option<String>,
}

/// A page of the history.
#[derive(Debug, Serialize, ToSchema)]
pub struct HistoryOut {
    /// Matching entries in all pages.
    pub total: u64,
    /// Entries skipped.
    pub offset: u64,
    /// Page size.
    pub limit: u64,
    /// Newest first.
    pub activities: Vec<ActivityOut>,
}

/// The full activity history, paged and filtered.
#[utoipa::path(tag = "Activity", params(HistoryQuery), responses((status = 200, body = HistoryOut), (status = 422)), security(("bearer" = [])))]
#[get("/api/activity/history")]
pub async fn activity_history(
    state: web::Data<AppState>,
    auth: Auth,
    query: web::Query<HistoryQuery>,
) -> ApiResult<web::Json<HistoryOut>> {
    auth.0.require(Permission::EntitiesRead)?;
    let q = query.into_inner();
    let action = match q.action.as_deref() {
        None => None,
        Some(raw) => Some(EntityAction::parse(raw).ok_or_else(|| {
            ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                format!("unknown action '{raw}': use created, updated, deleted or renamed"),
            )
        })?),
    };
    let query = ActivityQuery {
        entity_type: q.entity_type,
        entity_id: q.entity_id,
        changed_by: q.user_id,
        action,
        offset: q.offset.unwrap_or(0),
        limit: limit_of(q.limit, 50)?,
    };
    let page = state
        .live
        .activity
        .history(&auth.0.tenant_id, &query)
        .await?;
    Ok(web::Json(HistoryOut {
        total: page.total,
        offset: query.offset,
        limit: query.limit,
        activities: page.entries.into_iter().map(ActivityOut::from).collect(),
    }))
}

/// Counts of one type.
#[derive(Debug, Serialize, ToSchema)]
pub struct TypeStatsOut {
    /// Live entities.
    pub total: u64,
    /// Per status.
    pub by_status: BTreeMap<String, u64>,
    /// Invalid ones.
    pub invalid: u64,
}

/// The dashboard.
#[derive(Debug, Serialize, ToSchema)]
pub struct DashboardOut {
    /// Live entities.
    pub total_entities: u64,
    /// Invalid entities.
    pub invalid_entities: u64,
    /// Per type.
    pub by_type: BTreeMap<String, TypeStatsOut>,
    /// Per status, all types.
    pub by_status: BTreeMap<String, u64>,
    /// The ten latest changes.
    pub recent_changes: Vec<ActivityOut>,
}

/// Dashboard statistics of the caller's tenant.
#[utoipa::path(tag = "Activity", responses((status = 200, body = DashboardOut)), security(("bearer" = [])))]
#[get("/api/stats/dashboard")]
pub async fn dashboard(
    state: web::Data<AppState>,
    auth: Auth,
) -> ApiResult<web::Json<DashboardOut>> {
    auth.0.require(Permission::EntitiesRead)?;
    let tenant = &auth.0.tenant_id;
    let audit = state.entities.audit(tenant).await?;
    let counts = state.entities.index().status_counts(tenant).await?;
    let mut by_type: BTreeMap<String, TypeStatsOut> = audit
        .by_type
        .iter()
        .map(|t| {
            let stats = TypeStatsOut {
                total: t.total,
                by_status: BTreeMap::new(),
                invalid: t.invalid,
            };
            (t.entity_type.to_string(), stats)
        })
        .collect();
    let mut by_status: BTreeMap<String, u64> = BTreeMap::new();
    for count in counts {
        *by_status.entry(count.status.clone()).or_default() += count.count;
        if let Some(stats) = by_type.get_mut(count.entity_type.as_str()) {
            stats.by_status.insert(count.status, count.count);
        }
    }
    let recent = ActivityQuery {
        limit: 10,
        ..ActivityQuery::default()
    };
    let recent = state.live.activity.history(tenant, &recent).await?;
    Ok(web::Json(DashboardOut {
        total_entities: audit.total,
        invalid_entities: audit.invalid,
        by_type,
        by_status,
        recent_changes: recent.entries.into_iter().map(ActivityOut::from).collect(),
    }))
}
