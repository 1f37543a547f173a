//! The entity recycle bin. [`EntityService::delete`] moves an entity's
//! folder (or its legacy flat file) to
//! `.studiobrain/trash/<type>/<id>-<timestamp>` and marks its index row
//! deleted; this module lists, restores and purges what is there.
//!
//! Design: the trash copies are found in the files, not recorded in the
//! index. Listing `.studiobrain/trash/<type>/` and reading each entry's name
//! as `<id>-<timestamp>` gives every copy (the timestamp has a fixed width and
//! no `-`, so the newest copy has the greatest name). A copy that is a single
//! file was a legacy flat file and goes back to `<folder>/<prefix><id>.md`; a
//! folder goes back to `<folder>/<id>`. The deleted row keeps what it held
//! (name, revision, creation time) and supplies them when it exists, but the
//! files alone are enough: after the index is rebuilt from scratch the bin
//! still lists, restores and purges every copy. The bin owns only entries of
//! that shape under the folders of entity types.

use crate::entity::{entity_dir, entity_path, legacy_entity_path, text_field};
use crate::error::{EntityError, EntityResult};
use crate::ids::{EntityId, EntityType};
use crate::ports::{DeletedEntity, Vault};
use crate::service::{EntityService, EntityView, entity_from_file};
use chrono::{DateTime, NaiveDateTime, Utc};
use std::collections::{BTreeMap, BTreeSet};
use studiobrain_kernel::{Actor, EntityAction, TenantId};

/// The folder holding every deleted entity, one subfolder per type.
pub const TRASH_DIR: &str = ".studiobrain/trash";

/// One entity in the recycle bin.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecycledEntity {
    /// Type.
    pub entity_type: EntityType,
    /// Id.
    pub id: EntityId,
    /// Display name when it was deleted.
    pub name: String,
    /// When it was deleted.
    pub deleted_at: DateTime<Utc>,
    /// The newest copy in the trash (what a restore brings back); `None`
    /// when only the index row is left (the copy was removed by hand).
    pub trash_path: Option<String>,
}

/// One copy of an entity in the trash.
#[derive(Debug, Clone, PartialEq, Eq)]
struct TrashCopy {
    /// `.studiobrain/trash/<type>/<id>-<timestamp>`.
    path: String,
    /// When it was moved there.
    deleted_at: DateTime<Utc>,
    /// A legacy flat file rather than an entity folder.
    is_file: bool,
}

/// The copies of each entity in the trash, keyed by type and id, each list
/// oldest first.
type Copies = BTreeMap<(EntityType, EntityId), Vec<TrashCopy>>;

/// The id and deletion time in a trash entry's name, `<id>-<timestamp>`.
fn parse_entry(entry: &str) -> Option<(EntityId, DateTime<Utc>)> {
    let (id, stamp) = entry.rsplit_once('-')?;
    let at = NaiveDateTime::parse_from_str(stamp, "%Y%m%dT%H%M%S%.fZ").ok()?;
    Some((EntityId::parse(id).ok()?, at.and_utc()))
}

/// Every copy of an entity of `entity_type` in the trash.
async fn copies_of_type(
    vault: &dyn Vault,
    entity_type: &EntityType,
    copies: &mut Copies,
) -> EntityResult<()> {
    let dir = format!("{TRASH_DIR}/{entity_type}");
    let mut seen = BTreeSet::new();
    for path in vault.list(&dir, "").await? {
        let Some(rest) = path.strip_prefix(&format!("{dir}/")) else {
            continue;
        };
        let (entry, is_file) = match rest.split_once('/') {
            Some((entry, _)) => (entry, false),
            None => (rest, true),
        };
        if !seen.insert(entry.to_owned()) {
            continue;
        }
        if let Some((id, deleted_at)) = parse_entry(entry) {
            copies
                .entry((entity_type.clone(), id))
                .or_default()
                .push(TrashCopy {
                    path: format!("{dir}/{entry}"),
                    deleted_at,
                    is_file,
                });
        }
    }
    for list in copies.values_mut() {
        list.sort_by(|a, b| a.path.cmp(&b.path));
    }
    Ok(())
}

fn not_in_bin(entity_type: &str, id: &str) -> EntityError {
    EntityError::NotFound(format!("Entity not in the recycle bin: {entity_type}/{id}"))
}

/// The type and id of a bin entry, or 404 when they cannot exist.
fn parse_key(entity_type: &str, id: &str) -> EntityResult<(EntityType, EntityId)> {
    match (EntityType::parse(entity_type), EntityId::parse(id)) {
        (Ok(kind), Ok(parsed)) => Ok((kind, parsed)),
        _ => Err(not_in_bin(entity_type, id)),
    }
}

