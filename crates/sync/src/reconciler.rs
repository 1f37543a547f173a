//! [`Reconciler`]: brings the index in line with the project folder. It
//! reads the entity files of the types in scope, compares them with the
//! rows by path and content hash ([`crate::plan`]), and applies creates,
//! updates, deletes and renames in batched transactions, announcing each
//! change. It holds the entity service's write lock while it compares and
//! applies, so a write through the API is never half-seen; the server's own
//! writes match their rows already and are never echoed.

use crate::plan::{FoundFile, Plan, plan};
use crate::status::{SyncRun, SyncStatus, Trigger};
use chrono::Utc;
use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, Mutex};
use std::task::Poll;
use std::time::Instant;
use studiobrain_entity::entity::content_hash;
use studiobrain_entity::entity::{entity_path, legacy_entity_path};
use studiobrain_entity::ports::IndexedFile;
use studiobrain_entity::ports::{FileStamp, Vault};
use studiobrain_entity::service::{id_of, mirror_file};
use studiobrain_entity::synced::SyncedFiles;
use studiobrain_entity::{Entity, EntityError, EntityId, EntityResult, EntityService, EntityType};
use studiobrain_entity::{Template, TemplateSet};
use studiobrain_kernel::events::SyncSummary;
use studiobrain_kernel::{Actor, EntityAction, EntityChange, Event, EventKind, TenantId};
use studiobrain_markdown::Document;

/// Rows written per transaction.
const BATCH: usize = 500;

/// Which part of the folder a reconcile compares.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    /// Every entity type (templates and rules are read again first).
    All,
    /// The folders of these types.
    Types(BTreeSet<EntityType>),
    /// The folders these changed paths (relative to the project root) fall
    /// in; a path under `_Templates/` widens it to everything, one under
    /// `_Rules/` reloads the rules.
    Paths(Vec<String>),
}

/// The outcome of one reconcile.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SyncReport {
    /// Counts and duration.
    pub summary: SyncSummary,
    /// Files that could not be read or parsed, with the reason.
    pub failures: Vec<String>,
    /// The changes, as announced.
    pub changes: Vec<(EntityAction, EntityType, String)>,
}

/// What a reconcile would change, without changing it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PendingChanges {
    /// `type/id` of files without a row.
    pub created: Vec<String>,
    /// `type/id` of files that changed.
    pub updated: Vec<String>,
    /// `type/id` of rows whose file is gone.
    pub deleted: Vec<String>,
    /// `type/old_id -> type/new_id` of moved files.
    pub renamed: Vec<String>,
}

impl PendingChanges {
    /// Whether nothing would change.
    pub fn is_empty(&self) -> bool {
        self.created.is_empty()
            && self.updated.is_empty()
            && self.deleted.is_empty()
            && self.renamed.is_empty()
    }
}

/// Compares folders with the index and applies the difference.
pub struct Reconciler {
    entities: Arc<EntityService>,
    status: Mutex<HashMap<TenantId, SyncStatus>>,
    known: KnownFiles,
    full_scans: Mutex<HashMap<TenantId, Instant>>,
}

/// What the folder holds for one type: its whole folder, or some of its
/// entities.
#[derive(Default)]
struct Scan {
    found: Vec<FoundFile>,
    bytes: HashMap<String, Vec<u8>>,
    failures: Vec<String>,
    /// The type, when its whole folder was read (and could be).
    types: BTreeSet<EntityType>,
    /// Single entities whose files were read.
    keys: Vec<(EntityType, EntityId)>,
}

