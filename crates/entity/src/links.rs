//! Links between entities: what one entity's file says about others.
//!
//! Extracted whenever a file is read ([`extract`]), from three places:
//! - reference fields: the fields whose template `field_config` names a
//!   `reference_type`, in every shape [`crate::validate::referenced_ids`]
//!   accepts (a string, a list of strings, maps such as
//!   `family: [{relation: parent, character_id: ana}]`);
//! - wikilinks in the body: `[[id]]`, `[[Type:id]]`, with an optional
//!   `#heading` and `|label`;
//! - Markdown links to other entity files: `[text](../Characters/ana/CH_ana.md)`.
//!
//! The index stores them as edges ([`LinkIndex`]) in the same write as the
//! entity row, so the graph is never a second source of truth.

use crate::error::EntityResult;
use crate::ids::{EntityId, EntityType};
use crate::template::Template;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde_json::{Map, Value};
use std::ops::Range;
use studiobrain_kernel::TenantId;

/// Where a link was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LinkOrigin {
    /// A reference field of the frontmatter.
    Field,
    /// A `[[wikilink]]` in the body.
    Wikilink,
    /// A Markdown link to another entity's file.
    MarkdownLink,
}

impl LinkOrigin {
    /// The name stored in the index.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Field => "field",
            Self::Wikilink => "wikilink",
            Self::MarkdownLink => "markdown_link",
        }
    }

    /// The origin a stored name stands for.
    pub fn parse(name: &str) -> Option<Self> {
        match name {
            "field" => Some(Self::Field),
            "wikilink" => Some(Self::Wikilink),
            "markdown_link" => Some(Self::MarkdownLink),
            _ => None,
        }
    }
}

/// One link from an entity to another (which may not exist: a dangling
/// reference is still a link).
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub struct Link {
    /// Type of the target; `None` when the link names only an id (an
    /// untyped wikilink or a file link): readers resolve it by id.
    pub target_type: Option<EntityType>,
    /// Id of the target, as written (trimmed).
    pub target_id: String,
    /// The frontmatter field holding it; empty for links in the body.
    pub field: String,
    /// The relationship: the label of a nested item (`relation`,
    /// `relationship`, `relationship_type`, `type` or `role`), else the
    /// field's only allowed relationship type, else the field name; for a
    /// wikilink its `|label`; `None` otherwise.
    pub label: Option<String>,
    /// Where it was found.
    pub origin: LinkOrigin,
}

/// Keys of a nested reference item that name the relationship.
const LABEL_KEYS: [&str; 5] = [
    "relation",
    "relationship",
    "relationship_type",
    "type",
    "role",
];

/// Every link in an entity of `template`'s type, in file order (reference
/// fields in template order, then the body), without duplicates.
pub fn extract(template: &Template, fields: &Map<String, Value>, body: &str) -> Vec<Link> {
    let mut links = Vec::new();
    for spec in &template.fields {
        let Some(reference_type) = &spec.config.reference_type else {
            continue;
        };
        let Some(value) = fields.get(&spec.name) else {
            continue;
        };
        let fallback = match spec.config.relationship_types.as_slice() {
            [only] => only.clone(),
            _ => spec.name.clone(),
        };
        let items: &[Value] = match value {
            Value::Array(items) => items,
            other => std::slice::from_ref(other),
        };
        for item in items {
            let Some(target_id) = crate::validate::referenced_ids(item, reference_type)
                .into_iter()
                .next()
            else {
                continue;
            };
            let label = item
                .as_object()
                .and_then(|map| {
                    LABEL_KEYS
                        .iter()
                        .find_map(|key| map.get(*key).and_then(Value::as_str))
                })
                .filter(|label| !label.trim().is_empty())
                .map_or_else(|| fallback.clone(), |label| label.trim().to_owned());
            links.push(Link {
                target_type: Some(reference_type.clone()),
                target_id,
                field: spec.name.clone(),
                label: Some(label),
                origin: LinkOrigin::Field,
            });
        }
    }
    for span in wikilinks(body) {
        let link = WikiLink::parse(&body[span]);
        if link.id.is_empty() {
            continue;
        }
        links.push(Link {
            target_type: link
                .kind
                .and_then(|kind| EntityType::parse(&kind.trim().to_ascii_lowercase()).ok()),
            target_id: link.id.to_owned(),
            field: String::new(),
            label: link
                .label
                .map(str::trim)
                .filter(|l| !l.is_empty())
                .map(str::to_owned),
            origin: LinkOrigin::Wikilink,
        });
    }
    for target in markdown_file_links(body) {
        if let Some(target_id) = id_of_file_link(target) {
            links.push(Link {
                target_type: None,
                target_id,
                field: String::new(),
                label: None,
                origin: LinkOrigin::MarkdownLink,
            });
        }
    }
    let mut seen = std::collections::HashSet::new();
    links.retain(|link| seen.insert(link.clone()));
    links
}

