//! [`EntityService`]: the entity use cases. One service owns every write:
//! load the file, apply the change (touching only the keys it changes),
//! render, write the file atomically, then mirror it into the index. The
//! file is the truth: if the index write fails after the file landed, a
//! reindex repairs the row from the file.

use crate::entity::{
    Entity, content_hash, entity_dir, entity_path, legacy_entity_path, text_field,
};
use crate::error::{EntityError, EntityResult, FieldError};
use crate::ids::{EntityId, EntityType};
use crate::known::{KnownEntities, Sorted};
use crate::locks::WriteLocks;
use crate::ports::{Edited, EntityIndex, EntityPage, EntityQuery, FileStamp, Vault, VaultProvider};
use crate::read_cache::{READ_CACHE_TTL, ReadCache};
use crate::registry::{TemplateSet, TemplateSource};
use crate::rules::RuleBook;
use crate::synced::SyncedFiles;
use crate::template::{Template, TemplateLayer};
use crate::validate::{self, Severity, ValidationIssue};
use serde_json::{Map, Value};
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use studiobrain_kernel::{
    Actor, Clock, EntityAction, EntityChange, Event, EventBus, EventKind, NoEvents, SystemClock,
    TenantId,
};
use studiobrain_markdown::Document;

/// An entity with its validation, as the API serves it.
#[derive(Debug, Clone)]
pub struct EntityView {
    /// The entity.
    pub entity: Entity,
    /// Findings of the template's rules.
    pub validation_errors: Vec<ValidationIssue>,
    /// No error-severity findings.
    pub is_valid: bool,
}

/// Input of a create.
#[derive(Debug, Clone, Default)]
pub struct NewEntity {
    /// Id; generated from the name when absent.
    pub entity_id: Option<String>,
    /// Display name.
    pub name: String,
    /// Status; the template's default when absent.
    pub status: Option<String>,
    /// Further frontmatter fields.
    pub fields: Map<String, Value>,
    /// Body; the template's skeleton when absent.
    pub markdown_body: Option<String>,
}

/// Input of an update: only what is given changes.
#[derive(Debug, Clone, Default)]
pub struct EntityChanges {
    /// New name.
    pub name: Option<String>,
    /// New status.
    pub status: Option<String>,
    /// Fields to set; a `null` removes the key.
    pub fields: Map<String, Value>,
    /// New body.
    pub markdown_body: Option<String>,
}

/// Result of rebuilding a tenant's index from its files.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReindexReport {
    /// Files indexed.
    pub indexed: u64,
    /// Files that do not parse (kept as invalid entities), with the reason.
    pub failed: Vec<String>,
}

/// One revision of one entity of one tenant: (tenant, type, id, revision).
type RevisionKey = (TenantId, String, String, i64);

/// One entity type of one tenant.
type TypeKey = (TenantId, crate::ids::EntityType);

/// One entity of one tenant.
type EntityKey = (TenantId, crate::ids::EntityType, EntityId);

/// One page of a list with the total of matching entities, as the read
/// cache holds and shares it.
pub type SharedPage = Arc<(u64, Vec<EntityView>)>;

/// How long an entity revision's findings are kept: they depend on which
/// other entities exist, which this service's own writes tell it at once
/// and other server processes sharing the database do not.
const VALIDATION_TTL: std::time::Duration = std::time::Duration::from_secs(60);

/// Most entity revisions whose findings are kept; all are forgotten when
/// full.
const MOST_VALIDATIONS: usize = 50_000;

/// Most list pages kept in the read cache; it is emptied when full.
const LIST_CACHE_PAGES: usize = 1_000;

/// Most entities kept in the read cache; it is emptied when full.
const READ_CACHE_ENTRIES: usize = 20_000;

/// Rows written per transaction while reindexing.
const REINDEX_BATCH: usize = 500;

/// Keys every entity file carries at the top level.
const IDENTITY_KEYS: [&str; 3] = ["id", "name", "status"];

/// The date of an entity's last change, kept current by updates.
const LAST_UPDATED: &str = "last_updated";

/// The entity use cases.
pub struct EntityService {
    vaults: Arc<dyn VaultProvider>,
    index: Arc<dyn EntityIndex>,
    shipped: Arc<TemplateSet>,
    templates: Mutex<HashMap<TenantId, Arc<TemplateSet>>>,
    rules: Mutex<HashMap<TenantId, Arc<RuleBook>>>,
    validations: ReadCache<RevisionKey, Arc<Vec<ValidationIssue>>>,
    known: KnownEntities,
    reads: ReadCache<EntityKey, Arc<EntityView>>,
    lists: ReadCache<(TenantId, EntityQuery), SharedPage>,
    schemas: Mutex<HashMap<TypeKey, Arc<Result<crate::schema::CompiledSchema, String>>>>,
    locks: WriteLocks,
    clock: Arc<dyn Clock>,
    layouts: HashMap<EntityType, Value>,
    events: Arc<dyn EventBus>,
    synced: SyncedFiles,
}