impl Scan {
    /// Reads the entity files of `template` that `target` names.
    ///
    /// # Errors
    /// The folder cannot be listed.
    async fn of(source: &Source<'_>, template: &Template, target: Target) -> EntityResult<Self> {
        let mut scan = Self::default();
        match target {
            Target::Folder => {
                scan.types.insert(template.entity_type.clone());
                // `<folder>/<id>/<prefix><id>.md` or the flat legacy
                // `<folder>/<prefix><id>.md`: asset folders are not opened.
                let listed = source
                    .vault
                    .list_stamped(&template.folder_name, ".md", 1)
                    .await?;
                for (path, stamp) in listed {
                    if let Some(id) = id_of(template, &path) {
                        scan.read(source, template, id, path, stamp).await;
                    }
                }
            }
            Target::Entities(ids) => {
                for id in ids {
                    let mut files = Vec::with_capacity(2);
                    for path in [
                        entity_path(template, &id),
                        legacy_entity_path(template, &id),
                    ] {
                        let stamp = source.vault.stamp(&path).await.ok().flatten();
                        files.push((path, stamp));
                    }
                    if source.written_by_service(&files) {
                        continue;
                    }
                    scan.keys.push((template.entity_type.clone(), id.clone()));
                    for (path, stamp) in files {
                        scan.read(source, template, id.clone(), path, stamp).await;
                    }
                }
            }
        }
        Ok(scan)
    }

    /// Reads one entity file; a missing file is simply not found, an
    /// unreadable one is reported and its entity left out of the
    /// comparison (unreadable is not deleted).
    /// A file whose stamp was seen before is not read again: its known hash
    /// is used.
    async fn read(
        &mut self,
        source: &Source<'_>,
        template: &Template,
        id: EntityId,
        path: String,
        stamp: Option<FileStamp>,
    ) {
        let known = stamp
            .as_ref()
            .and_then(|stamp| source.known.hash(source.tenant, &path, stamp));
        if let Some(content_hash) = known {
            self.found.push(FoundFile {
                entity_type: template.entity_type.clone(),
                id,
                content_hash,
                path,
            });
            return;
        }
        match source.vault.read(&path).await {
            Ok(Some(bytes)) => {
                let content_hash = content_hash(&bytes);
                if let Some(stamp) = stamp {
                    source
                        .known
                        .remember(source.tenant, &path, stamp, &content_hash);
                }
                self.found.push(FoundFile {
                    entity_type: template.entity_type.clone(),
                    id,
                    content_hash,
                    path: path.clone(),
                });
                self.bytes.insert(path, bytes);
            }
            Ok(None) => {}
            Err(err) => {
                self.failures.push(format!("{path}: {err}"));
                self.types.remove(&template.entity_type);
                self.keys
                    .retain(|(t, i)| !(*t == template.entity_type && *i == id));
                self.found
                    .retain(|f| !(f.entity_type == template.entity_type && f.id == id));
            }
        }
    }
}

/// One type's comparison of files and rows.
struct Comparison {
    /// What must change.
    plan: Plan,
    /// The files read (those known by their stamp were not).
    bytes: HashMap<String, Vec<u8>>,
    /// Files that could not be read.
    failures: Vec<String>,
    /// Entity files compared.
    scanned: u64,
}

/// One type's changes, parsed and ready to write.
struct Prepared {
    /// The rows to write.
    entities: Vec<Entity>,
    /// For each of `entities`, what happened and the id it had before
    /// (renames).
    actions: Vec<(EntityAction, Option<EntityId>)>,
    /// The rows whose files are gone (deleted, and the old ids of renames).
    removed: Vec<(EntityType, EntityId)>,
    /// The deleted rows, for their announcements.
    deleted: Vec<IndexedFile>,
    /// Files that did not parse (mirrored with their reason).
    failures: Vec<String>,
}

/// Gives way once to the futures joined with the current one: a CPU-bound
/// loop that awaits it lets a database write in flight beside it send its
/// next statement, so parsing and writing overlap.
fn yield_now() -> impl Future<Output = ()> {
    let mut yielded = false;
    std::future::poll_fn(move |cx| {
        if yielded {
            Poll::Ready(())
        } else {
            yielded = true;
            cx.waker().wake_by_ref();
            Poll::Pending
        }
    })
}

/// Content hashes of files by stamp, so that an unchanged file is neither
/// read nor even opened again (an open is itself an event the watcher
/// sees). Filled by every scan; the start-up reconcile reads everything.
#[derive(Default)]
struct KnownFiles(Mutex<HashMap<(TenantId, String), (FileStamp, String)>>);

