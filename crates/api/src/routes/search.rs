//! Contract section "Search and Relationships" (`/api`): full-text search
//! (one list, or grouped by type), recent changes, one entity's
//! relationships, the universe graph and an entity's neighbourhood.

use crate::error::{ApiError, ApiResult};
use crate::extract::Auth;
use crate::state::AppState;
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, get, web};
use serde::{Deserialize, Serialize};
use studiobrain_auth::Permission;
use studiobrain_entity::links::{Edge, Node, NodeFilter};
use studiobrain_entity::search::SearchHit;
use studiobrain_graph::graph::Graph;
use studiobrain_graph::resolve::Key;
use studiobrain_graph::service::{MAX_DEPTH, RelatedLink};
use studiobrain_kernel::TenantId;
use utoipa::{IntoParams, ToSchema};

/// Largest page of search hits.
const MAX_SEARCH_LIMIT: u64 = 100;
/// Largest group of a grouped search.
const MAX_GROUP_LIMIT: u64 = 50;
/// Largest list of recent changes.
const MAX_RECENT_LIMIT: u64 = 200;
/// Most nodes of a universe graph.
const MAX_UNIVERSE_NODES: usize = 20_000;
/// Most nodes of a neighbourhood.
const MAX_NEIGHBOURHOOD_NODES: usize = 2_000;

/// A 422 for a query parameter out of range.
pub(crate) fn out_of_range(name: &str, max: impl std::fmt::Display) -> ApiError {
    ApiError::new(
        StatusCode::UNPROCESSABLE_ENTITY,
        format!("{name} must be between 1 and {max}"),
    )
}

/// `value` when it is within 1..=`max`, else a 422 naming `name`.
pub(crate) fn within<T: PartialOrd + From<u8> + std::fmt::Display>(
    name: &str,
    value: T,
    max: T,
) -> ApiResult<T> {
    if value < T::from(1) || value > max {
        return Err(out_of_range(name, max));
    }
    Ok(value)
}

/// The type names of a comma-separated list.
fn type_names(types: Option<&str>) -> Vec<String> {
    types
        .unwrap_or_default()
        .split(',')
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(str::to_owned)
        .collect()
}

/// The node filter of `types` (comma-separated) and `status`, with every
/// type checked.
async fn node_filter(
    state: &AppState,
    tenant: &TenantId,
    types: Option<&str>,
    status: Option<String>,
) -> ApiResult<NodeFilter> {
    Ok(NodeFilter {
        types: state.graph.types(tenant, &type_names(types)).await?,
        status: status.filter(|s| !s.is_empty()),
    })
}

/// An entity named in an answer.
#[derive(Debug, Serialize, ToSchema)]
pub struct NodeRef {
    /// Type.
    pub entity_type: String,
    /// Id.
    pub entity_id: String,
    /// Display name.
    pub name: String,
}

impl NodeRef {
    /// The reference of `node`.
    pub fn of(node: &Node) -> Self {
        Self {
            entity_type: node.entity_type.to_string(),
            entity_id: node.id.to_string(),
            name: node.name.clone(),
        }
    }

    /// The reference of `key`, named when `name` knows it.
    pub fn key(key: &Key, name: Option<&String>) -> Self {
        Self {
            entity_type: key.0.to_string(),
            entity_id: key.1.to_string(),
            name: name.cloned().unwrap_or_default(),
        }
    }
}

/// One search hit.
#[derive(Debug, Serialize, ToSchema)]
pub struct SearchHitOut {
    /// Type.
    pub entity_type: String,
    /// Id.
    pub entity_id: String,
    /// Display name.
    pub name: String,
    /// Status.
    pub status: String,
    /// Relevance, higher first (comparable within one search).
    pub score: f64,
    /// The passage around the matches: HTML-escaped text with the matches
    /// in `<mark>`.
    pub snippet: String,
    /// Last change (RFC 3339).
    pub updated_at: String,
}

