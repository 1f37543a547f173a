//! Contract section "Templates" (`/api/templates`): the project's entity
//! templates, their file text, their AI generation instructions, and a
//! reload from disk. Reads are public: signed-in callers see their
//! project's templates, anyone else the shipped ones. A template is named
//! by its file name (`CHARACTER_TEMPLATE.md`) or its entity type
//! (`character`).

use crate::body::JsonBody;
use crate::error::ApiResult;
use crate::extract::Auth;
use crate::state::AppState;
use actix_web::{get, post, put, web};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use studiobrain_auth::Permission;
use studiobrain_entity::Template;
use studiobrain_entity::catalog::TemplateFile;
use utoipa::ToSchema;

/// A template as listed.
#[derive(Debug, Serialize, ToSchema)]
pub struct TemplateOut {
    /// File name, e.g. `CHARACTER_TEMPLATE.md`.
    pub name: String,
    /// The entity type it defines.
    pub entity_type: String,
    /// `core`, `standard`, `custom` or `packs`.
    pub layer: String,
    /// Category (`entity`, `document`, ...).
    pub category: String,
    /// Template version.
    pub version: String,
    /// Folder of the type's entities.
    pub folder_name: String,
    /// File-name prefix of the type's entities.
    pub file_prefix: String,
    /// Icon name for the UI.
    pub ui_icon: Option<String>,
    /// Colour for the UI.
    pub ui_color: Option<String>,
    /// Whether the template may be changed through the API.
    pub editable: bool,
}

impl From<&Template> for TemplateOut {
    fn from(t: &Template) -> Self {
        Self {
            name: t.file_name.clone(),
            entity_type: t.entity_type.to_string(),
            layer: t.layer.folder().to_lowercase(),
            category: t.category.clone(),
            version: t.version.clone(),
            folder_name: t.folder_name.clone(),
            file_prefix: t.file_prefix.clone(),
            ui_icon: t.ui_icon.clone(),
            ui_color: t.ui_color.clone(),
            editable: t.editable,
        }
    }
}

/// An entity type as listed.
#[derive(Debug, Serialize, ToSchema)]
pub struct EntityTypeOut {
    /// The type's name.
    pub entity_type: String,
    /// Folder of the type's entities.
    pub folder_name: String,
    /// File-name prefix of the type's entities.
    pub file_prefix: String,
    /// Icon name for the UI.
    pub ui_icon: Option<String>,
    /// Colour for the UI.
    pub ui_color: Option<String>,
    /// Category (`entity`, `document`, ...).
    pub category: String,
    /// File name of the defining template.
    pub template: String,
}

/// One field of a template.
#[derive(Debug, Serialize, ToSchema)]
pub struct TemplateFieldOut {
    /// Frontmatter key.
    pub name: String,
    /// Whether an entity must give a value.
    pub required: bool,
    /// Default of a new entity (the placeholder, prompts blanked).
    pub default: Value,
    /// UI widget.
    pub widget: Option<String>,
    /// For entity selectors: the type referenced.
    pub reference_type: Option<String>,
    /// Allowed values of a select.
    pub options: Vec<String>,
}

/// A template with its file text and its parsed summary.
#[derive(Debug, Serialize, ToSchema)]
pub struct TemplateDetailOut {
    /// The summary.
    #[serde(flatten)]
    pub summary: TemplateOut,
    /// Path of the file in the project.
    pub path: String,
    /// The file text.
    pub content: String,
    /// Asset folders created next to each entity.
    pub asset_subfolders: Vec<String>,
    /// Rule files that apply.
    pub associated_rules: Vec<String>,
    /// Instructions for AI generation.
    pub generation_instructions: String,
    /// Fields in file order.
    pub fields: Vec<TemplateFieldOut>,
}

impl From<TemplateFile> for TemplateDetailOut {
    fn from(file: TemplateFile) -> Self {
        let t = &file.template;
        Self {
            summary: TemplateOut::from(&**t),
            asset_subfolders: t.asset_subfolders.clone(),
            associated_rules: t.associated_rules.clone(),
            generation_instructions: t.generation_instructions.clone(),
            fields: t
                .fields
                .iter()
                .map(|f| TemplateFieldOut {
                    name: f.name.clone(),
                    required: f.required,
                    default: f.default.clone(),
                    widget: f.config.widget.clone(),
                    reference_type: f.config.reference_type.as_ref().map(|r| r.to_string()),
                    options: f.config.options.clone(),
                })
                .collect(),
            path: file.path,
            content: file.content,
        }
    }
}

/// Result of a reload.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReloadOut {
    /// Entity types loaded.
    pub templates: usize,
    /// Template files that could not be loaded, with the reason.
    pub problems: Vec<String>,
}

/// A template's AI generation instructions.
#[derive(Debug, Serialize, ToSchema)]
pub struct InstructionsOut {
    /// File name of the template.
    pub name: String,
    /// The entity type it defines.
    pub entity_type: String,
    /// The instructions.
    pub instructions: String,
}

impl From<&Template> for InstructionsOut {
    fn from(t: &Template) -> Self {
        Self {
            name: t.file_name.clone(),
            entity_type: t.entity_type.to_string(),
            instructions: t.generation_instructions.clone(),
        }
    }
}

/// Body of a template replacement.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateTemplateRequest {
    /// The whole file text; it must define the same entity type.
    pub content: String,
}