impl KnownFiles {
    fn hash(&self, tenant: &TenantId, path: &str, stamp: &FileStamp) -> Option<String> {
        let known = self.0.lock().unwrap_or_else(|p| p.into_inner());
        match known.get(&(tenant.clone(), path.to_owned())) {
            Some((seen, hash)) if seen == stamp => Some(hash.clone()),
            _ => None,
        }
    }

    fn remember(&self, tenant: &TenantId, path: &str, stamp: FileStamp, hash: &str) {
        self.0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert((tenant.clone(), path.to_owned()), (stamp, hash.to_owned()));
    }
}

/// Where a scan reads from: a tenant's folder and what is known of it.
struct Source<'a> {
    tenant: &'a TenantId,
    vault: &'a dyn Vault,
    known: &'a KnownFiles,
    synced: &'a SyncedFiles,
}

impl Source<'_> {
    /// Whether an entity's candidate files (path and current stamp) are
    /// exactly as the entity service left them with the row: one present,
    /// with the stamp it was written with (the echo of the service's own
    /// write), the other absent.
    fn written_by_service(&self, files: &[(String, Option<FileStamp>)]) -> bool {
        let mut present = files
            .iter()
            .filter_map(|(path, stamp)| stamp.as_ref().map(|stamp| (path, stamp)));
        match (present.next(), present.next()) {
            (Some((path, stamp)), None) => self.synced.unchanged(self.tenant, path, stamp),
            _ => false,
        }
    }
}

/// Entities named by more changed paths than this are compared by reading
/// their whole folder.
const MOST_SINGLE_ENTITIES: usize = 200;

/// What of one type's folder a reconcile reads.
enum Target {
    /// Every entity file in it.
    Folder,
    /// The files of these entities only.
    Entities(BTreeSet<EntityId>),
}

/// What of `template`'s folder `scope` covers, if anything. A changed path
/// inside an entity's folder names that entity; the type folder itself (or
/// a path under `_Templates/`) means the whole folder.
fn target(template: &Template, scope: &Scope) -> Option<Target> {
    let paths = match scope {
        Scope::All => return Some(Target::Folder),
        Scope::Types(types) => {
            return types
                .contains(&template.entity_type)
                .then_some(Target::Folder);
        }
        Scope::Paths(paths) => paths,
    };
    if paths.iter().any(|p| p.starts_with("_Templates/")) {
        return Some(Target::Folder);
    }
    let folder = &template.folder_name;
    let mut ids = BTreeSet::new();
    for path in paths {
        if path == folder {
            return Some(Target::Folder);
        }
        let Some(rest) = path.strip_prefix(&format!("{folder}/")) else {
            continue;
        };
        let first = rest.split('/').next().unwrap_or_default();
        let id = match first.strip_suffix(".md") {
            Some(_) => id_of(template, &format!("{folder}/{first}")),
            None => EntityId::parse(first).ok(),
        };
        ids.extend(id);
    }
    match ids.len() {
        0 => None,
        n if n > MOST_SINGLE_ENTITIES => Some(Target::Folder),
        _ => Some(Target::Entities(ids)),
    }
}

impl Reconciler {
    /// A reconciler over the entity service (whose lock, caches and event
    /// bus it shares).
    pub fn new(entities: Arc<EntityService>) -> Self {
        Self {
            entities,
            status: Mutex::new(HashMap::new()),
            known: KnownFiles::default(),
            full_scans: Mutex::new(HashMap::new()),
        }
    }

    /// The entity service it reconciles for.
    pub fn entities(&self) -> &Arc<EntityService> {
        &self.entities
    }

    /// Whether a reconcile of `tenant` runs, and how the last one ended.
    pub fn status(&self, tenant: &TenantId) -> SyncStatus {
        self.status
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(tenant)
            .cloned()
            .unwrap_or_default()
    }

    /// Time since the last full reconcile of `tenant` (other than the one
    /// at start-up) finished, if any.
    pub fn since_full_scan(&self, tenant: &TenantId) -> Option<std::time::Duration> {
        self.full_scans
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(tenant)
            .map(Instant::elapsed)
    }

    fn set_running(&self, tenant: &TenantId, running: bool) {
        self.status
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .entry(tenant.clone())
            .or_default()
            .running = running;
    }

