//! Contract section "Rules" (`/api/rules`): the project's rule files, the
//! merged rules of each type, rule-checking settings, validation against
//! the rules, and edits of a type's rules file (only the keys that change
//! are rewritten).

use crate::body::JsonBody;
use crate::error::ApiResult;
use crate::extract::Auth;
use crate::state::AppState;
use actix_web::{HttpResponse, delete, get, post, put, web};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::sync::Arc;
use studiobrain_auth::Permission;
use studiobrain_entity::rulebook::RuleEdit;
use studiobrain_entity::rules::RuleBook;
use studiobrain_kernel::TenantId;
use utoipa::ToSchema;

use super::entities::ValidationErrorOut;

/// The tenant whose project a public route reads: the caller's, or the
/// desktop project for anonymous callers.
fn tenant_of(auth: &Option<Auth>) -> TenantId {
    auth.as_ref()
        .map(|a| a.0.tenant_id.clone())
        .unwrap_or_else(TenantId::local)
}

async fn book(state: &AppState, tenant: &TenantId) -> ApiResult<Arc<RuleBook>> {
    Ok(state.entities.rule_book(tenant).await?)
}

/// A rule file as listed.
#[derive(Debug, Serialize, ToSchema)]
pub struct RuleFileOut {
    /// Path relative to the project.
    pub path: String,
    /// core, standard, custom, user or typefile.
    #[schema(value_type = String)]
    pub layer: Value,
    /// Type of a per-type file.
    pub entity_type: Option<String>,
    /// `rule_id` of a rule set.
    pub rule_id: Option<String>,
    /// Number of rules.
    pub rules: usize,
    /// Whether it carries an AI system prompt.
    pub has_system_prompt: bool,
}

/// List every rule file and the files that did not load.
#[utoipa::path(tag = "Rules", responses((status = 200, body = Object)))]
#[get("/api/rules")]
pub async fn list_rules(
    state: web::Data<AppState>,
    auth: Option<Auth>,
) -> ApiResult<web::Json<Value>> {
    let book = book(&state, &tenant_of(&auth)).await?;
    let files: Vec<RuleFileOut> = book
        .files
        .iter()
        .map(|f| RuleFileOut {
            path: f.path.clone(),
            layer: serde_json::to_value(f.layer).unwrap_or(Value::Null),
            entity_type: f.entity_type.clone(),
            rule_id: f.rule_id.clone(),
            rules: f.rules.len(),
            has_system_prompt: f.system_prompt.is_some(),
        })
        .collect();
    Ok(web::Json(
        serde_json::json!({ "files": files, "problems": book.problems }),
    ))
}

/// Reload the rules from the project folder.
#[utoipa::path(tag = "Rules", responses((status = 200, body = Object)), security(("bearer" = [])))]
#[post("/api/rules/reload")]
pub async fn reload_rules(state: web::Data<AppState>, auth: Auth) -> ApiResult<web::Json<Value>> {
    auth.0.require(Permission::TemplatesManage)?;
    let book = state.entities.reload_rules(&auth.0.tenant_id).await?;
    Ok(web::Json(
        serde_json::json!({ "files": book.files.len(), "problems": book.problems }),
    ))
}

/// Index of rule ids per entity type.
#[utoipa::path(tag = "Rules", responses((status = 200, body = Object)))]
#[get("/api/rules/index")]
pub async fn rules_index(
    state: web::Data<AppState>,
    auth: Option<Auth>,
) -> ApiResult<web::Json<Value>> {
    let tenant = tenant_of(&auth);
    let book = book(&state, &tenant).await?;
    let templates = state.entities.templates(&tenant).await?;
    let index: Map<String, Value> = templates
        .templates()
        .map(|t| {
            let ids: Vec<&str> = book
                .rules_for(t.entity_type.as_str())
                .iter()
                .map(|r| r.id.as_str())
                .collect();
            (t.entity_type.to_string(), serde_json::json!(ids))
        })
        .collect();
    Ok(web::Json(Value::Object(index)))
}

/// Rule-checking settings (`enabled`, `disabled_rules`).
#[utoipa::path(tag = "Rules", responses((status = 200, body = Object)))]
#[get("/api/rules/settings")]
pub async fn get_settings(
    state: web::Data<AppState>,
    auth: Option<Auth>,
) -> ApiResult<web::Json<Map<String, Value>>> {
    Ok(web::Json(
        state.entities.rule_settings(&tenant_of(&auth)).await?,
    ))
}