impl From<SearchHit> for SearchHitOut {
    fn from(hit: SearchHit) -> Self {
        Self {
            entity_type: hit.entity_type.to_string(),
            entity_id: hit.id.to_string(),
            name: hit.name,
            status: hit.status,
            score: hit.score,
            snippet: hit.snippet,
            updated_at: hit.updated_at.to_rfc3339(),
        }
    }
}

/// Query of `GET /api/search`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SearchQuery {
    /// Words (matched as prefixes) and "quoted phrases"; all must match.
    #[serde(alias = "query")]
    pub q: String,
    /// Comma-separated entity types (default: all).
    pub types: Option<String>,
    /// Only this status.
    pub status: Option<String>,
    /// Hits to return (1 to 100, default 20).
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<u64>,
    /// Hits to skip.
    pub offset: Option<u64>,
}

/// A page of search hits, best first.
#[derive(Debug, Serialize, ToSchema)]
pub struct SearchOut {
    /// The query as given.
    pub query: String,
    /// Matching entities in all.
    pub total: u64,
    /// Hits skipped.
    pub offset: u64,
    /// Page size.
    pub limit: u64,
    /// This page.
    pub results: Vec<SearchHitOut>,
}

/// Full-text search across entity types: ranked (name before fields before
/// body), prefix matching, quoted phrases, a highlighted snippet per hit.
#[utoipa::path(tag = "Search and Relationships", params(SearchQuery),
    responses((status = 200, body = SearchOut), (status = 404), (status = 422)), security(("bearer" = [])))]
#[get("/api/search")]
pub async fn search(
    state: web::Data<AppState>,
    auth: Auth,
    q: web::Query<SearchQuery>,
) -> ApiResult<web::Json<SearchOut>> {
    auth.0.require(Permission::EntitiesRead)?;
    let q = q.into_inner();
    let tenant = &auth.0.tenant_id;
    let limit = within("limit", q.limit.unwrap_or(20), MAX_SEARCH_LIMIT)?;
    let offset = q.offset.unwrap_or(0);
    let filter = node_filter(&state, tenant, q.types.as_deref(), q.status).await?;
    let page = state
        .graph
        .search(tenant, &q.q, filter, offset, limit)
        .await?;
    Ok(web::Json(SearchOut {
        query: q.q,
        total: page.total,
        offset,
        limit,
        results: page.hits.into_iter().map(Into::into).collect(),
    }))
}

/// Query of `GET /api/search/all`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SearchAllQuery {
    /// Words (matched as prefixes) and "quoted phrases"; all must match.
    #[serde(alias = "query")]
    pub q: String,
    /// Comma-separated entity types (default: all).
    pub types: Option<String>,
    /// Hits per type (1 to 50, default 5).
    #[param(minimum = 1, maximum = 50)]
    pub limit: Option<u64>,
}

/// The hits of one type.
#[derive(Debug, Serialize, ToSchema)]
pub struct TypeGroupOut {
    /// The type.
    pub entity_type: String,
    /// Its matching entities in all.
    pub total: u64,
    /// The best of them.
    pub results: Vec<SearchHitOut>,
}

/// Search hits grouped by type.
#[derive(Debug, Serialize, ToSchema)]
pub struct SearchAllOut {
    /// The query as given.
    pub query: String,
    /// Matching entities of every type.
    pub total: u64,
    /// Types with hits, by name.
    pub groups: Vec<TypeGroupOut>,
}

/// Full-text search over every entity type, the best hits of each type.
#[utoipa::path(tag = "Search and Relationships", params(SearchAllQuery),
    responses((status = 200, body = SearchAllOut), (status = 404), (status = 422)), security(("bearer" = [])))]
