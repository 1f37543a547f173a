//! Contract section "Entities" (`/api/entity/{type}`): list, read, create,
//! update and soft-delete entities of any type the project's templates
//! define, and each type's JSON Schema. Reads send the file's content hash
//! as `ETag`; writes honour `If-Match`.

use crate::body::JsonBody;
use crate::error::{ApiError, ApiResult};
use crate::extract::Auth;
use crate::state::AppState;
use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, delete, get, post, put, web};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use studiobrain_auth::Permission;
use studiobrain_entity::ports::{EntityQuery, SortOrder};
use studiobrain_entity::validate::ValidationIssue;
use studiobrain_entity::{EntityChanges, EntityType, EntityView, NewEntity};
use utoipa::{IntoParams, ToSchema};

/// Largest page.
pub const MAX_LIMIT: u64 = 200;

/// One finding of validation.
#[derive(Debug, Serialize, ToSchema)]
pub struct ValidationErrorOut {
    /// Rule that found it.
    pub rule_id: String,
    /// Field concerned.
    pub field: String,
    /// Explanation.
    pub message: String,
    /// `error` or `warning`.
    pub severity: String,
}

impl From<&ValidationIssue> for ValidationErrorOut {
    fn from(issue: &ValidationIssue) -> Self {
        Self {
            rule_id: issue.rule_id.clone(),
            field: issue.field.clone(),
            message: issue.message.clone(),
            severity: serde_json::to_value(issue.severity)
                .ok()
                .and_then(|v| v.as_str().map(str::to_owned))
                .unwrap_or_default(),
        }
    }
}

/// An entity as the contract shapes it.
#[derive(Debug, Serialize, ToSchema)]
pub struct EntityOut {
    /// Type.
    pub entity_type: String,
    /// Id.
    pub entity_id: String,
    /// Display name.
    pub name: String,
    /// Status.
    pub status: String,
    /// Every other frontmatter key, in file order.
    #[schema(value_type = Object)]
    pub fields: Map<String, Value>,
    /// The Markdown body.
    pub markdown_body: String,
    /// The primary image, if set.
    pub primary_asset: Option<String>,
    /// Findings of validation.
    pub validation_errors: Vec<ValidationErrorOut>,
    /// No error-severity findings.
    pub is_valid: bool,
    /// Incremented on every change.
    pub revision: i64,
    /// SHA-256 of the file (also the `ETag`).
    pub content_hash: String,
    /// File path relative to the project root.
    pub path: String,
    /// First indexed (RFC 3339).
    pub created_at: String,
    /// Last changed (RFC 3339).
    pub updated_at: String,
}

impl From<EntityView> for EntityOut {
    fn from(view: EntityView) -> Self {
        let entity = view.entity;
        let primary_asset = ["primary_image", "primary_asset"]
            .iter()
            .find_map(|key| {
                entity
                    .fields
                    .get(*key)
                    .and_then(Value::as_str)
                    .filter(|s| !s.is_empty())
            })
            .map(|path| {
                if path.starts_with('/') {
                    path.to_owned()
                } else {
                    let dir = entity
                        .path
                        .rsplit_once('/')
                        .map(|(d, _)| d)
                        .unwrap_or_default();
                    format!("/{dir}/{path}")
                }
            });
        let fields = entity
            .fields
            .into_iter()
            .filter(|(k, _)| !matches!(k.as_str(), "id" | "name" | "status"))
            .collect();
        Self {
            entity_type: entity.entity_type.to_string(),
            entity_id: entity.id.to_string(),
            name: entity.name,
            status: entity.status,
            fields,
            markdown_body: entity.body,
            primary_asset,
            validation_errors: view
                .validation_errors
                .iter()
                .map(ValidationErrorOut::from)
                .collect(),
            is_valid: view.is_valid,
            revision: entity.revision,
            content_hash: entity.content_hash,
            path: entity.path,
            created_at: entity.created_at.to_rfc3339(),
            updated_at: entity.updated_at.to_rfc3339(),
        }
    }
}

/// One page of entities.
#[derive(Debug, Serialize, ToSchema)]
pub struct EntityListOut {
    /// Matches in all pages.
    pub total: u64,
    /// Skipped.
    pub offset: u64,
    /// Page size.
    pub limit: u64,
    /// This page.
    pub entities: Vec<EntityOut>,
}

/// Query of the list endpoint.
#[derive(Debug, Deserialize, IntoParams)]
pub struct ListQuery {
    /// Entities to skip (default 0).
    pub offset: Option<u64>,
    /// Page size (default 50, at most 200).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u64>,
    /// Words to find in the name and fields.
    pub search: Option<String>,
    /// Exact status.
    pub status: Option<String>,
    /// `updated_at` (default), `created_at`, `name`, `status` or any top-level field.
    pub sort_by: Option<String>,
    /// `asc` or `desc` (default).
    #[param(pattern = "^(asc|desc)$")]
    pub sort_order: Option<String>,
}