impl EntityService {
    /// A service over the tenants' vaults and the index. `shipped` are the
    /// templates used by a project that has none of its own.
    pub fn new(
        vaults: Arc<dyn VaultProvider>,
        index: Arc<dyn EntityIndex>,
        shipped: Arc<TemplateSet>,
    ) -> Self {
        Self {
            vaults,
            index,
            shipped,
            templates: Mutex::new(HashMap::new()),
            rules: Mutex::new(HashMap::new()),
            validations: ReadCache::new(MOST_VALIDATIONS, VALIDATION_TTL),
            known: KnownEntities::default(),
            reads: ReadCache::new(READ_CACHE_ENTRIES, READ_CACHE_TTL),
            lists: ReadCache::new(LIST_CACHE_PAGES, READ_CACHE_TTL),
            schemas: Mutex::new(HashMap::new()),
            locks: WriteLocks::default(),
            clock: Arc::new(SystemClock),
            layouts: HashMap::new(),
            events: Arc::new(NoEvents),
            synced: SyncedFiles::default(),
        }
    }

    /// The stamps of the files this service wrote with their rows.
    pub fn synced_files(&self) -> &SyncedFiles {
        &self.synced
    }

    /// Sends an `entity_updated` event for every change to `events`
    /// (without it, changes are announced to nobody).
    pub fn with_events(mut self, events: Arc<dyn EventBus>) -> Self {
        self.events = events;
        self
    }

    /// Announces a change of one entity on the event bus.
    pub fn announce(
        &self,
        tenant: &TenantId,
        action: EntityAction,
        entity: &Entity,
        previous_id: Option<&EntityId>,
        actor: &Actor,
    ) {
        self.events.publish(Event {
            tenant_id: tenant.clone(),
            at: self.clock.now(),
            kind: EventKind::EntityUpdated(EntityChange {
                action,
                entity_type: entity.entity_type.to_string(),
                entity_id: entity.id.to_string(),
                previous_id: previous_id.map(ToString::to_string),
                revision: entity.revision,
                changed_by: actor.to_string(),
            }),
        });
    }

    /// The event bus (for the sync use cases, which announce their runs).
    pub fn events(&self) -> &Arc<dyn EventBus> {
        &self.events
    }

    /// Replaces the clock (tests).
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// Sets the editor layouts shipped with the server, by type: the
    /// default of a type whose project has no layout file of its own.
    pub fn with_shipped_layouts(mut self, layouts: HashMap<EntityType, Value>) -> Self {
        self.layouts = layouts;
        self
    }

    /// The shipped layout of `entity_type` (for sibling modules).
    pub(crate) fn shipped_layout(&self, entity_type: &EntityType) -> Option<&Value> {
        self.layouts.get(entity_type)
    }

    /// The templates shipped with the server.
    pub fn shipped_templates(&self) -> &TemplateSet {
        &self.shipped
    }

    /// Creates and seeds the tenant's project folder if it does not exist
    /// yet (a new tenant starts with the shipped templates and rules).
    ///
    /// # Errors
    /// The folder cannot be prepared.
    pub fn prepare_project(&self, tenant: &TenantId) -> EntityResult<()> {
        self.vault(tenant).map(|_| ())
    }

    /// The tenant's project folder.
    ///
    /// # Errors
    /// The folder cannot be prepared.
    pub fn vault(&self, tenant: &TenantId) -> EntityResult<Arc<dyn Vault>> {
        self.vaults.vault(tenant)
    }

    /// The database mirror.
    pub fn index(&self) -> &Arc<dyn EntityIndex> {
        &self.index
    }

