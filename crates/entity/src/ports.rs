//! Ports of the entity domain: the project folder ([`Vault`], one per
//! tenant through [`VaultProvider`]) and the database mirror
//! ([`EntityIndex`]). Paths are relative to the project root with `/`
//! separators; adapters MUST refuse any path that would leave the root.

use crate::entity::Entity;
use crate::error::{EntityError, EntityResult};
use crate::ids::{EntityId, EntityType};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use std::collections::HashSet;
use std::sync::Arc;
use studiobrain_kernel::TenantId;

/// What tells one version of a file from another without reading it: its
/// size and an adapter-defined version (inode, modification and change
/// times on a file system; an ETag on an object store). Equal stamps mean
/// the same content.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct FileStamp {
    /// Size in bytes.
    pub size: u64,
    /// Adapter-defined version.
    pub version: String,
}

/// Computes a file's next content from its current bytes: `Ok(None)`
/// leaves the file as it is; an error leaves it too and is answered.
pub type FileEdit = Box<dyn FnOnce(Vec<u8>) -> EntityResult<Option<Vec<u8>>> + Send>;

/// What [`Vault::edit`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Edited {
    /// There is no file at the path.
    Missing,
    /// The edit left the file as it was.
    Unchanged,
    /// The file now holds `bytes`, stamped as written (see
    /// [`Vault::write_stamped`]).
    Written {
        /// The content written.
        bytes: Vec<u8>,
        /// The file's stamp, when the adapter has one.
        stamp: Option<FileStamp>,
    },
}

/// A project folder.
#[cfg_attr(feature = "mock", mockall::automock)]
#[async_trait]
pub trait Vault: Send + Sync {
    /// The bytes of the file at `path`, or `None` if it does not exist.
    /// MUST return `Invalid` for a path leaving the root (including through
    /// a symlink).
    async fn read(&self, path: &str) -> EntityResult<Option<Vec<u8>>>;
    /// Writes the file atomically (temporary file in the same folder, fsync,
    /// rename, fsync folder), creating parent folders.
    async fn write(&self, path: &str, bytes: &[u8]) -> EntityResult<()>;
    /// [`Self::write`], answering the stamp of the file as written (`None`
    /// when the adapter cannot stamp files). Adapters that stamp SHOULD
    /// take it in the same step as the write.
    async fn write_stamped(&self, path: &str, bytes: &[u8]) -> EntityResult<Option<FileStamp>> {
        self.write(path, bytes).await?;
        self.stamp(path).await
    }
    /// Writes a new file as [`Self::write_stamped`] does, then creates
    /// `folders` as [`Self::create_dirs`] does; when the folders fail, the
    /// file is removed again. MUST answer `AlreadyExists`, touching
    /// nothing, when `path` or one of `taken` (a path the same thing could
    /// be found at) exists. Callers keep other writers of these paths away
    /// meanwhile. Adapters SHOULD do it in one step (by default: one call
    /// for each path and the folders).
    async fn write_new(
        &self,
        path: &str,
        bytes: &[u8],
        taken: &[String],
        folders: &[String],
    ) -> EntityResult<Option<FileStamp>> {
        for candidate in std::iter::once(path).chain(taken.iter().map(String::as_str)) {
            if self.read(candidate).await?.is_some() {
                return Err(EntityError::AlreadyExists(format!("{candidate} exists")));
            }
        }
        let stamp = self.write_stamped(path, bytes).await?;
        if let Err(err) = self.create_dirs(folders).await {
            let _ = self.remove_dir(path).await;
            return Err(err);
        }
        Ok(stamp)
    }
    /// Reads the file at `path`, hands its bytes to `edit`, and writes
    /// what it answers as [`Self::write_stamped`] does. Callers keep other
    /// writers of the file away meanwhile. Adapters SHOULD do it in one
    /// step (by default: [`Self::read`], then [`Self::write_stamped`]).
    async fn edit(&self, path: &str, edit: FileEdit) -> EntityResult<Edited> {
        let Some(bytes) = self.read(path).await? else {
            return Ok(Edited::Missing);
        };
        let Some(bytes) = edit(bytes)? else {
            return Ok(Edited::Unchanged);
        };
        let stamp = self.write_stamped(path, &bytes).await?;
        Ok(Edited::Written { bytes, stamp })
    }
    /// Creates a folder and its parents.
    async fn create_dir(&self, path: &str) -> EntityResult<()>;
    /// Creates each of `paths` with its parents, in order, stopping at the
    /// first failure. Adapters SHOULD create them in one step (by default,
    /// one [`Self::create_dir`] after another).
    async fn create_dirs(&self, paths: &[String]) -> EntityResult<()> {
        for path in paths {
            self.create_dir(path).await?;
        }
        Ok(())
    }
    /// Moves a file or folder. MUST return `AlreadyExists` if `to` exists
    /// and `NotFound` if `from` does not.
    async fn rename(&self, from: &str, to: &str) -> EntityResult<()>;
    /// Deletes a folder and everything in it, or a single file (a legacy
    /// flat entity file in the recycle bin). MUST return `NotFound` if it
    /// does not exist.
    async fn remove_dir(&self, path: &str) -> EntityResult<()>;
    /// Every file under `dir` (recursively) whose name ends with `suffix`,
    /// as paths relative to the root, sorted; empty if `dir` is absent.
    async fn list(&self, dir: &str, suffix: &str) -> EntityResult<Vec<String>>;
    /// The stamp of the file at `path`; `None` when it is absent or the
    /// adapter cannot stamp files (callers then read the file). MUST NOT
    /// read the file's content.
    async fn stamp(&self, path: &str) -> EntityResult<Option<FileStamp>> {
        let _ = path;
        Ok(None)
    }
    /// [`Self::list`] down to files at most `max_depth` folders below
    /// `dir` (0: files directly in it), each with its stamp when the
    /// adapter has one. Deeper folders are not opened.
    async fn list_stamped(
        &self,
        dir: &str,
        suffix: &str,
        max_depth: usize,
    ) -> EntityResult<Vec<(String, Option<FileStamp>)>> {
        let prefix = format!("{}/", dir.trim_end_matches('/'));
        Ok(self
            .list(dir, suffix)
            .await?
            .into_iter()
            .filter(|path| {
                let below = path.strip_prefix(&prefix).unwrap_or(path);
                below.matches('/').count() <= max_depth
            })
            .map(|path| (path, None))
            .collect())
    }
}

