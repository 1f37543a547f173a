//! Graphs of entities: nodes with their degree and edges between them.
//! [`universe`] builds the whole graph of a tenant (capped to the most
//! connected nodes); [`GraphService::neighbourhood`] walks out from one
//! entity breadth-first.
//!
//! [`GraphService::neighbourhood`]: crate::GraphService::neighbourhood

use crate::resolve::{Key, Resolver, key_of};
use std::collections::HashSet;
use studiobrain_entity::links::{Edge, Link, LinkOrigin, LinkedNode, Node};

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

/// An edge between two entities, each named by its [`Key`] or, in a
/// [`Graph`], by its position in [`Graph::nodes`].
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct GraphEdge<End = Key> {
    /// The entity holding the link.
    pub source: End,
    /// The entity it names.
    pub target: End,
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
    /// Edges between the nodes shown, by the nodes' positions.
    pub edges: Vec<GraphEdge<usize>>,
    /// Nodes before the cap.
    pub total_nodes: usize,
    /// Edges before the cap.
    pub total_edges: usize,
    /// Whether nodes were left out by the cap.
    pub truncated: bool,
}

/// A link between two entities a [`Resolver`] knows, by their indices.
#[derive(Debug, Clone, Copy)]
pub struct Wire<'a> {
    /// Index of the entity holding the link.
    pub source: usize,
    /// Index of the entity it names.
    pub target: usize,
    /// The link.
    pub link: &'a Link,
}

impl Wire<'_> {
    /// The edge it is, its ends named `source` and `target`.
    pub fn with_ends<End>(&self, source: End, target: End) -> GraphEdge<End> {
        GraphEdge {
            source,
            target,
            field: self.link.field.clone(),
            label: self.link.label.clone(),
            origin: self.link.origin,
        }
    }
}

/// The links of `links` (each with the index of its source, `None` when
/// unknown) whose both ends `resolver` knows, deduplicated (a link written
/// twice is one edge), in input order.
pub fn wire<'a>(
    resolver: &Resolver,
    links: impl IntoIterator<Item = (Option<usize>, &'a Link)>,
) -> Vec<Wire<'a>> {
    let links = links.into_iter();
    let mut seen = HashSet::with_capacity(links.size_hint().0);
    links
        .filter_map(|(source, link)| {
            let (source, target) = (source?, resolver.target_index(link)?);
            let new = seen.insert((
                source,
                target,
                link.field.as_str(),
                link.label.as_deref(),
                link.origin,
            ));
            new.then_some(Wire {
                source,
                target,
                link,
            })
        })
        .collect()
}

/// The wires of `edges`: see [`wire`].
pub fn wire_edges<'a>(
    resolver: &Resolver,
    edges: impl IntoIterator<Item = &'a Edge>,
) -> Vec<Wire<'a>> {
    wire(
        resolver,
        edges.into_iter().map(|edge| {
            let source = resolver.index_of(&edge.source_type, edge.source_id.as_str());
            (source, &edge.link)
        }),
    )
}

/// The edges of `edges` whose both ends `resolver` knows, deduplicated, in
/// input order.
pub fn resolved_edges<'a>(
    resolver: &Resolver,
    edges: impl IntoIterator<Item = &'a Edge>,
) -> Vec<GraphEdge> {
    wire_edges(resolver, edges)
        .iter()
        .map(|w| w.with_ends(key_of(resolver.at(w.source)), key_of(resolver.at(w.target))))
        .collect()
}

