//! Entities as raw files: importing a Markdown document as a new entity
//! (keeping its content, unknown keys included), previewing that import,
//! checking raw frontmatter against a type, exporting an entity's file, and
//! whether an id is free for a new entity.
//!
//! An import writes the given document, not the template's skeleton: only
//! `id`, `name` and `status` are set (each only when it differs, so every
//! other line stays byte for byte). The id comes from the frontmatter's `id`,
//! else the caller's `entity_id`, else the name; the name from the
//! frontmatter, else the body's first `# ` heading, else the id.

use crate::entity::{Entity, entity_dir, entity_path, legacy_entity_path, text_field};
use crate::error::{EntityError, EntityResult};
use crate::ids::{EntityId, EntityType};
use crate::service::{EntityService, EntityView, entity_from_file, not_found};
use crate::template::Template;
use crate::validate::{Severity, ValidationIssue};
use serde_json::{Map, Value};
use studiobrain_kernel::{Actor, EntityAction, TenantId};
use studiobrain_markdown::{Document, ParseError};

/// What checking raw frontmatter found.
#[derive(Debug, Clone, PartialEq)]
pub struct FrontmatterReport {
    /// Why the text does not parse (with its line), if it does not.
    pub parse_error: Option<ParseError>,
    /// The frontmatter keys, when it parses.
    pub fields: Map<String, Value>,
    /// Findings of the type's rules, when a type is given and it parses.
    pub findings: Vec<ValidationIssue>,
}

impl FrontmatterReport {
    /// Parses and has no error-severity finding.
    pub fn is_valid(&self) -> bool {
        self.parse_error.is_none() && !self.findings.iter().any(|i| i.severity == Severity::Error)
    }
}

/// An import as it would be made, without saving.
#[derive(Debug, Clone)]
pub struct ImportPreview {
    /// The entity as it would be created (revision 1, at its new path), with
    /// its validation.
    pub view: EntityView,
    /// A live entity already has the id (the import would be refused).
    pub already_exists: bool,
}

/// An entity's file, for download.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExportedFile {
    /// The file name (`CH_rex.md`).
    pub file_name: String,
    /// The file's bytes, exactly as stored.
    pub bytes: Vec<u8>,
}

/// The first `# ` heading of a Markdown body.
fn first_heading(body: &str) -> Option<String> {
    body.lines()
        .find_map(|line| line.strip_prefix("# "))
        .map(|title| title.trim().to_owned())
        .filter(|title| !title.is_empty())
}

/// Sets `key` to the string `value` unless it already holds exactly that.
fn set_text(document: &mut Document, key: &str, value: &str) {
    if document.frontmatter.get(key).and_then(Value::as_str) != Some(value) {
        document
            .frontmatter
            .set(key, Value::String(value.to_owned()));
    }
}

/// Parses `content` as an entity of `template` and decides its id, name and
/// status; returns the id and the document to write.
fn prepare(
    template: &Template,
    content: &str,
    entity_id: Option<&str>,
) -> EntityResult<(EntityId, String)> {
    let mut document = studiobrain_markdown::parse(content)
        .map_err(|err| EntityError::Invalid(format!("the content does not parse: {err}")))?;
    let fields = document.frontmatter.to_map();
    let in_file = Some(text_field(&fields, "id")).filter(|s| !s.trim().is_empty());
    let given = entity_id.map(str::trim).filter(|s| !s.is_empty());
    let named = Some(text_field(&fields, "name").trim().to_owned())
        .filter(|s| !s.is_empty())
        .or_else(|| first_heading(&document.body));
    let id = match (in_file.as_deref(), given) {
        (Some(file), Some(param)) if file.trim() != param => {
            return Err(EntityError::Invalid(format!(
                "entity_id '{param}' does not match the id '{}' in the content",
                file.trim()
            )));
        }
        (Some(raw), _) | (None, Some(raw)) => EntityId::parse(raw.trim())?,
        (None, None) => named
            .as_deref()
            .and_then(EntityId::from_name)
            .ok_or_else(|| {
                EntityError::Invalid(
                    "the content needs an id or a name (frontmatter 'id' or 'name', or entity_id)"
                        .into(),
                )
            })?,
    };
    let name = named.unwrap_or_else(|| id.to_string());
    let status = Some(text_field(&fields, "status"))
        .filter(|s| !s.trim().is_empty())
        .or_else(|| {
            template
                .field("status")
                .and_then(|spec| spec.default.as_str())
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
        })
        .unwrap_or_else(|| "draft".to_owned());
    set_text(&mut document, "id", id.as_str());
    set_text(&mut document, "name", &name);
    set_text(&mut document, "status", &status);
    Ok((id, studiobrain_markdown::render(&document)))
}

