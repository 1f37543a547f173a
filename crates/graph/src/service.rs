//! [`GraphService`]: the use cases of search, relationships, graphs,
//! cross-references and AI context over one tenant's entities.

use crate::context::{self, Context, Neighbour, Summary, comparable_text, summarize};
use crate::crossref::{self, EdgeFilter, FactionConflict, ReferenceReport, RomanticPair};
use crate::embeddings::{Embeddings, cosine};
use crate::error::GraphResult;
use crate::graph::{Graph, GraphEdge, assemble, resolved_edges, universe, wire_edges};
use crate::inference::{Inferred, infer};
use crate::resolve::{Key, Resolver, key_of, source_of};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;
use studiobrain_entity::links::{Edge, LinkIndex, LinkedNode, Node, NodeFilter, Step};
use studiobrain_entity::search::{SearchHit, SearchIndex, SearchPage, SearchRequest, SearchTerms};
use studiobrain_entity::{Entity, EntityError, EntityService, EntityType};
use studiobrain_kernel::TenantId;

/// Deepest neighbourhood walk.
pub const MAX_DEPTH: u8 = 3;
/// Most entities compared by one semantic search (the most recently
/// changed of the types asked for).
pub const MAX_SEMANTIC_CANDIDATES: u64 = 2_000;

/// One of an entity's links, with the entity at its other end.
#[derive(Debug, Clone, PartialEq)]
pub struct RelatedLink {
    /// The link's stored form.
    pub edge: Edge,
    /// The entity at the other end, when it exists.
    pub other: Option<Node>,
}

/// An entity's links both ways.
#[derive(Debug, Clone, PartialEq)]
pub struct Relationships {
    /// The entity.
    pub node: Node,
    /// Its links; `other` is `None` for a dangling reference.
    pub outgoing: Vec<RelatedLink>,
    /// The links naming it; `other` is the entity holding each.
    pub incoming: Vec<RelatedLink>,
}

/// The hits of one type in a grouped search.
#[derive(Debug, Clone, PartialEq)]
pub struct TypeHits {
    /// The type.
    pub entity_type: EntityType,
    /// Its matching entities in all.
    pub total: u64,
    /// The best of them.
    pub hits: Vec<SearchHit>,
}

/// A cross-reference query's answer: matching links with their ends.
#[derive(Debug, Clone, PartialEq)]
pub struct CrossReference {
    /// The entity holding the link.
    pub source: Node,
    /// The link.
    pub edge: Edge,
    /// The entity named, when it exists.
    pub target: Option<Node>,
}

/// An entity's explicit links and inferred relationships.
#[derive(Debug, Clone, PartialEq)]
pub struct Hybrid {
    /// The entity.
    pub node: Node,
    /// Links from and to it between existing entities.
    pub explicit: Vec<GraphEdge>,
    /// Relationships the links imply, strongest first.
    pub inferred: Vec<Inferred>,
    /// Names of the entities mentioned, by key.
    pub names: HashMap<Key, String>,
}

/// A structured relationship query.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StructuredQuery {
    /// Only relationships of this entity.
    pub focus: Option<Key>,
    /// Only links with these labels or fields (any when empty).
    pub labels: Vec<String>,
    /// Only links between entities of these types (any when empty).
    pub types: Vec<EntityType>,
    /// Whether inferred relationships are included.
    pub include_inferred: bool,
    /// Most relationships of each kind.
    pub limit: usize,
}

/// The answer of a structured query.
#[derive(Debug, Clone, PartialEq)]
pub struct Structured {
    /// Matching explicit links.
    pub explicit: Vec<GraphEdge>,
    /// Matching explicit links in all (before the limit).
    pub explicit_total: usize,
    /// Inferred relationships, when asked for.
    pub inferred: Vec<Inferred>,
    /// How many explicit links each label (else field) has.
    pub by_label: BTreeMap<String, usize>,
    /// Names of the entities mentioned, by key.
    pub names: HashMap<Key, String>,
}

/// An entity similar to another or to a text.
#[derive(Debug, Clone, PartialEq)]
pub struct Similar {
    /// The entity.
    pub node: Node,
    /// Cosine similarity, -1 to 1.
    pub similarity: f32,
}

/// What a semantic search compares with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SemanticSubject {
    /// An entity (left out of the results).
    Entity(Key),
    /// A free text.
    Text(String),
}