    /// Excludes every other writer: for changes across the project (a
    /// reconcile, a rename that rewrites references, template and rule
    /// edits), so that a reconcile never sees a file whose row is not
    /// written yet.
    pub async fn write_lock(&self) -> tokio::sync::RwLockWriteGuard<'_, ()> {
        self.locks.project().await
    }

    /// Excludes other writers of one entity (writers of other entities run
    /// alongside).
    pub async fn entity_write_lock(
        &self,
        tenant: &TenantId,
        entity_type: &EntityType,
        id: &EntityId,
    ) -> crate::locks::EntityWriteGuard<'_> {
        self.locks.entity(tenant, entity_type, id).await
    }

    /// Forgets cached reads and validation after a change made outside the
    /// service's own write paths (a reconcile).
    pub fn changed(&self) {
        self.forget_everything();
    }

    /// The cached rule book of a tenant (for the rulebook module).
    pub(crate) fn cached_rules(&self, tenant: &TenantId) -> Option<Arc<RuleBook>> {
        self.rules
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(tenant)
            .cloned()
    }

    /// Caches a tenant's rule book (for the rulebook module).
    pub(crate) fn cache_rules(&self, tenant: &TenantId, book: Arc<RuleBook>) {
        self.rules
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(tenant.clone(), book);
    }

    /// Today's date as entity files write it (`YYYY-MM-DD`, UTC).
    fn today(&self) -> String {
        self.clock.now().format("%Y-%m-%d").to_string()
    }

    /// The current time (for sibling modules of the service).
    pub(crate) fn now(&self) -> chrono::DateTime<chrono::Utc> {
        self.clock.now()
    }

    /// The entity types of the tenant's project (its `_Templates/`, else the
    /// shipped ones), loaded once and cached until [`Self::reload_templates`].
    ///
    /// # Errors
    /// The vault cannot be read.
    pub async fn templates(&self, tenant: &TenantId) -> EntityResult<Arc<TemplateSet>> {
        if let Some(set) = self
            .templates
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(tenant)
        {
            return Ok(set.clone());
        }
        self.reload_templates(tenant).await
    }

    /// Reads the tenant's templates (and, through them, its schemas) again.
    ///
    /// # Errors
    /// The vault cannot be read.
    pub async fn reload_templates(&self, tenant: &TenantId) -> EntityResult<Arc<TemplateSet>> {
        let vault = self.vault(tenant)?;
        let mut sources = Vec::new();
        for layer in TemplateLayer::ALL {
            let dir = format!("_Templates/{}", layer.folder());
            for path in vault.list(&dir, "_TEMPLATE.md").await? {
                if let Some(bytes) = vault.read(&path).await? {
                    sources.push(TemplateSource {
                        layer,
                        file_name: path.rsplit('/').next().unwrap_or(&path).to_owned(),
                        text: String::from_utf8_lossy(&bytes).into_owned(),
                    });
                }
            }
        }
        let set = if sources.is_empty() {
            self.shipped.clone()
        } else {
            Arc::new(TemplateSet::load(sources))
        };
        for problem in set.problems() {
            tracing::warn!(tenant = %tenant, %problem, "template not loaded");
        }
        self.templates
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(tenant.clone(), set.clone());
        // Schemas derive from the templates and `_Schemas/`: compile anew.
        self.schemas
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .retain(|(owner, _), _| owner != tenant);
        self.forget_everything();
        Ok(set)
    }

    /// The template of `entity_type` in the tenant's project.
    ///
    /// # Errors
    /// [`EntityError::NotFound`] for an unknown type.
    pub async fn template(
        &self,
        tenant: &TenantId,
        entity_type: &str,
    ) -> EntityResult<Arc<Template>> {
        self.templates(tenant).await?.require(entity_type)
    }

    /// Every finding for a document of `template`'s type with this id,
    /// fields and body: the template's checks, the project's rules, and
    /// references that name no entity. Not cached.
    ///
    /// # Errors
    /// The index or the vault fails.
    pub async fn findings(
        &self,
        tenant: &TenantId,
        template: &Template,
        id: &str,
        fields: &Map<String, Value>,
        body: &str,
    ) -> EntityResult<Vec<ValidationIssue>> {
        let (mut issues, references) = validate::check(template, id, fields);
        issues.extend(self.schema_findings(tenant, template, fields).await?);
        issues.extend(self.rule_findings(tenant, template, fields, body).await?);
        // A malformed id names no entity.
        let keys: Vec<Option<(EntityType, EntityId)>> = references
            .iter()
            .map(|reference| {
                let id = EntityId::parse(&reference.id).ok()?;
                Some((reference.entity_type.clone(), id))
            })
            .collect();
        let named: Vec<_> = keys.iter().flatten().cloned().collect();
        let existing = self.existing(tenant, &named).await?;
        for (reference, key) in references.iter().zip(&keys) {
            if !key.as_ref().is_some_and(|key| existing.contains(key)) {
                issues.push(validate::dangling(reference));
            }
        }
        Ok(issues)
    }

    /// Which of `keys` name a live entity: those known to, and those the
    /// index finds.
    async fn existing(
        &self,
        tenant: &TenantId,
        keys: &[(EntityType, EntityId)],
    ) -> EntityResult<HashSet<(EntityType, EntityId)>> {
        let Sorted {
            mut known,
            unknown,
            generation,
        } = self.known.sort(tenant, keys);
        if !unknown.is_empty() {
            let found = self.index.existing(tenant, &unknown).await?;
            self.known.learn(tenant, generation, &found);
            known.extend(found);
        }
        Ok(known)
    }

    /// The type's JSON Schema (the project's own, else the one derived
    /// from the template), compiled once until the next change.
    async fn compiled_schema(
        &self,
        tenant: &TenantId,
        template: &Template,
    ) -> EntityResult<Arc<Result<crate::schema::CompiledSchema, String>>> {
        let key = (tenant.clone(), template.entity_type.clone());
        let cached = self
            .schemas
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(&key)
            .cloned();
        let compiled = match cached {
            Some(compiled) => compiled,
            None => {
                let schema = self
                    .type_schema(Some(tenant), template.entity_type.as_str())
                    .await?;
                let companions = self.schema_companions(tenant).await?;
                let compiled = Arc::new(crate::schema::CompiledSchema::compile_with(
                    &schema,
                    &companions,
                ));
                self.schemas
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .insert(key, compiled.clone());
                compiled
            }
        };
        Ok(compiled)
    }

    /// Findings of the type's JSON Schema.
    async fn schema_findings(
        &self,
        tenant: &TenantId,
        template: &Template,
        fields: &Map<String, Value>,
    ) -> EntityResult<Vec<ValidationIssue>> {
        let compiled = self.compiled_schema(tenant, template).await?;
        Ok(match compiled.as_ref() {
            Ok(schema) => schema.check(fields),
            Err(reason) => vec![ValidationIssue {
                rule_id: "schema".to_owned(),
                field: String::new(),
                message: format!("the type's JSON Schema cannot be used: {reason}"),
                severity: Severity::Warning,
            }],
        })
    }

    /// Validation findings of `entity`, cached per revision.
    async fn validation(
        &self,
        tenant: &TenantId,
        template: &Template,
        entity: &Entity,
    ) -> EntityResult<Arc<Vec<ValidationIssue>>> {
        let key = (
            tenant.clone(),
            entity.entity_type.to_string(),
            entity.id.to_string(),
            entity.revision,
        );
        self.validations
            .get_or_fill(key, async || {
                let issues = self
                    .findings(
                        tenant,
                        template,
                        entity.id.as_str(),
                        &entity.fields,
                        &entity.body,
                    )
                    .await?;
                Ok(Arc::new(issues))
            })
            .await
    }

    /// Records the stamp a file had when its row was committed with it.
    fn note_synced(&self, tenant: &TenantId, path: &str, written: Option<FileStamp>) {
        if let Some(stamp) = written {
            self.synced.note(tenant, path, stamp);
        }
    }

    /// Forgets every cached read, finding and entity known to exist: after
    /// a change that may remove entities, whose references elsewhere then
    /// dangle. (Compiled schemas depend on templates and `_Schemas/` only:
    /// they are forgotten when the templates are read again.)
    fn forget_everything(&self) {
        self.known.forget();
        self.forget_findings();
    }

    /// After a create: references to the new entity no longer dangle, so
    /// cached reads and findings go; what is known to exist stays true.
    fn forget_findings(&self) {
        self.reads.clear();
        self.lists.clear();
        self.validations.clear();
    }

    /// After an update of one entity: only its cached read and the cached
    /// pages are stale. Findings are per revision, and no entity appeared
    /// or went, so those of other entities stand.
    fn forget_reads_of(&self, tenant: &TenantId, entity_type: &EntityType, id: &EntityId) {
        self.reads
            .remove(&(tenant.clone(), entity_type.clone(), id.clone()));
        self.lists.clear();
    }

    async fn view(
        &self,
        tenant: &TenantId,
        template: &Template,
        entity: Entity,
    ) -> EntityResult<EntityView> {
        let issues = match &entity.parse_error {
            Some(reason) => Arc::new(vec![ValidationIssue {
                rule_id: "parse".to_owned(),
                field: String::new(),
                message: format!("the file does not parse: {reason}"),
                severity: Severity::Error,
            }]),
            None => self.validation(tenant, template, &entity).await?,
        };
        let is_valid = !issues.iter().any(|i| i.severity == Severity::Error);
        Ok(EntityView {
            entity,
            validation_errors: (*issues).clone(),
            is_valid,
        })
    }

    /// One entity with its validation.
    ///
    /// # Errors
    /// [`EntityError::NotFound`] for an unknown type or id.
    pub async fn get(
        &self,
        tenant: &TenantId,
        entity_type: &str,
        id: &str,
    ) -> EntityResult<EntityView> {
        Ok(Arc::unwrap_or_clone(
            self.get_shared(tenant, entity_type, id).await?,
        ))
    }

    /// [`get`](Self::get) without copying the view: the one the read cache
    /// holds. The same `Arc` is returned until the entity changes, its
    /// validation is forgotten or the cached copy is refreshed, so a caller
    /// may keep what it derives from a view (a rendered response) for as
    /// long as it is handed the same `Arc` ([`Arc::ptr_eq`]).
    ///
    /// # Errors
    /// [`EntityError::NotFound`] for an unknown type or id.
    pub async fn get_shared(
        &self,
        tenant: &TenantId,
        entity_type: &str,
        id: &str,
    ) -> EntityResult<Arc<EntityView>> {
        let template = self.template(tenant, entity_type).await?;
        let id = EntityId::parse(id).map_err(|_| not_found(entity_type, id))?;
        let key = (tenant.clone(), template.entity_type.clone(), id.clone());
        self.reads
            .get_or_fill(key, async || {
                let entity = self
                    .index
                    .get(tenant, &template.entity_type, &id)
                    .await?
                    .ok_or_else(|| not_found(entity_type, id.as_str()))?;
                Ok(Arc::new(self.view(tenant, &template, entity).await?))
            })
            .await
    }

    /// A page of entities with their validation. Pages are served from
    /// memory for up to a second, computed and refreshed by one request at
    /// a time, like single reads, and forgotten by every write of the
    /// service.
    ///
    /// # Errors
    /// [`EntityError::NotFound`] for an unknown type.
    pub async fn list(
        &self,
        tenant: &TenantId,
        query: EntityQuery,
    ) -> EntityResult<(u64, Vec<EntityView>)> {
        Ok(Arc::unwrap_or_clone(self.list_shared(tenant, query).await?))
    }

    /// [`list`](Self::list) without copying the page: the one the read
    /// cache holds, the same `Arc` until it is forgotten or refreshed (see
    /// [`get_shared`](Self::get_shared)).
    ///
    /// # Errors
    /// [`EntityError::NotFound`] for an unknown type.
    pub async fn list_shared(
        &self,
        tenant: &TenantId,
        query: EntityQuery,
    ) -> EntityResult<SharedPage> {
        let key = (tenant.clone(), query.clone());
        self.lists
            .get_or_fill(key, async || {
                let template = self.template(tenant, query.entity_type.as_str()).await?;
                let EntityPage { total, entities } = self.index.list(tenant, &query).await?;
                let mut views = Vec::with_capacity(entities.len());
                for entity in entities {
                    views.push(self.view(tenant, &template, entity).await?);
                }
                Ok(Arc::new((total, views)))
            })
            .await
    }

    /// Creates an entity from its template: the file at
    /// `<folder>/<id>/<prefix><id>.md` with the template's asset folders,
    /// then the index row.
    ///
    /// # Errors
    /// [`EntityError::Invalid`] for a bad id or a name without letters;
    /// [`EntityError::AlreadyExists`] when the id is taken;
    /// [`EntityError::NotFound`] for an unknown type.
    pub async fn create(
        &self,
        tenant: &TenantId,
        entity_type: &str,
        input: NewEntity,
        actor: &Actor,
    ) -> EntityResult<EntityView> {
        let template = self.template(tenant, entity_type).await?;
        let name = input.name.trim().to_owned();
        if name.is_empty() {
            return Err(rejected("name", "name is required"));
        }
        let id = match &input.entity_id {
            Some(raw) => EntityId::parse(raw)?,
            None => EntityId::from_name(&name).ok_or_else(|| {
                EntityError::Invalid(format!("cannot derive an id from the name '{name}'"))
            })?,
        };
        let from_caller = input.fields.keys().cloned().collect();
        let mut fields =
            initial_fields(&template, &id, &name, input.status.as_deref(), input.fields)?;
        stamp(&mut fields, &template, &self.today(), &from_caller);
        if let Ok(schema) = self.compiled_schema(tenant, &template).await?.as_ref() {
            blank_as_schema_allows(&mut fields, schema);
        }
        let body = input
            .markdown_body
            .unwrap_or_else(|| template.body.replace("{name}", &name));
        let document = Document::new(fields, body);
        let bytes = studiobrain_markdown::render(&document);
        let vault = self.vault(tenant)?;
        let _write = self
            .entity_write_lock(tenant, &template.entity_type, &id)
            .await;
        let path = entity_path(&template, &id);
        let taken = || EntityError::AlreadyExists(format!("{entity_type}/{id} already exists"));
        if self
            .index
            .exists(tenant, &template.entity_type, &id)
            .await?
        {
            return Err(taken());
        }
        let asset_folders: Vec<String> = template
            .asset_subfolders
            .iter()
            .map(|sub| format!("{}/{sub}", entity_dir(&template, &id)))
            .collect();
        let written = vault
            .write_new(
                &path,
                bytes.as_bytes(),
                &[legacy_entity_path(&template, &id)],
                &asset_folders,
            )
            .await
            .map_err(|err| match err {
                EntityError::AlreadyExists(_) => taken(),
                other => other,
            })?;
        let entity = first_revision(
            &template,
            &id,
            &path,
            document,
            bytes.as_bytes(),
            self.clock.now(),
        );
        self.index.upsert(tenant, &entity).await?;
        self.note_synced(tenant, &path, written);
        self.forget_findings();
        self.announce(tenant, EntityAction::Created, &entity, None, actor);
        self.view(tenant, &template, entity).await
    }

    /// Applies `changes` to an entity's file, rewriting only the keys that
    /// change, and mirrors it. With `if_match`, refuses a stale write.
    ///
    /// # Errors
    /// [`EntityError::NotFound`]; [`EntityError::Stale`] when `if_match`
    /// is not the current content hash; [`EntityError::Invalid`] when the
    /// file no longer parses or an identity key is changed.
    pub async fn update(
        &self,
        tenant: &TenantId,
        entity_type: &str,
        id: &str,
        changes: EntityChanges,
        if_match: Option<&str>,
        actor: &Actor,
    ) -> EntityResult<EntityView> {
        let template = self.template(tenant, entity_type).await?;
        let id = EntityId::parse(id).map_err(|_| not_found(entity_type, id))?;
        let _write = self
            .entity_write_lock(tenant, &template.entity_type, &id)
            .await;
        let missing = || not_found(template.entity_type.as_str(), id.as_str());
        let current = self
            .index
            .get(tenant, &template.entity_type, &id)
            .await?
            .ok_or_else(missing)?;
        let edit = Edit {
            path: current.path.clone(),
            if_match: if_match.map(str::to_owned),
            changes,
            today: self.today(),
        };
        let edited = self
            .vault(tenant)?
            .edit(&current.path, Box::new(move |bytes| edit.apply_to(bytes)))
            .await?;
        match edited {
            Edited::Missing => Err(missing()),
            Edited::Unchanged => self.view(tenant, &template, current).await,
            Edited::Written { bytes, stamp } => {
                let entity = self
                    .mirror_revision(tenant, &template, &current, &bytes, stamp, actor)
                    .await?;
                self.view(tenant, &template, entity).await
            }
        }
    }

    /// The indexed entity and its file's text, refusing a stale `if_match`.
    /// Callers hold the write lock.
    ///
    /// # Errors
    /// [`EntityError::NotFound`], [`EntityError::Stale`], or
    /// [`EntityError::Invalid`] for a file that is not UTF-8.
    pub(crate) async fn read_current(
        &self,
        tenant: &TenantId,
        template: &Template,
        id: &EntityId,
        if_match: Option<&str>,
    ) -> EntityResult<(Entity, String)> {
        let missing = || not_found(template.entity_type.as_str(), id.as_str());
        let current = self
            .index
            .get(tenant, &template.entity_type, id)
            .await?
            .ok_or_else(missing)?;
        let bytes = self
            .vault(tenant)?
            .read(&current.path)
            .await?
            .ok_or_else(missing)?;
        let text = fresh_text(bytes, &current.path, if_match)?;
        Ok((current, text))
    }

    /// Writes the next revision of `current` (file first, then the index),
    /// forgets cached reads and announces the update. Callers hold the
    /// write lock.
    ///
    /// # Errors
    /// The write or the index fails.
    pub(crate) async fn store_revision(
        &self,
        tenant: &TenantId,
        template: &Template,
        current: &Entity,
        text: &str,
        actor: &Actor,
    ) -> EntityResult<Entity> {
        let written = self
            .vault(tenant)?
            .write_stamped(&current.path, text.as_bytes())
            .await?;
        self.mirror_revision(tenant, template, current, text.as_bytes(), written, actor)
            .await
    }

    /// Mirrors the next revision of `current`, just written to its file as
    /// `bytes`, into the index; forgets the reads it made stale and
    /// announces the update. Callers hold the write lock.
    ///
    /// # Errors
    /// The index fails.
    async fn mirror_revision(
        &self,
        tenant: &TenantId,
        template: &Template,
        current: &Entity,
        bytes: &[u8],
        written: Option<FileStamp>,
        actor: &Actor,
    ) -> EntityResult<Entity> {
        let entity = entity_from_file(
            template,
            &current.id,
            &current.path,
            bytes,
            current.revision + 1,
            current.created_at,
            self.clock.now(),
        )?;
        self.index.upsert(tenant, &entity).await?;
        self.note_synced(tenant, &current.path, written);
        self.forget_reads_of(tenant, &entity.entity_type, &entity.id);
        self.announce(tenant, EntityAction::Updated, &entity, None, actor);
        Ok(entity)
    }

    /// Moves the entity's folder to `.studiobrain/trash/` and marks its row
    /// deleted.
    ///
    /// # Errors
    /// [`EntityError::NotFound`].
    pub async fn delete(
        &self,
        tenant: &TenantId,
        entity_type: &str,
        id: &str,
        actor: &Actor,
    ) -> EntityResult<()> {
        let template = self.template(tenant, entity_type).await?;
        let id = EntityId::parse(id).map_err(|_| not_found(entity_type, id))?;
        let vault = self.vault(tenant)?;
        let _write = self
            .entity_write_lock(tenant, &template.entity_type, &id)
            .await;
        let current = self
            .index
            .get(tenant, &template.entity_type, &id)
            .await?
            .ok_or_else(|| not_found(entity_type, id.as_str()))?;
        let now = self.clock.now();
        let trash = format!(
            ".studiobrain/trash/{}/{id}-{}",
            template.entity_type,
            now.format("%Y%m%dT%H%M%S%.6fZ")
        );
        let source = if current.path == entity_path(&template, &id) {
            entity_dir(&template, &id)
        } else {
            current.path.clone()
        };
        vault.rename(&source, &trash).await?;
        self.index
            .mark_deleted(tenant, &template.entity_type, &id, now)
            .await?;
        self.forget_everything();
        self.announce(tenant, EntityAction::Deleted, &current, None, actor);
        Ok(())
    }

    /// Rebuilds the tenant's index from its files (the files are the truth).
    ///
    /// # Errors
    /// The vault or the index fails as a whole; single unreadable files are
    /// reported in the result.
    pub async fn reindex(&self, tenant: &TenantId) -> EntityResult<ReindexReport> {
        let templates = self.reload_templates(tenant).await?;
        let vault = self.vault(tenant)?;
        let mut report = ReindexReport::default();
        let now = self.clock.now();
        for template in templates.templates() {
            let mut batch = Vec::new();
            for path in vault.list(&template.folder_name, ".md").await? {
                let Some(id) = id_of(template, &path) else {
                    continue;
                };
                let Some(bytes) = vault.read(&path).await? else {
                    continue;
                };
                let (revision, created_at) =
                    match self.index.get(tenant, &template.entity_type, &id).await? {
                        Some(existing) if existing.content_hash == content_hash(&bytes) => {
                            report.indexed += 1;
                            continue;
                        }
                        Some(existing) => (existing.revision + 1, existing.created_at),
                        None => (1, now),
                    };
                let entity = mirror_file(template, &id, &path, &bytes, revision, created_at, now);
                if let Some(reason) = &entity.parse_error {
                    report.failed.push(format!("{path}: {reason}"));
                }
                batch.push(entity);
            }
            // One transaction per chunk: a cold scan is bound by commits.
            for chunk in batch.chunks(REINDEX_BATCH) {
                self.index.upsert_all(tenant, chunk).await?;
                report.indexed += chunk.len() as u64;
            }
        }
        self.forget_everything();
        Ok(report)
    }
}