impl EntityService {
    /// The deleted rows and the trash copies of the tenant, over the types
    /// its templates define and the types of its deleted rows.
    async fn bin_contents(
        &self,
        tenant: &TenantId,
        vault: &dyn Vault,
    ) -> EntityResult<(Vec<DeletedEntity>, Copies)> {
        let rows = self.index().list_deleted(tenant).await?;
        let mut types: BTreeSet<EntityType> = self
            .templates(tenant)
            .await?
            .templates()
            .map(|t| t.entity_type.clone())
            .collect();
        types.extend(rows.iter().map(|d| d.entity.entity_type.clone()));
        let mut copies = Copies::new();
        for entity_type in &types {
            copies_of_type(vault, entity_type, &mut copies).await?;
        }
        Ok((rows, copies))
    }

    /// The name in the entity file of a trash copy ("" when unreadable).
    async fn name_in_copy(
        &self,
        tenant: &TenantId,
        vault: &dyn Vault,
        entity_type: &EntityType,
        id: &EntityId,
        copy: &TrashCopy,
    ) -> EntityResult<String> {
        let file = if copy.is_file {
            copy.path.clone()
        } else {
            match self.templates(tenant).await?.require(entity_type.as_str()) {
                Ok(template) => format!("{}/{}{id}.md", copy.path, template.file_prefix),
                Err(_) => return Ok(String::new()),
            }
        };
        Ok(match vault.read(&file).await? {
            Some(bytes) => studiobrain_markdown::parse(&String::from_utf8_lossy(&bytes))
                .map(|doc| text_field(&doc.frontmatter.to_map(), "name"))
                .unwrap_or_default(),
            None => String::new(),
        })
    }

    /// The tenant's recycle bin, most recently deleted first: every deleted
    /// row, and every trash copy that has no row (its name read from the
    /// file).
    ///
    /// # Errors
    /// The vault or the index fails.
    pub async fn recycle_bin(&self, tenant: &TenantId) -> EntityResult<Vec<RecycledEntity>> {
        let vault = self.vault(tenant)?;
        let (rows, mut copies) = self.bin_contents(tenant, vault.as_ref()).await?;
        let mut bin = Vec::with_capacity(rows.len());
        for DeletedEntity { entity, deleted_at } in rows {
            let newest = copies
                .remove(&(entity.entity_type.clone(), entity.id.clone()))
                .and_then(|mut list| list.pop());
            bin.push(RecycledEntity {
                entity_type: entity.entity_type,
                id: entity.id,
                name: entity.name,
                deleted_at,
                trash_path: newest.map(|copy| copy.path),
            });
        }
        for ((entity_type, id), mut list) in copies {
            let Some(copy) = list.pop() else {
                continue;
            };
            let name = self
                .name_in_copy(tenant, vault.as_ref(), &entity_type, &id, &copy)
                .await?;
            bin.push(RecycledEntity {
                entity_type,
                id,
                name,
                deleted_at: copy.deleted_at,
                trash_path: Some(copy.path),
            });
        }
        bin.sort_by(|a, b| {
            b.deleted_at
                .cmp(&a.deleted_at)
                .then_with(|| a.entity_type.cmp(&b.entity_type))
                .then_with(|| a.id.cmp(&b.id))
        });
        Ok(bin)
    }

