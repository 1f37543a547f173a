//! Renaming an entity: a new id, its folder and file moved, and every
//! reference to it in the tenant's other entities rewritten.
//!
//! References are the fields whose template `field_config` names the
//! renamed type as `reference_type` (the shapes of
//! [`crate::validate::referenced_ids`]: a string, a list of strings, maps
//! with a `<type>_id` or `id` key) and the wikilinks of the bodies:
//! `[[old]]`, `[[old|label]]`, `[[old#heading]]` and `[[type:old]]` (the
//! type in any case). An untyped `[[old]]` is left alone when an entity of
//! another type also has the id: it may mean that one.
//!
//! All or nothing: every new file text is computed first, in memory; then
//! the folder moves and the files are written. If a write fails, the files
//! already written get their original bytes back and the folder moves back.
//! Only then is the index changed (the old row removed, the new rows
//! upserted). Only the changed keys are rewritten ([`Frontmatter::set`]);
//! body edits replace only the text of the link.
//!
//! [`Frontmatter::set`]: studiobrain_markdown::Frontmatter::set

use crate::entity::{entity_dir, entity_path, legacy_entity_path};
use crate::error::{EntityError, EntityResult};
use crate::ids::{EntityId, EntityType};
use crate::links::{WikiLink, wikilinks};
use crate::ports::Vault;
use crate::service::{EntityService, entity_from_file, id_of, not_found};
use crate::template::Template;
use serde_json::Value;
use std::sync::Arc;
use studiobrain_kernel::{Actor, EntityAction, TenantId};
use studiobrain_markdown::Document;

/// The references rewritten in one entity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UpdatedReference {
    /// Its type.
    pub entity_type: EntityType,
    /// Its id.
    pub entity_id: EntityId,
    /// Reference fields rewritten, in template order.
    pub fields: Vec<String>,
    /// Wikilinks rewritten in the body.
    pub wikilinks: usize,
}

/// What a rename did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RenameReport {
    /// Type of the renamed entity.
    pub entity_type: EntityType,
    /// Its former id.
    pub old_id: EntityId,
    /// Its id now.
    pub new_id: EntityId,
    /// Its file now, relative to the project root.
    pub path: String,
    /// The other entities whose references were rewritten, by type and id.
    pub updated_references: Vec<UpdatedReference>,
}

/// What an id is renamed from and to, and which links name it.
struct Renaming<'a> {
    entity_type: &'a EntityType,
    old: &'a str,
    new: &'a str,
    /// Whether untyped `[[old]]` links mean the renamed entity.
    untyped_links: bool,
}

/// One file to write: where, its bytes before and after.
struct PendingWrite {
    template: Arc<Template>,
    id: EntityId,
    path: String,
    original: Vec<u8>,
    rewritten: String,
    fields: Vec<String>,
    wikilinks: usize,
}

/// The id in one reference item, rewritten; `None` when it names another.
fn rewrite_item(item: &Value, key: &str, renaming: &Renaming<'_>) -> Option<Value> {
    match item {
        Value::String(s) if s.trim() == renaming.old => Some(Value::String(renaming.new.into())),
        Value::Object(map) => {
            let slot = if map.contains_key(key) { key } else { "id" };
            match map.get(slot).and_then(Value::as_str) {
                Some(id) if id.trim() == renaming.old => {
                    let mut map = map.clone();
                    map.insert(slot.to_owned(), Value::String(renaming.new.into()));
                    Some(Value::Object(map))
                }
                _ => None,
            }
        }
        _ => None,
    }
}

/// A reference field's value with the renamed id replaced; `None` when it
/// does not name it.
fn rewrite_reference(value: &Value, renaming: &Renaming<'_>) -> Option<Value> {
    let key = format!("{}_id", renaming.entity_type);
    match value {
        Value::Array(items) => {
            let mut changed = false;
            let items = items
                .iter()
                .map(|item| match rewrite_item(item, &key, renaming) {
                    Some(new) => {
                        changed = true;
                        new
                    }
                    None => item.clone(),
                })
                .collect();
            changed.then_some(Value::Array(items))
        }
        other => rewrite_item(other, &key, renaming),
    }
}