/// Hands out the project folder of each tenant.
#[cfg_attr(feature = "mock", mockall::automock)]
pub trait VaultProvider: Send + Sync {
    /// The vault of `tenant` (created and seeded on first use).
    ///
    /// MUST return `Unexpected` if the folder cannot be prepared.
    fn vault(&self, tenant: &TenantId) -> EntityResult<Arc<dyn Vault>>;
}

/// Sort direction.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum SortOrder {
    /// Smallest first.
    Asc,
    /// Largest first.
    #[default]
    Desc,
}

/// A list request.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct EntityQuery {
    /// Type to list.
    pub entity_type: EntityType,
    /// Entities to skip.
    pub offset: u64,
    /// Most entities to return (1 to 200).
    pub limit: u64,
    /// Full-text search ([`crate::search::SearchTerms`]): every word (as a
    /// prefix) and quoted phrase must occur in the name, the fields or the
    /// body; a text without letters or digits filters nothing.
    pub search: Option<String>,
    /// Exact status.
    pub status: Option<String>,
    /// `name`, `status`, `created_at`, `updated_at`, or any top-level field.
    pub sort_by: String,
    /// Direction.
    pub sort_order: SortOrder,
}

/// One page of a list.
#[derive(Debug, Clone, PartialEq)]
pub struct EntityPage {
    /// Matching entities in all pages.
    pub total: u64,
    /// This page.
    pub entities: Vec<Entity>,
}

/// A row of the recycle bin: the entity as last indexed (its `path` is
/// where the file lived, so a restore knows where it goes back) and when it
/// was deleted.
#[derive(Debug, Clone, PartialEq)]
pub struct DeletedEntity {
    /// The entity as it was when deleted.
    pub entity: Entity,
    /// When it was deleted.
    pub deleted_at: DateTime<Utc>,
}