/// Change rule-checking settings (keys given replace).
#[utoipa::path(tag = "Rules", request_body = Object, responses((status = 200, body = Object), (status = 400)), security(("bearer" = [])))]
#[put("/api/rules/settings")]
pub async fn put_settings(
    state: web::Data<AppState>,
    auth: Auth,
    body: JsonBody<Map<String, Value>>,
) -> ApiResult<web::Json<Map<String, Value>>> {
    auth.0.require(Permission::TemplatesManage)?;
    Ok(web::Json(
        state
            .entities
            .update_rule_settings(&auth.0.tenant_id, body.into_inner())
            .await?,
    ))
}

/// Body of a validation: a stored entity by id, or a proposed document.
#[derive(Debug, Deserialize, ToSchema)]
pub struct ValidateRequest {
    /// A stored entity to validate.
    #[serde(default)]
    pub entity_id: Option<String>,
    /// Proposed frontmatter (used when no entity_id is given).
    #[serde(default)]
    #[schema(value_type = Object)]
    pub fields: Map<String, Value>,
    /// Proposed body.
    #[serde(default)]
    pub markdown_body: String,
}

/// Result of a validation.
#[derive(Debug, Serialize, ToSchema)]
pub struct ValidateOut {
    /// No error-severity findings.
    pub is_valid: bool,
    /// Findings.
    pub validation_errors: Vec<ValidationErrorOut>,
}

/// Validate an entity (stored or proposed) against the type's template and rules.
#[utoipa::path(tag = "Rules", params(("type" = String, Path)), request_body = ValidateRequest,
    responses((status = 200, body = ValidateOut), (status = 404)), security(("bearer" = [])))]
#[post("/api/rules/validate/{type}")]
pub async fn validate(
    state: web::Data<AppState>,
    auth: Auth,
    path: web::Path<String>,
    body: JsonBody<ValidateRequest>,
) -> ApiResult<web::Json<ValidateOut>> {
    auth.0.require(Permission::EntitiesRead)?;
    let tenant = &auth.0.tenant_id;
    let body = body.into_inner();
    let issues = match body.entity_id {
        Some(id) => {
            state
                .entities
                .get(tenant, &path, &id)
                .await?
                .validation_errors
        }
        None => {
            let template = state.entities.template(tenant, &path).await?;
            let id = body
                .fields
                .get("id")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned();
            state
                .entities
                .findings(tenant, &template, &id, &body.fields, &body.markdown_body)
                .await?
        }
    };
    let is_valid = !issues
        .iter()
        .any(|i| i.severity == studiobrain_entity::validate::Severity::Error);
    Ok(web::Json(ValidateOut {
        is_valid,
        validation_errors: issues.iter().map(ValidationErrorOut::from).collect(),
    }))
}

/// The merged rules of a type, with the type file's prompt and defaults.
#[utoipa::path(tag = "Rules", params(("type" = String, Path)), responses((status = 200, body = Object), (status = 404)))]
#[get("/api/rules/{type}")]
pub async fn rules_of_type(
    state: web::Data<AppState>,
    auth: Option<Auth>,
    path: web::Path<String>,
) -> ApiResult<web::Json<Value>> {
    let tenant = tenant_of(&auth);
    let template = state.entities.template(&tenant, &path).await?;
    let book = book(&state, &tenant).await?;
    let file = book.type_file(template.entity_type.as_str());
    Ok(web::Json(serde_json::json!({
        "entity_type": template.entity_type,
        "system_prompt": file.and_then(|f| f.system_prompt.clone()),
        "defaults": file.map(|f| f.defaults.clone()).unwrap_or_default(),
        "rules": book.rules_for(template.entity_type.as_str()),
    })))
}

/// The raw Markdown of a type's rules file.
#[utoipa::path(tag = "Rules", params(("type" = String, Path)), responses((status = 200, body = Object), (status = 404)))]
#[get("/api/rules/{type}/markdown")]
pub async fn get_markdown(
    state: web::Data<AppState>,
    auth: Option<Auth>,
    path: web::Path<String>,
) -> ApiResult<web::Json<Value>> {
    let content = state
        .entities
        .rules_markdown(&tenant_of(&auth), &path)
        .await?;
    Ok(web::Json(
        serde_json::json!({ "entity_type": path.into_inner(), "content": content }),
    ))
}