impl EntityService {
    /// Creates an entity of `entity_type` from a raw Markdown document,
    /// keeping its content: only `id`, `name` and `status` are set.
    ///
    /// # Errors
    /// [`EntityError::Invalid`] for content that does not parse (the
    /// message names the line) or yields no valid id;
    /// [`EntityError::AlreadyExists`] when the id is taken;
    /// [`EntityError::NotFound`] for an unknown type.
    pub async fn import(
        &self,
        tenant: &TenantId,
        entity_type: &str,
        content: &str,
        entity_id: Option<&str>,
        actor: &Actor,
    ) -> EntityResult<EntityView> {
        let template = self.template(tenant, entity_type).await?;
        let (id, rendered) = prepare(&template, content, entity_id)?;
        let vault = self.vault(tenant)?;
        let write = self
            .entity_write_lock(tenant, &template.entity_type, &id)
            .await;
        let path = entity_path(&template, &id);
        if self
            .index()
            .exists(tenant, &template.entity_type, &id)
            .await?
            || vault.read(&path).await?.is_some()
            || vault
                .read(&legacy_entity_path(&template, &id))
                .await?
                .is_some()
        {
            return Err(EntityError::AlreadyExists(format!(
                "{entity_type}/{id} already exists"
            )));
        }
        let now = self.now();
        let entity = entity_from_file(&template, &id, &path, rendered.as_bytes(), 1, now, now)?;
        vault.write(&path, rendered.as_bytes()).await?;
        for sub in &template.asset_subfolders {
            vault
                .create_dir(&format!("{}/{sub}", entity_dir(&template, &id)))
                .await?;
        }
        self.index().upsert(tenant, &entity).await?;
        self.changed();
        self.announce(tenant, EntityAction::Created, &entity, None, actor);
        drop(write);
        self.get(tenant, entity_type, id.as_str()).await
    }

    /// What [`Self::import`] would create from `content`, with its
    /// validation, without saving anything.
    ///
    /// # Errors
    /// As [`Self::import`], except that an existing id is reported in the
    /// result rather than refused.
    pub async fn preview_import(
        &self,
        tenant: &TenantId,
        entity_type: &str,
        content: &str,
        entity_id: Option<&str>,
    ) -> EntityResult<ImportPreview> {
        let template = self.template(tenant, entity_type).await?;
        let (id, rendered) = prepare(&template, content, entity_id)?;
        let now = self.now();
        let path = entity_path(&template, &id);
        let entity: Entity =
            entity_from_file(&template, &id, &path, rendered.as_bytes(), 1, now, now)?;
        let findings = self
            .findings(tenant, &template, id.as_str(), &entity.fields, &entity.body)
            .await?;
        let already_exists = self
            .index()
            .exists(tenant, &template.entity_type, &id)
            .await?;
        let is_valid = !findings.iter().any(|i| i.severity == Severity::Error);
        Ok(ImportPreview {
            view: EntityView {
                entity,
                validation_errors: findings,
                is_valid,
            },
            already_exists,
        })
    }

    /// Checks raw Markdown: whether its frontmatter parses (and where it
    /// fails) and, with a type, what that type's rules find in it.
    ///
    /// # Errors
    /// [`EntityError::NotFound`] for an unknown type.
    pub async fn check_frontmatter(
        &self,
        tenant: &TenantId,
        content: &str,
        entity_type: Option<&str>,
    ) -> EntityResult<FrontmatterReport> {
        let template = match entity_type {
            Some(entity_type) => Some(self.template(tenant, entity_type).await?),
            None => None,
        };
        let document = match studiobrain_markdown::parse(content) {
            Ok(document) => document,
            Err(err) => {
                return Ok(FrontmatterReport {
                    parse_error: Some(err),
                    fields: Map::new(),
                    findings: Vec::new(),
                });
            }
        };
        let fields = document.frontmatter.to_map();
        let findings = match template {
            Some(template) => {
                let id = text_field(&fields, "id");
                self.findings(tenant, &template, &id, &fields, &document.body)
                    .await?
            }
            None => Vec::new(),
        };
        Ok(FrontmatterReport {
            parse_error: None,
            fields,
            findings,
        })
    }