/// What the index knows of one live entity's file: enough to tell whether
/// the file changed, moved or disappeared without loading the entity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndexedFile {
    /// Type.
    pub entity_type: EntityType,
    /// Id.
    pub id: EntityId,
    /// Path of the file, relative to the project root.
    pub path: String,
    /// SHA-256 of the file bytes (hex).
    pub content_hash: String,
    /// Current revision.
    pub revision: i64,
    /// First indexed.
    pub created_at: DateTime<Utc>,
}

/// Entities per type and status (live ones).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusCount {
    /// Type.
    pub entity_type: EntityType,
    /// Status.
    pub status: String,
    /// How many.
    pub count: u64,
}

/// The database mirror of the files of every tenant.
#[cfg_attr(feature = "mock", mockall::automock)]
#[async_trait]
pub trait EntityIndex: Send + Sync {
    /// Inserts or replaces the row of `entity` (and clears its deleted mark).
    async fn upsert(&self, tenant: &TenantId, entity: &Entity) -> EntityResult<()>;
    /// Upserts many rows; adapters SHOULD do it in one transaction (bulk
    /// imports and reindexing). All or nothing.
    async fn upsert_all(&self, tenant: &TenantId, entities: &[Entity]) -> EntityResult<()> {
        for entity in entities {
            self.upsert(tenant, entity).await?;
        }
        Ok(())
    }
    /// Removes the live rows of `keys` (their files are gone), in one
    /// transaction; keys without a live row are skipped. All or nothing.
    async fn remove_all(
        &self,
        tenant: &TenantId,
        keys: &[(EntityType, EntityId)],
    ) -> EntityResult<()>;
    /// The file fingerprint of every live entity of `entity_type` in
    /// `tenant`, by id.
    async fn files(
        &self,
        tenant: &TenantId,
        entity_type: &EntityType,
    ) -> EntityResult<Vec<IndexedFile>>;
    /// Live entities per type and status, by type then status.
    async fn status_counts(&self, tenant: &TenantId) -> EntityResult<Vec<StatusCount>>;
    /// The live (not deleted) entity, if any.
    async fn get(
        &self,
        tenant: &TenantId,
        entity_type: &EntityType,
        id: &EntityId,
    ) -> EntityResult<Option<Entity>>;
    /// Whether a live entity exists.
    async fn exists(
        &self,
        tenant: &TenantId,
        entity_type: &EntityType,
        id: &EntityId,
    ) -> EntityResult<bool>;
    /// Which of `keys` name live entities. Adapters SHOULD answer in one
    /// read (validation checks every reference of an entity at once).
    async fn existing(
        &self,
        tenant: &TenantId,
        keys: &[(EntityType, EntityId)],
    ) -> EntityResult<HashSet<(EntityType, EntityId)>> {
        let mut found = HashSet::new();
        for (entity_type, id) in keys {
            if self.exists(tenant, entity_type, id).await? {
                found.insert((entity_type.clone(), id.clone()));
            }
        }
        Ok(found)
    }
    /// A page of live entities.
    async fn list(&self, tenant: &TenantId, query: &EntityQuery) -> EntityResult<EntityPage>;
    /// Marks an entity deleted (recycle bin). MUST return `NotFound` if no
    /// live entity exists.
    async fn mark_deleted(
        &self,
        tenant: &TenantId,
        entity_type: &EntityType,
        id: &EntityId,
        at: DateTime<Utc>,
    ) -> EntityResult<()>;
    /// Every deleted entity of `tenant` (the recycle bin), most recently
    /// deleted first, then by type and id.
    async fn list_deleted(&self, tenant: &TenantId) -> EntityResult<Vec<DeletedEntity>>;
    /// Removes the row of a deleted entity for good. MUST return `NotFound`
    /// if no deleted row exists (a live row is left alone).
    async fn purge(
        &self,
        tenant: &TenantId,
        entity_type: &EntityType,
        id: &EntityId,
    ) -> EntityResult<()>;
}
