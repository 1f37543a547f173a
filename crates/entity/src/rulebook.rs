//! The rules of each tenant's project: loaded from `_Rules/`, cached until
//! reloaded, applied during validation, and edited in place (only the keys
//! that change are rewritten).

use crate::error::{EntityError, EntityResult};
use crate::rules::RuleBook;
use crate::service::EntityService;
use crate::template::Template;
use crate::validate::ValidationIssue;
use serde_json::{Map, Value};
use std::sync::Arc;
use studiobrain_kernel::TenantId;

/// Settings of rule checking, kept in `_Rules/settings.json`.
pub const SETTINGS_PATH: &str = "_Rules/settings.json";

impl EntityService {
    /// The tenant's rule book, loaded once and cached.
    ///
    /// # Errors
    /// The vault cannot be read.
    pub async fn rule_book(&self, tenant: &TenantId) -> EntityResult<Arc<RuleBook>> {
        if let Some(book) = self.cached_rules(tenant) {
            return Ok(book);
        }
        self.reload_rules(tenant).await
    }

    /// Reads `_Rules/` again.
    ///
    /// # Errors
    /// The vault cannot be read.
    pub async fn reload_rules(&self, tenant: &TenantId) -> EntityResult<Arc<RuleBook>> {
        let vault = self.vault(tenant)?;
        let mut sources = Vec::new();
        for suffix in [".md", ".yaml", ".yml"] {
            for path in vault.list("_Rules", suffix).await? {
                if let Some(bytes) = vault.read(&path).await? {
                    sources.push((path, String::from_utf8_lossy(&bytes).into_owned()));
                }
            }
        }
        let mut book = RuleBook::load(sources);
        book.settings = match vault.read(SETTINGS_PATH).await? {
            None => default_settings(),
            Some(bytes) => match serde_json::from_slice(&bytes) {
                Ok(Value::Object(map)) => map,
                // A broken settings file must not break every read: report it
                // and check with the defaults.
                _ => {
                    book.problems
                        .push(format!("{SETTINGS_PATH}: not a JSON object"));
                    default_settings()
                }
            },
        };
        let book = Arc::new(book);
        for problem in &book.problems {
            tracing::warn!(tenant = %tenant, %problem, "rule file not loaded");
        }
        self.cache_rules(tenant, book.clone());
        self.changed();
        Ok(book)
    }

    /// The rule-checking settings (`enabled`, `disabled_rules`, ...), read
    /// with the rule files and cached with them.
    ///
    /// # Errors
    /// The vault cannot be read.
    pub async fn rule_settings(&self, tenant: &TenantId) -> EntityResult<Map<String, Value>> {
        Ok(self.rule_book(tenant).await?.settings.clone())
    }

    /// Merges `changes` into the settings and stores them.
    ///
    /// # Errors
    /// [`EntityError::Invalid`] (400) for wrongly typed known keys.
    pub async fn update_rule_settings(
        &self,
        tenant: &TenantId,
        changes: Map<String, Value>,
    ) -> EntityResult<Map<String, Value>> {
        if changes.get("enabled").is_some_and(|v| !v.is_boolean()) {
            return Err(EntityError::Invalid("enabled must be true or false".into()));
        }
        if changes
            .get("disabled_rules")
            .is_some_and(|v| !v.as_array().is_some_and(|a| a.iter().all(Value::is_string)))
        {
            return Err(EntityError::Invalid(
                "disabled_rules must be a list of rule ids".into(),
            ));
        }
        let mut settings = self.rule_settings(tenant).await?;
        settings.extend(changes);
        let bytes =
            serde_json::to_vec_pretty(&settings).map_err(|e| EntityError::Unexpected(e.into()))?;
        {
            let _write = self.write_lock().await;
            self.vault(tenant)?.write(SETTINGS_PATH, &bytes).await?;
        }
        self.reload_rules(tenant).await?;
        Ok(settings)
    }
}

impl EntityService {
    /// Findings of the project's machine-checkable rules for an entity,
    /// unless rule checking is off or a rule is disabled in the settings.
    pub(crate) async fn rule_findings(
        &self,
        tenant: &TenantId,
        template: &Template,
        fields: &Map<String, Value>,
        body: &str,
    ) -> EntityResult<Vec<ValidationIssue>> {
        let book = self.rule_book(tenant).await?;
        let settings = &book.settings;
        if !settings
            .get("enabled")
            .and_then(Value::as_bool)
            .unwrap_or(true)
        {
            return Ok(Vec::new());
        }
        let disabled: Vec<&str> = settings
            .get("disabled_rules")
            .and_then(Value::as_array)
            .map(|ids| ids.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        Ok(book
            .check(template.entity_type.as_str(), fields, body)
            .into_iter()
            .filter(|issue| !disabled.contains(&issue.rule_id.as_str()))
            .collect())
    }
}

fn default_settings() -> Map<String, Value> {
    let mut map = Map::new();
    map.insert("enabled".into(), Value::Bool(true));
    map.insert("disabled_rules".into(), Value::Array(Vec::new()));
    map
}

/// How a rule list is changed.
#[derive(Debug, Clone)]
pub enum RuleEdit {
    /// Append a rule (its `id` must be new in the file).
    Add(Map<String, Value>),
    /// Replace the rule with this id.
    Replace(String, Map<String, Value>),
    /// Remove the rule with this id.
    Remove(String),
}

impl EntityService {
    /// Path of the per-type rules file (`_Rules/<TYPE>_RULES.md`).
    async fn type_rules_path(&self, tenant: &TenantId, entity_type: &str) -> EntityResult<String> {
        let template = self.template(tenant, entity_type).await?;
        let book = self.rule_book(tenant).await?;
        Ok(book
            .type_file(template.entity_type.as_str())
            .map(|f| f.path.clone())
            .unwrap_or_else(|| {
                format!(
                    "_Rules/{}_RULES.md",
                    template.entity_type.as_str().to_uppercase()
                )
            }))
    }