pub(crate) fn not_found(entity_type: &str, id: &str) -> EntityError {
    EntityError::NotFound(format!("Entity not found: {entity_type}/{id}"))
}

pub(crate) fn rejected(field: &str, message: &str) -> EntityError {
    EntityError::Rejected {
        message: message.to_owned(),
        errors: vec![FieldError {
            field: field.to_owned(),
            message: message.to_owned(),
        }],
    }
}

/// The text of an entity file's `bytes`, refusing them when `if_match`
/// names another version.
///
/// # Errors
/// [`EntityError::Stale`], or [`EntityError::Invalid`] for a file that is
/// not UTF-8.
fn fresh_text(bytes: Vec<u8>, path: &str, if_match: Option<&str>) -> EntityResult<String> {
    if let Some(expected) = if_match {
        let found = content_hash(&bytes);
        if expected.trim_matches('"') != found {
            return Err(EntityError::Stale {
                expected: expected.to_owned(),
                found,
            });
        }
    }
    String::from_utf8(bytes).map_err(|_| EntityError::Invalid(format!("{path} is not UTF-8")))
}

/// An update's edit of an entity file, run where the file is read.
struct Edit {
    path: String,
    if_match: Option<String>,
    changes: EntityChanges,
    /// The date `last_updated` takes.
    today: String,
}