/// The inside of one wikilink (between `[[` and `]]`) with the renamed id
/// replaced; `None` when it links elsewhere.
fn rewrite_link(inner: &str, renaming: &Renaming<'_>) -> Option<String> {
    let link = WikiLink::parse(inner);
    let names_type = match link.kind {
        Some(kind) => kind
            .trim()
            .eq_ignore_ascii_case(renaming.entity_type.as_str()),
        None => renaming.untyped_links,
    };
    if !names_type || link.id != renaming.old {
        return None;
    }
    let span = link.id_span;
    Some(format!(
        "{}{}{}",
        &inner[..span.start],
        renaming.new,
        &inner[span.end..]
    ))
}

/// The body with every wikilink to the renamed entity rewritten, and how
/// many were.
fn rewrite_wikilinks(body: &str, renaming: &Renaming<'_>) -> (String, usize) {
    let mut out = String::with_capacity(body.len());
    let mut count = 0;
    let mut copied = 0;
    for span in wikilinks(body) {
        if let Some(new) = rewrite_link(&body[span.clone()], renaming) {
            out.push_str(&body[copied..span.start]);
            out.push_str(&new);
            copied = span.end;
            count += 1;
        }
    }
    out.push_str(&body[copied..]);
    (out, count)
}

/// Rewrites the references to the renamed entity in a document of
/// `template`'s type: the reference fields changed and the wikilinks.
fn rewrite_document(
    template: &Template,
    document: &mut Document,
    renaming: &Renaming<'_>,
) -> (Vec<String>, usize) {
    let mut fields = Vec::new();
    for spec in &template.fields {
        if spec.config.reference_type.as_ref() != Some(renaming.entity_type) {
            continue;
        }
        let Some(value) = document.frontmatter.get(&spec.name) else {
            continue;
        };
        if let Some(new) = rewrite_reference(value, renaming) {
            document.frontmatter.set(&spec.name, new);
            fields.push(spec.name.clone());
        }
    }
    let (body, wikilinks) = rewrite_wikilinks(&document.body, renaming);
    if wikilinks > 0 {
        document.body = body;
    }
    (fields, wikilinks)
}

/// Parses an entity file's bytes.
fn parse_file(path: &str, bytes: &[u8]) -> EntityResult<Document> {
    let text = std::str::from_utf8(bytes)
        .map_err(|_| EntityError::Invalid(format!("{path} is not UTF-8")))?;
    studiobrain_markdown::parse(text).map_err(|err| EntityError::Invalid(format!("{path}: {err}")))
}

/// Where the renamed entity lives before and after: the folder (or legacy
/// flat file) to move and its file.
struct Move {
    from: String,
    to: String,
    /// With the folder layout: the file as it is named right after the
    /// folder moved (`<folder>/<new>/<prefix><old>.md`).
    moved_file: Option<String>,
    new_path: String,
}

impl Move {
    fn plan(template: &Template, old: &EntityId, new: &EntityId, path: &str) -> EntityResult<Self> {
        if path == entity_path(template, old) {
            Ok(Self {
                from: entity_dir(template, old),
                to: entity_dir(template, new),
                moved_file: Some(format!(
                    "{}/{}{old}.md",
                    entity_dir(template, new),
                    template.file_prefix
                )),
                new_path: entity_path(template, new),
            })
        } else if path == legacy_entity_path(template, old) {
            let new_path = legacy_entity_path(template, new);
            Ok(Self {
                from: path.to_owned(),
                to: new_path.clone(),
                moved_file: None,
                new_path,
            })
        } else {
            Err(EntityError::Invalid(format!(
                "{path} is not where a {} named '{old}' lives",
                template.entity_type
            )))
        }
    }
}

/// Undoes the writes done so far: original bytes back, the file and folder
/// moved back. Failures are logged: the first error is what the caller sees.
async fn roll_back(vault: &dyn Vault, plan: &Move, written: &[(&str, &[u8])], moved: (bool, bool)) {
    for (path, bytes) in written.iter().rev() {
        if let Err(err) = vault.write(path, bytes).await {
            tracing::error!(%path, %err, "rename rollback: could not restore a file");
        }
    }
    let (folder_moved, file_moved) = moved;
    if file_moved
        && let Some(moved_file) = &plan.moved_file
        && let Err(err) = vault.rename(&plan.new_path, moved_file).await
    {
        tracing::error!(path = %plan.new_path, %err, "rename rollback: could not move the file back");
    }
    if folder_moved && let Err(err) = vault.rename(&plan.to, &plan.from).await {
        tracing::error!(path = %plan.to, %err, "rename rollback: could not move the folder back");
    }
}