    /// The raw per-type rules Markdown (empty when the type has none).
    ///
    /// # Errors
    /// [`EntityError::NotFound`] for an unknown type.
    pub async fn rules_markdown(
        &self,
        tenant: &TenantId,
        entity_type: &str,
    ) -> EntityResult<String> {
        let path = self.type_rules_path(tenant, entity_type).await?;
        let bytes = self.vault(tenant)?.read(&path).await?.unwrap_or_default();
        Ok(String::from_utf8_lossy(&bytes).into_owned())
    }

    /// Replaces the per-type rules file; it must parse as a rules file.
    ///
    /// # Errors
    /// [`EntityError::Invalid`] for content that does not parse.
    pub async fn put_rules_markdown(
        &self,
        tenant: &TenantId,
        entity_type: &str,
        content: &str,
    ) -> EntityResult<()> {
        let path = self.type_rules_path(tenant, entity_type).await?;
        crate::rules::RuleFile::parse(&path, content).map_err(EntityError::Invalid)?;
        self.write_rules(tenant, &path, content).await
    }

    /// Sets only the `system_prompt` of the per-type rules file.
    ///
    /// # Errors
    /// [`EntityError::Invalid`] when the existing file does not parse.
    pub async fn put_system_prompt(
        &self,
        tenant: &TenantId,
        entity_type: &str,
        prompt: &str,
    ) -> EntityResult<()> {
        self.edit_type_rules(tenant, entity_type, |frontmatter| {
            frontmatter.set("system_prompt", Value::String(prompt.to_owned()));
            Ok(())
        })
        .await
    }

    /// Adds, replaces or removes a rule of the per-type rules file,
    /// rewriting only its `rules` key.
    ///
    /// # Errors
    /// [`EntityError::AlreadyExists`] for a duplicate id,
    /// [`EntityError::NotFound`] for an unknown id, [`EntityError::Invalid`]
    /// for a rule without an id or with an unusable check.
    pub async fn edit_rule(
        &self,
        tenant: &TenantId,
        entity_type: &str,
        edit: RuleEdit,
    ) -> EntityResult<()> {
        self.edit_type_rules(tenant, entity_type, move |frontmatter| {
            let mut rules: Vec<Value> = frontmatter
                .get("rules")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default();
            let position = |rules: &[Value], id: &str| {
                rules
                    .iter()
                    .position(|r| r.get("id").and_then(Value::as_str) == Some(id))
            };
            match edit {
                RuleEdit::Add(rule) => {
                    let id = rule
                        .get("id")
                        .and_then(Value::as_str)
                        .filter(|s| !s.is_empty())
                        .ok_or_else(|| EntityError::Invalid("a rule needs an id".into()))?;
                    if position(&rules, id).is_some() {
                        return Err(EntityError::AlreadyExists(format!(
                            "rule {id} already exists"
                        )));
                    }
                    rules.push(Value::Object(rule));
                }
                RuleEdit::Replace(id, mut rule) => {
                    let at = position(&rules, &id)
                        .ok_or_else(|| EntityError::NotFound(format!("rule {id} not found")))?;
                    rule.insert("id".into(), Value::String(id));
                    rules[at] = Value::Object(rule);
                }
                RuleEdit::Remove(id) => {
                    let at = position(&rules, &id)
                        .ok_or_else(|| EntityError::NotFound(format!("rule {id} not found")))?;
                    rules.remove(at);
                }
            }
            frontmatter.set("rules", Value::Array(rules));
            Ok(())
        })
        .await
    }

    /// Loads the per-type rules file (or a new empty one), applies `edit` to
    /// its frontmatter, checks the result still loads, and writes it.
    async fn edit_type_rules(
        &self,
        tenant: &TenantId,
        entity_type: &str,
        edit: impl FnOnce(&mut studiobrain_markdown::Frontmatter) -> EntityResult<()>,
    ) -> EntityResult<()> {
        let path = self.type_rules_path(tenant, entity_type).await?;
        let current = self.rules_markdown(tenant, entity_type).await?;
        let mut document = if current.is_empty() {
            let mut map = Map::new();
            map.insert("entity_type".into(), Value::String(entity_type.to_owned()));
            map.insert("rules".into(), Value::Array(Vec::new()));
            studiobrain_markdown::Document::new(map, "")
        } else {
            studiobrain_markdown::parse(&current)
                .map_err(|e| EntityError::Invalid(format!("{path}: {e}")))?
        };
        edit(&mut document.frontmatter)?;
        let text = document.render();
        crate::rules::RuleFile::parse(&path, &text).map_err(EntityError::Invalid)?;
        self.write_rules(tenant, &path, &text).await
    }

    async fn write_rules(&self, tenant: &TenantId, path: &str, text: &str) -> EntityResult<()> {
        {
            let _write = self.write_lock().await;
            self.vault(tenant)?.write(path, text.as_bytes()).await?;
        }
        self.reload_rules(tenant).await.map(|_| ())
    }
}