/// The parts of a wikilink's inside (between `[[` and `]]`):
/// `kind:id#anchor|label`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WikiLink<'a> {
    /// The type before `:`, as written.
    pub kind: Option<&'a str>,
    /// The id, trimmed.
    pub id: &'a str,
    /// Where [`Self::id`] is in the inside.
    pub id_span: Range<usize>,
    /// The heading after `#`.
    pub anchor: Option<&'a str>,
    /// The label after `|`.
    pub label: Option<&'a str>,
}

impl<'a> WikiLink<'a> {
    /// Splits the inside of a wikilink.
    pub fn parse(inner: &'a str) -> Self {
        let (target, label) = match inner.split_once('|') {
            Some((target, label)) => (target, Some(label)),
            None => (inner, None),
        };
        let (target, anchor) = match target.split_once('#') {
            Some((target, anchor)) => (target, Some(anchor)),
            None => (target, None),
        };
        let (kind, id_start) = match target.find(':') {
            Some(colon) => (Some(&target[..colon]), colon + 1),
            None => (None, 0),
        };
        let raw = &target[id_start..];
        let start = id_start + (raw.len() - raw.trim_start().len());
        let id = raw.trim();
        Self {
            kind,
            id,
            id_span: start..start + id.len(),
            anchor,
            label,
        }
    }
}

/// The byte ranges of the insides of the wikilinks of `body` (between `[[`
/// and `]]`, on one line, not nested), in order.
pub fn wikilinks(body: &str) -> impl Iterator<Item = Range<usize>> + '_ {
    let mut from = 0;
    std::iter::from_fn(move || {
        loop {
            let start = from + body.get(from..)?.find("[[")? + 2;
            let Some(len) = body[start..].find("]]") else {
                from = body.len();
                return None;
            };
            let inner = &body[start..start + len];
            if inner.contains("[[") || inner.contains('\n') {
                from = start;
                continue;
            }
            from = start + len + 2;
            return Some(start..start + len);
        }
    })
}

/// The targets of the Markdown links of `body` that end in `.md` and are
/// not web addresses.
fn markdown_file_links(body: &str) -> impl Iterator<Item = &str> {
    body.match_indices("](").filter_map(|(at, _)| {
        let rest = &body[at + 2..];
        let end = rest.find([')', '\n'])?;
        let target = rest[..end].trim().trim_matches(['<', '>']);
        let target = target.split_once(' ').map_or(target, |(t, _)| t);
        let path = target.split_once('#').map_or(target, |(p, _)| p);
        (path.ends_with(".md") && !path.contains("://")).then_some(path)
    })
}

/// The entity id a link to an entity file names: the folder of
/// `<folder>/<id>/<prefix><id>.md`, else the file name without a
/// `PREFIX_` of capitals (the flat `<folder>/<prefix><id>.md`).
fn id_of_file_link(path: &str) -> Option<String> {
    let path = path.replace("%20", " ");
    let mut parts = path.rsplit('/');
    let stem = parts.next()?.strip_suffix(".md")?;
    if let Some(dir) = parts.next()
        && !dir.is_empty()
        && dir != ".."
        && dir != "."
        && stem.ends_with(dir)
    {
        return Some(dir.to_owned());
    }
    let id = match stem.split_once('_') {
        Some((prefix, id)) if prefix.bytes().all(|b| b.is_ascii_uppercase()) => id,
        _ => stem,
    };
    EntityId::parse(id).ok().map(|id| id.to_string())
}

