//! Graphs of entities: nodes with their degree and edges between them.
//! [`universe`] builds the whole graph of a tenant (capped to the most
//! connected nodes); [`GraphService::neighbourhood`] walks out from one
//! entity breadth-first.
//!
//! [`GraphService::neighbourhood`]: crate::GraphService::neighbourhood

use crate::resolve::{Key, Resolver, key_of};
use std::collections::{HashMap, HashSet};
use studiobrain_entity::links::{Edge, LinkOrigin, Node};

/// A node of a graph.
#[derive(Debug, Clone, PartialEq)]
pub struct GraphNode {
    /// The entity.
    pub node: Node,
    /// Edges of the graph that touch it.
    pub degree: usize,
    /// Steps from the start of a neighbourhood (`None` in the universe).
    pub depth: Option<u8>,
}

/// An edge between two nodes of a graph.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct GraphEdge {
    /// The entity holding the link.
    pub source: Key,
    /// The entity it names.
    pub target: Key,
    /// The field holding it (empty in the body).
    pub field: String,
    /// Its relationship label.
    pub label: Option<String>,
    /// Where it was found.
    pub origin: LinkOrigin,
}

/// A graph, nodes most connected first.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Graph {
    /// Nodes shown.
    pub nodes: Vec<GraphNode>,
    /// Edges between the nodes shown.
    pub edges: Vec<GraphEdge>,
    /// Nodes before the cap.
    pub total_nodes: usize,
    /// Edges before the cap.
    pub total_edges: usize,
    /// Whether nodes were left out by the cap.
    pub truncated: bool,
}

/// The edges of `edges` whose both ends `resolver` knows, deduplicated (a
/// link written twice is one edge), in input order.
pub fn resolved_edges<'a>(
    resolver: &Resolver,
    edges: impl IntoIterator<Item = &'a Edge>,
) -> Vec<GraphEdge> {
    let mut seen = HashSet::new();
    edges
        .into_iter()
        .filter_map(|edge| {
            let (source, target) = (resolver.source(edge)?, resolver.target(&edge.link)?);
            let link = &edge.link;
            let new = seen.insert((
                (&source.entity_type, &source.id),
                (&target.entity_type, &target.id),
                link.field.as_str(),
                link.label.as_deref(),
                link.origin,
            ));
            new.then(|| GraphEdge {
                source: key_of(source),
                target: key_of(target),
                field: link.field.clone(),
                label: link.label.clone(),
                origin: link.origin,
            })
        })
        .collect()
}

/// The graph of `nodes` and `edges` keeping at most `max_nodes` nodes, the
/// most connected first (ties by type and id), and the edges between the
/// nodes kept. `depths` gives each node's depth, when walked.
pub fn assemble(
    resolver: &Resolver,
    edges: Vec<GraphEdge>,
    depths: &HashMap<Key, u8>,
    max_nodes: usize,
) -> Graph {
    let mut degree: HashMap<&Key, usize> = HashMap::new();
    for edge in &edges {
        *degree.entry(&edge.source).or_default() += 1;
        *degree.entry(&edge.target).or_default() += 1;
    }
    let mut nodes: Vec<GraphNode> = resolver
        .nodes()
        .map(|node| {
            let key = key_of(node);
            GraphNode {
                degree: degree.get(&key).copied().unwrap_or_default(),
                depth: depths.get(&key).copied(),
                node: node.clone(),
            }
        })
        .collect();
    nodes.sort_by(|a, b| {
        a.depth
            .cmp(&b.depth)
            .then_with(|| b.degree.cmp(&a.degree))
            .then_with(|| a.node.entity_type.cmp(&b.node.entity_type))
            .then_with(|| a.node.id.cmp(&b.node.id))
    });
    let total_nodes = nodes.len();
    let total_edges = edges.len();
    let truncated = total_nodes > max_nodes;
    nodes.truncate(max_nodes);
    let kept: HashSet<Key> = nodes.iter().map(|n| key_of(&n.node)).collect();
    let edges: Vec<GraphEdge> = edges
        .into_iter()
        .filter(|e| kept.contains(&e.source) && kept.contains(&e.target))
        .collect();
    if truncated {
        // Degrees count the edges shown.
        let mut shown: HashMap<Key, usize> = HashMap::new();
        for edge in &edges {
            *shown.entry(edge.source.clone()).or_default() += 1;
            *shown.entry(edge.target.clone()).or_default() += 1;
        }
        for node in &mut nodes {
            node.degree = shown.get(&key_of(&node.node)).copied().unwrap_or_default();
        }
    }
    Graph {
        nodes,
        edges,
        total_nodes,
        total_edges,
        truncated,
    }
}

/// The universe: every node `resolver` knows and every edge between them,
/// capped to the `max_nodes` most connected.
pub fn universe(resolver: &Resolver, edges: &[Edge], max_nodes: usize) -> Graph {
    let edges = resolved_edges(resolver, edges);
    assemble(resolver, edges, &HashMap::new(), max_nodes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use studiobrain_entity::links::Link;
    use studiobrain_entity::{EntityId, EntityType};

    fn node(id: &str) -> Node {
        Node {
            entity_type: EntityType::parse("character").expect("type"),
            id: EntityId::parse(id).expect("id"),
            name: id.into(),
            status: "active".into(),
            updated_at: chrono::DateTime::UNIX_EPOCH,
        }
    }

    fn edge(from: &str, to: &str) -> Edge {
        Edge {
            source_type: EntityType::parse("character").expect("type"),
            source_id: EntityId::parse(from).expect("id"),
            link: Link {
                target_type: Some(EntityType::parse("character").expect("type")),
                target_id: to.into(),
                field: "friends".into(),
                label: None,
                origin: LinkOrigin::Field,
            },
        }
    }

    #[test]
    fn the_universe_keeps_the_most_connected_nodes_and_their_edges() {
        let resolver = Resolver::new(["hub", "a", "b", "c", "loner"].map(node));
        let edges = [
            edge("hub", "a"),
            edge("hub", "b"),
            edge("hub", "c"),
            edge("a", "b"),
            edge("a", "b"),
            edge("a", "ghost"),
        ];
        let all = universe(&resolver, &edges, 10);
        assert_eq!(
            (all.total_nodes, all.total_edges, all.truncated),
            (5, 4, false)
        );
        assert_eq!(all.nodes[0].node.id.as_str(), "hub");
        assert_eq!(all.nodes[0].degree, 3);
        assert_eq!(all.nodes[4].node.id.as_str(), "loner");

        let capped = universe(&resolver, &edges, 2);
        assert!(capped.truncated);
        let ids: Vec<_> = capped.nodes.iter().map(|n| n.node.id.as_str()).collect();
        assert_eq!(ids, ["hub", "a"]);
        assert_eq!(capped.edges.len(), 1);
        assert_eq!(capped.nodes[0].degree, 1);
    }
}
