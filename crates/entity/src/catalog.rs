//! The catalog of a project: its templates (read, replace, edit the AI
//! generation instructions, reload), the JSON Schema of each entity type,
//! and the editor layouts. The files stay the truth: every change is
//! written atomically through the tenant's [`Vault`] under the service's
//! write lock, and the templates are read again afterwards.
//!
//! Where things live in a project (the upstream `studiobrain-templates`
//! repository's `templates/` and `schemas/` folders, underscore-prefixed
//! like every system folder):
//! - templates: `_Templates/<Layer>/**/<NAME>_TEMPLATE.md`;
//! - layouts: `_Templates/Layouts/<type>.layout.json`; without one, the
//!   layout shipped for the type applies;
//! - JSON Schemas: `_Schemas/<type>.json` (upstream `schemas/<type>.json`);
//!   without one, the schema derived from the template applies.
//!
//! Callers without a tenant (anonymous readers of the public routes) see
//! the shipped templates, derived schemas and shipped layouts.

use crate::error::{EntityError, EntityResult};
use crate::ids::EntityType;
use crate::ports::Vault;
use crate::registry::TemplateSet;
use crate::schema::entity_schema;
use crate::service::{EntityService, rejected};
use crate::template::Template;
use serde_json::Value;
use std::collections::BTreeMap;
use std::sync::Arc;
use studiobrain_kernel::TenantId;

/// Folder of the editor layouts in a project.
pub const LAYOUTS_DIR: &str = "_Templates/Layouts";

/// Folder of a project's own JSON Schemas.
pub const SCHEMAS_DIR: &str = "_Schemas";

/// The frontmatter key holding a template's AI generation instructions.
pub const INSTRUCTIONS_KEY: &str = "generation_instructions";

/// A template with the current text of its file.
#[derive(Debug, Clone)]
pub struct TemplateFile {
    /// The template as loaded (hand edits show after a reload).
    pub template: Arc<Template>,
    /// Path of the file relative to the project root (where it is, or where
    /// it would be written).
    pub path: String,
    /// The file text: the project's file, else the shipped template's.
    pub content: String,
}

/// Where a layout comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum LayoutSource {
    /// The project's `_Templates/Layouts/<type>.layout.json`.
    Project,
    /// The layout shipped with the server.
    Shipped,
}

/// The editor layout of one entity type.
#[derive(Debug, Clone, PartialEq)]
pub struct LayoutView {
    /// The type laid out.
    pub entity_type: EntityType,
    /// Where the layout comes from.
    pub source: LayoutSource,
    /// The layout: an opaque JSON object with `entity_type` and `sections`.
    pub layout: Value,
}

/// The path of the layout file of `entity_type`.
pub fn layout_path(entity_type: &EntityType) -> String {
    format!("{LAYOUTS_DIR}/{entity_type}.layout.json")
}

/// The path of a project's own JSON Schema of `entity_type`.
pub fn schema_path(entity_type: &EntityType) -> String {
    format!("{SCHEMAS_DIR}/{entity_type}.json")
}

/// The template called `name`: a file name (`CHARACTER_TEMPLATE.md`, any
/// case) or an entity type (`character`).
fn resolve(set: &TemplateSet, name: &str) -> EntityResult<Arc<Template>> {
    if name.to_ascii_lowercase().ends_with(".md") {
        set.templates()
            .find(|t| t.file_name.eq_ignore_ascii_case(name))
            .cloned()
            .ok_or_else(|| EntityError::NotFound(format!("unknown template: {name}")))
    } else {
        set.require(name)
    }
}

/// Where the file of `template` is in the project: the first file of its
/// layer folder with its name (the one [`TemplateSet::load`] picked), else
/// directly in the layer folder.
async fn locate(vault: &dyn Vault, template: &Template) -> EntityResult<String> {
    let dir = format!("_Templates/{}", template.layer.folder());
    let found = vault
        .list(&dir, &template.file_name)
        .await?
        .into_iter()
        .find(|path| path.rsplit('/').next() == Some(template.file_name.as_str()));
    Ok(found.unwrap_or_else(|| format!("{dir}/{}", template.file_name)))
}