impl Edit {
    /// The file's next content: the changes applied to the keys they name
    /// (and `last_updated` dated), or `None` when they change nothing.
    ///
    /// # Errors
    /// [`EntityError::Stale`]; [`EntityError::Invalid`] when the file no
    /// longer parses or an identity key is changed.
    fn apply_to(self, bytes: Vec<u8>) -> EntityResult<Option<Vec<u8>>> {
        let text = fresh_text(bytes, &self.path, self.if_match.as_deref())?;
        let mut document = studiobrain_markdown::parse(&text)
            .map_err(|err| EntityError::Invalid(format!("{}: {err}", self.path)))?;
        let dates_itself = self.changes.fields.contains_key(LAST_UPDATED);
        apply(&mut document, self.changes)?;
        let rendered = studiobrain_markdown::render(&document);
        if rendered == text {
            return Ok(None);
        }
        if dates_itself || !document.frontmatter.contains_key(LAST_UPDATED) {
            return Ok(Some(rendered.into_bytes()));
        }
        document
            .frontmatter
            .set(LAST_UPDATED, Value::String(self.today));
        Ok(Some(studiobrain_markdown::render(&document).into_bytes()))
    }
}

/// The id of the entity file at `path`, for either layout.
pub fn id_of(template: &Template, path: &str) -> Option<EntityId> {
    let rest = path.strip_prefix(&format!("{}/", template.folder_name))?;
    let file = match rest.split_once('/') {
        Some((dir, file)) if !file.contains('/') => file
            .strip_suffix(".md")
            .filter(|stem| *stem == format!("{}{dir}", template.file_prefix))?,
        Some(_) => return None,
        None => rest.strip_suffix(".md")?,
    };
    EntityId::parse(file.strip_prefix(template.file_prefix.as_str())?).ok()
}

