//! Full-text search ([`SearchIndex`]) and links ([`LinkIndex`]) over the
//! rows of [`MemoryEntityIndex`], with the SQL adapters' semantics: every
//! term must match the name, the field text or the body; name, fields and
//! body weigh 10 : 4 : 1; links are those of live entities.

use crate::entities::MemoryEntityIndex;
use async_trait::async_trait;
use studiobrain_entity::links::{Edge, LinkIndex, LinkedNode, Node, NodeFilter, Step};
use studiobrain_entity::search::{
    SearchHit, SearchIndex, SearchPage, SearchRequest, SearchTerms, field_text, snippet, tokens,
};
use studiobrain_entity::{Entity, EntityId, EntityResult, EntityType};
use studiobrain_kernel::TenantId;

/// Weights of matches in the name, the field text and the body.
const WEIGHTS: [f64; 3] = [10.0, 4.0, 1.0];

/// Whether `entity` matches every term of `terms` in its name, fields or body.
pub(crate) fn matches_terms(entity: &Entity, terms: &SearchTerms) -> bool {
    let words: Vec<String> = tokens(&entity.name)
        .chain(tokens(&field_text(&entity.fields)))
        .chain(tokens(&entity.body))
        .collect();
    terms.matches(&words)
}

/// Whether `filter` selects `entity`.
fn selects(filter: &NodeFilter, entity: &Entity) -> bool {
    (filter.types.is_empty() || filter.types.contains(&entity.entity_type))
        && filter.status.as_ref().is_none_or(|s| *s == entity.status)
}

/// The hit of a matching entity: its weighted term count and a snippet of
/// its best part.
fn hit(entity: &Entity, terms: &SearchTerms) -> SearchHit {
    let fields = field_text(&entity.fields);
    let (snippet, counts) = snippet([&entity.name, &fields, &entity.body], terms);
    let score = counts
        .iter()
        .zip(WEIGHTS)
        .map(|(count, weight)| weight * *count as f64)
        .sum();
    SearchHit {
        entity_type: entity.entity_type.clone(),
        id: entity.id.clone(),
        name: entity.name.clone(),
        status: entity.status.clone(),
        updated_at: entity.updated_at,
        score,
        snippet,
    }
}

impl MemoryEntityIndex {
    /// The live entities of `tenant`.
    fn live(&self, tenant: &TenantId) -> Vec<Entity> {
        self.rows()
            .iter()
            .filter(|((t, _, _), (_, deleted))| t == tenant && deleted.is_none())
            .map(|(_, (entity, _))| entity.clone())
            .collect()
    }

    /// The links of the live entities of `tenant` that `keep` accepts.
    fn edges(&self, tenant: &TenantId, keep: impl Fn(&Edge) -> bool) -> Vec<Edge> {
        self.live(tenant)
            .into_iter()
            .flat_map(|entity| {
                entity.links.into_iter().map(move |link| Edge {
                    source_type: entity.entity_type.clone(),
                    source_id: entity.id.clone(),
                    link,
                })
            })
            .filter(keep)
            .collect()
    }
}

#[async_trait]
impl SearchIndex for MemoryEntityIndex {
    async fn search(&self, tenant: &TenantId, request: &SearchRequest) -> EntityResult<SearchPage> {
        let mut hits: Vec<SearchHit> = self
            .live(tenant)
            .iter()
            .filter(|e| selects(&request.filter, e) && matches_terms(e, &request.terms))
            .map(|e| hit(e, &request.terms))
            .collect();
        hits.sort_by(|a, b| {
            b.score
                .total_cmp(&a.score)
                .then_with(|| a.entity_type.cmp(&b.entity_type))
                .then_with(|| a.id.cmp(&b.id))
        });
        let total = hits.len() as u64;
        let hits = hits
            .into_iter()
            .skip(usize::try_from(request.offset).unwrap_or(usize::MAX))
            .take(usize::try_from(request.limit).unwrap_or(usize::MAX))
            .collect();
        Ok(SearchPage { total, hits })
    }

    async fn recent(
        &self,
        tenant: &TenantId,
        filter: &NodeFilter,
        limit: u64,
    ) -> EntityResult<Vec<Node>> {
        let mut nodes: Vec<Node> = self
            .live(tenant)
            .iter()
            .filter(|e| selects(filter, e))
            .map(Node::from)
            .collect();
        nodes.sort_by(|a, b| {
            b.updated_at
                .cmp(&a.updated_at)
                .then_with(|| a.entity_type.cmp(&b.entity_type))
                .then_with(|| a.id.cmp(&b.id))
        });
        nodes.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
        Ok(nodes)
    }
}

#[async_trait]
impl LinkIndex for MemoryEntityIndex {
    async fn outgoing(
        &self,
        tenant: &TenantId,
        sources: &[(EntityType, EntityId)],
    ) -> EntityResult<Vec<Edge>> {
        Ok(self.edges(tenant, |edge| {
            sources
                .iter()
                .any(|(t, id)| *t == edge.source_type && *id == edge.source_id)
        }))
    }

    async fn incoming(
        &self,
        tenant: &TenantId,
        targets: &[(EntityType, EntityId)],
    ) -> EntityResult<Vec<Edge>> {
        Ok(self.edges(tenant, |edge| {
            targets.iter().any(|(t, id)| {
                edge.link.target_id == id.as_str()
                    && edge
                        .link
                        .target_type
                        .as_ref()
                        .is_none_or(|target| target == t)
            })
        }))
    }

    async fn step(&self, tenant: &TenantId, keys: &[(EntityType, EntityId)]) -> EntityResult<Step> {
        let outgoing = self.outgoing(tenant, keys).await?;
        let incoming = self.incoming(tenant, keys).await?;
        let ids = Step::end_ids(outgoing.iter().chain(&incoming));
        Ok(Step {
            nodes: self.nodes_with_ids(tenant, &ids).await?,
            outgoing,
            incoming,
        })
    }

    async fn linked_nodes(
        &self,
        tenant: &TenantId,
        filter: &NodeFilter,
    ) -> EntityResult<Vec<LinkedNode>> {
        Ok(self
            .live(tenant)
            .into_iter()
            .filter(|e| selects(filter, e))
            .map(|entity| LinkedNode {
                node: Node::from(&entity),
                links: entity.links,
            })
            .collect())
    }

    async fn nodes(&self, tenant: &TenantId, filter: &NodeFilter) -> EntityResult<Vec<Node>> {
        Ok(self
            .live(tenant)
            .iter()
            .filter(|e| selects(filter, e))
            .map(Node::from)
            .collect())
    }

    async fn nodes_with_ids(&self, tenant: &TenantId, ids: &[String]) -> EntityResult<Vec<Node>> {
        Ok(self
            .live(tenant)
            .iter()
            .filter(|e| ids.iter().any(|id| id == e.id.as_str()))
            .map(Node::from)
            .collect())
    }
}
