//! Entities: one Markdown file with YAML frontmatter each, mirrored into
//! the index. File layout: `<folder_name>/<id>/<file_prefix><id>.md`, and the
//! legacy flat `<folder_name>/<file_prefix><id>.md` when reading.

use crate::ids::{EntityId, EntityType};
use crate::links::Link;
use crate::template::Template;
use chrono::{DateTime, Utc};
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

/// An entity as stored: its file's content plus bookkeeping.
#[derive(Debug, Clone, PartialEq)]
pub struct Entity {
    /// Type.
    pub entity_type: EntityType,
    /// Id (also the folder and file name).
    pub id: EntityId,
    /// Display name (the `name` field).
    pub name: String,
    /// Free-text status (the `status` field).
    pub status: String,
    /// Every frontmatter key, in file order.
    pub fields: Map<String, Value>,
    /// The Markdown body.
    pub body: String,
    /// Path of the file, relative to the project root.
    pub path: String,
    /// SHA-256 of the file bytes (hex); sent as `ETag`.
    pub content_hash: String,
    /// Incremented on every change.
    pub revision: i64,
    /// First indexed.
    pub created_at: DateTime<Utc>,
    /// Last changed.
    pub updated_at: DateTime<Utc>,
    /// Why the file could not be parsed, when it could not: the entity is
    /// kept (invalid, with its raw text as the body) rather than dropped.
    pub parse_error: Option<String>,
    /// The links the file makes to other entities ([`crate::links::extract`]).
    pub links: Vec<Link>,
}

impl Entity {
    /// The value of a top-level field, if present.
    pub fn field(&self, name: &str) -> Option<&Value> {
        self.fields.get(name)
    }
}

/// Hex SHA-256 of file bytes.
pub fn content_hash(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// The folder of an entity: `<folder_name>/<id>`.
pub fn entity_dir(template: &Template, id: &EntityId) -> String {
    format!("{}/{id}", template.folder_name)
}

/// The file of an entity: `<folder_name>/<id>/<file_prefix><id>.md`.
pub fn entity_path(template: &Template, id: &EntityId) -> String {
    format!(
        "{}/{id}/{}{id}.md",
        template.folder_name, template.file_prefix
    )
}

/// The legacy flat file of an entity: `<folder_name>/<file_prefix><id>.md`.
pub fn legacy_entity_path(template: &Template, id: &EntityId) -> String {
    format!("{}/{}{id}.md", template.folder_name, template.file_prefix)
}

/// The string value of `key` in a frontmatter map ("" when absent).
pub fn text_field(fields: &Map<String, Value>, key: &str) -> String {
    match fields.get(key) {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Number(n)) => n.to_string(),
        _ => String::new(),
    }
}