/// The frontmatter of a new entity: template defaults, then the caller's
/// fields, then id, name and status.
fn initial_fields(
    template: &Template,
    id: &EntityId,
    name: &str,
    status: Option<&str>,
    given: Map<String, Value>,
) -> EntityResult<Map<String, Value>> {
    for key in IDENTITY_KEYS {
        if key != "status" && given.contains_key(key) {
            return Err(EntityError::Invalid(format!(
                "set '{key}' through entity_id and name, not fields"
            )));
        }
    }
    let mut fields = Map::new();
    for spec in &template.fields {
        fields.insert(spec.name.clone(), spec.default.clone());
    }
    fields.extend(given.into_iter().filter(|(_, v)| !v.is_null()));
    fields.insert("id".into(), Value::String(id.to_string()));
    fields.insert("name".into(), Value::String(name.to_owned()));
    let status = status
        .map(str::to_owned)
        .or_else(|| {
            fields
                .get("status")
                .and_then(Value::as_str)
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
        })
        .unwrap_or_else(|| "draft".to_owned());
    fields.insert("status".into(), Value::String(status));
    Ok(fields)
}

/// Writes the bookkeeping keys a new entity file carries (the upstream base
/// schema requires them): its type, its template's version and category,
/// and its creation and last-update dates. Keys the caller gave are kept
/// (a malformed given date is left for validation to report).
fn stamp(
    fields: &mut Map<String, Value>,
    template: &Template,
    today: &str,
    from_caller: &std::collections::HashSet<String>,
) {
    let stamps = [
        ("entity_type", template.entity_type.to_string()),
        ("template_version", template.version.clone()),
        ("template_category", template.category.clone()),
        ("created_date", today.to_owned()),
        (LAST_UPDATED, today.to_owned()),
    ];
    for (key, value) in stamps {
        if !value.is_empty() && !from_caller.contains(key) {
            fields.insert(key.into(), Value::String(value));
        }
    }
}

