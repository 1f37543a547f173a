//! Entity tools of the contract: comparing two versions of an entity
//! (`POST /api/entity/{type}/compare`), importing a raw Markdown file as an
//! entity (`POST /api/entity/{type}/import`), and checking whether an id is
//! valid and free (`GET /api/check-entity-id/{id}`, section "Services and
//! Health").

use crate::body::JsonBody;
use crate::error::{ApiError, ApiResult};
use crate::extract::Auth;
use crate::routes::entities::{EntityOut, etag};
use crate::state::AppState;
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, get, post, web};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use studiobrain_auth::Permission;
use studiobrain_entity::diff::{Comparison, Version};
use studiobrain_entity::{EntityChanges, EntityId};
use utoipa::{IntoParams, ToSchema};

/// One version of an entity in a comparison.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VersionIn {
    /// Display name (compared as the `name` field).
    #[serde(default)]
    pub name: Option<String>,
    /// Status (compared as the `status` field).
    #[serde(default)]
    pub status: Option<String>,
    /// Frontmatter fields.
    #[serde(default)]
    #[schema(value_type = Object)]
    pub fields: Map<String, Value>,
    /// The Markdown body.
    #[serde(default)]
    pub markdown_body: String,
}

impl From<VersionIn> for Version {
    fn from(version: VersionIn) -> Self {
        let mut fields = version.fields;
        if let Some(name) = version.name {
            fields.insert("name".into(), Value::String(name));
        }
        if let Some(status) = version.status {
            fields.insert("status".into(), Value::String(status));
        }
        Version {
            fields,
            body: version.markdown_body,
        }
    }
}

/// Body of a comparison: either `left` and `right`, or `entity_id` with a
/// proposed change (read like an update: keys not given stay, a `null`
/// field removes its key) compared with the stored entity.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CompareRequest {
    /// The old version.
    #[serde(default)]
    pub left: Option<VersionIn>,
    /// The new version.
    #[serde(default)]
    pub right: Option<VersionIn>,
    /// The stored entity to compare the proposal with.
    #[serde(default)]
    pub entity_id: Option<String>,
    /// Proposed name.
    #[serde(default)]
    pub name: Option<String>,
    /// Proposed status.
    #[serde(default)]
    pub status: Option<String>,
    /// Proposed fields; `null` removes a key.
    #[serde(default)]
    #[schema(value_type = Option<Object>)]
    pub fields: Option<Map<String, Value>>,
    /// Proposed body.
    #[serde(default)]
    pub markdown_body: Option<String>,
}

/// A field present on one side only.
#[derive(Debug, Serialize, ToSchema)]
pub struct FieldValueOut {
    /// The field.
    pub field: String,
    /// Its value.
    #[schema(value_type = Value)]
    pub value: Value,
}

/// A field whose value differs.
#[derive(Debug, Serialize, ToSchema)]
pub struct FieldChangeOut {
    /// The field.
    pub field: String,
    /// Value on the left (stored) side.
    #[schema(value_type = Value)]
    pub old_value: Value,
    /// Value on the right (proposed) side.
    #[schema(value_type = Value)]
    pub new_value: Value,
}

/// Field-by-field differences.
#[derive(Debug, Serialize, ToSchema)]
pub struct FieldDiffOut {
    /// Only on the right.
    pub added: Vec<FieldValueOut>,
    /// Only on the left.
    pub removed: Vec<FieldValueOut>,
    /// On both sides, different.
    pub changed: Vec<FieldChangeOut>,
    /// How many fields are equal.
    pub unchanged_count: usize,
}

/// Differences of the bodies.
#[derive(Debug, Serialize, ToSchema)]
pub struct BodyDiffOut {
    /// The bodies differ.
    pub changed: bool,
    /// Unified diff, line by line (empty when equal).
    pub unified_diff: String,
}

/// Result of a comparison.
#[derive(Debug, Serialize, ToSchema)]
pub struct CompareOut {
    /// Type.
    pub entity_type: String,
    /// The stored entity compared with, if any.
    pub entity_id: Option<String>,
    /// Nothing differs.
    pub identical: bool,
    /// Frontmatter differences.
    pub fields: FieldDiffOut,
    /// Body differences.
    pub body: BodyDiffOut,
}

fn compare_out(entity_type: String, entity_id: Option<String>, c: Comparison) -> CompareOut {
    let identical = c.identical();
    let side = |list: Vec<(String, Value)>| {
        list.into_iter()
            .map(|(field, value)| FieldValueOut { field, value })
            .collect()
    };
    CompareOut {
        entity_type,
        entity_id,
        identical,
        fields: FieldDiffOut {
            added: side(c.fields.added),
            removed: side(c.fields.removed),
            changed: c
                .fields
                .changed
                .into_iter()
                .map(|f| FieldChangeOut {
                    field: f.field,
                    old_value: f.old,
                    new_value: f.new,
                })
                .collect(),
            unchanged_count: c.fields.unchanged,
        },
        body: BodyDiffOut {
            changed: !c.body_unchanged,
            unified_diff: c.body_diff,
        },
    }
}

/// Diff two versions of an entity, or a proposed version against the
/// stored one: field by field, and a unified diff of the bodies.
#[utoipa::path(tag = "Entities", params(("type" = String, Path)), request_body = CompareRequest,
    responses((status = 200, body = CompareOut), (status = 404), (status = 422)), security(("bearer" = [])))]
