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

/// Known entities by key and by id.
#[derive(Debug, Default, Clone)]
pub struct Resolver {
    by_key: HashMap<Key, Node>,
    by_id: HashMap<String, Key>,
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
            let key = key_of(&node);
            let first = self
                .by_id
                .entry(node.id.to_string())
                .or_insert_with(|| key.clone());
            if key.0 < first.0 {
                *first = key.clone();
            }
            self.by_key.insert(key, node);
        }
    }

    /// The known entity `key`.
    pub fn node(&self, key: &Key) -> Option<&Node> {
        self.by_key.get(key)
    }

    /// The known entity `link` names, if any.
    pub fn target(&self, link: &Link) -> Option<&Node> {
        match &link.target_type {
            Some(entity_type) => {
                let id = EntityId::parse(&link.target_id).ok()?;
                self.by_key.get(&(entity_type.clone(), id))
            }
            None => self
                .by_id
                .get(&link.target_id)
                .and_then(|key| self.by_key.get(key)),
        }
    }

    /// The known entities, in no particular order.
    pub fn nodes(&self) -> impl Iterator<Item = &Node> {
        self.by_key.values()
    }

    /// How many entities are known.
    pub fn len(&self) -> usize {
        self.by_key.len()
    }

    /// Whether no entity is known.
    pub fn is_empty(&self) -> bool {
        self.by_key.is_empty()
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