    /// The stored file of an entity, byte for byte.
    ///
    /// # Errors
    /// [`EntityError::NotFound`] for an unknown type or id, or a file gone
    /// from the project folder.
    pub async fn export(
        &self,
        tenant: &TenantId,
        entity_type: &str,
        id: &str,
    ) -> EntityResult<ExportedFile> {
        let template = self.template(tenant, entity_type).await?;
        let id = EntityId::parse(id).map_err(|_| not_found(entity_type, id))?;
        let entity = self
            .index()
            .get(tenant, &template.entity_type, &id)
            .await?
            .ok_or_else(|| not_found(entity_type, id.as_str()))?;
        let bytes = self
            .vault(tenant)?
            .read(&entity.path)
            .await?
            .ok_or_else(|| not_found(entity_type, id.as_str()))?;
        let file_name = entity
            .path
            .rsplit('/')
            .next()
            .unwrap_or(entity.path.as_str())
            .to_owned();
        Ok(ExportedFile { file_name, bytes })
    }

    /// The type of a live entity that already has `id`: of `entity_type`
    /// only when given, else of any type the tenant's templates define.
    /// `None` when the id is free.
    ///
    /// # Errors
    /// [`EntityError::NotFound`] for an unknown type.
    pub async fn id_taken_by(
        &self,
        tenant: &TenantId,
        id: &EntityId,
        entity_type: Option<&str>,
    ) -> EntityResult<Option<EntityType>> {
        let types: Vec<EntityType> = match entity_type {
            Some(entity_type) => vec![
                self.template(tenant, entity_type)
                    .await?
                    .entity_type
                    .clone(),
            ],
            None => self
                .templates(tenant)
                .await?
                .templates()
                .map(|t| t.entity_type.clone())
                .collect(),
        };
        for entity_type in types {
            if self.index().exists(tenant, &entity_type, id).await? {
                return Ok(Some(entity_type));
            }
        }
        Ok(None)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::template::TemplateLayer;

    fn template() -> Template {
        Template::parse(
            "CHARACTER_TEMPLATE.md",
            "---\nentity_type: character\nfolder_name: Characters\nfile_prefix: CH_\n---\n",
            TemplateLayer::Standard,
        )
        .expect("valid")
    }

    #[test]
    fn an_import_keeps_the_content_and_sets_only_the_identity() {
        let content = "---\n# hand notes\nid: rex\nname: Rex   # the hero\nstatus: retired\nmood: grim\n---\n# Rex\n";
        let (id, rendered) = prepare(&template(), content, None).expect("imports");
        assert_eq!(id.as_str(), "rex");
        assert_eq!(rendered, content, "nothing to change: byte for byte");
    }

    #[test]
    fn the_id_comes_from_the_file_then_the_caller_then_the_name() {
        let (id, rendered) =
            prepare(&template(), "---\nmood: grim\n---\n# Rex Marshall\n", None).expect("imports");
        assert_eq!(id.as_str(), "rex_marshall");
        assert!(rendered.starts_with("---\nmood: grim\n"), "{rendered}");
        assert!(rendered.contains("id: rex_marshall\n"), "{rendered}");
        assert!(rendered.contains("name: Rex Marshall\n"), "{rendered}");

        let (id, _) =
            prepare(&template(), "---\nname: Rex\n---\n", Some("rex_2")).expect("imports");
        assert_eq!(id.as_str(), "rex_2");
        assert!(prepare(&template(), "---\nid: rex\n---\n", Some("other")).is_err());
        assert!(prepare(&template(), "---\nid: Bad Id\n---\n", None).is_err());
        assert!(prepare(&template(), "no frontmatter, no heading\n", None).is_err());
    }

    #[test]
    fn unparsable_content_names_its_line() {
        let err = prepare(&template(), "---\nname: Rex\nbad: [unclosed\n---\n", None)
            .expect_err("refused");
        assert!(
            matches!(&err, EntityError::Invalid(m) if m.contains("line ")),
            "{err}"
        );
    }
}