/// An edge of the universe graph: a [`Link`] with its source.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Edge {
    /// Type of the entity holding the link.
    pub source_type: EntityType,
    /// Id of the entity holding the link.
    pub source_id: EntityId,
    /// The link.
    pub link: Link,
}

/// What the graph shows of an entity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Node {
    /// Type.
    pub entity_type: EntityType,
    /// Id.
    pub id: EntityId,
    /// Display name.
    pub name: String,
    /// Status.
    pub status: String,
    /// Last changed.
    pub updated_at: DateTime<Utc>,
}

impl From<&crate::Entity> for Node {
    fn from(entity: &crate::Entity) -> Self {
        Self {
            entity_type: entity.entity_type.clone(),
            id: entity.id.clone(),
            name: entity.name.clone(),
            status: entity.status.clone(),
            updated_at: entity.updated_at,
        }
    }
}

/// A live entity with the links its file holds: a piece of the graph read
/// in one go.
#[derive(Debug, Clone, PartialEq)]
pub struct LinkedNode {
    /// The entity.
    pub node: Node,
    /// Its links, in file order.
    pub links: Vec<Link>,
}

impl LinkedNode {
    /// Its links as edges.
    pub fn edges(&self) -> impl Iterator<Item = Edge> + '_ {
        self.links.iter().map(|link| Edge {
            source_type: self.node.entity_type.clone(),
            source_id: self.node.id.clone(),
            link: link.clone(),
        })
    }
}

/// One step out from some entities, read at once: the links they hold,
/// the links naming them, and the live entities at the links' ends.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Step {
    /// The links the entities stepped from hold.
    pub outgoing: Vec<Edge>,
    /// The links naming them (by type and id, or untyped by id).
    pub incoming: Vec<Edge>,
    /// The live entities whose id is at either end of a link, of any type.
    pub nodes: Vec<Node>,
}

impl Step {
    /// The ids at either end of `edges`, sorted, each once.
    pub fn end_ids<'a>(edges: impl IntoIterator<Item = &'a Edge>) -> Vec<String> {
        let mut ids: Vec<String> = edges
            .into_iter()
            .flat_map(|e| [e.source_id.to_string(), e.link.target_id.clone()])
            .collect();
        ids.sort_unstable();
        ids.dedup();
        ids
    }
}

/// Which live entities a node query returns.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NodeFilter {
    /// Only these types (all when empty).
    pub types: Vec<EntityType>,
    /// Only this status.
    pub status: Option<String>,
}

/// The stored edges of every tenant's entities, answered by source, by
/// target and as a whole. Only live entities' links are kept.
#[cfg_attr(feature = "mock", mockall::automock)]
#[async_trait]
pub trait LinkIndex: Send + Sync {
    /// The links held by the entities `sources`.
    async fn outgoing(
        &self,
        tenant: &TenantId,
        sources: &[(EntityType, EntityId)],
    ) -> EntityResult<Vec<Edge>>;
    /// The links naming any of `targets`: by type and id, or untyped by id.
    async fn incoming(
        &self,
        tenant: &TenantId,
        targets: &[(EntityType, EntityId)],
    ) -> EntityResult<Vec<Edge>>;
    /// One step of a walk from `keys` (see [`Step`]), in one read.
    async fn step(&self, tenant: &TenantId, keys: &[(EntityType, EntityId)]) -> EntityResult<Step>;
    /// The live entities `filter` selects, by type then id, each with its
    /// links: every edge between them in one read.
    async fn linked_nodes(
        &self,
        tenant: &TenantId,
        filter: &NodeFilter,
    ) -> EntityResult<Vec<LinkedNode>>;
    /// The live entities `filter` selects, by type then id.
    async fn nodes(&self, tenant: &TenantId, filter: &NodeFilter) -> EntityResult<Vec<Node>>;
    /// The live entities whose id is one of `ids`, of any type.
    async fn nodes_with_ids(&self, tenant: &TenantId, ids: &[String]) -> EntityResult<Vec<Node>>;
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::template::TemplateLayer;