#[get("/api/search/all")]
pub async fn search_all(
    state: web::Data<AppState>,
    auth: Auth,
    q: web::Query<SearchAllQuery>,
) -> ApiResult<web::Json<SearchAllOut>> {
    auth.0.require(Permission::EntitiesRead)?;
    let q = q.into_inner();
    let tenant = &auth.0.tenant_id;
    let per_type = within("limit", q.limit.unwrap_or(5), MAX_GROUP_LIMIT)?;
    let types = state
        .graph
        .types(tenant, &type_names(q.types.as_deref()))
        .await?;
    let groups = state
        .graph
        .search_by_type(tenant, &q.q, types, per_type)
        .await?;
    Ok(web::Json(SearchAllOut {
        query: q.q,
        total: groups.iter().map(|g| g.total).sum(),
        groups: groups
            .into_iter()
            .map(|g| TypeGroupOut {
                entity_type: g.entity_type.to_string(),
                total: g.total,
                results: g.hits.into_iter().map(Into::into).collect(),
            })
            .collect(),
    }))
}

/// Query of `GET /api/recent`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RecentQuery {
    /// Comma-separated entity types (default: all).
    pub types: Option<String>,
    /// Entities to return (1 to 200, default 20).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u64>,
}

/// An entity and when it changed.
#[derive(Debug, Serialize, ToSchema)]
pub struct RecentOut {
    /// Type.
    pub entity_type: String,
    /// Id.
    pub entity_id: String,
    /// Display name.
    pub name: String,
    /// Status.
    pub status: String,
    /// Last change (RFC 3339).
    pub updated_at: String,
}

/// Recently changed entities.
#[derive(Debug, Serialize, ToSchema)]
pub struct RecentListOut {
    /// Most recent first.
    pub entities: Vec<RecentOut>,
}

/// The most recently updated entities of the caller's tenant.
#[utoipa::path(tag = "Search and Relationships", params(RecentQuery),
    responses((status = 200, body = RecentListOut), (status = 404), (status = 422)), security(("bearer" = [])))]
#[get("/api/recent")]
pub async fn recent(
    state: web::Data<AppState>,
    auth: Auth,
    q: web::Query<RecentQuery>,
) -> ApiResult<web::Json<RecentListOut>> {
    auth.0.require(Permission::EntitiesRead)?;
    let q = q.into_inner();
    let tenant = &auth.0.tenant_id;
    let limit = within("limit", q.limit.unwrap_or(20), MAX_RECENT_LIMIT)?;
    let filter = node_filter(&state, tenant, q.types.as_deref(), None).await?;
    let nodes = state.graph.recent(tenant, &filter, limit).await?;
    Ok(web::Json(RecentListOut {
        entities: nodes
            .into_iter()
            .map(|n| RecentOut {
                entity_type: n.entity_type.to_string(),
                entity_id: n.id.to_string(),
                name: n.name,
                status: n.status,
                updated_at: n.updated_at.to_rfc3339(),
            })
            .collect(),
    }))
}

/// One link of an entity.
#[derive(Debug, Serialize, ToSchema)]
pub struct LinkOut {
    /// Type of the entity at the other end, when known.
    pub entity_type: Option<String>,
    /// Id at the other end.
    pub entity_id: String,
    /// Its name; `None` when it does not exist.
    pub name: Option<String>,
    /// The field holding the link (empty in the body).
    pub field: String,
    /// Relationship label.
    pub label: Option<String>,
    /// `field`, `wikilink` or `markdown_link`.
    pub origin: String,
    /// Whether the link names no existing entity.
    pub dangling: bool,
}

impl LinkOut {
    /// An outgoing link: the other end is the target.
    fn outgoing(link: RelatedLink) -> Self {
        let edge = link.edge.link;
        Self {
            entity_type: link
                .other
                .as_ref()
                .map(|n| n.entity_type.to_string())
                .or(edge.target_type.map(|t| t.to_string())),
            entity_id: link
                .other
                .as_ref()
                .map_or(edge.target_id, |n| n.id.to_string()),
            name: link.other.as_ref().map(|n| n.name.clone()),
            field: edge.field,
            label: edge.label,
            origin: edge.origin.as_str().to_owned(),
            dangling: link.other.is_none(),
        }
    }