/// Body carrying Markdown.
#[derive(Debug, Deserialize, ToSchema)]
pub struct MarkdownRequest {
    /// The whole file.
    pub content: String,
}

/// Replace a type's rules file (it must load as rules).
#[utoipa::path(tag = "Rules", params(("type" = String, Path)), request_body = MarkdownRequest,
    responses((status = 200, body = Object), (status = 400), (status = 404)), security(("bearer" = [])))]
#[put("/api/rules/{type}/markdown")]
pub async fn put_markdown(
    state: web::Data<AppState>,
    auth: Auth,
    path: web::Path<String>,
    body: JsonBody<MarkdownRequest>,
) -> ApiResult<web::Json<Value>> {
    auth.0.require(Permission::TemplatesManage)?;
    state
        .entities
        .put_rules_markdown(&auth.0.tenant_id, &path, &body.content)
        .await?;
    Ok(web::Json(serde_json::json!({ "message": "rules saved" })))
}

/// Body of a system-prompt change.
#[derive(Debug, Deserialize, ToSchema)]
pub struct SystemPromptRequest {
    /// The new prompt.
    pub system_prompt: String,
}

/// Set the AI system prompt of a type's rules.
#[utoipa::path(tag = "Rules", params(("type" = String, Path)), request_body = SystemPromptRequest,
    responses((status = 200, body = Object), (status = 404)), security(("bearer" = [])))]
#[put("/api/rules/{type}/system-prompt")]
pub async fn put_system_prompt(
    state: web::Data<AppState>,
    auth: Auth,
    path: web::Path<String>,
    body: JsonBody<SystemPromptRequest>,
) -> ApiResult<web::Json<Value>> {
    auth.0.require(Permission::TemplatesManage)?;
    state
        .entities
        .put_system_prompt(&auth.0.tenant_id, &path, &body.system_prompt)
        .await?;
    Ok(web::Json(
        serde_json::json!({ "message": "system prompt saved" }),
    ))
}

/// Add a rule to a type's rules file.
#[utoipa::path(tag = "Rules", params(("type" = String, Path)), request_body = Object,
    responses((status = 201, body = Object), (status = 400), (status = 409)), security(("bearer" = [])))]
#[post("/api/rules/{type}")]
pub async fn add_rule(
    state: web::Data<AppState>,
    auth: Auth,
    path: web::Path<String>,
    body: JsonBody<Map<String, Value>>,
) -> ApiResult<HttpResponse> {
    auth.0.require(Permission::TemplatesManage)?;
    state
        .entities
        .edit_rule(&auth.0.tenant_id, &path, RuleEdit::Add(body.into_inner()))
        .await?;
    Ok(HttpResponse::Created().json(serde_json::json!({ "message": "rule added" })))
}

/// Replace one rule of a type's rules file.
#[utoipa::path(tag = "Rules", params(("type" = String, Path), ("rule_id" = String, Path)), request_body = Object,
    responses((status = 200, body = Object), (status = 404)), security(("bearer" = [])))]
#[put("/api/rules/{type}/{rule_id}")]
pub async fn update_rule(
    state: web::Data<AppState>,
    auth: Auth,
    path: web::Path<(String, String)>,
    body: JsonBody<Map<String, Value>>,
) -> ApiResult<web::Json<Value>> {
    auth.0.require(Permission::TemplatesManage)?;
    let (entity_type, rule_id) = path.into_inner();
    state
        .entities
        .edit_rule(
            &auth.0.tenant_id,
            &entity_type,
            RuleEdit::Replace(rule_id, body.into_inner()),
        )
        .await?;
    Ok(web::Json(serde_json::json!({ "message": "rule updated" })))
}

/// Delete one rule of a type's rules file.
#[utoipa::path(tag = "Rules", params(("type" = String, Path), ("rule_id" = String, Path)),
    responses((status = 200, body = Object), (status = 404)), security(("bearer" = [])))]
#[delete("/api/rules/{type}/{rule_id}")]
pub async fn delete_rule(
    state: web::Data<AppState>,
    auth: Auth,
    path: web::Path<(String, String)>,
) -> ApiResult<web::Json<Value>> {
    auth.0.require(Permission::TemplatesManage)?;
    let (entity_type, rule_id) = path.into_inner();
    state
        .entities
        .edit_rule(&auth.0.tenant_id, &entity_type, RuleEdit::Remove(rule_id))
        .await?;
    Ok(web::Json(serde_json::json!({ "message": "rule deleted" })))
}