    /// What a reconcile of `scope` would change now.
    ///
    /// # Errors
    /// The folder or the index cannot be read.
    pub async fn pending(&self, tenant: &TenantId, scope: Scope) -> EntityResult<PendingChanges> {
        let templates = self.templates_for(tenant, &scope).await?;
        let vault = self.entities.vault(tenant)?;
        let name = |t: &EntityType, id: &dyn std::fmt::Display| format!("{t}/{id}");
        let mut pending = PendingChanges::default();
        let source = Source {
            tenant,
            vault: vault.as_ref(),
            known: &self.known,
            synced: self.entities.synced_files(),
        };
        for template in templates.templates() {
            let Some(target) = target(template, &scope) else {
                continue;
            };
            let plan = self.compare(&source, template, target).await?.plan;
            pending
                .created
                .extend(plan.created.iter().map(|f| name(&f.entity_type, &f.id)));
            pending.updated.extend(
                plan.updated
                    .iter()
                    .map(|(f, _)| name(&f.entity_type, &f.id)),
            );
            pending
                .deleted
                .extend(plan.deleted.iter().map(|r| name(&r.entity_type, &r.id)));
            pending.renamed.extend(plan.renamed.iter().map(|(f, r)| {
                format!(
                    "{} -> {}",
                    name(&r.entity_type, &r.id),
                    name(&f.entity_type, &f.id)
                )
            }));
        }
        Ok(pending)
    }

    /// Compares `scope` of the tenant's folder with the index and applies
    /// the difference, announcing every change as made by `actor` and the
    /// run as `sync_completed` (when it was asked for, or changed
    /// something).
    ///
    /// # Errors
    /// The folder or the index fails as a whole (nothing of the failed
    /// batch is applied); single unreadable files are reported instead.
    pub async fn reconcile(
        &self,
        tenant: &TenantId,
        scope: Scope,
        trigger: Trigger,
        actor: &Actor,
    ) -> EntityResult<SyncReport> {
        let started = Instant::now();
        let started_at = Utc::now();
        self.set_running(tenant, true);
        let result = self.run(tenant, &scope, actor, started).await;
        // Scans at start-up run before any watcher: they leave no echo.
        if scope == Scope::All && trigger != Trigger::Startup && result.is_ok() {
            self.full_scans
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .insert(tenant.clone(), Instant::now());
        }
        let mut status = self.status.lock().unwrap_or_else(|p| p.into_inner());
        let entry = status.entry(tenant.clone()).or_default();
        entry.running = false;
        entry.last = Some(SyncRun {
            trigger,
            started_at,
            finished_at: Utc::now(),
            summary: result
                .as_ref()
                .map(|r| r.summary.clone())
                .unwrap_or_default(),
            failures: result
                .as_ref()
                .map(|r| r.failures.clone())
                .unwrap_or_default(),
            error: result.as_ref().err().map(ToString::to_string),
        });
        drop(status);
        if let Ok(report) = &result
            && (trigger != Trigger::Watcher || !report.changes.is_empty())
        {
            self.entities.events().publish(Event {
                tenant_id: tenant.clone(),
                at: Utc::now(),
                kind: EventKind::SyncCompleted(report.summary.clone()),
            });
        }
        result
    }