/// Body of a create.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateEntityRequest {
    /// Id; generated from the name when absent.
    #[serde(default)]
    #[schema(pattern = "^[a-z0-9][a-z0-9_-]{0,127}$")]
    pub entity_id: Option<String>,
    /// Display name.
    #[schema(min_length = 1)]
    pub name: String,
    /// Status (default: the template's).
    #[serde(default)]
    pub status: Option<String>,
    /// Further frontmatter fields.
    #[serde(default)]
    #[schema(value_type = Object)]
    pub fields: Map<String, Value>,
    /// Body (default: the template's skeleton).
    #[serde(default)]
    pub markdown_body: Option<String>,
}

/// Body of an update: only what is given changes.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateEntityRequest {
    /// New name.
    #[serde(default)]
    pub name: Option<String>,
    /// New status.
    #[serde(default)]
    pub status: Option<String>,
    /// Fields to set; `null` removes a key.
    #[serde(default)]
    #[schema(value_type = Object)]
    pub fields: Map<String, Value>,
    /// New body.
    #[serde(default)]
    pub markdown_body: Option<String>,
}

/// The `ETag` header of an entity whose file has `content_hash`.
pub(crate) fn etag(content_hash: &str) -> (header::HeaderName, String) {
    (header::ETAG, format!("\"{content_hash}\""))
}

fn with_etag(status: StatusCode, out: EntityOut) -> HttpResponse {
    HttpResponse::build(status)
        .insert_header(etag(&out.content_hash))
        .json(out)
}

fn query(entity_type: &str, q: ListQuery) -> ApiResult<EntityQuery> {
    let limit = q.limit.unwrap_or(50);
    if limit == 0 || limit > MAX_LIMIT {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            format!("limit must be between 1 and {MAX_LIMIT}"),
        ));
    }
    let sort_order = match q.sort_order.as_deref().unwrap_or("desc") {
        "asc" => SortOrder::Asc,
        "desc" => SortOrder::Desc,
        other => {
            return Err(ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                format!("sort_order must be asc or desc, not '{other}'"),
            ));
        }
    };
    Ok(EntityQuery {
        entity_type: EntityType::parse(entity_type)?,
        offset: q.offset.unwrap_or(0),
        limit,
        search: q.search.filter(|s| !s.trim().is_empty()),
        status: q.status.filter(|s| !s.is_empty()),
        sort_by: q
            .sort_by
            .filter(|s| !s.is_empty())
            .unwrap_or_else(|| "updated_at".to_owned()),
        sort_order,
    })
}

/// The JSON Schema (draft 2020-12) of an entity type's frontmatter.
#[utoipa::path(tag = "Entities", params(("type" = String, Path)), responses((status = 200, body = Object), (status = 404)))]
#[get("/api/entity/{type}/schema")]
pub async fn entity_schema(
    state: web::Data<AppState>,
    auth: Option<Auth>,
    path: web::Path<String>,
) -> ApiResult<web::Json<Value>> {
    // Public route: a signed-in caller sees their project's types, anyone
    // else the shipped ones.
    let template = match auth {
        Some(auth) => state.entities.template(&auth.0.tenant_id, &path).await?,
        None => state.entities.shipped_templates().require(&path)?,
    };
    Ok(web::Json(studiobrain_entity::schema::entity_schema(
        &template,
    )))
}

/// List entities of a type with filtering, search, sorting and paging.
#[utoipa::path(tag = "Entities", params(("type" = String, Path), ListQuery), responses((status = 200, body = EntityListOut), (status = 404), (status = 422)), security(("bearer" = [])))]
#[get("/api/entity/{type}")]
pub async fn list_entities(
    state: web::Data<AppState>,
    auth: Auth,
    path: web::Path<String>,
    q: web::Query<ListQuery>,
) -> ApiResult<HttpResponse> {
    auth.0.require(Permission::EntitiesRead)?;
    let query = query(&path, q.into_inner())?;
    let (offset, limit) = (query.offset, query.limit);
    let tenant = &auth.0.tenant_id;
    let page = state.entities.list_shared(tenant, query.clone()).await?;
    let body = state
        .rendered
        .pages
        .body((tenant.clone(), query), &page, |(total, views)| {
            json_body(&EntityListOut {
                total: *total,
                offset,
                limit,
                entities: views.iter().cloned().map(EntityOut::from).collect(),
            })
        })?;
    Ok(HttpResponse::Ok()
        .content_type(header::ContentType::json())
        .body(body))
}

/// The JSON body of `out`.
fn json_body(out: &impl Serialize) -> ApiResult<web::Bytes> {
    serde_json::to_vec(out)
        .map(web::Bytes::from)
        .map_err(|err| {
            ApiError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                format!("the response could not be rendered: {err}"),
            )
        })
}