/// Context with inferred and semantic neighbours too.
#[derive(Debug, Clone, PartialEq)]
pub struct EnhancedContext {
    /// Linked neighbours, inferred relatives and similar entities, fitted
    /// into the budget in that order.
    pub context: Context,
    /// The inferred relationships considered.
    pub inferred: Vec<Inferred>,
    /// The similar entities considered.
    pub similar: Vec<Similar>,
    /// The embeddings model used.
    pub model: String,
    /// Names of the entities mentioned, by key.
    pub names: HashMap<Key, String>,
}

/// Search, relationships, graphs, cross-references and context.
pub struct GraphService {
    entities: Arc<EntityService>,
    links: Arc<dyn LinkIndex>,
    search: Arc<dyn SearchIndex>,
    embeddings: Arc<dyn Embeddings>,
}

/// How a link is described in context: label and field.
fn relation_of(edge: &Edge, outgoing: bool) -> String {
    let link = &edge.link;
    let what = link
        .label
        .clone()
        .unwrap_or_else(|| link.origin.as_str().to_owned());
    let place = if link.field.is_empty() {
        "body".to_owned()
    } else {
        format!("field {}", link.field)
    };
    let direction = if outgoing { "links to" } else { "linked from" };
    format!("{what} ({direction}, {place})")
}

impl GraphService {
    /// The use cases over `entities`, their stored links and search index,
    /// comparing texts with `embeddings`.
    pub fn new(
        entities: Arc<EntityService>,
        links: Arc<dyn LinkIndex>,
        search: Arc<dyn SearchIndex>,
        embeddings: Arc<dyn Embeddings>,
    ) -> Self {
        Self {
            entities,
            links,
            search,
            embeddings,
        }
    }

    /// The embeddings model in use.
    pub fn embeddings_model(&self) -> String {
        self.embeddings.model()
    }

    /// The types named in `names`, each checked against the tenant's
    /// templates.
    ///
    /// # Errors
    /// [`EntityError::NotFound`] for an unknown type.
    pub async fn types(&self, tenant: &TenantId, names: &[String]) -> GraphResult<Vec<EntityType>> {
        let mut types = Vec::with_capacity(names.len());
        for name in names {
            types.push(
                self.entities
                    .template(tenant, name)
                    .await?
                    .entity_type
                    .clone(),
            );
        }
        Ok(types)
    }

    /// The live entity `entity_type`/`id`.
    ///
    /// # Errors
    /// [`EntityError::NotFound`] for an unknown type or id.
    pub async fn entity(
        &self,
        tenant: &TenantId,
        entity_type: &str,
        id: &str,
    ) -> GraphResult<Entity> {
        Ok(self.entities.get(tenant, entity_type, id).await?.entity)
    }

    /// A page of search hits for `query` (empty when it has no words).
    ///
    /// # Errors
    /// Storage failures.
    pub async fn search(
        &self,
        tenant: &TenantId,
        query: &str,
        filter: NodeFilter,
        offset: u64,
        limit: u64,
    ) -> GraphResult<SearchPage> {
        let request = SearchRequest {
            terms: SearchTerms::parse(query),
            filter,
            offset,
            limit,
        };
        if request.terms.is_empty() {
            return Ok(SearchPage {
                total: 0,
                hits: Vec::new(),
            });
        }
        Ok(self.search.search(tenant, &request).await?)
    }

    /// The best `per_type` hits of each type with any (of `types`, else
    /// every type of the tenant), types by name.
    ///
    /// # Errors
    /// Storage failures.
    pub async fn search_by_type(
        &self,
        tenant: &TenantId,
        query: &str,
        types: Vec<EntityType>,
        per_type: u64,
    ) -> GraphResult<Vec<TypeHits>> {
        let mut types = if types.is_empty() {
            self.entities
                .templates(tenant)
                .await?
                .templates()
                .map(|t| t.entity_type.clone())
                .collect()
        } else {
            types
        };
        types.sort();
        types.dedup();
        let mut groups = Vec::new();
        for entity_type in types {
            let filter = NodeFilter {
                types: vec![entity_type.clone()],
                status: None,
            };
            let page = self.search(tenant, query, filter, 0, per_type).await?;
            if page.total > 0 {
                groups.push(TypeHits {
                    entity_type,
                    total: page.total,
                    hits: page.hits,
                });
            }
        }
        Ok(groups)
    }