    /// An incoming link: the other end is the source.
    fn incoming(link: RelatedLink) -> Self {
        let Edge {
            source_type,
            source_id,
            link: edge,
        } = link.edge;
        Self {
            entity_type: Some(source_type.to_string()),
            entity_id: source_id.to_string(),
            name: link.other.map(|n| n.name),
            field: edge.field,
            label: edge.label,
            origin: edge.origin.as_str().to_owned(),
            dangling: false,
        }
    }
}

/// An entity's relationships.
#[derive(Debug, Serialize, ToSchema)]
pub struct RelationshipsOut {
    /// Type.
    pub entity_type: String,
    /// Id.
    pub entity_id: String,
    /// Display name.
    pub name: String,
    /// Its links, dangling ones marked.
    pub outgoing: Vec<LinkOut>,
    /// The links naming it.
    pub incoming: Vec<LinkOut>,
}

/// The outgoing and incoming relationships of an entity.
#[utoipa::path(tag = "Search and Relationships", params(("type" = String, Path), ("id" = String, Path)),
    responses((status = 200, body = RelationshipsOut), (status = 404)), security(("bearer" = [])))]
#[get("/api/relationships/{type}/{id}")]
pub async fn relationships(
    state: web::Data<AppState>,
    auth: Auth,
    path: web::Path<(String, String)>,
) -> ApiResult<web::Json<RelationshipsOut>> {
    auth.0.require(Permission::EntitiesRead)?;
    let (entity_type, id) = path.into_inner();
    let found = state
        .graph
        .relationships(&auth.0.tenant_id, &entity_type, &id)
        .await?;
    Ok(web::Json(RelationshipsOut {
        entity_type: found.node.entity_type.to_string(),
        entity_id: found.node.id.to_string(),
        name: found.node.name,
        outgoing: found.outgoing.into_iter().map(LinkOut::outgoing).collect(),
        incoming: found.incoming.into_iter().map(LinkOut::incoming).collect(),
    }))
}

/// `type/id` of a node, written into the answer from the node.
#[derive(Debug, ToSchema)]
#[schema(value_type = String)]
pub struct NodeKey<'a>(&'a Node);

impl Serialize for NodeKey<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&[self.0.entity_type.as_str(), "/", self.0.id.as_str()].concat())
    }
}

/// A node of a graph.
#[derive(Debug, Serialize, ToSchema)]
pub struct GraphNodeOut<'a> {
    /// `type/id`.
    pub id: NodeKey<'a>,
    /// Type.
    pub entity_type: &'a str,
    /// Id.
    pub entity_id: &'a str,
    /// Display name.
    pub name: &'a str,
    /// Status.
    pub status: &'a str,
    /// Edges shown that touch it.
    pub degree: usize,
    /// Steps from the start (neighbourhoods only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub depth: Option<u8>,
}

/// An edge of a graph.
#[derive(Debug, Serialize, ToSchema)]
pub struct GraphEdgeOut<'a> {
    /// `type/id` of the entity holding the link.
    pub source: NodeKey<'a>,
    /// `type/id` of the entity named.
    pub target: NodeKey<'a>,
    /// The field holding it (empty in the body).
    pub field: &'a str,
    /// Relationship label.
    pub label: Option<&'a str>,
    /// `field`, `wikilink` or `markdown_link`.
    pub origin: &'static str,
}

/// A graph, borrowed from the use case's answer while it is written out.
#[derive(Debug, Serialize, ToSchema)]
pub struct GraphOut<'a> {
    /// Nodes, most connected first (neighbourhoods: closest first).
    pub nodes: Vec<GraphNodeOut<'a>>,
    /// Edges between the nodes shown.
    pub edges: Vec<GraphEdgeOut<'a>>,
    /// Nodes before the cap.
    pub total_nodes: usize,
    /// Edges before the cap.
    pub total_edges: usize,
    /// Whether the cap left nodes out.
    pub truncated: bool,
}