impl EntityService {
    /// Renames an entity of `entity_type` from `old_id` to `new_id`: moves
    /// its folder and file, sets its `id`, and rewrites the references to it
    /// in every other entity of the tenant (reference fields and wikilinks).
    /// All or nothing for the files; the index follows.
    ///
    /// # Errors
    /// [`EntityError::Invalid`] for a malformed `new_id` or one equal to the
    /// old; [`EntityError::NotFound`] for an unknown type or entity;
    /// [`EntityError::AlreadyExists`] when `new_id` is taken; the vault's
    /// error when a write fails (the files are then as they were).
    pub async fn rename(
        &self,
        tenant: &TenantId,
        entity_type: &str,
        old_id: &str,
        new_id: &str,
        actor: &Actor,
    ) -> EntityResult<RenameReport> {
        let templates = self.templates(tenant).await?;
        let template = templates.require(entity_type)?;
        let new = EntityId::parse(new_id)?;
        let old = EntityId::parse(old_id).map_err(|_| not_found(entity_type, old_id))?;
        if old == new {
            return Err(EntityError::Invalid(format!(
                "the new id is the current id '{old}'"
            )));
        }
        let kind = &template.entity_type;
        let vault = self.vault(tenant)?;
        let _write = self.write_lock().await;
        let current = self
            .index()
            .get(tenant, kind, &old)
            .await?
            .ok_or_else(|| not_found(entity_type, old.as_str()))?;
        let original = vault
            .read(&current.path)
            .await?
            .ok_or_else(|| not_found(entity_type, old.as_str()))?;
        if self.index().exists(tenant, kind, &new).await?
            || vault.read(&entity_path(&template, &new)).await?.is_some()
            || vault
                .read(&legacy_entity_path(&template, &new))
                .await?
                .is_some()
            || !vault
                .list(&entity_dir(&template, &new), "")
                .await?
                .is_empty()
        {
            return Err(EntityError::AlreadyExists(format!(
                "{entity_type}/{new} already exists"
            )));
        }
        let plan = Move::plan(&template, &old, &new, &current.path)?;

        let mut untyped_links = true;
        for other in templates.templates() {
            if &other.entity_type != kind
                && self
                    .index()
                    .exists(tenant, &other.entity_type, &old)
                    .await?
            {
                untyped_links = false;
            }
        }
        let renaming = Renaming {
            entity_type: kind,
            old: old.as_str(),
            new: new.as_str(),
            untyped_links,
        };

        // Everything is computed before anything is written.
        let mut document = parse_file(&current.path, &original)?;
        document
            .frontmatter
            .set("id", Value::String(new.to_string()));
        rewrite_document(&template, &mut document, &renaming);
        let renamed_text = studiobrain_markdown::render(&document);
        let mut pending = Vec::new();
        for other in templates.templates() {
            for path in vault.list(&other.folder_name, ".md").await? {
                let Some(id) = id_of(other, &path) else {
                    continue;
                };
                if &other.entity_type == kind && (id == old || path == current.path) {
                    continue;
                }
                let Some(bytes) = vault.read(&path).await? else {
                    continue;
                };
                let mut document = match parse_file(&path, &bytes) {
                    Ok(document) => document,
                    Err(err) => {
                        tracing::warn!(%path, %err, "rename: references in an unreadable file are left alone");
                        continue;
                    }
                };
                let (fields, wikilinks) = rewrite_document(other, &mut document, &renaming);
                if fields.is_empty() && wikilinks == 0 {
                    continue;
                }
                let rewritten = studiobrain_markdown::render(&document);
                if rewritten.as_bytes() == bytes.as_slice() {
                    continue;
                }
                pending.push(PendingWrite {
                    template: other.clone(),
                    id,
                    path,
                    original: bytes,
                    rewritten,
                    fields,
                    wikilinks,
                });
            }
        }

        write_all(vault.as_ref(), &plan, &original, &renamed_text, &pending).await?;

        let now = self.now();
        let mut rows = vec![entity_from_file(
            &template,
            &new,
            &plan.new_path,
            renamed_text.as_bytes(),
            current.revision + 1,
            current.created_at,
            now,
        )?];
        for write in &pending {
            let (revision, created_at) = match self
                .index()
                .get(tenant, &write.template.entity_type, &write.id)
                .await?
            {
                Some(existing) => (existing.revision + 1, existing.created_at),
                None => (1, now),
            };
            rows.push(entity_from_file(
                &write.template,
                &write.id,
                &write.path,
                write.rewritten.as_bytes(),
                revision,
                created_at,
                now,
            )?);
        }
        if let Err(err) = self.index().mark_deleted(tenant, kind, &old, now).await {
            // Nothing in the index changed yet: put the files back too.
            let mut written: Vec<(&str, &[u8])> = vec![(plan.new_path.as_str(), &original)];
            written.extend(
                pending
                    .iter()
                    .map(|w| (w.path.as_str(), w.original.as_slice())),
            );
            roll_back(
                vault.as_ref(),
                &plan,
                &written,
                (true, plan.moved_file.is_some()),
            )
            .await;
            self.changed();
            return Err(err);
        }
        let indexed = async {
            self.index().purge(tenant, kind, &old).await?;
            self.index().upsert_all(tenant, &rows).await
        }
        .await;
        // The old id is gone from the index even when the rest failed.
        self.changed();
        indexed?;
        for (n, row) in rows.iter().enumerate() {
            if n == 0 {
                self.announce(tenant, EntityAction::Renamed, row, Some(&old), actor);
            } else {
                self.announce(tenant, EntityAction::Updated, row, None, actor);
            }
        }
        tracing::info!(tenant = %tenant, %kind, %old, %new, references = pending.len(), "entity renamed");
        Ok(RenameReport {
            entity_type: kind.clone(),
            old_id: old,
            new_id: new,
            path: plan.new_path,
            updated_references: pending
                .into_iter()
                .map(|w| UpdatedReference {
                    entity_type: w.template.entity_type.clone(),
                    entity_id: w.id,
                    fields: w.fields,
                    wikilinks: w.wikilinks,
                })
                .collect(),
        })
    }
}