    /// The `limit` most recently changed entities `filter` selects.
    ///
    /// # Errors
    /// Storage failures.
    pub async fn recent(
        &self,
        tenant: &TenantId,
        filter: &NodeFilter,
        limit: u64,
    ) -> GraphResult<Vec<Node>> {
        Ok(self.search.recent(tenant, filter, limit).await?)
    }

    /// The entities the ids of `edges`' ends name, for resolving them.
    async fn resolver_for(&self, tenant: &TenantId, edges: &[Edge]) -> GraphResult<Resolver> {
        let ids = Step::end_ids(edges);
        Ok(Resolver::new(
            self.links.nodes_with_ids(tenant, &ids).await?,
        ))
    }

    /// The links of `key` both ways, and a resolver knowing their ends.
    async fn links_of(
        &self,
        tenant: &TenantId,
        key: &Key,
        node: &Node,
    ) -> GraphResult<(Vec<Edge>, Vec<Edge>, Resolver)> {
        let step = self.links.step(tenant, std::slice::from_ref(key)).await?;
        let (outgoing, incoming) = (step.outgoing, step.incoming);
        let mut resolver = Resolver::new(step.nodes);
        resolver.extend([node.clone()]);
        // An untyped link naming the id may mean an entity of another type.
        let incoming = incoming
            .into_iter()
            .filter(|e| resolver.target(&e.link).is_some_and(|n| key_of(n) == *key))
            .collect();
        Ok((outgoing, incoming, resolver))
    }

    /// The links of an entity both ways, with the entities at their ends.
    ///
    /// # Errors
    /// [`EntityError::NotFound`] for an unknown type or id.
    pub async fn relationships(
        &self,
        tenant: &TenantId,
        entity_type: &str,
        id: &str,
    ) -> GraphResult<Relationships> {
        let node = Node::from(&self.entity(tenant, entity_type, id).await?);
        let key = key_of(&node);
        let (outgoing, incoming, resolver) = self.links_of(tenant, &key, &node).await?;
        let outgoing = outgoing
            .into_iter()
            .map(|edge| RelatedLink {
                other: resolver.target(&edge.link).cloned(),
                edge,
            })
            .collect();
        let incoming = incoming
            .into_iter()
            .map(|edge| RelatedLink {
                other: resolver.node(&source_of(&edge)).cloned(),
                edge,
            })
            .collect();
        Ok(Relationships {
            node,
            outgoing,
            incoming,
        })
    }

    /// The universe graph of the entities `filter` selects, capped to the
    /// `max_nodes` most connected.
    ///
    /// # Errors
    /// Storage failures.
    pub async fn universe(
        &self,
        tenant: &TenantId,
        filter: &NodeFilter,
        max_nodes: usize,
    ) -> GraphResult<Graph> {
        let linked = self.links.linked_nodes(tenant, filter).await?;
        Ok(universe(linked, max_nodes))
    }

    /// The entities within `depth` links (1 to [`MAX_DEPTH`]) of an entity,
    /// walked breadth-first both ways, at most `max_nodes` of them (the
    /// closest, then the most connected).
    ///
    /// # Errors
    /// [`EntityError::NotFound`] for an unknown type or id;
    /// [`EntityError::Invalid`] for a depth out of range.
    pub async fn neighbourhood(
        &self,
        tenant: &TenantId,
        entity_type: &str,
        id: &str,
        depth: u8,
        max_nodes: usize,
    ) -> GraphResult<Graph> {
        if !(1..=MAX_DEPTH).contains(&depth) {
            return Err(EntityError::Invalid(format!("depth must be 1 to {MAX_DEPTH}")).into());
        }
        let start = Node::from(&self.entity(tenant, entity_type, id).await?);
        let (resolver, edges, depths) = self.walk(tenant, start, depth, max_nodes).await?;
        Ok(assemble(
            &resolver,
            &wire_edges(&resolver, &edges),
            depth_in(&resolver, &depths),
            max_nodes,
        ))
    }