#[post("/api/entity/{type}/compare")]
pub async fn compare_entity(
    state: web::Data<AppState>,
    auth: Auth,
    path: web::Path<String>,
    body: JsonBody<CompareRequest>,
) -> ApiResult<web::Json<CompareOut>> {
    auth.0.require(Permission::EntitiesRead)?;
    let entity_type = path.into_inner();
    let body = body.into_inner();
    let proposal_given = body.name.is_some()
        || body.status.is_some()
        || body.fields.is_some()
        || body.markdown_body.is_some();
    let tenant = &auth.0.tenant_id;
    let (entity_id, comparison) = match (body.left, body.right, body.entity_id) {
        (Some(left), Some(right), None) if !proposal_given => {
            let comparison = state
                .entities
                .compare_versions(tenant, &entity_type, &left.into(), &right.into())
                .await?;
            (None, comparison)
        }
        (None, None, Some(id)) => {
            let changes = EntityChanges {
                name: body.name,
                status: body.status,
                fields: body.fields.unwrap_or_default(),
                markdown_body: body.markdown_body,
            };
            let comparison = state
                .entities
                .compare_with_stored(tenant, &entity_type, &id, changes)
                .await?;
            (Some(id), comparison)
        }
        _ => {
            return Err(ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "give either left and right, or entity_id with the proposed fields and markdown_body",
            ));
        }
    };
    Ok(web::Json(compare_out(entity_type, entity_id, comparison)))
}

/// Body of an import.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ImportEntityRequest {
    /// The raw Markdown file, with its YAML frontmatter.
    pub content: String,
    /// Id when the frontmatter has none (default: from the name).
    #[serde(default)]
    #[schema(pattern = "^[a-z0-9][a-z0-9_-]{0,127}$")]
    pub entity_id: Option<String>,
}

/// Create an entity from a raw Markdown file, keeping its content (unknown
/// keys included); only `id`, `name` and `status` are filled in.
#[utoipa::path(tag = "Entities", params(("type" = String, Path)), request_body = ImportEntityRequest,
    responses((status = 201, body = EntityOut), (status = 400, description = "the content does not parse (the message names the line)"),
        (status = 404), (status = 409, description = "the id exists")),
    security(("bearer" = [])))]
#[post("/api/entity/{type}/import")]
pub async fn import_entity(
    state: web::Data<AppState>,
    auth: Auth,
    path: web::Path<String>,
    body: JsonBody<ImportEntityRequest>,
) -> ApiResult<HttpResponse> {
    auth.0.require(Permission::EntitiesWrite)?;
    let body = body.into_inner();
    let view = state
        .entities
        .import(
            &auth.0.tenant_id,
            &path,
            &body.content,
            body.entity_id.as_deref(),
            &auth.actor(),
        )
        .await?;
    let out = EntityOut::from(view);
    Ok(HttpResponse::Created()
        .insert_header(etag(&out.content_hash))
        .json(out))
}

/// Query of the id check.
#[derive(Debug, Deserialize, IntoParams)]
pub struct CheckIdQuery {
    /// Only this entity type (default: every type of the project).
    #[serde(rename = "type")]
    pub entity_type: Option<String>,
}

/// Result of the id check.
#[derive(Debug, Serialize, ToSchema)]
pub struct CheckIdOut {
    /// The id checked.
    pub entity_id: String,
    /// The id has the accepted form.
    pub valid: bool,
    /// No live entity has it; null when not checked (anonymous caller or
    /// invalid id).
    pub available: Option<bool>,
    /// Explanation.
    pub message: String,
}

/// Whether an id is well formed and, for a signed-in caller, still free in
/// their project.
#[utoipa::path(tag = "Services and Health", params(("id" = String, Path), CheckIdQuery),
    responses((status = 200, body = CheckIdOut), (status = 404, description = "unknown type")))]
#[get("/api/check-entity-id/{id}")]
pub async fn check_entity_id(
    state: web::Data<AppState>,
    auth: Option<Auth>,
    path: web::Path<String>,
    q: web::Query<CheckIdQuery>,
) -> ApiResult<web::Json<CheckIdOut>> {
    let raw = path.into_inner();
    let id = match EntityId::parse(&raw) {
        Ok(id) => id,
        Err(err) => {
            return Ok(web::Json(CheckIdOut {
                entity_id: raw,
                valid: false,
                available: None,
                message: err.to_string(),
            }));
        }
    };
    let Some(auth) = auth else {
        return Ok(web::Json(CheckIdOut {
            entity_id: raw,
            valid: true,
            available: None,
            message: "the id is valid; sign in to check whether it is free".into(),
        }));
    };
    auth.0.require(Permission::EntitiesRead)?;
    let entity_type = q.into_inner().entity_type.filter(|t| !t.is_empty());
    let taken = state
        .entities
        .id_taken_by(&auth.0.tenant_id, &id, entity_type.as_deref())
        .await?;
    let message = match &taken {
        Some(kind) => format!("the id is already used by a {kind}"),
        None => "the id is valid and free".into(),
    };
    Ok(web::Json(CheckIdOut {
        entity_id: raw,
        valid: true,
        available: Some(taken.is_none()),
        message,
    }))
}
