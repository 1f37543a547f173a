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

/// Known entities, found by id (and type) without allocating, each also
/// known by its index (the order it was first added in).
#[derive(Debug, Default, Clone)]
pub struct Resolver {
    /// The entities.
    nodes: Vec<Node>,
    /// The types seen, each named by its position here in [`Sharing`].
    types: Vec<EntityType>,
    /// The entities of each id.
    by_id: HashMap<String, Sharing>,
}

/// The entities sharing one id, as (type position, entity index) pairs:
/// the first by type name inline (most ids have one type), the others by
/// type name.
#[derive(Debug, Clone)]
struct Sharing {
    first: (usize, usize),
    others: Vec<(usize, usize)>,
}

impl Sharing {
    /// Every (type position, entity index) pair, the first by type name first.
    fn all(&self) -> impl Iterator<Item = (usize, usize)> + '_ {
        std::iter::once(self.first).chain(self.others.iter().copied())
    }
}

impl Resolver {
    /// A resolver over `nodes`.
    pub fn new(nodes: impl IntoIterator<Item = Node>) -> Self {
        let mut resolver = Self::default();
        resolver.extend(nodes);
        resolver
    }

    /// Adds `nodes` (known ones are replaced in place).
    pub fn extend(&mut self, nodes: impl IntoIterator<Item = Node>) {
        for node in nodes {
            let kind = self.type_position(&node.entity_type).unwrap_or_else(|| {
                self.types.push(node.entity_type.clone());
                self.types.len() - 1
            });
            if let Some(known) = self.index_of(&node.entity_type, node.id.as_str()) {
                self.nodes[known] = node;
                continue;
            }
            let entry = (kind, self.nodes.len());
            match self.by_id.get_mut(node.id.as_str()) {
                None => {
                    self.by_id.insert(
                        node.id.to_string(),
                        Sharing {
                            first: entry,
                            others: Vec::new(),
                        },
                    );
                }
                Some(sharing) => {
                    let mut all: Vec<_> = sharing.all().chain([entry]).collect();
                    all.sort_by(|a, b| self.types[a.0].cmp(&self.types[b.0]));
                    sharing.first = all.remove(0);
                    sharing.others = all;
                }
            }
            self.nodes.push(node);
        }
    }

    /// The position of `entity_type` in `types` (a handful: a scan).
    fn type_position(&self, entity_type: &EntityType) -> Option<usize> {
        self.types.iter().position(|t| t == entity_type)
    }

    /// The index of the known entity of `entity_type` with `id`.
    pub fn index_of(&self, entity_type: &EntityType, id: &str) -> Option<usize> {
        let kind = self.type_position(entity_type)?;
        self.by_id
            .get(id)?
            .all()
            .find_map(|(t, index)| (t == kind).then_some(index))
    }

    /// The index of the known entity `link` names, if any.
    pub fn target_index(&self, link: &Link) -> Option<usize> {
        match &link.target_type {
            Some(entity_type) => self.index_of(entity_type, &link.target_id),
            None => self.by_id.get(&link.target_id).map(|s| s.first.1),
        }
    }

    /// The entity at `index`.
    ///
    /// # Panics
    /// When `index` was not handed out by this resolver.
    pub fn at(&self, index: usize) -> &Node {
        &self.nodes[index]
    }

    /// The known entity of `entity_type` with `id`.
    pub fn find(&self, entity_type: &EntityType, id: &str) -> Option<&Node> {
        self.index_of(entity_type, id).map(|i| self.at(i))
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
        self.target_index(link).map(|i| self.at(i))
    }

    /// The known entities, by index.
    pub fn nodes(&self) -> impl ExactSizeIterator<Item = &Node> {
        self.nodes.iter()
    }

    /// How many entities are known.
    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    /// Whether no entity is known.
    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty()
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

    #[test]
    fn a_known_entity_added_again_is_replaced_where_it_was() {
        let mut resolver = Resolver::new([node("character", "ana"), node("location", "bay")]);
        let mut renamed = node("character", "ana");
        renamed.name = "Ana Reyes".into();
        resolver.extend([renamed, node("faction", "ana")]);
        assert_eq!(resolver.len(), 3);
        let ana = EntityType::parse("character").expect("type");
        assert_eq!(resolver.index_of(&ana, "ana"), Some(0));
        assert_eq!(resolver.at(0).name, "Ana Reyes");
        // Untyped, the first by type name: character before faction.
        assert_eq!(
            resolver.target(&link(None, "ana")).map(|n| n.name.as_str()),
            Some("Ana Reyes")
        );
        let faction = EntityType::parse("faction").expect("type");
        assert_eq!(resolver.index_of(&faction, "ana"), Some(2));
    }
}