    /// Walks out from `start` up to `depth` steps or until `max_nodes` are
    /// found: the entities found, the links seen and each entity's depth.
    async fn walk(
        &self,
        tenant: &TenantId,
        start: Node,
        depth: u8,
        max_nodes: usize,
    ) -> GraphResult<(Resolver, Vec<Edge>, HashMap<Key, u8>)> {
        let mut depths = HashMap::from([(key_of(&start), 0)]);
        let mut frontier = vec![key_of(&start)];
        let mut resolver = Resolver::new([start]);
        let mut seen_edges = HashSet::new();
        let mut edges = Vec::new();
        for step in 1..=depth {
            if frontier.is_empty() || depths.len() >= max_nodes {
                break;
            }
            let around = self.links.step(tenant, &frontier).await?;
            resolver.extend(around.nodes);
            let mut found = around.outgoing;
            found.extend(around.incoming);
            let mut next = Vec::new();
            for edge in found {
                let ends = [
                    Some(source_of(&edge)),
                    resolver.target(&edge.link).map(key_of),
                ];
                if !ends.iter().flatten().any(|k| frontier.contains(k)) {
                    continue;
                }
                for end in ends.into_iter().flatten() {
                    if depths.len() < max_nodes
                        && !depths.contains_key(&end)
                        && resolver.node(&end).is_some()
                    {
                        depths.insert(end.clone(), step);
                        next.push(end);
                    }
                }
                if seen_edges.insert(edge.clone()) {
                    edges.push(edge);
                }
            }
            frontier = next;
        }
        let resolver = Resolver::new(
            resolver
                .nodes()
                .filter(|n| depths.contains_key(&key_of(n)))
                .cloned()
                .collect::<Vec<_>>(),
        );
        Ok((resolver, edges, depths))
    }

    /// Every link `filter` selects, with its ends, at most `limit`, and how
    /// many matched in all.
    ///
    /// # Errors
    /// Storage failures.
    pub async fn cross_references(
        &self,
        tenant: &TenantId,
        filter: &EdgeFilter,
        limit: usize,
    ) -> GraphResult<(usize, Vec<CrossReference>)> {
        let (resolver, edges) = match (&filter.source, &filter.target) {
            (None, None) => self.whole(tenant).await?,
            (Some(source), _) => {
                let edges = self
                    .links
                    .outgoing(tenant, std::slice::from_ref(source))
                    .await?;
                (self.resolver_for(tenant, &edges).await?, edges)
            }
            (None, Some(target)) => {
                let edges = self
                    .links
                    .incoming(tenant, std::slice::from_ref(target))
                    .await?;
                (self.resolver_for(tenant, &edges).await?, edges)
            }
        };
        let mut total = 0;
        let mut found = Vec::new();
        for edge in edges {
            let target = resolver.target(&edge.link).cloned();
            let Some(source) = resolver.node(&source_of(&edge)).cloned() else {
                continue;
            };
            if !filter.matches(&edge, target.as_ref().map(key_of).as_ref()) {
                continue;
            }
            total += 1;
            if found.len() < limit {
                found.push(CrossReference {
                    source,
                    edge,
                    target,
                });
            }
        }
        Ok((total, found))
    }

    /// Every link of the tenant and a resolver knowing every entity.
    async fn whole(&self, tenant: &TenantId) -> GraphResult<(Resolver, Vec<Edge>)> {
        let linked = self
            .links
            .linked_nodes(tenant, &NodeFilter::default())
            .await?;
        let edges = linked.iter().flat_map(LinkedNode::edges).collect();
        let resolver = Resolver::new(linked.into_iter().map(|l| l.node));
        Ok((resolver, edges))
    }

    /// The key of an existing entity.
    ///
    /// # Errors
    /// [`EntityError::NotFound`] for an unknown type or id.
    pub async fn key(&self, tenant: &TenantId, entity_type: &str, id: &str) -> GraphResult<Key> {
        let entity = self.entity(tenant, entity_type, id).await?;
        Ok((entity.entity_type, entity.id))
    }

    /// The romantic ties (of `focus` only, when given), mutual first, and
    /// a resolver naming their ends.
    ///
    /// # Errors
    /// Storage failures.
    pub async fn romance(
        &self,
        tenant: &TenantId,
        focus: Option<&Key>,
    ) -> GraphResult<(Vec<RomanticPair>, Resolver)> {
        let (resolver, edges) = self.whole(tenant).await?;
        Ok((crossref::romance(&resolver, &edges, focus), resolver))
    }