    async fn run(
        &self,
        tenant: &TenantId,
        scope: &Scope,
        actor: &Actor,
        started: Instant,
    ) -> EntityResult<SyncReport> {
        // File events mostly echo the server's own writes: check without
        // stopping other writers first, and take the project-wide lock
        // (then compare again) only when something differs.
        if matches!(scope, Scope::Paths(_)) && self.pending(tenant, scope.clone()).await?.is_empty()
        {
            return Ok(SyncReport {
                summary: SyncSummary {
                    duration_ms: u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
                    ..SyncSummary::default()
                },
                ..SyncReport::default()
            });
        }
        let _write = self.entities.write_lock().await;
        let templates = self.templates_for(tenant, scope).await?;
        let vault = self.entities.vault(tenant)?;
        let mut report = SyncReport::default();
        let source = Source {
            tenant,
            vault: vault.as_ref(),
            known: &self.known,
            synced: self.entities.synced_files(),
        };
        // One type at a time (a whole project never sits in memory at once),
        // each type read and parsed while the one before it is written.
        let mut parsed: Option<Prepared> = None;
        for template in templates.templates() {
            let Some(target) = target(template, scope) else {
                continue;
            };
            let write = async {
                match parsed.take() {
                    Some(prepared) => self.write(tenant, &prepared).await.map(|()| Some(prepared)),
                    None => Ok(None),
                }
            };
            let next = async {
                let compared = self.compare(&source, template, target).await?;
                let prepared = if compared.plan.is_empty() {
                    None
                } else {
                    Some(self.prepare(&source, compared.plan, compared.bytes).await?)
                };
                EntityResult::Ok((compared.scanned, compared.failures, prepared))
            };
            let (written, next) = tokio::join!(write, next);
            if let Some(prepared) = written? {
                self.announce(tenant, prepared, actor, &mut report);
            }
            let (scanned, failures, prepared) = next?;
            report.summary.scanned += scanned;
            report.failures.extend(failures);
            parsed = prepared;
        }
        if let Some(prepared) = parsed {
            self.write(tenant, &prepared).await?;
            self.announce(tenant, prepared, actor, &mut report);
        }
        report.summary.failed = report.failures.len() as u64;
        report.summary.duration_ms =
            u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
        if !report.changes.is_empty() {
            tracing::info!(tenant = %tenant, created = report.summary.created, updated = report.summary.updated,
                deleted = report.summary.deleted, renamed = report.summary.renamed, "folder reconciled");
        }
        Ok(report)
    }

    /// Compares one type's files (those `target` names) with their rows.
    async fn compare(
        &self,
        source: &Source<'_>,
        template: &Template,
        target: Target,
    ) -> EntityResult<Comparison> {
        let scan = Scan::of(source, template, target).await?;
        let indexed = self.indexed(source.tenant, &scan).await?;
        Ok(Comparison {
            scanned: scan.found.len() as u64,
            plan: plan(scan.found, indexed),
            bytes: scan.bytes,
            failures: scan.failures,
        })
    }

    /// The index rows of the folders and entities scanned.
    async fn indexed(&self, tenant: &TenantId, scan: &Scan) -> EntityResult<Vec<IndexedFile>> {
        let index = self.entities.index();
        let mut rows = Vec::new();
        for entity_type in &scan.types {
            rows.extend(index.files(tenant, entity_type).await?);
        }
        for (entity_type, id) in &scan.keys {
            if let Some(entity) = index.get(tenant, entity_type, id).await? {
                rows.push(IndexedFile {
                    entity_type: entity.entity_type,
                    id: entity.id,
                    path: entity.path,
                    content_hash: entity.content_hash,
                    revision: entity.revision,
                    created_at: entity.created_at,
                });
            }
        }
        Ok(rows)
    }

    /// The templates a reconcile of `scope` uses, read again when the scope
    /// covers templates or rules.
    async fn templates_for(
        &self,
        tenant: &TenantId,
        scope: &Scope,
    ) -> EntityResult<Arc<TemplateSet>> {
        let touches = |prefix: &str| matches!(scope, Scope::Paths(paths) if paths.iter().any(|p| p.starts_with(prefix)));
        if *scope == Scope::All || touches("_Rules/") {
            self.entities.reload_rules(tenant).await?;
        }
        if *scope == Scope::All || touches("_Templates/") || touches("_Schemas/") {
            self.entities.reload_templates(tenant).await
        } else {
            self.entities.templates(tenant).await
        }
    }