/// Body of an instructions update.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateInstructionsRequest {
    /// The new `generation_instructions`.
    pub instructions: String,
}

/// List every template.
#[utoipa::path(tag = "Templates", responses((status = 200, body = Vec<TemplateOut>)))]
#[get("/api/templates")]
pub async fn list_templates(
    state: web::Data<AppState>,
    auth: Option<Auth>,
) -> ApiResult<web::Json<Vec<TemplateOut>>> {
    let tenant = auth.as_ref().map(|a| &a.0.tenant_id);
    let set = state.entities.template_catalog(tenant).await?;
    Ok(web::Json(
        set.templates().map(|t| TemplateOut::from(&**t)).collect(),
    ))
}

/// List the entity types the templates define.
#[utoipa::path(tag = "Templates", responses((status = 200, body = Vec<EntityTypeOut>)))]
#[get("/api/templates/entity-types")]
pub async fn entity_types(
    state: web::Data<AppState>,
    auth: Option<Auth>,
) -> ApiResult<web::Json<Vec<EntityTypeOut>>> {
    let tenant = auth.as_ref().map(|a| &a.0.tenant_id);
    let set = state.entities.template_catalog(tenant).await?;
    Ok(web::Json(
        set.templates()
            .map(|t| EntityTypeOut {
                entity_type: t.entity_type.to_string(),
                folder_name: t.folder_name.clone(),
                file_prefix: t.file_prefix.clone(),
                ui_icon: t.ui_icon.clone(),
                ui_color: t.ui_color.clone(),
                category: t.category.clone(),
                template: t.file_name.clone(),
            })
            .collect(),
    ))
}

/// Read the project's templates again from disk.
#[utoipa::path(tag = "Templates", responses((status = 200, body = ReloadOut)), security(("bearer" = [])))]
#[post("/api/templates/reload")]
pub async fn reload_templates(
    state: web::Data<AppState>,
    auth: Auth,
) -> ApiResult<web::Json<ReloadOut>> {
    auth.0.require(Permission::EntitiesWrite)?;
    let set = state.entities.refresh_templates(&auth.0.tenant_id).await?;
    Ok(web::Json(ReloadOut {
        templates: set.len(),
        problems: set.problems().to_vec(),
    }))
}

/// A template's file text and parsed summary.
#[utoipa::path(tag = "Templates", params(("name" = String, Path, description = "file name or entity type")),
    responses((status = 200, body = TemplateDetailOut), (status = 404)))]
#[get("/api/templates/{name}")]
pub async fn get_template(
    state: web::Data<AppState>,
    auth: Option<Auth>,
    path: web::Path<String>,
) -> ApiResult<web::Json<TemplateDetailOut>> {
    let tenant = auth.as_ref().map(|a| &a.0.tenant_id);
    let file = state.entities.template_file(tenant, &path).await?;
    Ok(web::Json(file.into()))
}

/// Replace a template's file; it must define the same entity type.
#[utoipa::path(tag = "Templates", params(("name" = String, Path, description = "file name or entity type")),
    request_body = UpdateTemplateRequest,
    responses((status = 200, body = TemplateDetailOut), (status = 403, description = "no templates:manage, or the template is not editable"), (status = 404), (status = 422, description = "not a template of the same type")),
    security(("bearer" = [])))]
#[put("/api/templates/{name}")]
pub async fn update_template(
    state: web::Data<AppState>,
    auth: Auth,
    path: web::Path<String>,
    body: JsonBody<UpdateTemplateRequest>,
) -> ApiResult<web::Json<TemplateDetailOut>> {
    auth.0.require(Permission::TemplatesManage)?;
    let file = state
        .entities
        .save_template(&auth.0.tenant_id, &path, &body.content)
        .await?;
    Ok(web::Json(file.into()))
}

/// A template's AI generation instructions.
#[utoipa::path(tag = "Templates", params(("name" = String, Path, description = "file name or entity type")),
    responses((status = 200, body = InstructionsOut), (status = 404)))]
#[get("/api/templates/{name}/instructions")]
pub async fn get_instructions(
    state: web::Data<AppState>,
    auth: Option<Auth>,
    path: web::Path<String>,
) -> ApiResult<web::Json<InstructionsOut>> {
    let tenant = auth.as_ref().map(|a| &a.0.tenant_id);
    let template = state.entities.find_template(tenant, &path).await?;
    Ok(web::Json(InstructionsOut::from(&*template)))
}

/// Set a template's AI generation instructions; nothing else in the file
/// changes.
#[utoipa::path(tag = "Templates", params(("name" = String, Path, description = "file name or entity type")),
    request_body = UpdateInstructionsRequest,
    responses((status = 200, body = InstructionsOut), (status = 403, description = "no templates:manage, or the template is not editable"), (status = 404)),
    security(("bearer" = [])))]
#[put("/api/templates/{name}/instructions")]
pub async fn update_instructions(
    state: web::Data<AppState>,
    auth: Auth,
    path: web::Path<String>,
    body: JsonBody<UpdateInstructionsRequest>,
) -> ApiResult<web::Json<InstructionsOut>> {
    auth.0.require(Permission::TemplatesManage)?;
    let file = state
        .entities
        .set_generation_instructions(&auth.0.tenant_id, &path, &body.instructions)
        .await?;
    Ok(web::Json(InstructionsOut::from(&*file.template)))
}