/// An unfilled field (a template prompt, blanked to `""`) is written as
/// `null` where the type's schema refuses the empty string but accepts
/// null (an enum of choices that allows "none yet").
fn blank_as_schema_allows(fields: &mut Map<String, Value>, schema: &crate::schema::CompiledSchema) {
    let refused: Vec<String> = schema
        .check(fields)
        .into_iter()
        .map(|finding| finding.field)
        .filter(|field| fields.get(field).and_then(Value::as_str) == Some(""))
        .collect();
    for field in refused {
        fields.insert(field.clone(), Value::Null);
        if schema.check(fields).iter().any(|f| f.field == field) {
            fields.insert(field, Value::String(String::new()));
        }
    }
}

/// Applies changes to a parsed file, key by key.
pub(crate) fn apply(document: &mut Document, changes: EntityChanges) -> EntityResult<()> {
    if changes.fields.contains_key("id") {
        return Err(EntityError::Invalid(
            "the id cannot change here: use /api/rename-entity".into(),
        ));
    }
    for (key, value) in changes.fields {
        if value.is_null() {
            document.frontmatter.remove(&key);
        } else {
            document.frontmatter.set(&key, value);
        }
    }
    if let Some(name) = changes.name {
        if name.trim().is_empty() {
            return Err(rejected("name", "name must not be empty"));
        }
        document
            .frontmatter
            .set("name", Value::String(name.trim().to_owned()));
    }
    if let Some(status) = changes.status {
        document.frontmatter.set("status", Value::String(status));
    }
    if let Some(body) = changes.markdown_body {
        document.body = body;
    }
    Ok(())
}