/// Moves the renamed entity and writes every file; on the first failure
/// restores what was done and returns its error.
async fn write_all(
    vault: &dyn Vault,
    plan: &Move,
    original: &[u8],
    renamed_text: &str,
    pending: &[PendingWrite],
) -> EntityResult<()> {
    vault.rename(&plan.from, &plan.to).await?;
    if let Some(moved_file) = &plan.moved_file
        && let Err(err) = vault.rename(moved_file, &plan.new_path).await
    {
        roll_back(vault, plan, &[], (true, false)).await;
        return Err(err);
    }
    let moved = (true, plan.moved_file.is_some());
    if let Err(err) = vault.write(&plan.new_path, renamed_text.as_bytes()).await {
        roll_back(vault, plan, &[(plan.new_path.as_str(), original)], moved).await;
        return Err(err);
    }
    let mut written: Vec<(&str, &[u8])> = vec![(plan.new_path.as_str(), original)];
    for write in pending {
        if let Err(err) = vault.write(&write.path, write.rewritten.as_bytes()).await {
            // Writes are atomic: the failed one left its file as it was.
            roll_back(vault, plan, &written, moved).await;
            return Err(err);
        }
        written.push((write.path.as_str(), write.original.as_slice()));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::entity::Entity;
    use crate::ports::{DeletedEntity, EntityIndex, EntityPage, EntityQuery};
    use crate::registry::{TemplateSet, TemplateSource};
    use crate::template::TemplateLayer;
    use crate::test_vault::{MemoryVault, OneVault};
    use async_trait::async_trait;
    use chrono::{DateTime, Utc};
    use std::collections::HashMap;
    use std::sync::Mutex;

    /// Rows by type and id, with their deleted mark.
    type Rows = HashMap<(EntityType, EntityId), (Entity, bool)>;

    #[derive(Default)]
    struct MemoryIndex(Mutex<Rows>);

    impl MemoryIndex {
        fn rows(&self) -> std::sync::MutexGuard<'_, Rows> {
            self.0.lock().expect("lock")
        }
    }

    #[async_trait]
    impl EntityIndex for MemoryIndex {
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
        async fn upsert(&self, _: &TenantId, entity: &Entity) -> EntityResult<()> {
            self.rows().insert(
                (entity.entity_type.clone(), entity.id.clone()),
                (entity.clone(), false),
            );
            Ok(())
        }
        async fn get(
            &self,
            _: &TenantId,
            entity_type: &EntityType,
            id: &EntityId,
        ) -> EntityResult<Option<Entity>> {
            Ok(self
                .rows()
                .get(&(entity_type.clone(), id.clone()))
                .filter(|(_, deleted)| !deleted)
                .map(|(e, _)| e.clone()))
        }
        async fn exists(
            &self,
            tenant: &TenantId,
            entity_type: &EntityType,
            id: &EntityId,
        ) -> EntityResult<bool> {
            Ok(self.get(tenant, entity_type, id).await?.is_some())
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
            entity_type: &EntityType,
            id: &EntityId,
            _: DateTime<Utc>,
        ) -> EntityResult<()> {
            match self.rows().get_mut(&(entity_type.clone(), id.clone())) {
                Some((_, deleted)) if !*deleted => {
                    *deleted = true;
                    Ok(())
                }
                _ => Err(EntityError::NotFound(id.to_string())),
            }
        }
        async fn list_deleted(&self, _: &TenantId) -> EntityResult<Vec<DeletedEntity>> {
            Ok(Vec::new())
        }
        async fn purge(
            &self,
            _: &TenantId,
            entity_type: &EntityType,
            id: &EntityId,
        ) -> EntityResult<()> {
            let mut rows = self.rows();
            let key = (entity_type.clone(), id.clone());
            match rows.get(&key) {
                Some((_, true)) => {
                    rows.remove(&key);
                    Ok(())
                }
                _ => Err(EntityError::NotFound(id.to_string())),
            }
        }
    }

    const CHARACTER: &str = "---\nentity_type: character\nfolder_name: Characters\nfile_prefix: CH_\nfield_config:\n  friends:\n    widget: entity-selector\n    reference_type: character\n  home:\n    widget: entity-selector\n    reference_type: location\nid: \"\"\nname: \"\"\nfriends: []\nhome: \"\"\n---\n";
    const FACTION: &str = "---\nentity_type: faction\nfolder_name: Factions\nfile_prefix: FAC_\nfield_config:\n  leader:\n    widget: entity-selector\n    reference_type: character\n  members:\n    widget: entity-selector\n    reference_type: character\nid: \"\"\nname: \"\"\nleader: \"\"\nmembers: []\n---\n";
    const LOCATION: &str = "---\nentity_type: location\nfolder_name: Locations\nfile_prefix: LOC_\nid: \"\"\nname: \"\"\n---\n";

    const REX: &str =
        "---\nid: rex   # the hero\nname: Rex\nfriends: [ann]\n---\n# Rex\n\nFriend of [[ann]].\n";
    const ANN: &str = "---\n# Ann's file\nid: ann\nname: Ann\nfriends:\n  - { character_id: rex, relationship: brother }\n  - bob\nhome: rex\n---\nAnn trusts [[rex]], [[Character:rex|her brother]] and [[rex#Past]],\nnot [[rex_2]], [[location:rex]] or [[rexford]].\n";
    const GUILD: &str = "---\nid: guild\nname: Guild\nleader: rex\nmembers:\n  - id: rex\n  - id: ann\n---\nLed by [[character:rex]].\n";
    const HALL: &str =
        "---\nid: rex\nname: Rex Hall\n---\nNamed after [[character:rex]]; see [[rex]].\n";

    fn tenant() -> TenantId {
        TenantId::local()
    }

    /// A project with Rex, Ann (references in fields and links), the guild
    /// (a legacy flat file) and a location also called `rex`.
    async fn project() -> (Arc<MemoryVault>, Arc<MemoryIndex>, EntityService) {
        let vault = Arc::new(MemoryVault::default());
        let index = Arc::new(MemoryIndex::default());
        let source = |file: &str, text: &str| TemplateSource {
            layer: TemplateLayer::Standard,
            file_name: file.into(),
            text: text.into(),
        };
        let templates = TemplateSet::load(vec![
            source("CHARACTER_TEMPLATE.md", CHARACTER),
            source("FACTION_TEMPLATE.md", FACTION),
            source("LOCATION_TEMPLATE.md", LOCATION),
        ]);
        let service = EntityService::new(
            Arc::new(OneVault(vault.clone())),
            index.clone(),
            Arc::new(templates),
        );
        vault.put("Characters/rex/CH_rex.md", REX);
        vault.put("Characters/rex/images/portrait.png", "png");
        vault.put("Characters/ann/CH_ann.md", ANN);
        vault.put("Factions/FAC_guild.md", GUILD);
        vault.put("Locations/rex/LOC_rex.md", HALL);
        let report = service.reindex(&tenant()).await.expect("reindex");
        assert_eq!(report.indexed, 4);
        (vault, index, service)
    }

    fn character() -> EntityType {
        EntityType::parse("character").expect("type")
    }

    fn id(raw: &str) -> EntityId {
        EntityId::parse(raw).expect("id")
    }

    #[test]
    fn wikilinks_to_the_renamed_entity_are_rewritten_and_no_others() {
        let kind = character();
        let renaming = |untyped_links| Renaming {
            entity_type: &kind,
            old: "rex",
            new: "rex_2",
            untyped_links,
        };
        let body = "[[rex]] [[rex|Rex]] [[Character:rex]] [[character:rex#Past|the hero]] [[ rex ]]\n[[faction:rex]] [[rexford]] [[a|rex]] [[rex\n]] [[unclosed";
        let (out, count) = rewrite_wikilinks(body, &renaming(true));
        assert_eq!(
            out,
            "[[rex_2]] [[rex_2|Rex]] [[Character:rex_2]] [[character:rex_2#Past|the hero]] [[ rex_2 ]]\n[[faction:rex]] [[rexford]] [[a|rex]] [[rex\n]] [[unclosed"
        );
        assert_eq!(count, 5);
        let (out, count) = rewrite_wikilinks("[[rex]] [[character:rex]]", &renaming(false));
        assert_eq!(
            (out.as_str(), count),
            ("[[rex]] [[character:rex_2]]", 1),
            "an ambiguous untyped link stays"
        );
    }

    #[test]
    fn every_reference_shape_is_rewritten() {
        let kind = character();
        let renaming = Renaming {
            entity_type: &kind,
            old: "rex",
            new: "rex_2",
            untyped_links: true,
        };
        let value = serde_json::json!([
            "rex", "ann", {"character_id": "rex", "note": "x"}, {"id": "rex"},
            {"character_id": "ann", "id": "rex"}
        ]);
        assert_eq!(
            rewrite_reference(&value, &renaming),
            Some(serde_json::json!([
                "rex_2", "ann", {"character_id": "rex_2", "note": "x"}, {"id": "rex_2"},
                {"character_id": "ann", "id": "rex"}
            ]))
        );
        assert_eq!(
            rewrite_reference(&serde_json::json!(" rex "), &renaming),
            Some(serde_json::json!("rex_2"))
        );
        assert_eq!(
            rewrite_reference(&serde_json::json!(["ann"]), &renaming),
            None
        );
        assert_eq!(rewrite_reference(&serde_json::json!(7), &renaming), None);
    }

    #[tokio::test]
    async fn a_rename_moves_the_entity_and_rewrites_every_reference() {
        let (vault, index, service) = project().await;
        let report = service
            .rename(&tenant(), "character", "rex", "rex_2", &Actor::FileWatcher)
            .await
            .expect("renamed");
        assert_eq!(report.path, "Characters/rex_2/CH_rex_2.md");
        assert_eq!(
            vault.text("Characters/rex_2/CH_rex_2.md").as_deref(),
            Some(REX.replace("id: rex   # the hero", "id: rex_2").as_str()),
            "only the id line changed"
        );
        assert!(vault.text("Characters/rex_2/images/portrait.png").is_some());
        assert!(
            vault
                .list("Characters/rex", "")
                .await
                .expect("list")
                .is_empty()
        );

        let ann = vault.text("Characters/ann/CH_ann.md").expect("ann");
        assert!(
            ann.starts_with("---\n# Ann's file\nid: ann\nname: Ann\n"),
            "{ann}"
        );
        assert!(ann.contains("character_id: rex_2"), "{ann}");
        assert!(
            ann.contains("home: rex\n"),
            "a location reference stays: {ann}"
        );
        assert!(
            ann.ends_with("Ann trusts [[rex]], [[Character:rex_2|her brother]] and [[rex#Past]],\nnot [[rex_2]], [[location:rex]] or [[rexford]].\n"),
            "untyped links are ambiguous here (a location is also 'rex'): {ann}"
        );
        let guild = vault.text("Factions/FAC_guild.md").expect("guild");
        assert!(guild.contains("leader: rex_2\n"), "{guild}");
        assert!(guild.contains("- id: rex_2\n"), "{guild}");
        assert!(guild.contains("Led by [[character:rex_2]]."), "{guild}");
        let hall = vault.text("Locations/rex/LOC_rex.md").expect("hall");
        assert_eq!(
            hall,
            HALL.replace("[[character:rex]]", "[[character:rex_2]]")
        );

        let updated: Vec<(String, String, Vec<String>, usize)> = report
            .updated_references
            .iter()
            .map(|u| {
                (
                    u.entity_type.to_string(),
                    u.entity_id.to_string(),
                    u.fields.clone(),
                    u.wikilinks,
                )
            })
            .collect();
        assert_eq!(
            updated,
            [
                ("character".into(), "ann".into(), vec!["friends".into()], 1),
                (
                    "faction".into(),
                    "guild".into(),
                    vec!["leader".into(), "members".into()],
                    1
                ),
                ("location".into(), "rex".into(), vec![], 1),
            ]
        );

        assert!(
            !index
                .exists(&tenant(), &character(), &id("rex"))
                .await
                .expect("index")
        );
        let renamed = index
            .get(&tenant(), &character(), &id("rex_2"))
            .await
            .expect("index")
            .expect("row");
        assert_eq!(
            (renamed.revision, renamed.path.as_str()),
            (2, "Characters/rex_2/CH_rex_2.md")
        );
        assert!(
            !index.rows().contains_key(&(character(), id("rex"))),
            "old row purged"
        );
        let ann_row = index
            .get(&tenant(), &character(), &id("ann"))
            .await
            .expect("index")
            .expect("row");
        assert_eq!(ann_row.revision, 2);
        assert_eq!(
            ann_row.content_hash,
            crate::entity::content_hash(ann.as_bytes())
        );
    }

    #[tokio::test]
    async fn a_legacy_flat_file_is_renamed_as_a_file() {
        let (vault, _, service) = project().await;
        let report = service
            .rename(
                &tenant(),
                "faction",
                "guild",
                "old_guild",
                &Actor::FileWatcher,
            )
            .await
            .expect("renamed");
        assert_eq!(report.path, "Factions/FAC_old_guild.md");
        assert_eq!(vault.text("Factions/FAC_guild.md"), None);
        let text = vault.text("Factions/FAC_old_guild.md").expect("moved");
        assert_eq!(text, GUILD.replace("id: guild", "id: old_guild"));
        assert!(report.updated_references.is_empty());
    }

    #[tokio::test]
    async fn refused_and_failed_renames_leave_every_file_as_it_was() {
        let (vault, index, service) = project().await;
        let before = vault.files().clone();
        let err = |r: EntityResult<RenameReport>| r.expect_err("refused");
        assert!(matches!(
            err(service
                .rename(&tenant(), "character", "rex", "ann", &Actor::FileWatcher)
                .await),
            EntityError::AlreadyExists(_)
        ));
        assert!(matches!(
            err(service
                .rename(&tenant(), "character", "rex", "Bad Id", &Actor::FileWatcher)
                .await),
            EntityError::Invalid(_)
        ));
        assert!(matches!(
            err(service
                .rename(&tenant(), "character", "nobody", "x", &Actor::FileWatcher)
                .await),
            EntityError::NotFound(_)
        ));
        assert!(matches!(
            err(service
                .rename(&tenant(), "character", "rex", "rex", &Actor::FileWatcher)
                .await),
            EntityError::Invalid(_)
        ));
        assert_eq!(*vault.files(), before);

        // The last write fails: everything written before is put back.
        vault.fail_writes_to("Locations/rex/LOC_rex.md");
        assert!(matches!(
            err(service
                .rename(&tenant(), "character", "rex", "rex_2", &Actor::FileWatcher)
                .await),
            EntityError::Unexpected(_)
        ));
        assert_eq!(*vault.files(), before);
        assert!(
            index
                .exists(&tenant(), &character(), &id("rex"))
                .await
                .expect("index")
        );
        assert!(
            !index
                .exists(&tenant(), &character(), &id("rex_2"))
                .await
                .expect("index")
        );

        // The renamed file's own write fails.
        vault.fail_writes_to("Characters/rex_2/CH_rex_2.md");
        err(service
            .rename(&tenant(), "character", "rex", "rex_2", &Actor::FileWatcher)
            .await);
        assert_eq!(*vault.files(), before);
    }
}