/// The JSON object stored at `path`, if there is one. A file that is not a
/// JSON object is ignored with a warning (the caller falls back to the
/// default), so one broken file cannot hide the others.
async fn read_object(vault: &dyn Vault, path: &str) -> EntityResult<Option<Value>> {
    let Some(bytes) = vault.read(path).await? else {
        return Ok(None);
    };
    match serde_json::from_slice::<Value>(&bytes) {
        Ok(value) if value.is_object() => Ok(Some(value)),
        Ok(_) => {
            tracing::warn!(%path, "ignored: not a JSON object");
            Ok(None)
        }
        Err(err) => {
            tracing::warn!(%path, %err, "ignored: not valid JSON");
            Ok(None)
        }
    }
}

/// The loose check of a layout: an object naming `entity_type` with an
/// array of `sections`.
fn check_layout(entity_type: &EntityType, layout: &Value) -> EntityResult<()> {
    let Some(object) = layout.as_object() else {
        return Err(rejected("layout", "a layout must be a JSON object"));
    };
    if object.get("entity_type").and_then(Value::as_str) != Some(entity_type.as_str()) {
        return Err(rejected(
            "entity_type",
            &format!("entity_type must be '{entity_type}'"),
        ));
    }
    if !object.get("sections").is_some_and(Value::is_array) {
        return Err(rejected("sections", "sections must be an array"));
    }
    Ok(())
}

impl EntityService {
    /// The templates a caller sees: the tenant's, or the shipped ones
    /// without a tenant.
    ///
    /// # Errors
    /// The vault cannot be read.
    pub async fn template_catalog(
        &self,
        tenant: Option<&TenantId>,
    ) -> EntityResult<Arc<TemplateSet>> {
        match tenant {
            Some(tenant) => self.templates(tenant).await,
            None => Ok(Arc::new(self.shipped_templates().clone())),
        }
    }

    /// Reads the tenant's templates again and forgets validation findings
    /// made under the old ones.
    ///
    /// # Errors
    /// The vault cannot be read.
    pub async fn refresh_templates(&self, tenant: &TenantId) -> EntityResult<Arc<TemplateSet>> {
        let set = self.reload_templates(tenant).await?;
        self.changed();
        Ok(set)
    }

    /// The template called `name` (file name or entity type).
    ///
    /// # Errors
    /// [`EntityError::NotFound`] when no template has that name.
    pub async fn find_template(
        &self,
        tenant: Option<&TenantId>,
        name: &str,
    ) -> EntityResult<Arc<Template>> {
        resolve(&*self.template_catalog(tenant).await?, name)
    }

