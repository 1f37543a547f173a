//! Contract section "Import", project upkeep: renaming an entity with every
//! reference to it (`POST /api/rename-entity`) and the automatic fixes of
//! common validation problems (`POST /api/validation/fix`).

use crate::body::JsonBody;
use crate::error::{ApiError, ApiResult};
use crate::extract::Auth;
use crate::routes::entities::{EntityOut, etag};
use crate::state::AppState;
use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, post, web};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use studiobrain_auth::Permission;
use studiobrain_entity::fix::FixOutcome;
use studiobrain_entity::rename::RenameReport;
use utoipa::ToSchema;

/// Body of a rename.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RenameEntityRequest {
    /// Type of the entity.
    pub entity_type: String,
    /// Its current id (`entity_id` is accepted too).
    #[serde(alias = "entity_id")]
    pub old_id: String,
    /// The id it gets.
    #[schema(pattern = "^[a-z0-9][a-z0-9_-]{0,127}$")]
    pub new_id: String,
}

/// The references rewritten in one entity.
#[derive(Debug, Serialize, ToSchema)]
pub struct UpdatedReferenceOut {
    /// Its type.
    pub entity_type: String,
    /// Its id.
    pub entity_id: String,
    /// Reference fields rewritten.
    pub fields: Vec<String>,
    /// Wikilinks rewritten in the body.
    pub wikilinks: usize,
}

/// Result of a rename.
#[derive(Debug, Serialize, ToSchema)]
pub struct RenameEntityOut {
    /// Type of the renamed entity.
    pub entity_type: String,
    /// Its former id.
    pub old_id: String,
    /// Its id now.
    pub new_id: String,
    /// Its file now, relative to the project root.
    pub path: String,
    /// Other entities whose references were rewritten.
    pub updated_references: Vec<UpdatedReferenceOut>,
}

impl From<RenameReport> for RenameEntityOut {
    fn from(report: RenameReport) -> Self {
        Self {
            entity_type: report.entity_type.to_string(),
            old_id: report.old_id.to_string(),
            new_id: report.new_id.to_string(),
            path: report.path,
            updated_references: report
                .updated_references
                .into_iter()
                .map(|u| UpdatedReferenceOut {
                    entity_type: u.entity_type.to_string(),
                    entity_id: u.entity_id.to_string(),
                    fields: u.fields,
                    wikilinks: u.wikilinks,
                })
                .collect(),
        }
    }
}

/// Rename an entity: a new id, its folder and file moved, and every
/// reference to it in other entities (reference fields and `[[wikilinks]]`)
/// rewritten. All or nothing: when a write fails, every file is as it was.
#[utoipa::path(tag = "Import", request_body = RenameEntityRequest,
    responses((status = 200, body = RenameEntityOut), (status = 400, description = "invalid new id"),
        (status = 404, description = "unknown type or entity"), (status = 409, description = "the new id is taken")),
    security(("bearer" = [])))]
#[post("/api/rename-entity")]
pub async fn rename_entity(
    state: web::Data<AppState>,
    auth: Auth,
    body: JsonBody<RenameEntityRequest>,
) -> ApiResult<web::Json<RenameEntityOut>> {
    auth.0.require(Permission::EntitiesWrite)?;
    let body = body.into_inner();
    let report = state
        .entities
        .rename(
            &auth.0.tenant_id,
            &body.entity_type,
            &body.old_id,
            &body.new_id,
            &auth.actor(),
        )
        .await?;
    Ok(web::Json(report.into()))
}

/// Body of a fix: a stored entity (`entity_id`) or raw Markdown (`content`).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FixRequest {
    /// The type whose template decides the fixes.
    pub entity_type: String,
    /// A stored entity to fix.
    #[serde(default)]
    pub entity_id: Option<String>,
    /// Raw Markdown to fix (never saved).
    #[serde(default)]
    pub content: Option<String>,
    /// Save the fixed file (stored entities only).
    #[serde(default)]
    pub apply: bool,
}

/// One fix.
#[derive(Debug, Serialize, ToSchema)]
pub struct FixOut {
    /// The field changed.
    pub field: String,
    /// The validation rule it satisfies (`id_format`, `id_matches_file`,
    /// `required`, `date_format`, `options`).
    pub rule: String,
    /// The value before (`null` when missing).
    #[schema(value_type = Value)]
    pub old_value: Value,
    /// The value after.
    #[schema(value_type = Value)]
    pub new_value: Value,
}

/// Result of a fix.
#[derive(Debug, Serialize, ToSchema)]
pub struct FixResultOut {
    /// The fixes made.
    pub fixes: Vec<FixOut>,
    /// Unified diff of the file before and after (empty without fixes).
    pub diff: String,
    /// The file text after the fixes.
    pub content: String,
    /// The fixed file was saved.
    pub applied: bool,
    /// The stored entity as it is now, when `apply` was asked.
    pub entity: Option<EntityOut>,
}

impl From<FixOutcome> for FixResultOut {
    fn from(outcome: FixOutcome) -> Self {
        Self {
            fixes: outcome
                .fixes
                .into_iter()
                .map(|f| FixOut {
                    field: f.field,
                    rule: f.rule.to_owned(),
                    old_value: f.old_value,
                    new_value: f.new_value,
                })
                .collect(),
            diff: outcome.diff,
            content: outcome.content,
            applied: outcome.applied,
            entity: outcome.entity.map(EntityOut::from),
        }
    }
}

/// Fix common validation problems, deterministically: a missing or
/// malformed id, missing required fields with a template default, dates
/// in an unambiguous non-ISO form, and a status that differs from a
/// template option only in case or whitespace. Returns the fixes and a
/// diff; with `apply`, saves a stored entity like an update (honouring
/// `If-Match`).
#[utoipa::path(tag = "Import", params(("If-Match" = Option<String>, Header)), request_body = FixRequest,
    responses((status = 200, body = FixResultOut), (status = 400, description = "the content does not parse"),
        (status = 404, description = "unknown type or entity"), (status = 412, description = "If-Match is stale"),
        (status = 422, description = "neither or both of entity_id and content, or apply without entity_id")),
    security(("bearer" = [])))]
#[post("/api/validation/fix")]
pub async fn fix_validation(
    state: web::Data<AppState>,
    auth: Auth,
    req: HttpRequest,
    body: JsonBody<FixRequest>,
) -> ApiResult<HttpResponse> {
    auth.0.require(Permission::EntitiesWrite)?;
    let body = body.into_inner();
    let tenant = &auth.0.tenant_id;
    let outcome = match (body.entity_id, body.content) {
        (Some(id), None) => {
            let if_match = req
                .headers()
                .get(header::IF_MATCH)
                .and_then(|v| v.to_str().ok());
            state
                .entities
                .fix_entity(
                    tenant,
                    &body.entity_type,
                    &id,
                    body.apply,
                    if_match,
                    &auth.actor(),
                )
                .await?
        }
        (None, Some(content)) if !body.apply => {
            state
                .entities
                .fix_content(tenant, &body.entity_type, &content)
                .await?
        }
        (None, Some(_)) => {
            return Err(ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "apply needs a stored entity: give entity_id, not content",
            ));
        }
        _ => {
            return Err(ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "give either entity_id or content",
            ));
        }
    };
    let out = FixResultOut::from(outcome);
    let mut response = HttpResponse::Ok();
    if let Some(entity) = &out.entity {
        response.insert_header(etag(&entity.content_hash));
    }
    Ok(response.json(out))
}