    fn template() -> Template {
        let text = "---\nentity_type: character\nfolder_name: Characters\nfile_prefix: CH_\nfield_config:\n  faction:\n    widget: entity-selector\n    reference_type: faction\n  family:\n    widget: entity-selector\n    reference_type: character\n    relationship_types:\n      - { value: parent, label: Parent }\n      - { value: child, label: Child }\n  mentor:\n    widget: entity-selector\n    reference_type: character\n    relationship_types: [mentor]\nid: \"\"\nfaction: \"\"\nfamily: []\nmentor: \"\"\n---\n";
        Template::parse("CHARACTER_TEMPLATE.md", text, TemplateLayer::Standard).expect("valid")
    }

    fn fields(yaml: serde_json::Value) -> Map<String, Value> {
        yaml.as_object().cloned().expect("object")
    }

    #[test]
    fn reference_fields_give_labelled_links_in_every_shape() {
        let fields = fields(serde_json::json!({
            "faction": "iron_hand",
            "family": [{"relation": "parent", "character_id": "ana"}, "bo", {"id": "cy"}, ""],
            "mentor": "dee",
            "unrelated": "zed"
        }));
        let links = extract(&template(), &fields, "");
        let summary: Vec<_> = links
            .iter()
            .map(|l| {
                (
                    l.target_type.as_ref().map(EntityType::as_str),
                    l.target_id.as_str(),
                    l.field.as_str(),
                    l.label.as_deref(),
                )
            })
            .collect();
        assert_eq!(
            summary,
            [
                (Some("faction"), "iron_hand", "faction", Some("faction")),
                (Some("character"), "ana", "family", Some("parent")),
                (Some("character"), "bo", "family", Some("family")),
                (Some("character"), "cy", "family", Some("family")),
                (Some("character"), "dee", "mentor", Some("mentor")),
            ]
        );
        assert!(links.iter().all(|l| l.origin == LinkOrigin::Field));
    }

    #[test]
    fn body_wikilinks_and_file_links_are_links() {
        let body = "Met [[Character:ana|her sister]] at [[old_mill#Cellar]].\n\
                    See [the guild](../../Factions/iron_hand/FA_iron_hand.md), \
                    [flat](Items/IT_lamp.md) and [web](https://x.org/a.md). [[broken\n]] [[ ]]\n\
                    Again [[Character:ana|her sister]].";
        let links = extract(&template(), &Map::new(), body);
        let summary: Vec<_> = links
            .iter()
            .map(|l| {
                (
                    l.target_type.as_ref().map(EntityType::as_str),
                    l.target_id.as_str(),
                    l.label.as_deref(),
                    l.origin,
                )
            })
            .collect();
        assert_eq!(
            summary,
            [
                (
                    Some("character"),
                    "ana",
                    Some("her sister"),
                    LinkOrigin::Wikilink
                ),
                (None, "old_mill", None, LinkOrigin::Wikilink),
                (None, "iron_hand", None, LinkOrigin::MarkdownLink),
                (None, "lamp", None, LinkOrigin::MarkdownLink),
            ]
        );
    }

    #[test]
    fn wikilink_spans_skip_broken_and_nested_links() {
        let body = "a [[x]] b [[y\n]] c [[ [[z]] d [[w|l]]";
        let inner: Vec<_> = wikilinks(body).map(|r| &body[r]).collect();
        assert_eq!(inner, ["x", "z", "w|l"]);
        assert_eq!(wikilinks("[[open").count(), 0);
    }

    #[test]
    fn wikilinks_split_into_kind_id_anchor_and_label() {
        let link = WikiLink::parse("Character: ana #Youth|her");
        assert_eq!(link.kind, Some("Character"));
        assert_eq!(link.id, "ana");
        assert_eq!(link.id_span, 11..14);
        assert_eq!(link.anchor, Some("Youth"));
        assert_eq!(link.label, Some("her"));
    }
}