/// The graph of the entities `resolver` knows and `wires` between them,
/// keeping at most `max_nodes` nodes, the closest first (by `depth_of`
/// each index, when walked), then the most connected (ties by type and
/// id), and the edges between the nodes kept.
pub fn assemble(
    resolver: &Resolver,
    wires: &[Wire<'_>],
    depth_of: impl Fn(usize) -> Option<u8>,
    max_nodes: usize,
) -> Graph {
    let count = resolver.len();
    let degree = degrees(count, wires.iter().map(|w| (w.source, w.target)));
    let depth: Vec<Option<u8>> = (0..count).map(depth_of).collect();
    let mut order: Vec<usize> = (0..count).collect();
    order.sort_unstable_by(|&a, &b| {
        let (node_a, node_b) = (resolver.at(a), resolver.at(b));
        depth[a]
            .cmp(&depth[b])
            .then_with(|| degree[b].cmp(&degree[a]))
            .then_with(|| node_a.entity_type.cmp(&node_b.entity_type))
            .then_with(|| node_a.id.cmp(&node_b.id))
    });
    let truncated = count > max_nodes;
    order.truncate(max_nodes);
    // Where each entity kept is shown.
    let mut position = vec![None; count];
    for (at, &i) in order.iter().enumerate() {
        position[i] = Some(at);
    }
    let edges: Vec<GraphEdge<usize>> = wires
        .iter()
        .filter_map(|w| {
            let (source, target) = (position[w.source]?, position[w.target]?);
            Some(w.with_ends(source, target))
        })
        .collect();
    // Once capped, degrees count the edges shown.
    let shown_degree =
        truncated.then(|| degrees(order.len(), edges.iter().map(|e| (e.source, e.target))));
    Graph {
        nodes: order
            .iter()
            .enumerate()
            .map(|(at, &i)| GraphNode {
                node: resolver.at(i).clone(),
                degree: shown_degree.as_ref().map_or(degree[i], |shown| shown[at]),
                depth: depth[i],
            })
            .collect(),
        edges,
        total_nodes: count,
        total_edges: wires.len(),
        truncated,
    }
}

/// How many of `ends` (both ends of each edge) name each of `count` nodes.
fn degrees(count: usize, ends: impl Iterator<Item = (usize, usize)>) -> Vec<usize> {
    let mut degree = vec![0; count];
    for (source, target) in ends {
        degree[source] += 1;
        degree[target] += 1;
    }
    degree
}

/// The universe: the entities of `linked` (each named once, as
/// [`LinkIndex::linked_nodes`] answers) and every link between them,
/// capped to the `max_nodes` most connected.
///
/// [`LinkIndex::linked_nodes`]: studiobrain_entity::links::LinkIndex::linked_nodes
pub fn universe(linked: Vec<LinkedNode>, max_nodes: usize) -> Graph {
    let (nodes, links): (Vec<Node>, Vec<Vec<Link>>) =
        linked.into_iter().map(|l| (l.node, l.links)).unzip();
    // Each entity once: the i-th is the resolver's i-th.
    let resolver = Resolver::new(nodes);
    let wires = wire(
        &resolver,
        links
            .iter()
            .enumerate()
            .flat_map(|(source, links)| links.iter().map(move |link| (Some(source), link))),
    );
    assemble(&resolver, &wires, |_| None, max_nodes)
}

#[cfg(test)]
mod tests {
    use super::*;
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
        let edges = [
            edge("hub", "a"),
            edge("hub", "b"),
            edge("hub", "c"),
            edge("a", "b"),
            edge("a", "b"),
            edge("a", "ghost"),
        ];
        let linked: Vec<LinkedNode> = ["hub", "a", "b", "c", "loner"]
            .map(|id| LinkedNode {
                node: node(id),
                links: edges
                    .iter()
                    .filter(|e| e.source_id.as_str() == id)
                    .map(|e| e.link.clone())
                    .collect(),
            })
            .into();
        let all = universe(linked.clone(), 10);
        assert_eq!(
            (all.total_nodes, all.total_edges, all.truncated),
            (5, 4, false)
        );
        assert_eq!(all.nodes[0].node.id.as_str(), "hub");
        assert_eq!(all.nodes[0].degree, 3);
        assert_eq!(all.nodes[4].node.id.as_str(), "loner");

        let capped = universe(linked, 2);
        assert!(capped.truncated);
        let ids: Vec<_> = capped.nodes.iter().map(|n| n.node.id.as_str()).collect();
        assert_eq!(ids, ["hub", "a"]);
        assert_eq!(capped.edges.len(), 1);
        assert_eq!(capped.nodes[0].degree, 1);
    }
}
