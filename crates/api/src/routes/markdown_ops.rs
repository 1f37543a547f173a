//! Contract sections "Markdown Operations" and "Import": check raw
//! frontmatter, download an entity's file, preview an import without saving,
//! and the AI-assisted smart import (503 until an AI provider is set).

use crate::body::JsonBody;
use crate::error::{ApiError, ApiResult};
use crate::extract::Auth;
use crate::routes::entities::{EntityOut, ValidationErrorOut};
use crate::state::AppState;
use actix_web::http::header::{self, ContentDisposition, DispositionParam, DispositionType};
use actix_web::{HttpResponse, post, web};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use studiobrain_auth::Permission;
use utoipa::ToSchema;

/// Body of a frontmatter check.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ValidateFrontmatterRequest {
    /// The raw Markdown file, with its YAML frontmatter.
    pub content: String,
    /// Also check the fields against this type's rules.
    #[serde(default)]
    pub entity_type: Option<String>,
}

/// Where and why the frontmatter does not parse.
#[derive(Debug, Serialize, ToSchema)]
pub struct ParseErrorOut {
    /// 1-based line in the file (the opening `---` is line 1).
    pub line: usize,
    /// 1-based column, when known.
    pub column: Option<usize>,
    /// What is wrong.
    pub message: String,
}

/// Result of a frontmatter check.
#[derive(Debug, Serialize, ToSchema)]
pub struct ValidateFrontmatterOut {
    /// Parses, and no error-severity finding.
    pub valid: bool,
    /// Parse errors (at most one: parsing stops at the first).
    pub errors: Vec<ParseErrorOut>,
    /// The frontmatter keys, when it parses.
    #[schema(value_type = Object)]
    pub fields: Map<String, Value>,
    /// Findings of the type's rules, when a type was given.
    pub validation_errors: Vec<ValidationErrorOut>,
}

/// Check raw frontmatter: parse errors with their line, and with a type,
/// what its rules find.
#[utoipa::path(tag = "Markdown Operations", request_body = ValidateFrontmatterRequest,
    responses((status = 200, body = ValidateFrontmatterOut), (status = 404, description = "unknown type")),
    security(("bearer" = [])))]
#[post("/api/markdown/validate-frontmatter")]
pub async fn validate_frontmatter(
    state: web::Data<AppState>,
    auth: Auth,
    body: JsonBody<ValidateFrontmatterRequest>,
) -> ApiResult<web::Json<ValidateFrontmatterOut>> {
    auth.0.require(Permission::EntitiesRead)?;
    let body = body.into_inner();
    let entity_type = body.entity_type.filter(|t| !t.is_empty());
    let report = state
        .entities
        .check_frontmatter(&auth.0.tenant_id, &body.content, entity_type.as_deref())
        .await?;
    Ok(web::Json(ValidateFrontmatterOut {
        valid: report.is_valid(),
        errors: report
            .parse_error
            .iter()
            .map(|err| ParseErrorOut {
                line: err.line,
                column: err.column,
                message: err.message.clone(),
            })
            .collect(),
        validation_errors: report
            .findings
            .iter()
            .map(ValidationErrorOut::from)
            .collect(),
        fields: report.fields,
    }))
}

/// Download an entity's file exactly as stored.
#[utoipa::path(tag = "Markdown Operations", params(("type" = String, Path), ("id" = String, Path)),
    responses((status = 200, content_type = "text/markdown", body = String, description = "the file, as an attachment"), (status = 404)),
    security(("bearer" = [])))]
#[post("/api/markdown/export/{type}/{id}")]
pub async fn export_markdown(
    state: web::Data<AppState>,
    auth: Auth,
    path: web::Path<(String, String)>,
) -> ApiResult<HttpResponse> {
    auth.0.require(Permission::EntitiesRead)?;
    let (entity_type, id) = path.into_inner();
    let file = state
        .entities
        .export(&auth.0.tenant_id, &entity_type, &id)
        .await?;
    Ok(HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, "text/markdown; charset=utf-8"))
        .insert_header(ContentDisposition {
            disposition: DispositionType::Attachment,
            parameters: vec![DispositionParam::Filename(file.file_name)],
        })
        .body(file.bytes))
}

/// Body of an import preview.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ImportPreviewRequest {
    /// The raw Markdown file, with its YAML frontmatter.
    pub content: String,
    /// The type to import as.
    pub entity_type: String,
    /// Id when the frontmatter has none (default: from the name).
    #[serde(default)]
    pub entity_id: Option<String>,
}

/// An import as it would be made.
#[derive(Debug, Serialize, ToSchema)]
pub struct ImportPreviewOut {
    /// The entity as it would be created, with its validation.
    pub entity: EntityOut,
    /// No error-severity finding.
    pub is_valid: bool,
    /// A live entity has the id already (the import would answer 409).
    pub already_exists: bool,
}

/// Parse and validate a file as an entity of a type, without saving.
#[utoipa::path(tag = "Import", request_body = ImportPreviewRequest,
    responses((status = 200, body = ImportPreviewOut), (status = 400, description = "the content does not parse (the message names the line)"),
        (status = 404, description = "unknown type")),
    security(("bearer" = [])))]
#[post("/api/import/preview")]
pub async fn import_preview(
    state: web::Data<AppState>,
    auth: Auth,
    body: JsonBody<ImportPreviewRequest>,
) -> ApiResult<web::Json<ImportPreviewOut>> {
    auth.0.require(Permission::EntitiesRead)?;
    let body = body.into_inner();
    let preview = state
        .entities
        .preview_import(
            &auth.0.tenant_id,
            &body.entity_type,
            &body.content,
            body.entity_id.as_deref(),
        )
        .await?;
    let is_valid = preview.view.is_valid;
    Ok(web::Json(ImportPreviewOut {
        entity: preview.view.into(),
        is_valid,
        already_exists: preview.already_exists,
    }))
}

/// Import with AI-assisted field mapping; needs the AI provider.
#[utoipa::path(tag = "Import", request_body = Object,
    responses((status = 503, description = "no AI provider is configured")), security(("bearer" = [])))]
#[post("/api/import/smart")]
pub async fn smart_import(auth: Auth, _body: JsonBody<Value>) -> ApiResult<HttpResponse> {
    auth.0.require(Permission::AiUse)?;
    Err(ApiError::not_configured(
        "smart import needs an AI provider: set ai.provider and ai.api_key",
    ))
}

/// Body of `POST /api/markdown/format`.
#[derive(Debug, Deserialize, ToSchema)]
pub struct FormatRequest {
    /// A Markdown file, with or without frontmatter.
    pub content: String,
}

/// The formatted file.
#[derive(Debug, Serialize, ToSchema)]
pub struct FormatOut {
    /// The file with its body in normalised CommonMark; the frontmatter is
    /// byte-identical.
    pub content: String,
    /// Whether anything changed.
    pub changed: bool,
}

/// Normalise a Markdown body (comrak); the frontmatter is left untouched.
#[utoipa::path(tag = "Import", request_body = FormatRequest,
    responses((status = 200, body = FormatOut), (status = 400, description = "the frontmatter does not parse")), security(("bearer" = [])))]
#[post("/api/markdown/format")]
pub async fn format_markdown(
    auth: Auth,
    body: JsonBody<FormatRequest>,
) -> ApiResult<web::Json<FormatOut>> {
    auth.0.require(Permission::EntitiesRead)?;
    let content = studiobrain_markdown::format_document(&body.content)
        .map_err(|err| ApiError::bad_request(format!("the file does not parse: {err}")))?;
    Ok(web::Json(FormatOut {
        changed: content != body.content,
        content,
    }))
}