    /// The template called `name` with the current text of its file.
    ///
    /// # Errors
    /// [`EntityError::NotFound`] when no template has that name; the vault
    /// cannot be read.
    pub async fn template_file(
        &self,
        tenant: Option<&TenantId>,
        name: &str,
    ) -> EntityResult<TemplateFile> {
        let template = self.find_template(tenant, name).await?;
        let Some(tenant) = tenant else {
            return Ok(TemplateFile {
                path: format!(
                    "_Templates/{}/{}",
                    template.layer.folder(),
                    template.file_name
                ),
                content: template.source.clone(),
                template,
            });
        };
        let vault = self.vault(tenant)?;
        let path = locate(vault.as_ref(), &template).await?;
        let content = match vault.read(&path).await? {
            Some(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
            None => template.source.clone(),
        };
        Ok(TemplateFile {
            template,
            path,
            content,
        })
    }

    /// Replaces the file of the template called `name` with `content`,
    /// which must define the same entity type, then reloads the templates.
    ///
    /// # Errors
    /// [`EntityError::NotFound`] for an unknown template;
    /// [`EntityError::Forbidden`] for a template marked `editable: false`;
    /// [`EntityError::Rejected`] when `content` is not a template of the
    /// same type.
    pub async fn save_template(
        &self,
        tenant: &TenantId,
        name: &str,
        content: &str,
    ) -> EntityResult<TemplateFile> {
        self.rewrite_template(tenant, name, "content", |_| Ok(content.to_owned()))
            .await
    }

    /// Sets the template's `generation_instructions`, rewriting only that
    /// key of its file (comments, order and the body stay), then reloads.
    ///
    /// # Errors
    /// As [`Self::save_template`]; [`EntityError::Invalid`] when the file
    /// on disk no longer parses.
    pub async fn set_generation_instructions(
        &self,
        tenant: &TenantId,
        name: &str,
        instructions: &str,
    ) -> EntityResult<TemplateFile> {
        self.rewrite_template(tenant, name, "instructions", |old| {
            let mut document = studiobrain_markdown::parse(old)
                .map_err(|err| EntityError::Invalid(format!("the template file: {err}")))?;
            document
                .frontmatter
                .set(INSTRUCTIONS_KEY, Value::String(instructions.to_owned()));
            Ok(studiobrain_markdown::render(&document))
        })
        .await
    }

    /// Rewrites the file of the template called `name` with `edit` applied
    /// to its current text; `field` names the input blamed when the result
    /// is not a template of the same type.
    async fn rewrite_template(
        &self,
        tenant: &TenantId,
        name: &str,
        field: &str,
        edit: impl FnOnce(&str) -> EntityResult<String> + Send,
    ) -> EntityResult<TemplateFile> {
        let current = self.find_template(Some(tenant), name).await?;
        if !current.editable {
            return Err(EntityError::Forbidden(format!(
                "{} is marked editable: false",
                current.file_name
            )));
        }
        let vault = self.vault(tenant)?;
        let _write = self.write_lock().await;
        let path = locate(vault.as_ref(), &current).await?;
        let old = match vault.read(&path).await? {
            Some(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
            None => current.source.clone(),
        };
        let content = edit(&old)?;
        let parsed = Template::parse(&current.file_name, &content, current.layer)
            .map_err(|err| rejected(field, &err.to_string()))?;
        if parsed.entity_type != current.entity_type {
            return Err(rejected(
                field,
                &format!(
                    "the template must keep entity_type '{}', not '{}'",
                    current.entity_type, parsed.entity_type
                ),
            ));
        }
        self.adopt_shipped_templates(tenant, vault.as_ref()).await?;
        if content != old || vault.read(&path).await?.is_none() {
            vault.write(&path, content.as_bytes()).await?;
        }
        let set = self.refresh_templates(tenant).await?;
        Ok(TemplateFile {
            template: set.require(current.entity_type.as_str())?,
            path,
            content,
        })
    }

    /// A project that runs on the shipped templates (it has none of its
    /// own) gets them written first, so changing one type keeps the others.
    /// Files already present are left alone.
    async fn adopt_shipped_templates(
        &self,
        tenant: &TenantId,
        vault: &dyn Vault,
    ) -> EntityResult<()> {
        let set = self.templates(tenant).await?;
        let shipped = self.shipped_templates();
        if !std::ptr::eq(Arc::as_ptr(&set), shipped) {
            return Ok(());
        }
        for template in shipped.templates() {
            let path = format!(
                "_Templates/{}/{}",
                template.layer.folder(),
                template.file_name
            );
            if vault.read(&path).await?.is_none() {
                vault.write(&path, template.source.as_bytes()).await?;
            }
        }
        Ok(())
    }

    /// The JSON Schema of `entity_type`: the project's own
    /// `_Schemas/<type>.json` when it has one, else the one derived from
    /// the template.
    ///
    /// # Errors
    /// [`EntityError::NotFound`] for an unknown type; the vault cannot be
    /// read.
    pub async fn type_schema(
        &self,
        tenant: Option<&TenantId>,
        entity_type: &str,
    ) -> EntityResult<Value> {
        let template = self.template_catalog(tenant).await?.require(entity_type)?;
        self.schema_of(tenant, &template).await
    }

    /// The JSON Schema of every entity type, by type.
    ///
    /// # Errors
    /// The vault cannot be read.
    pub async fn type_schemas(
        &self,
        tenant: Option<&TenantId>,
    ) -> EntityResult<BTreeMap<String, Value>> {
        let set = self.template_catalog(tenant).await?;
        let mut schemas = BTreeMap::new();
        for template in set.templates() {
            schemas.insert(
                template.entity_type.to_string(),
                self.schema_of(tenant, template).await?,
            );
        }
        Ok(schemas)
    }

    /// The shared schemas of the project's `_Schemas/` folder (files whose
    /// name starts with `_`, such as `_base.json`), which type schemas may
    /// reference, as (file name, schema).
    ///
    /// # Errors
    /// The vault cannot be read.
    pub(crate) async fn schema_companions(
        &self,
        tenant: &TenantId,
    ) -> EntityResult<Vec<(String, Value)>> {
        let vault = self.vault(tenant)?;
        let mut companions = Vec::new();
        for path in vault.list(SCHEMAS_DIR, ".json").await? {
            let Some(name) = path.strip_prefix(&format!("{SCHEMAS_DIR}/")) else {
                continue;
            };
            if name.starts_with('_')
                && !name.contains('/')
                && let Some(schema) = read_object(vault.as_ref(), &path).await?
            {
                companions.push((name.to_owned(), schema));
            }
        }
        Ok(companions)
    }

    async fn schema_of(
        &self,
        tenant: Option<&TenantId>,
        template: &Template,
    ) -> EntityResult<Value> {
        if let Some(tenant) = tenant {
            let vault = self.vault(tenant)?;
            if let Some(own) =
                read_object(vault.as_ref(), &schema_path(&template.entity_type)).await?
            {
                return Ok(own);
            }
        }
        Ok(entity_schema(template))
    }

    /// The layout of `entity_type`, if the project or the server has one.
    async fn layout_of(
        &self,
        tenant: Option<&TenantId>,
        entity_type: &EntityType,
    ) -> EntityResult<Option<LayoutView>> {
        if let Some(tenant) = tenant {
            let vault = self.vault(tenant)?;
            if let Some(layout) = read_object(vault.as_ref(), &layout_path(entity_type)).await? {
                return Ok(Some(LayoutView {
                    entity_type: entity_type.clone(),
                    source: LayoutSource::Project,
                    layout,
                }));
            }
        }
        Ok(self.shipped_layout(entity_type).map(|layout| LayoutView {
            entity_type: entity_type.clone(),
            source: LayoutSource::Shipped,
            layout: layout.clone(),
        }))
    }

    /// The layout of every entity type that has one, by type.
    ///
    /// # Errors
    /// The vault cannot be read.
    pub async fn layouts(&self, tenant: Option<&TenantId>) -> EntityResult<Vec<LayoutView>> {
        let set = self.template_catalog(tenant).await?;
        let mut layouts = Vec::new();
        for template in set.templates() {
            layouts.extend(self.layout_of(tenant, &template.entity_type).await?);
        }
        Ok(layouts)
    }

    /// The layout of `entity_type`: the project's, else the shipped one.
    ///
    /// # Errors
    /// [`EntityError::NotFound`] for an unknown type or a type without a
    /// layout; the vault cannot be read.
    pub async fn layout(
        &self,
        tenant: Option<&TenantId>,
        entity_type: &str,
    ) -> EntityResult<LayoutView> {
        let template = self.template_catalog(tenant).await?.require(entity_type)?;
        self.layout_of(tenant, &template.entity_type)
            .await?
            .ok_or_else(|| {
                EntityError::NotFound(format!("no layout for entity type {entity_type}"))
            })
    }

    /// Stores `layout` as the project's layout of `entity_type`.
    ///
    /// # Errors
    /// [`EntityError::NotFound`] for an unknown type;
    /// [`EntityError::Rejected`] unless `layout` is an object with
    /// `entity_type` equal to the type and an array `sections`.
    pub async fn save_layout(
        &self,
        tenant: &TenantId,
        entity_type: &str,
        layout: Value,
    ) -> EntityResult<LayoutView> {
        let template = self.template(tenant, entity_type).await?;
        check_layout(&template.entity_type, &layout)?;
        self.write_layout(tenant, &template.entity_type, layout)
            .await
    }

    /// Writes the shipped layout of `entity_type` as the project's layout.
    ///
    /// # Errors
    /// [`EntityError::NotFound`] for an unknown type or when no layout of
    /// the type ships.
    pub async fn reset_layout(
        &self,
        tenant: &TenantId,
        entity_type: &str,
    ) -> EntityResult<LayoutView> {
        let template = self.template(tenant, entity_type).await?;
        let shipped = self
            .shipped_layout(&template.entity_type)
            .cloned()
            .ok_or_else(|| {
                EntityError::NotFound(format!("no layout ships for entity type {entity_type}"))
            })?;
        self.write_layout(tenant, &template.entity_type, shipped)
            .await
    }

    async fn write_layout(
        &self,
        tenant: &TenantId,
        entity_type: &EntityType,
        layout: Value,
    ) -> EntityResult<LayoutView> {
        let mut text = serde_json::to_string_pretty(&layout)
            .map_err(|err| EntityError::Unexpected(err.into()))?;
        text.push('\n');
        let vault = self.vault(tenant)?;
        let _write = self.write_lock().await;
        vault
            .write(&layout_path(entity_type), text.as_bytes())
            .await?;
        Ok(LayoutView {
            entity_type: entity_type.clone(),
            source: LayoutSource::Project,
            layout,
        })
    }

    /// Removes the project's layout file of `entity_type` (it moves to
    /// `.studiobrain/trash/layouts/`); the shipped layout applies again.
    ///
    /// # Errors
    /// [`EntityError::NotFound`] for an unknown type or when the project
    /// has no layout file for it.
    pub async fn delete_layout(&self, tenant: &TenantId, entity_type: &str) -> EntityResult<()> {
        let template = self.template(tenant, entity_type).await?;
        let path = layout_path(&template.entity_type);
        let vault = self.vault(tenant)?;
        let _write = self.write_lock().await;
        if vault.read(&path).await?.is_none() {
            return Err(EntityError::NotFound(format!(
                "the project has no layout of its own for {entity_type}"
            )));
        }
        let trash = format!(
            ".studiobrain/trash/layouts/{}-{}.layout.json",
            template.entity_type,
            self.now().format("%Y%m%dT%H%M%S%.6fZ")
        );
        vault.rename(&path, &trash).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::entity::Entity;
    use crate::ids::EntityId;
    use crate::ports::{DeletedEntity, EntityIndex, EntityPage, EntityQuery};
    use crate::registry::TemplateSource;
    use crate::template::TemplateLayer;
    use crate::test_vault::{MemoryVault, OneVault};
    use async_trait::async_trait;
    use chrono::{DateTime, Utc};
    use serde_json::json;
    use std::collections::HashMap;

    /// The catalog never touches the index.
    struct NoIndex;

    #[async_trait]
    impl EntityIndex for NoIndex {
        async fn remove_all(&self, _: &TenantId, _: &[(EntityType, EntityId)]) -> EntityResult<()> {
            Ok(())
        }
        async fn files(
            &self,
            _: &TenantId,
            _: &EntityType,
        ) -> EntityResult<Vec<crate::ports::IndexedFile>> {
            Ok(Vec::new())
        }
        async fn status_counts(
            &self,
            _: &TenantId,
        ) -> EntityResult<Vec<crate::ports::StatusCount>> {
            Ok(Vec::new())
        }
        async fn upsert(&self, _: &TenantId, _: &Entity) -> EntityResult<()> {
            Ok(())
        }
        async fn get(
            &self,
            _: &TenantId,
            _: &EntityType,
            _: &EntityId,
        ) -> EntityResult<Option<Entity>> {
            Ok(None)
        }
        async fn exists(&self, _: &TenantId, _: &EntityType, _: &EntityId) -> EntityResult<bool> {
            Ok(false)
        }
        async fn list(&self, _: &TenantId, _: &EntityQuery) -> EntityResult<EntityPage> {
            Ok(EntityPage {
                total: 0,
                entities: Vec::new(),
            })
        }
        async fn mark_deleted(
            &self,
            _: &TenantId,
            _: &EntityType,
            _: &EntityId,
            _: DateTime<Utc>,
        ) -> EntityResult<()> {
            Ok(())
        }
        async fn list_deleted(&self, _: &TenantId) -> EntityResult<Vec<DeletedEntity>> {
            Ok(Vec::new())
        }
        async fn purge(&self, _: &TenantId, _: &EntityType, _: &EntityId) -> EntityResult<()> {
            Ok(())
        }
    }

    const CHARACTER: &str = "---\n# the people of the world\nentity_type: character\nfolder_name: Characters\nfile_prefix: CH_\ngeneration_instructions: Write people.\nui_icon: user\nid: \"\"\nname: \"[Full Name]\"\n---\n# {name}\n";
    const QUEST: &str = "---\nentity_type: quest\neditable: false\nfolder_name: Quests\nfile_prefix: QUEST_\nid: \"\"\nname: \"\"\n---\n";

    fn shipped() -> TemplateSet {
        TemplateSet::load(vec![
            TemplateSource {
                layer: TemplateLayer::Standard,
                file_name: "CHARACTER_TEMPLATE.md".into(),
                text: CHARACTER.into(),
            },
            TemplateSource {
                layer: TemplateLayer::Core,
                file_name: "QUEST_TEMPLATE.md".into(),
                text: QUEST.into(),
            },
        ])
    }

    fn layout(entity_type: &str) -> Value {
        json!({"entity_type": entity_type, "version": "1.0", "sections": [{"id": "main", "fields": []}]})
    }

    fn tenant() -> TenantId {
        TenantId::local()
    }

    /// A service over an empty project and the two shipped types, with a
    /// shipped layout for characters only.
    fn service() -> (Arc<MemoryVault>, EntityService) {
        let vault = Arc::new(MemoryVault::default());
        let layouts = HashMap::from([(
            EntityType::parse("character").expect("type"),
            layout("character"),
        )]);
        let service = EntityService::new(
            Arc::new(OneVault(vault.clone())),
            Arc::new(NoIndex),
            Arc::new(shipped()),
        )
        .with_shipped_layouts(layouts);
        (vault, service)
    }

    /// A service over a project that carries the templates as files.
    fn seeded() -> (Arc<MemoryVault>, EntityService) {
        let (vault, service) = service();
        vault.put("_Templates/Standard/CHARACTER_TEMPLATE.md", CHARACTER);
        vault.put("_Templates/Core/QUEST_TEMPLATE.md", QUEST);
        (vault, service)
    }

    #[tokio::test]
    async fn templates_are_found_by_file_name_or_type() {
        let (vault, service) = seeded();
        let hand = CHARACTER.replace("Write people.", "Edited by hand.");
        vault.put("_Templates/Standard/CHARACTER_TEMPLATE.md", &hand);
        let by_type = service
            .template_file(Some(&tenant()), "character")
            .await
            .expect("found");
        assert_eq!(by_type.path, "_Templates/Standard/CHARACTER_TEMPLATE.md");
        assert_eq!(by_type.content, hand, "the file as it is now");
        let by_name = service
            .find_template(Some(&tenant()), "character_template.MD")
            .await
            .expect("found");
        assert_eq!(by_name.entity_type.as_str(), "character");
        assert!(matches!(
            service.find_template(None, "spaceship").await,
            Err(EntityError::NotFound(_))
        ));
        assert!(matches!(
            service.find_template(None, "SPACESHIP_TEMPLATE.md").await,
            Err(EntityError::NotFound(_))
        ));
        let anonymous = service.template_file(None, "quest").await.expect("shipped");
        assert_eq!(anonymous.content, QUEST);
        assert!(!anonymous.template.editable);
    }

    #[tokio::test]
    async fn saving_a_template_keeps_its_type_and_reloads() {
        let (vault, service) = seeded();
        let renamed = CHARACTER.replace("entity_type: character", "entity_type: hero");
        assert!(matches!(
            service
                .save_template(&tenant(), "character", &renamed)
                .await,
            Err(EntityError::Rejected { .. })
        ));
        assert!(matches!(
            service
                .save_template(&tenant(), "character", "---\n: :\n---\n")
                .await,
            Err(EntityError::Rejected { .. })
        ));
        assert_eq!(
            vault
                .text("_Templates/Standard/CHARACTER_TEMPLATE.md")
                .as_deref(),
            Some(CHARACTER),
            "refused edits touch nothing"
        );
        let edited = CHARACTER.replace("ui_icon: user", "ui_icon: person");
        let saved = service
            .save_template(&tenant(), "CHARACTER_TEMPLATE.md", &edited)
            .await
            .expect("saved");
        assert_eq!(saved.template.ui_icon.as_deref(), Some("person"));
        assert_eq!(
            vault
                .text("_Templates/Standard/CHARACTER_TEMPLATE.md")
                .as_deref(),
            Some(edited.as_str())
        );
        let reloaded = service
            .template(&tenant(), "character")
            .await
            .expect("type");
        assert_eq!(reloaded.ui_icon.as_deref(), Some("person"), "reloaded");
        assert!(matches!(
            service.save_template(&tenant(), "quest", QUEST).await,
            Err(EntityError::Forbidden(_))
        ));
    }

    #[tokio::test]
    async fn instructions_change_only_their_key() {
        let (vault, service) = seeded();
        let saved = service
            .set_generation_instructions(&tenant(), "character", "Write vivid people.")
            .await
            .expect("saved");
        assert_eq!(
            saved.template.generation_instructions,
            "Write vivid people."
        );
        let text = vault
            .text("_Templates/Standard/CHARACTER_TEMPLATE.md")
            .expect("file");
        assert_eq!(
            text,
            CHARACTER.replace(
                "generation_instructions: Write people.",
                "generation_instructions: Write vivid people."
            ),
            "comments, order and body stay"
        );
        let multi = "Line one.\nLine two.";
        service
            .set_generation_instructions(&tenant(), "character", multi)
            .await
            .expect("saved");
        assert_eq!(
            service
                .find_template(Some(&tenant()), "character")
                .await
                .expect("type")
                .generation_instructions,
            multi
        );
    }

    #[tokio::test]
    async fn a_project_on_the_shipped_templates_adopts_them_before_an_edit() {
        let (vault, service) = service();
        assert!(vault.files().is_empty());
        service
            .set_generation_instructions(&tenant(), "character", "Short.")
            .await
            .expect("saved");
        assert_eq!(
            vault.text("_Templates/Core/QUEST_TEMPLATE.md").as_deref(),
            Some(QUEST),
            "the other types were written too"
        );
        let set = service.templates(&tenant()).await.expect("set");
        assert_eq!(set.len(), 2, "no type was lost");
        assert_eq!(
            set.require("character")
                .expect("type")
                .generation_instructions,
            "Short."
        );
    }

    #[tokio::test]
    async fn packs_are_edited_where_they_live() {
        let (vault, service) = service();
        let pack = CHARACTER.replace("entity_type: character", "entity_type: creature");
        vault.put("_Templates/Packs/beasts/CREATURE_TEMPLATE.md", &pack);
        vault.put("_Templates/Standard/CHARACTER_TEMPLATE.md", CHARACTER);
        let saved = service
            .set_generation_instructions(&tenant(), "creature", "Roar.")
            .await
            .expect("saved");
        assert_eq!(saved.path, "_Templates/Packs/beasts/CREATURE_TEMPLATE.md");
        assert!(
            vault
                .text("_Templates/Packs/CREATURE_TEMPLATE.md")
                .is_none()
        );
    }

    #[tokio::test]
    async fn schemas_prefer_the_projects_own() {
        let (vault, service) = seeded();
        let derived = service
            .type_schema(Some(&tenant()), "character")
            .await
            .expect("schema");
        assert_eq!(derived["title"], "character");
        let own = json!({"$schema": crate::schema::DIALECT, "title": "Our characters"});
        vault.put("_Schemas/character.json", &own.to_string());
        vault.put("_Schemas/quest.json", "not json");
        let all = service
            .type_schemas(Some(&tenant()))
            .await
            .expect("schemas");
        assert_eq!(all["character"], own);
        assert_eq!(all["quest"]["title"], "quest", "a broken file is ignored");
        assert_eq!(
            service
                .type_schema(None, "character")
                .await
                .expect("shipped")["title"],
            "character",
            "anonymous callers get the derived schema"
        );
        assert!(matches!(
            service.type_schema(Some(&tenant()), "spaceship").await,
            Err(EntityError::NotFound(_))
        ));
    }

    #[tokio::test]
    async fn layouts_are_stored_reset_and_deleted() {
        let (vault, service) = seeded();
        let t = tenant();
        let shipped = service.layout(Some(&t), "character").await.expect("layout");
        assert_eq!(shipped.source, LayoutSource::Shipped);
        assert!(matches!(
            service.layout(Some(&t), "quest").await,
            Err(EntityError::NotFound(_))
        ));
        assert!(matches!(
            service.layout(None, "spaceship").await,
            Err(EntityError::NotFound(_))
        ));
        for bad in [
            json!([]),
            layout("quest"),
            json!({"entity_type": "character", "sections": {}}),
        ] {
            assert!(
                matches!(
                    service.save_layout(&t, "character", bad.clone()).await,
                    Err(EntityError::Rejected { .. })
                ),
                "{bad}"
            );
        }
        let mut mine = layout("character");
        mine["sections"][0]["title"] = json!("Mine");
        let saved = service
            .save_layout(&t, "character", mine.clone())
            .await
            .expect("saved");
        assert_eq!(saved.source, LayoutSource::Project);
        let stored: Value = serde_json::from_str(
            &vault
                .text("_Templates/Layouts/character.layout.json")
                .expect("file"),
        )
        .expect("json");
        assert_eq!(stored, mine);
        assert_eq!(
            service
                .layout(None, "character")
                .await
                .expect("shipped")
                .layout,
            layout("character"),
            "anonymous callers see the shipped layout"
        );
        let listed = service.layouts(Some(&t)).await.expect("layouts");
        assert_eq!(listed.len(), 1);
        assert_eq!(listed[0].layout, mine);

        let reset = service.reset_layout(&t, "character").await.expect("reset");
        assert_eq!(reset.layout, layout("character"));
        assert!(matches!(
            service.reset_layout(&t, "quest").await,
            Err(EntityError::NotFound(_))
        ));

        service
            .delete_layout(&t, "character")
            .await
            .expect("deleted");
        assert!(
            vault
                .text("_Templates/Layouts/character.layout.json")
                .is_none()
        );
        assert!(
            vault
                .files()
                .keys()
                .any(|p| p.starts_with(".studiobrain/trash/layouts/character-")),
            "in the recycle bin"
        );
        assert_eq!(
            service
                .layout(Some(&t), "character")
                .await
                .expect("layout")
                .source,
            LayoutSource::Shipped
        );
        assert!(matches!(
            service.delete_layout(&t, "character").await,
            Err(EntityError::NotFound(_))
        ));
    }
}