    /// Reads what `plan` changes (files known by their stamp were not read
    /// yet) and parses it into rows, letting a write in flight beside it
    /// progress between files.
    async fn prepare(
        &self,
        source: &Source<'_>,
        plan: Plan,
        mut bytes: HashMap<String, Vec<u8>>,
    ) -> EntityResult<Prepared> {
        let changing = plan
            .created
            .iter()
            .chain(plan.updated.iter().map(|(file, _)| file))
            .chain(plan.renamed.iter().map(|(file, _)| file));
        for file in changing {
            if !bytes.contains_key(&file.path)
                && let Some(content) = source.vault.read(&file.path).await?
            {
                bytes.insert(file.path.clone(), content);
            }
        }
        let templates = self.entities.templates(source.tenant).await?;
        let now = Utc::now();
        let mut failures = Vec::new();
        let mut mirror = |file: &FoundFile, revision: i64, created_at| -> EntityResult<Entity> {
            let template = templates.require(file.entity_type.as_str())?;
            let content = bytes.get(&file.path).map(Vec::as_slice).unwrap_or_default();
            let entity = mirror_file(
                &template, &file.id, &file.path, content, revision, created_at, now,
            );
            if let Some(reason) = &entity.parse_error {
                failures.push(format!("{}: {reason}", file.path));
            }
            Ok(entity)
        };
        let changed = plan.created.len() + plan.updated.len() + plan.renamed.len();
        let (mut entities, mut actions) =
            (Vec::with_capacity(changed), Vec::with_capacity(changed));
        for file in &plan.created {
            entities.push(mirror(file, 1, now)?);
            actions.push((EntityAction::Created, None));
            yield_now().await;
        }
        for (file, row) in &plan.updated {
            entities.push(mirror(file, row.revision + 1, row.created_at)?);
            actions.push((EntityAction::Updated, None));
            yield_now().await;
        }
        for (file, row) in &plan.renamed {
            entities.push(mirror(file, row.revision + 1, row.created_at)?);
            actions.push((EntityAction::Renamed, Some(row.id.clone())));
            yield_now().await;
        }
        let mut removed: Vec<_> = plan
            .deleted
            .iter()
            .map(|row| (row.entity_type.clone(), row.id.clone()))
            .collect();
        removed.extend(
            plan.renamed
                .iter()
                .map(|(_, row)| (row.entity_type.clone(), row.id.clone())),
        );
        Ok(Prepared {
            entities,
            actions,
            removed,
            deleted: plan.deleted,
            failures,
        })
    }

    /// Writes prepared changes to the index in batched transactions.
    async fn write(&self, tenant: &TenantId, prepared: &Prepared) -> EntityResult<()> {
        let index = self.entities.index();
        let written = async {
            for chunk in prepared.removed.chunks(BATCH) {
                index.remove_all(tenant, chunk).await?;
            }
            for chunk in prepared.entities.chunks(BATCH) {
                index.upsert_all(tenant, chunk).await?;
            }
            Ok(())
        }
        .await;
        // What was written before a failure changed the index too.
        self.entities.changed();
        written
    }

    /// Announces written changes as made by `actor` and adds them to the
    /// report.
    fn announce(
        &self,
        tenant: &TenantId,
        prepared: Prepared,
        actor: &Actor,
        report: &mut SyncReport,
    ) {
        let summary = &mut report.summary;
        for (action, _) in &prepared.actions {
            match action {
                EntityAction::Created => summary.created += 1,
                EntityAction::Updated => summary.updated += 1,
                EntityAction::Renamed => summary.renamed += 1,
                EntityAction::Deleted => summary.deleted += 1,
            }
        }
        summary.deleted += prepared.deleted.len() as u64;
        report.failures.extend(prepared.failures);
        for (entity, (action, previous)) in prepared.entities.iter().zip(&prepared.actions) {
            self.entities
                .announce(tenant, *action, entity, previous.as_ref(), actor);
            report
                .changes
                .push((*action, entity.entity_type.clone(), entity.id.to_string()));
        }
        let now = Utc::now();
        for row in &prepared.deleted {
            self.entities.events().publish(Event {
                tenant_id: tenant.clone(),
                at: now,
                kind: EventKind::EntityUpdated(EntityChange {
                    action: EntityAction::Deleted,
                    entity_type: row.entity_type.to_string(),
                    entity_id: row.id.to_string(),
                    previous_id: None,
                    revision: row.revision,
                    changed_by: actor.to_string(),
                }),
            });
            report.changes.push((
                EntityAction::Deleted,
                row.entity_type.clone(),
                row.id.to_string(),
            ));
        }
    }
}