    /// The factions in conflict (with `focus` only, when given).
    ///
    /// # Errors
    /// Storage failures.
    pub async fn faction_conflicts(
        &self,
        tenant: &TenantId,
        focus: Option<&Key>,
    ) -> GraphResult<(Vec<FactionConflict>, Resolver)> {
        let (resolver, edges) = self.whole(tenant).await?;
        Ok((
            crossref::faction_conflicts(&resolver, &edges, focus),
            resolver,
        ))
    }

    /// The dangling and one-sided references of an entity.
    ///
    /// # Errors
    /// [`EntityError::NotFound`] for an unknown type or id.
    pub async fn validate_references(
        &self,
        tenant: &TenantId,
        entity_type: &str,
        id: &str,
    ) -> GraphResult<(Node, ReferenceReport)> {
        let node = Node::from(&self.entity(tenant, entity_type, id).await?);
        let key = key_of(&node);
        let (outgoing, incoming, resolver) = self.links_of(tenant, &key, &node).await?;
        let report = crossref::validate(&resolver, &key, &outgoing, &incoming);
        Ok((node, report))
    }

    /// An entity's explicit links and the relationships its links imply.
    ///
    /// # Errors
    /// [`EntityError::NotFound`] for an unknown type or id.
    pub async fn hybrid(
        &self,
        tenant: &TenantId,
        entity_type: &str,
        id: &str,
        limit: usize,
    ) -> GraphResult<Hybrid> {
        let node = Node::from(&self.entity(tenant, entity_type, id).await?);
        let key = key_of(&node);
        let (resolver, edges) = self.whole(tenant).await?;
        let explicit: Vec<GraphEdge> = resolved_edges(&resolver, &edges)
            .into_iter()
            .filter(|e| e.source == key || e.target == key)
            .take(limit)
            .collect();
        let mut inferred = infer(&resolver, &edges, Some(&key));
        inferred.truncate(limit);
        let names = names_of(&resolver, &explicit, &inferred);
        Ok(Hybrid {
            node,
            explicit,
            inferred,
            names,
        })
    }

    /// The explicit (and, when asked, inferred) relationships `query`
    /// selects.
    ///
    /// # Errors
    /// Storage failures.
    pub async fn structured(
        &self,
        tenant: &TenantId,
        query: &StructuredQuery,
    ) -> GraphResult<Structured> {
        let (resolver, edges) = self.whole(tenant).await?;
        let of_types = |key: &Key| query.types.is_empty() || query.types.contains(&key.0);
        let involves = |a: &Key, b: &Key| query.focus.as_ref().is_none_or(|f| f == a || f == b);
        let labelled = |e: &GraphEdge| {
            query.labels.is_empty()
                || query.labels.iter().any(|l| {
                    e.label
                        .as_deref()
                        .is_some_and(|label| label.eq_ignore_ascii_case(l))
                        || e.field.eq_ignore_ascii_case(l)
                })
        };
        let matching: Vec<GraphEdge> = resolved_edges(&resolver, &edges)
            .into_iter()
            .filter(|e| {
                involves(&e.source, &e.target)
                    && of_types(&e.source)
                    && of_types(&e.target)
                    && labelled(e)
            })
            .collect();
        let mut by_label = BTreeMap::new();
        for edge in &matching {
            let label = edge.label.clone().unwrap_or_else(|| edge.field.clone());
            *by_label.entry(label).or_insert(0) += 1;
        }
        let explicit_total = matching.len();
        let explicit: Vec<GraphEdge> = matching.into_iter().take(query.limit).collect();
        let inferred: Vec<Inferred> = if query.include_inferred {
            infer(&resolver, &edges, query.focus.as_ref())
                .into_iter()
                .filter(|i| of_types(&i.a) && of_types(&i.b))
                .take(query.limit)
                .collect()
        } else {
            Vec::new()
        };
        let names = names_of(&resolver, &explicit, &inferred);
        Ok(Structured {
            explicit,
            explicit_total,
            inferred,
            by_label,
            names,
        })
    }

    /// Summaries of `keys`, skipping entities gone meanwhile.
    async fn summaries(
        &self,
        tenant: &TenantId,
        keys: &[Key],
    ) -> GraphResult<HashMap<Key, Summary>> {
        let mut summaries = HashMap::new();
        for key in keys {
            match self
                .entities
                .get(tenant, key.0.as_str(), key.1.as_str())
                .await
            {
                Ok(view) => {
                    summaries.insert(key.clone(), summarize(&view.entity));
                }
                Err(EntityError::NotFound(_)) => {}
                Err(err) => return Err(err.into()),
            }
        }
        Ok(summaries)
    }

