//! Entity domain of StudioBrain: entities are Markdown files with YAML
//! frontmatter in a project folder (the truth) mirrored into an index (a
//! rebuildable cache). Types come from templates; validation reports what
//! breaks the template's rules on every read.
//!
//! Parts: [`ids`], [`template`] and [`registry`] (entity types),
//! [`entity`] (the model and file layout), [`validate`], [`schema`],
//! [`rules`] and [`rulebook`] (project rules, with [`words`] for
//! forbidden terms), [`ports`] ([`ports::Vault`],
//! [`ports::EntityIndex`]) and [`service`] ([`EntityService`]) with its
//! further use cases: [`catalog`] (templates, layouts, schemas), [`trash`]
//! (recycle bin), [`diff`] (compare), [`import`] (raw files, previews,
//! export, id checks), [`links`] (references between entities and the
//! [`links::LinkIndex`] port), [`search`] (the query language and the
//! [`search::SearchIndex`] port), [`rename`] (new ids with every reference rewritten,
//! all or nothing) and [`fix`] (deterministic fixes of common findings).

pub mod audit;
pub mod catalog;
pub mod diff;
pub mod entity;
pub mod error;
pub mod fix;
pub mod ids;
pub mod import;
mod known;
pub mod links;
pub mod locks;
pub mod ports;
mod read_cache;
pub mod registry;
pub mod rename;
pub mod rulebook;
pub mod rules;
pub mod schema;
pub mod search;
pub mod service;
pub mod synced;
pub mod template;
#[cfg(test)]
mod test_vault;
pub mod trash;
pub mod validate;
pub mod words;

pub use entity::Entity;
pub use error::{EntityError, EntityResult};
pub use ids::{EntityId, EntityType};
pub use registry::{TemplateSet, TemplateSource};
pub use service::{EntityChanges, EntityService, EntityView, NewEntity};
pub use template::{Template, TemplateLayer};