impl Reconciler {
    /// Writes an entity's indexed content back to its file when the file is
    /// missing (removed by hand before a reconcile noticed). A file equal
    /// to the row is left alone (`false`).
    ///
    /// # Errors
    /// [`EntityError::NotFound`] for an unknown entity;
    /// [`EntityError::Conflict`] when the file changed on disk since it was
    /// indexed (the file is the truth: read it in first).
    pub async fn save_to_file(
        &self,
        tenant: &TenantId,
        entity_type: &str,
        id: &str,
        actor: &Actor,
    ) -> EntityResult<bool> {
        let template = self.entities.template(tenant, entity_type).await?;
        let missing = || EntityError::NotFound(format!("Entity not found: {entity_type}/{id}"));
        let id = EntityId::parse(id).map_err(|_| missing())?;
        let vault = self.entities.vault(tenant)?;
        let _write = self
            .entities
            .entity_write_lock(tenant, &template.entity_type, &id)
            .await;
        let row = self
            .entities
            .index()
            .get(tenant, &template.entity_type, &id)
            .await?
            .ok_or_else(missing)?;
        match vault.read(&row.path).await? {
            Some(bytes) if content_hash(&bytes) == row.content_hash => return Ok(false),
            Some(_) => {
                return Err(EntityError::Conflict(format!(
                    "{} changed on disk since it was indexed: read it in with /api/sync/from-markdown first",
                    row.path
                )));
            }
            None => {}
        }
        let text = match &row.parse_error {
            // An unparsed file's row holds its raw text.
            Some(_) => row.body.clone(),
            None => {
                studiobrain_markdown::render(&Document::new(row.fields.clone(), row.body.clone()))
            }
        };
        vault.write(&row.path, text.as_bytes()).await?;
        let hash = content_hash(text.as_bytes());
        if hash != row.content_hash {
            let entity = mirror_file(
                &template,
                &id,
                &row.path,
                text.as_bytes(),
                row.revision + 1,
                row.created_at,
                Utc::now(),
            );
            self.entities.index().upsert(tenant, &entity).await?;
            self.entities.changed();
            self.entities
                .announce(tenant, EntityAction::Updated, &entity, None, actor);
        }
        Ok(true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use studiobrain_entity::TemplateLayer;

    fn character() -> Template {
        Template::parse(
            "CHARACTER_TEMPLATE.md",
            "---\nentity_type: character\nfolder_name: Characters\nfile_prefix: CH_\n---\n",
            TemplateLayer::Standard,
        )
        .expect("template")
    }

    fn ids(target: Option<Target>) -> Vec<String> {
        match target {
            Some(Target::Entities(ids)) => ids.iter().map(ToString::to_string).collect(),
            Some(Target::Folder) => vec!["<folder>".into()],
            None => Vec::new(),
        }
    }

    #[test]
    fn changed_paths_name_single_entities_or_the_whole_folder() {
        let t = character();
        let paths = |list: &[&str]| Scope::Paths(list.iter().map(|p| (*p).to_owned()).collect());
        assert_eq!(
            ids(target(
                &t,
                &paths(&[
                    "Characters/rex/CH_rex.md",
                    "Characters/ann",
                    "Characters/CH_old.md"
                ])
            )),
            ["ann", "old", "rex"]
        );
        assert_eq!(
            ids(target(&t, &paths(&["Characters/rex/images/a.png"]))),
            ["rex"]
        );
        assert_eq!(ids(target(&t, &paths(&["Characters"]))), ["<folder>"]);
        assert_eq!(
            ids(target(&t, &paths(&["_Templates/Core/X_TEMPLATE.md"]))),
            ["<folder>"]
        );
        assert!(ids(target(&t, &paths(&["Locations/x/LOC_x.md", "notes.md"]))).is_empty());
        let many: Vec<String> = (0..=MOST_SINGLE_ENTITIES)
            .map(|n| format!("Characters/c{n}"))
            .collect();
        assert_eq!(ids(target(&t, &Scope::Paths(many))), ["<folder>"]);
        assert_eq!(ids(target(&t, &Scope::All)), ["<folder>"]);
    }
}