    /// The linked neighbours of `start` within `depth`, closest first
    /// (then most connected), each with how it relates.
    async fn linked_neighbours(
        &self,
        tenant: &TenantId,
        start: &Node,
        depth: u8,
        max: usize,
    ) -> GraphResult<Vec<(Key, String, u8)>> {
        let key = key_of(start);
        let (resolver, edges, depths) = self.walk(tenant, start.clone(), depth, max + 1).await?;
        let graph = assemble(
            &resolver,
            &wire_edges(&resolver, &edges),
            depth_in(&resolver, &depths),
            max + 1,
        );
        let mut relation: HashMap<Key, String> = HashMap::new();
        for edge in &edges {
            let source = source_of(edge);
            let Some(target) = resolver.target(&edge.link).map(key_of) else {
                continue;
            };
            let (other, text) = if source == key {
                (target, relation_of(edge, true))
            } else if target == key {
                (source, relation_of(edge, false))
            } else {
                continue;
            };
            relation
                .entry(other)
                .and_modify(|all| {
                    all.push_str("; ");
                    all.push_str(&text);
                })
                .or_insert(text);
        }
        Ok(graph
            .nodes
            .into_iter()
            .filter(|n| n.depth != Some(0))
            .map(|n| {
                let k = key_of(&n.node);
                let how = relation
                    .remove(&k)
                    .unwrap_or_else(|| "linked through a neighbour".to_owned());
                (k, how, n.depth.unwrap_or(depth))
            })
            .collect())
    }

    /// An entity and its linked neighbours within `depth` (1 or 2), fitted
    /// into `max_tokens`.
    ///
    /// # Errors
    /// [`EntityError::NotFound`] for an unknown type or id.
    pub async fn context(
        &self,
        tenant: &TenantId,
        entity_type: &str,
        id: &str,
        depth: u8,
        max_tokens: usize,
    ) -> GraphResult<Context> {
        let entity = self.entity(tenant, entity_type, id).await?;
        let start = Node::from(&entity);
        let neighbours = self
            .linked_neighbours(tenant, &start, depth, CONTEXT_NEIGHBOURS)
            .await?;
        let keys: Vec<Key> = neighbours.iter().map(|(k, _, _)| k.clone()).collect();
        let mut summaries = self.summaries(tenant, &keys).await?;
        let candidates = neighbours
            .into_iter()
            .filter_map(|(key, relation, depth)| {
                Some(Neighbour {
                    summary: summaries.remove(&key)?,
                    relation,
                    depth,
                })
            })
            .collect();
        Ok(context::assemble(
            summarize(&entity),
            candidates,
            max_tokens,
        ))
    }

    /// The entities most similar to `subject` among the most recently
    /// changed [`MAX_SEMANTIC_CANDIDATES`] of `types` (all when empty), best
    /// first.
    ///
    /// # Errors
    /// [`EntityError::NotFound`] for an unknown subject entity; the
    /// embeddings provider is not configured or fails.
    pub async fn similar(
        &self,
        tenant: &TenantId,
        subject: &SemanticSubject,
        types: Vec<EntityType>,
        limit: usize,
    ) -> GraphResult<Vec<Similar>> {
        let (subject_text, exclude) = match subject {
            SemanticSubject::Entity(key) => {
                let entity = self.entity(tenant, key.0.as_str(), key.1.as_str()).await?;
                (comparable_text(&entity), Some(key.clone()))
            }
            SemanticSubject::Text(text) => (text.clone(), None),
        };
        let filter = NodeFilter {
            types,
            status: None,
        };
        let mut candidates = Vec::new();
        let mut texts = vec![subject_text];
        for node in self
            .search
            .recent(tenant, &filter, MAX_SEMANTIC_CANDIDATES)
            .await?
        {
            if exclude.as_ref() == Some(&key_of(&node)) {
                continue;
            }
            if let Some(entity) = self
                .entities
                .index()
                .get(tenant, &node.entity_type, &node.id)
                .await?
            {
                texts.push(comparable_text(&entity));
                candidates.push(node);
            }
        }
        if candidates.is_empty() {
            return Ok(Vec::new());
        }
        let vectors = self.embeddings.embed(&texts).await?;
        let Some((subject, others)) = vectors.split_first() else {
            return Ok(Vec::new());
        };
        let mut similar: Vec<Similar> = candidates
            .into_iter()
            .zip(others)
            .map(|(node, vector)| Similar {
                similarity: cosine(subject, vector),
                node,
            })
            .filter(|s| s.similarity > 0.0)
            .collect();
        similar.sort_by(|a, b| {
            b.similarity
                .total_cmp(&a.similarity)
                .then_with(|| a.node.entity_type.cmp(&b.node.entity_type))
                .then_with(|| a.node.id.cmp(&b.node.id))
        });
        similar.truncate(limit);
        Ok(similar)
    }