    /// Puts the newest trash copy of an entity back where it was (its folder
    /// at `<folder>/<id>`, or its legacy flat file) and indexes it again.
    ///
    /// # Errors
    /// [`EntityError::NotFound`] when the type is unknown or no copy is in
    /// the bin; [`EntityError::AlreadyExists`] when the id was used again
    /// since; [`EntityError::Invalid`] when the copy holds no readable
    /// entity file (nothing is moved then).
    pub async fn restore(
        &self,
        tenant: &TenantId,
        entity_type: &str,
        id: &str,
        actor: &Actor,
    ) -> EntityResult<EntityView> {
        let template = self.template(tenant, entity_type).await?;
        let (kind, id) = parse_key(entity_type, id)?;
        let vault = self.vault(tenant)?;
        let write = self.entity_write_lock(tenant, &kind, &id).await;
        let mut copies = Copies::new();
        copies_of_type(vault.as_ref(), &kind, &mut copies).await?;
        let copy = copies
            .remove(&(kind.clone(), id.clone()))
            .and_then(|mut list| list.pop())
            .ok_or_else(|| not_in_bin(entity_type, id.as_str()))?;
        let (file_path, destination) = if copy.is_file {
            let path = legacy_entity_path(&template, &id);
            (path.clone(), path)
        } else {
            (entity_path(&template, &id), entity_dir(&template, &id))
        };
        if self.index().exists(tenant, &kind, &id).await?
            || vault.read(&entity_path(&template, &id)).await?.is_some()
            || vault
                .read(&legacy_entity_path(&template, &id))
                .await?
                .is_some()
        {
            return Err(EntityError::AlreadyExists(format!(
                "{entity_type}/{id} was created again since it was deleted: rename or delete it before restoring"
            )));
        }
        let source = if copy.is_file {
            copy.path.clone()
        } else {
            format!("{}/{}{id}.md", copy.path, template.file_prefix)
        };
        let bytes = vault.read(&source).await?.ok_or_else(|| {
            EntityError::Invalid(format!("{} holds no entity file {source}", copy.path))
        })?;
        let now = self.now();
        let (revision, created_at) = self
            .index()
            .list_deleted(tenant)
            .await?
            .into_iter()
            .find(|d| d.entity.entity_type == kind && d.entity.id == id)
            .map_or((1, now), |d| (d.entity.revision + 1, d.entity.created_at));
        let entity = entity_from_file(
            &template, &id, &file_path, &bytes, revision, created_at, now,
        )?;
        vault.rename(&copy.path, &destination).await?;
        self.index().upsert(tenant, &entity).await?;
        self.changed();
        self.announce(tenant, EntityAction::Created, &entity, None, actor);
        drop(write);
        self.get(tenant, entity_type, id.as_str()).await
    }

    /// Removes an entity from the recycle bin for good: every trash copy of
    /// it and its deleted row. A live entity of the same id is untouched.
    ///
    /// # Errors
    /// [`EntityError::NotFound`] when the bin holds neither a copy nor a row.
    pub async fn purge(&self, tenant: &TenantId, entity_type: &str, id: &str) -> EntityResult<()> {
        let (kind, id) = parse_key(entity_type, id)?;
        let vault = self.vault(tenant)?;
        let _write = self.entity_write_lock(tenant, &kind, &id).await;
        let mut copies = Copies::new();
        copies_of_type(vault.as_ref(), &kind, &mut copies).await?;
        let copies = copies
            .remove(&(kind.clone(), id.clone()))
            .unwrap_or_default();
        for copy in &copies {
            vault.remove_dir(&copy.path).await?;
        }
        match self.index().purge(tenant, &kind, &id).await {
            Ok(()) => Ok(()),
            Err(EntityError::NotFound(_)) if !copies.is_empty() => Ok(()),
            Err(EntityError::NotFound(_)) => Err(not_in_bin(entity_type, id.as_str())),
            Err(err) => Err(err),
        }
    }

    /// Empties the tenant's recycle bin: every trash copy and every deleted
    /// row. Returns how many entities were removed.
    ///
    /// # Errors
    /// The vault or the index fails (what was removed before stays removed).
    pub async fn empty_recycle_bin(&self, tenant: &TenantId) -> EntityResult<u64> {
        let vault = self.vault(tenant)?;
        let _write = self.write_lock().await;
        let (rows, copies) = self.bin_contents(tenant, vault.as_ref()).await?;
        let mut removed: BTreeSet<(EntityType, EntityId)> = BTreeSet::new();
        for (key, list) in copies {
            for copy in &list {
                vault.remove_dir(&copy.path).await?;
            }
            removed.insert(key);
        }
        for row in rows {
            let (kind, id) = (row.entity.entity_type, row.entity.id);
            match self.index().purge(tenant, &kind, &id).await {
                Ok(()) | Err(EntityError::NotFound(_)) => {}
                Err(err) => return Err(err),
            }
            removed.insert((kind, id));
        }
        Ok(removed.len() as u64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entry_names_carry_the_id_and_the_deletion_time() {
        let (id, at) = parse_entry("rex-marshall_2-20261127T100509.123456Z").expect("parses");
        assert_eq!(id.as_str(), "rex-marshall_2");
        assert_eq!(at.to_rfc3339(), "2026-11-27T10:05:09.123456+00:00");
        for bad in [
            "rex",
            "rex-yesterday",
            "-20261127T100509.123456Z",
            "Rex-20261127T100509.123456Z",
        ] {
            assert_eq!(parse_entry(bad), None, "{bad}");
        }
    }
}
