//! Which entity a link names: a typed link names the entity of that type
//! and id; an untyped one (`[[ana]]`, a file link) the entity with that id,
//! the first by type when several types share it.

use std::collections::HashMap;
use studiobrain_entity::links::{Edge, Link, Node};
use studiobrain_entity::{EntityId, EntityType};

/// The key of an entity: its type and id.
pub type Key = (EntityType, EntityId);

/// The key of a node.
pub fn key_of(node: &Node) -> Key {
    (node.entity_type.clone(), node.id.clone())
}

/// The key of an edge's source.
pub fn source_of(edge: &Edge) -> Key {
    (edge.source_type.clone(), edge.source_id.clone())
}

/// Known entities, found by id (and type) without allocating.
#[derive(Debug, Default, Clone)]
pub struct Resolver {
    /// The entities of each id, by type.
    by_id: HashMap<String, Vec<Node>>,
    len: usize,
}

impl Resolver {
    /// A resolver over `nodes`.
    pub fn new(nodes: impl IntoIterator<Item = Node>) -> Self {
        let mut resolver = Self::default();
        resolver.extend(nodes);
        resolver
    }

    /// Adds `nodes` (known ones are replaced).
    pub fn extend(&mut self, nodes: impl IntoIterator<Item = Node>) {
        for node in nodes {
            let same_id = self.by_id.entry(node.id.to_string()).or_default();
            match same_id.binary_search_by(|n| n.entity_type.cmp(&node.entity_type)) {
                Ok(at) => same_id[at] = node,
                Err(at) => {
                    same_id.insert(at, node);
                    self.len += 1;
                }
            }
        }
    }

    /// The known entity of `entity_type` with `id`.
    pub fn find(&self, entity_type: &EntityType, id: &str) -> Option<&Node> {
        self.by_id
            .get(id)?
            .iter()
            .find(|n| n.entity_type == *entity_type)
    }

    /// Whether an entity with `id` (of any type) is known.
    pub fn knows_id(&self, id: &str) -> bool {
        self.by_id.contains_key(id)
    }

    /// The known entity `key`.
    pub fn node(&self, key: &Key) -> Option<&Node> {
        self.find(&key.0, key.1.as_str())
    }

    /// The known entity holding `edge`.
    pub fn source(&self, edge: &Edge) -> Option<&Node> {
        self.find(&edge.source_type, edge.source_id.as_str())
    }

    /// The known entity `link` names, if any.
    pub fn target(&self, link: &Link) -> Option<&Node> {
        match &link.target_type {
            Some(entity_type) => self.find(entity_type, &link.target_id),
            None => self.by_id.get(&link.target_id)?.first(),
        }
    }

    /// The known entities, in no particular order.
    pub fn nodes(&self) -> impl Iterator<Item = &Node> {
        self.by_id.values().flatten()
    }

    /// How many entities are known.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether no entity is known.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use studiobrain_entity::links::LinkOrigin;

    fn node(entity_type: &str, id: &str) -> Node {
        Node {
            entity_type: EntityType::parse(entity_type).expect("type"),
            id: EntityId::parse(id).expect("id"),
            name: id.to_uppercase(),
            status: "active".into(),
            updated_at: chrono::DateTime::UNIX_EPOCH,
        }
    }

    fn link(target_type: Option<&str>, id: &str) -> Link {
        Link {
            target_type: target_type.map(|t| EntityType::parse(t).expect("type")),
            target_id: id.into(),
            field: String::new(),
            label: None,
            origin: LinkOrigin::Wikilink,
        }
    }

    #[test]
    fn typed_links_name_one_type_and_untyped_ones_the_first_type() {
        let resolver = Resolver::new([node("location", "ana"), node("character", "ana")]);
        let found = |l: Link| resolver.target(&l).map(|n| n.entity_type.to_string());
        assert_eq!(
            found(link(Some("location"), "ana")).as_deref(),
            Some("location")
        );
        assert_eq!(found(link(None, "ana")).as_deref(), Some("character"));
        assert_eq!(found(link(Some("faction"), "ana")), None);
        assert_eq!(found(link(None, "Not An Id")), None);
    }
}