    /// Context of an entity with its linked neighbours, then the entities
    /// its links imply a relationship with, then the most similar ones,
    /// fitted into `max_tokens`.
    ///
    /// # Errors
    /// [`EntityError::NotFound`] for an unknown type or id; the embeddings
    /// provider is not configured or fails.
    pub async fn enhanced_context(
        &self,
        tenant: &TenantId,
        entity_type: &str,
        id: &str,
        max_tokens: usize,
    ) -> GraphResult<EnhancedContext> {
        let entity = self.entity(tenant, entity_type, id).await?;
        let start = Node::from(&entity);
        let key = key_of(&start);
        let mut order: Vec<(Key, String, u8)> = self
            .linked_neighbours(tenant, &start, 1, CONTEXT_NEIGHBOURS)
            .await?;
        let (resolver, edges) = self.whole(tenant).await?;
        let mut inferred = infer(&resolver, &edges, Some(&key));
        inferred.truncate(CONTEXT_NEIGHBOURS);
        for relation in &inferred {
            let why: Vec<String> = relation
                .evidence
                .iter()
                .map(|e| format!("{} {}", e.kind.as_str(), e.via_name))
                .collect();
            order.push((
                relation.b.clone(),
                format!("inferred: {}", why.join("; ")),
                2,
            ));
        }
        let mut similar = self
            .similar(
                tenant,
                &SemanticSubject::Entity(key.clone()),
                Vec::new(),
                SIMILAR_IN_CONTEXT,
            )
            .await?;
        similar.retain(|s| s.node.id != key.1 || s.node.entity_type != key.0);
        for s in &similar {
            order.push((
                key_of(&s.node),
                format!("similar (cosine {:.2})", s.similarity),
                3,
            ));
        }
        let mut seen = HashSet::new();
        order.retain(|(k, _, _)| seen.insert(k.clone()));
        let keys: Vec<Key> = order.iter().map(|(k, _, _)| k.clone()).collect();
        let mut summaries = self.summaries(tenant, &keys).await?;
        let candidates = order
            .into_iter()
            .filter_map(|(key, relation, depth)| {
                Some(Neighbour {
                    summary: summaries.remove(&key)?,
                    relation,
                    depth,
                })
            })
            .collect();
        let names = names_of(&resolver, &[], &inferred);
        Ok(EnhancedContext {
            context: context::assemble(summarize(&entity), candidates, max_tokens),
            inferred,
            similar,
            model: self.embeddings.model(),
            names,
        })
    }
}

/// Most neighbours considered for a context.
const CONTEXT_NEIGHBOURS: usize = 50;
/// Most similar entities considered for an enhanced context.
const SIMILAR_IN_CONTEXT: usize = 5;

/// The depth of each entity of a walk's `resolver`, by index.
fn depth_in<'a>(
    resolver: &'a Resolver,
    depths: &'a HashMap<Key, u8>,
) -> impl Fn(usize) -> Option<u8> + 'a {
    |i| depths.get(&key_of(resolver.at(i))).copied()
}

/// The names `resolver` knows of every entity `explicit` and `inferred`
/// mention: both ends, and the entity each piece of evidence goes through.
fn names_of(
    resolver: &Resolver,
    explicit: &[GraphEdge],
    inferred: &[Inferred],
) -> HashMap<Key, String> {
    let ends = explicit.iter().flat_map(|e| [&e.source, &e.target]);
    let inferred = inferred.iter().flat_map(|i| {
        [&i.a, &i.b]
            .into_iter()
            .chain(i.evidence.iter().map(|e| &e.via))
    });
    ends.chain(inferred)
        .filter_map(|k| Some((k.clone(), resolver.node(k)?.name.clone())))
        .collect()
}