impl<'a> From<&'a Graph> for GraphOut<'a> {
    fn from(g: &'a Graph) -> Self {
        let node = |at: usize| NodeKey(&g.nodes[at].node);
        Self {
            nodes: g
                .nodes
                .iter()
                .map(|n| GraphNodeOut {
                    id: NodeKey(&n.node),
                    entity_type: n.node.entity_type.as_str(),
                    entity_id: n.node.id.as_str(),
                    name: &n.node.name,
                    status: &n.node.status,
                    degree: n.degree,
                    depth: n.depth,
                })
                .collect(),
            edges: g
                .edges
                .iter()
                .map(|e| GraphEdgeOut {
                    source: node(e.source),
                    target: node(e.target),
                    field: &e.field,
                    label: e.label.as_deref(),
                    origin: e.origin.as_str(),
                })
                .collect(),
            total_nodes: g.total_nodes,
            total_edges: g.total_edges,
            truncated: g.truncated,
        }
    }
}

/// The 200 answer of a graph, written straight from it.
fn graph_answer(graph: &Graph) -> HttpResponse {
    HttpResponse::Ok().json(GraphOut::from(graph))
}

/// Query of `GET /api/graph/universe`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct UniverseQuery {
    /// Comma-separated entity types (default: all).
    pub types: Option<String>,
    /// Only this status.
    pub status: Option<String>,
    /// Most nodes, the most connected kept (1 to 20000, default 500).
    #[param(minimum = 1, maximum = 20000)]
    pub max_nodes: Option<usize>,
}

/// The whole relationship graph of the caller's tenant.
#[utoipa::path(tag = "Search and Relationships", params(UniverseQuery),
    responses((status = 200, body = GraphOut), (status = 404), (status = 422)), security(("bearer" = [])))]
#[get("/api/graph/universe")]
pub async fn universe(
    state: web::Data<AppState>,
    auth: Auth,
    q: web::Query<UniverseQuery>,
) -> ApiResult<HttpResponse> {
    auth.0.require(Permission::EntitiesRead)?;
    let q = q.into_inner();
    let tenant = &auth.0.tenant_id;
    let max_nodes = within("max_nodes", q.max_nodes.unwrap_or(500), MAX_UNIVERSE_NODES)?;
    let filter = node_filter(&state, tenant, q.types.as_deref(), q.status).await?;
    let graph = state.graph.universe(tenant, &filter, max_nodes).await?;
    Ok(graph_answer(&graph))
}

/// Query of `GET /api/graph/entity/{type}/{id}`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct NeighbourhoodQuery {
    /// Steps to walk (1 to 3, default 1).
    #[param(minimum = 1, maximum = 3)]
    pub depth: Option<u8>,
    /// Most nodes (1 to 2000, default 200).
    #[param(minimum = 1, maximum = 2000)]
    pub max_nodes: Option<usize>,
}

/// The entities within `depth` links of one entity, both ways.
#[utoipa::path(tag = "Search and Relationships", params(("type" = String, Path), ("id" = String, Path), NeighbourhoodQuery),
    responses((status = 200, body = GraphOut), (status = 404), (status = 422)), security(("bearer" = [])))]
#[get("/api/graph/entity/{type}/{id}")]
pub async fn entity_graph(
    state: web::Data<AppState>,
    auth: Auth,
    path: web::Path<(String, String)>,
    q: web::Query<NeighbourhoodQuery>,
) -> ApiResult<HttpResponse> {
    auth.0.require(Permission::EntitiesRead)?;
    let (entity_type, id) = path.into_inner();
    let depth = within("depth", q.depth.unwrap_or(1), MAX_DEPTH)?;
    let max_nodes = within(
        "max_nodes",
        q.max_nodes.unwrap_or(200),
        MAX_NEIGHBOURHOOD_NODES,
    )?;
    let graph = state
        .graph
        .neighbourhood(&auth.0.tenant_id, &entity_type, &id, depth, max_nodes)
        .await?;
    Ok(graph_answer(&graph))
}