/// One entity, with `ETag`.
#[utoipa::path(tag = "Entities", params(("type" = String, Path), ("id" = String, Path)), responses((status = 200, body = EntityOut), (status = 404)), security(("bearer" = [])))]
#[get("/api/entity/{type}/{id}")]
pub async fn get_entity(
    state: web::Data<AppState>,
    auth: Auth,
    path: web::Path<(String, String)>,
) -> ApiResult<HttpResponse> {
    auth.0.require(Permission::EntitiesRead)?;
    let (entity_type, id) = path.into_inner();
    let view = state
        .entities
        .get_shared(&auth.0.tenant_id, &entity_type, &id)
        .await?;
    let key = (
        auth.0.tenant_id.clone(),
        view.entity.entity_type.clone(),
        view.entity.id.clone(),
    );
    let body = state
        .rendered
        .entities
        .body(key, &view, |view| json_body(&EntityOut::from(view.clone())))?;
    Ok(HttpResponse::Ok()
        .insert_header(etag(&view.entity.content_hash))
        .content_type(header::ContentType::json())
        .body(body))
}

/// Create an entity from its template.
#[utoipa::path(tag = "Entities", params(("type" = String, Path)), request_body = CreateEntityRequest,
    responses((status = 201, body = EntityOut), (status = 400), (status = 404), (status = 409)), security(("bearer" = [])))]
#[post("/api/entity/{type}")]
pub async fn create_entity(
    state: web::Data<AppState>,
    auth: Auth,
    path: web::Path<String>,
    body: JsonBody<CreateEntityRequest>,
) -> ApiResult<HttpResponse> {
    auth.0.require(Permission::EntitiesWrite)?;
    let body = body.into_inner();
    let view = state
        .entities
        .create(
            &auth.0.tenant_id,
            &path,
            NewEntity {
                entity_id: body.entity_id,
                name: body.name,
                status: body.status,
                fields: body.fields,
                markdown_body: body.markdown_body,
            },
            &auth.actor(),
        )
        .await?;
    Ok(with_etag(StatusCode::CREATED, view.into()))
}

/// Update fields and/or the body; only what is given changes.
#[utoipa::path(tag = "Entities", params(("type" = String, Path), ("id" = String, Path), ("If-Match" = Option<String>, Header)),
    request_body = UpdateEntityRequest,
    responses((status = 200, body = EntityOut), (status = 404), (status = 412, description = "If-Match is stale")), security(("bearer" = [])))]
#[put("/api/entity/{type}/{id}")]
pub async fn update_entity(
    state: web::Data<AppState>,
    auth: Auth,
    req: HttpRequest,
    path: web::Path<(String, String)>,
    body: JsonBody<UpdateEntityRequest>,
) -> ApiResult<HttpResponse> {
    auth.0.require(Permission::EntitiesWrite)?;
    let (entity_type, id) = path.into_inner();
    let if_match = req
        .headers()
        .get(header::IF_MATCH)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let body = body.into_inner();
    let changes = EntityChanges {
        name: body.name,
        status: body.status,
        fields: body.fields,
        markdown_body: body.markdown_body,
    };
    let view = state
        .entities
        .update(
            &auth.0.tenant_id,
            &entity_type,
            &id,
            changes,
            if_match.as_deref(),
            &auth.actor(),
        )
        .await?;
    Ok(with_etag(StatusCode::OK, view.into()))
}

/// Result of a delete.
#[derive(Debug, Serialize, ToSchema)]
pub struct DeletedOut {
    /// What happened.
    pub message: String,
    /// Type.
    pub entity_type: String,
    /// Id.
    pub entity_id: String,
}

/// Soft-delete: the entity's folder moves to the recycle bin.
#[utoipa::path(tag = "Entities", params(("type" = String, Path), ("id" = String, Path)), responses((status = 200, body = DeletedOut), (status = 404)), security(("bearer" = [])))]
#[delete("/api/entity/{type}/{id}")]
pub async fn delete_entity(
    state: web::Data<AppState>,
    auth: Auth,
    path: web::Path<(String, String)>,
) -> ApiResult<web::Json<DeletedOut>> {
    auth.0.require(Permission::EntitiesDelete)?;
    let (entity_type, id) = path.into_inner();
    state
        .entities
        .delete(&auth.0.tenant_id, &entity_type, &id, &auth.actor())
        .await?;
    Ok(web::Json(DeletedOut {
        message: "moved to the recycle bin".into(),
        entity_type,
        entity_id: id,
    }))
}

/// Body of a smart merge.
#[derive(Debug, Deserialize, ToSchema)]
pub struct SmartMergeRequest {
    /// The versions to merge.
    #[schema(value_type = Object)]
    pub versions: Value,
}

/// AI-assisted merge of two versions; needs the AI provider.
#[utoipa::path(tag = "Entities", params(("type" = String, Path)), request_body = SmartMergeRequest,
    responses((status = 503, description = "no AI provider is configured")), security(("bearer" = [])))]
#[post("/api/entity/{type}/smart-merge")]
pub async fn smart_merge(
    auth: Auth,
    _path: web::Path<String>,
    _body: JsonBody<Value>,
) -> ApiResult<HttpResponse> {
    auth.0.require(Permission::AiUse)?;
    Err(ApiError::not_configured(
        "smart merge needs an AI provider: set ai.provider and ai.api_key",
    ))
}