/// The index row of an entity file, also when the file does not parse: then
/// the row keeps the raw text as its body, the id as its name, and the
/// reason in `parse_error` (the entity is shown invalid, never dropped).
pub fn mirror_file(
    template: &Template,
    id: &EntityId,
    path: &str,
    bytes: &[u8],
    revision: i64,
    created_at: chrono::DateTime<chrono::Utc>,
    updated_at: chrono::DateTime<chrono::Utc>,
) -> Entity {
    entity_from_file(template, id, path, bytes, revision, created_at, updated_at).unwrap_or_else(
        |err| Entity {
            entity_type: template.entity_type.clone(),
            id: id.clone(),
            name: id.to_string(),
            status: String::new(),
            fields: Map::new(),
            body: String::from_utf8_lossy(bytes).into_owned(),
            path: path.to_owned(),
            content_hash: content_hash(bytes),
            revision,
            created_at,
            updated_at,
            parse_error: Some(err.to_string()),
            links: Vec::new(),
        },
    )
}

/// Builds the index row of an entity file.
pub(crate) fn entity_from_file(
    template: &Template,
    id: &EntityId,
    path: &str,
    bytes: &[u8],
    revision: i64,
    created_at: chrono::DateTime<chrono::Utc>,
    updated_at: chrono::DateTime<chrono::Utc>,
) -> EntityResult<Entity> {
    let text = std::str::from_utf8(bytes)
        .map_err(|_| EntityError::Invalid(format!("{path} is not UTF-8")))?;
    let document = studiobrain_markdown::parse(text)
        .map_err(|err| EntityError::Invalid(format!("{path}: {err}")))?;
    Ok(Entity {
        revision,
        created_at,
        ..first_revision(template, id, path, document, bytes, updated_at)
    })
}

/// The index row of a new entity (revision 1, made `now`) whose file holds
/// `bytes`, the rendering of `document`. Built from the document itself:
/// a rendered document reads back to the same fields and body (the
/// markdown crate's property tests), so a file just rendered is not parsed
/// again.
fn first_revision(
    template: &Template,
    id: &EntityId,
    path: &str,
    document: Document,
    bytes: &[u8],
    now: chrono::DateTime<chrono::Utc>,
) -> Entity {
    let fields = document.frontmatter.to_map();
    let links = crate::links::extract(template, &fields, &document.body);
    Entity {
        entity_type: template.entity_type.clone(),
        id: id.clone(),
        name: text_field(&fields, "name"),
        status: text_field(&fields, "status"),
        fields,
        body: document.body,
        path: path.to_owned(),
        content_hash: content_hash(bytes),
        revision: 1,
        created_at: now,
        updated_at: now,
        parse_error: None,
        links,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_found_in_both_layouts() {
        let template = Template::parse(
            "CHARACTER_TEMPLATE.md",
            "---\nentity_type: character\nfolder_name: Characters\nfile_prefix: CH_\n---\n",
            TemplateLayer::Standard,
        )
        .expect("valid");
        let id = |p: &str| id_of(&template, p).map(String::from);
        assert_eq!(id("Characters/rex/CH_rex.md").as_deref(), Some("rex"));
        assert_eq!(id("Characters/CH_rex.md").as_deref(), Some("rex"));
        assert_eq!(id("Characters/rex/notes.md"), None);
        assert_eq!(id("Characters/rex/images/CH_rex.md"), None);
        assert_eq!(id("Characters/rex/CH_ann.md"), None);
    }
}
