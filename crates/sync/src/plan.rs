//! The pure part of a reconcile: given the entity files found in the
//! folder and the rows the index holds, what must change. A file that
//! disappeared and one that appeared with the same content hash in the same
//! batch are one entity moving (a rename), so it keeps its history.

use std::collections::{BTreeMap, HashMap};
use studiobrain_entity::ports::IndexedFile;
use studiobrain_entity::{EntityId, EntityType};

/// An entity file found in the folder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FoundFile {
    /// Type (from the template folder it is in).
    pub entity_type: EntityType,
    /// Id (from its file name).
    pub id: EntityId,
    /// Path relative to the project root.
    pub path: String,
    /// SHA-256 of its bytes (hex).
    pub content_hash: String,
}

/// One entity: type and id.
pub type EntityKey = (EntityType, EntityId);

/// What a reconcile does.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Plan {
    /// Files without a row.
    pub created: Vec<FoundFile>,
    /// Files whose content or place differs from their row, with the row.
    pub updated: Vec<(FoundFile, IndexedFile)>,
    /// Rows whose file is gone.
    pub deleted: Vec<IndexedFile>,
    /// Files that are a vanished row's content under a new id.
    pub renamed: Vec<(FoundFile, IndexedFile)>,
}

impl Plan {
    /// Whether nothing changes.
    pub fn is_empty(&self) -> bool {
        self.created.is_empty()
            && self.updated.is_empty()
            && self.deleted.is_empty()
            && self.renamed.is_empty()
    }
}

/// Of two files claiming one entity (both layouts present), the one the
/// row already points to, else the folder layout (the longer path).
fn preferred<'a>(a: &'a FoundFile, b: &'a FoundFile, row: Option<&IndexedFile>) -> &'a FoundFile {
    match row {
        Some(row) if row.path == b.path => b,
        Some(row) if row.path == a.path => a,
        _ if b.path.len() > a.path.len() => b,
        _ => a,
    }
}

/// Compares the files found with the rows of the same entity types.
/// `found` and `indexed` must cover the same types; rows of other types
/// must not be passed (they would be planned as deleted).
pub fn plan(found: Vec<FoundFile>, indexed: Vec<IndexedFile>) -> Plan {
    let rows: BTreeMap<EntityKey, IndexedFile> = indexed
        .into_iter()
        .map(|row| ((row.entity_type.clone(), row.id.clone()), row))
        .collect();
    let mut files: BTreeMap<EntityKey, FoundFile> = BTreeMap::new();
    for file in found {
        let key = (file.entity_type.clone(), file.id.clone());
        let chosen = match files.remove(&key) {
            Some(other) => preferred(&other, &file, rows.get(&key)).clone(),
            None => file,
        };
        files.insert(key, chosen);
    }

    let mut plan = Plan::default();
    let mut new_files = Vec::new();
    for (key, file) in &files {
        match rows.get(key) {
            Some(row) if row.content_hash == file.content_hash && row.path == file.path => {}
            Some(row) => plan.updated.push((file.clone(), row.clone())),
            None => new_files.push(file.clone()),
        }
    }
    // Vanished rows by type and content: candidates for renames.
    let mut vanished: HashMap<(EntityType, String), Vec<IndexedFile>> = HashMap::new();
    for (key, row) in &rows {
        if !files.contains_key(key) {
            vanished
                .entry((row.entity_type.clone(), row.content_hash.clone()))
                .or_default()
                .push(row.clone());
        }
    }
    for file in new_files {
        let moved_from = vanished
            .get_mut(&(file.entity_type.clone(), file.content_hash.clone()))
            .and_then(Vec::pop);
        match moved_from {
            Some(row) => plan.renamed.push((file, row)),
            None => plan.created.push(file),
        }
    }
    let mut deleted: Vec<IndexedFile> = vanished.into_values().flatten().collect();
    deleted.sort_by(|a, b| (&a.entity_type, &a.id).cmp(&(&b.entity_type, &b.id)));
    plan.deleted = deleted;
    plan
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{DateTime, Utc};

    fn key(id: &str) -> (EntityType, EntityId) {
        (
            EntityType::parse("character").expect("type"),
            EntityId::parse(id).expect("id"),
        )
    }

    fn found(id: &str, path: &str, hash: &str) -> FoundFile {
        let (entity_type, id) = key(id);
        FoundFile {
            entity_type,
            id,
            path: path.into(),
            content_hash: hash.into(),
        }
    }

    fn row(id: &str, path: &str, hash: &str) -> IndexedFile {
        let (entity_type, id) = key(id);
        IndexedFile {
            entity_type,
            id,
            path: path.into(),
            content_hash: hash.into(),
            revision: 4,
            created_at: DateTime::<Utc>::UNIX_EPOCH,
        }
    }

    #[test]
    fn an_unchanged_folder_plans_nothing() {
        let plan = plan(
            vec![found("rex", "C/rex/CH_rex.md", "h1")],
            vec![row("rex", "C/rex/CH_rex.md", "h1")],
        );
        assert!(plan.is_empty(), "{plan:?}");
    }

    #[test]
    fn new_changed_and_missing_files_are_created_updated_and_deleted() {
        let plan = plan(
            vec![
                found("new", "C/new/CH_new.md", "n"),
                found("rex", "C/rex/CH_rex.md", "changed"),
            ],
            vec![
                row("rex", "C/rex/CH_rex.md", "h1"),
                row("gone", "C/gone/CH_gone.md", "g"),
            ],
        );
        assert_eq!(plan.created, [found("new", "C/new/CH_new.md", "n")]);
        assert_eq!(plan.updated.len(), 1);
        assert_eq!(plan.updated[0].1.content_hash, "h1");
        assert_eq!(plan.deleted, [row("gone", "C/gone/CH_gone.md", "g")]);
        assert!(plan.renamed.is_empty());
    }

    #[test]
    fn a_vanished_file_reappearing_with_the_same_content_is_a_rename() {
        let plan = plan(
            vec![found("rexford", "C/rexford/CH_rexford.md", "same")],
            vec![row("rex", "C/rex/CH_rex.md", "same")],
        );
        assert!(plan.created.is_empty() && plan.deleted.is_empty());
        assert_eq!(plan.renamed.len(), 1);
        assert_eq!(plan.renamed[0].0.id.as_str(), "rexford");
        assert_eq!(plan.renamed[0].1.id.as_str(), "rex");
    }

    #[test]
    fn a_moved_file_with_the_same_id_is_an_update_of_its_path() {
        let plan = plan(
            vec![found("rex", "C/rex/CH_rex.md", "h")],
            vec![row("rex", "C/CH_rex.md", "h")],
        );
        assert_eq!(plan.updated.len(), 1);
        assert_eq!(plan.updated[0].0.path, "C/rex/CH_rex.md");
    }

    #[test]
    fn with_both_layouts_the_indexed_file_wins_else_the_folder_layout() {
        let both = || {
            vec![
                found("rex", "C/CH_rex.md", "flat"),
                found("rex", "C/rex/CH_rex.md", "nested"),
            ]
        };
        assert!(plan(both(), vec![row("rex", "C/CH_rex.md", "flat")]).is_empty());
        let fresh = plan(both(), Vec::new());
        assert_eq!(fresh.created, [found("rex", "C/rex/CH_rex.md", "nested")]);
    }
}
