//! Contract section "Cross-References and Context" (`/api/entity/...`):
//! link queries, romance, faction conflicts, reference validation,
//! inferred (hybrid and structured) relationships, semantic connections
//! through the embeddings provider, and context blocks for AI prompts.

use crate::body::JsonBody;
use crate::error::{ApiError, ApiResult};
use crate::extract::Auth;
use crate::routes::search::{NodeRef, within};
use crate::state::AppState;
use actix_web::{get, post, web};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};
use studiobrain_auth::Permission;
use studiobrain_entity::links::LinkOrigin;
use studiobrain_graph::context::{Context, Summary};
use studiobrain_graph::crossref::{ConflictReason, EdgeFilter};
use studiobrain_graph::graph::GraphEdge;
use studiobrain_graph::inference::Inferred;
use studiobrain_graph::resolve::{Key, Resolver};
use studiobrain_graph::service::{SemanticSubject, Similar, StructuredQuery};
use studiobrain_kernel::TenantId;
use utoipa::ToSchema;

/// Most links a query or a structured query returns.
const MAX_LINKS: usize = 1_000;
/// Most similar entities returned.
const MAX_SIMILAR: usize = 50;
/// Largest token budget of a context.
const MAX_TOKENS: usize = 32_000;
/// Deepest context walk.
const MAX_CONTEXT_DEPTH: u8 = 2;

/// The key of an existing entity of the caller's tenant.
async fn key_of(
    state: &AppState,
    tenant: &TenantId,
    entity_type: &str,
    id: &str,
) -> ApiResult<Key> {
    Ok(state.graph.key(tenant, entity_type, id).await?)
}

/// The key of the entity an optional type and id pair names; both or
/// neither must be given.
async fn optional_key(
    state: &AppState,
    tenant: &TenantId,
    entity_type: Option<&str>,
    id: Option<&str>,
    what: &str,
) -> ApiResult<Option<Key>> {
    match (entity_type, id) {
        (Some(t), Some(i)) => Ok(Some(key_of(state, tenant, t, i).await?)),
        (None, None) => Ok(None),
        _ => Err(ApiError::bad_request(format!(
            "{what}_type and {what}_id go together"
        ))),
    }
}

/// Request of `POST /api/entity/cross-reference/query`; every given part
/// must match.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CrossReferenceQuery {
    /// Type of the entity holding the links (with `source_id`).
    pub source_type: Option<String>,
    /// Id of the entity holding the links.
    pub source_id: Option<String>,
    /// Type of the entity named (with `target_id`).
    pub target_type: Option<String>,
    /// Id of the entity named.
    pub target_id: Option<String>,
    /// The field holding the link.
    pub field: Option<String>,
    /// Relationship label (case-insensitive).
    pub label: Option<String>,
    /// `field`, `wikilink` or `markdown_link`.
    pub origin: Option<String>,
    /// Most links returned (1 to 1000, default 100).
    #[schema(minimum = 1, maximum = 1000)]
    pub limit: Option<usize>,
}

/// One link with its ends.
#[derive(Debug, Serialize, ToSchema)]
pub struct CrossReferenceOut {
    /// The entity holding it.
    pub source: NodeRef,
    /// The entity named; `None` when dangling.
    pub target: Option<NodeRef>,
    /// The id named.
    pub target_id: String,
    /// The field holding it (empty in the body).
    pub field: String,
    /// Relationship label.
    pub label: Option<String>,
    /// `field`, `wikilink` or `markdown_link`.
    pub origin: String,
    /// Whether it names no existing entity.
    pub dangling: bool,
}

/// Links matching a query.
#[derive(Debug, Serialize, ToSchema)]
pub struct CrossReferencesOut {
    /// Matching links in all.
    pub total: usize,
    /// The first of them.
    pub results: Vec<CrossReferenceOut>,
}

/// Links between entities, filtered by source, target, field, label and
/// origin.
#[utoipa::path(tag = "Cross-References and Context", request_body = CrossReferenceQuery,
    responses((status = 200, body = CrossReferencesOut), (status = 400), (status = 404), (status = 422)), security(("bearer" = [])))]
#[post("/api/entity/cross-reference/query")]
pub async fn query_references(
    state: web::Data<AppState>,
    auth: Auth,
    body: JsonBody<CrossReferenceQuery>,
) -> ApiResult<web::Json<CrossReferencesOut>> {
    auth.0.require(Permission::EntitiesRead)?;
    let q = body.into_inner();
    let tenant = &auth.0.tenant_id;
    let limit = within("limit", q.limit.unwrap_or(100), MAX_LINKS)?;
    let origin = match q.origin.as_deref() {
        None => None,
        Some(name) => Some(LinkOrigin::parse(name).ok_or_else(|| {
            ApiError::bad_request("origin must be field, wikilink or markdown_link")
        })?),
    };
    let filter = EdgeFilter {
        source: optional_key(
            &state,
            tenant,
            q.source_type.as_deref(),
            q.source_id.as_deref(),
            "source",
        )
        .await?,
        target: optional_key(
            &state,
            tenant,
            q.target_type.as_deref(),
            q.target_id.as_deref(),
            "target",
        )
        .await?,
        field: q.field,
        label: q.label,
        origin,
    };
    let (total, found) = state.graph.cross_references(tenant, &filter, limit).await?;
    Ok(web::Json(CrossReferencesOut {
        total,
        results: found
            .into_iter()
            .map(|r| CrossReferenceOut {
                source: NodeRef::of(&r.source),
                dangling: r.target.is_none(),
                target: r.target.as_ref().map(NodeRef::of),
                target_id: r.edge.link.target_id,
                field: r.edge.link.field,
                label: r.edge.link.label,
                origin: r.edge.link.origin.as_str().to_owned(),
            })
            .collect(),
    }))
}

/// An entity named by type and id.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ContextRequest {
    /// Type.
    pub entity_type: String,
    /// Id.
    pub entity_id: String,
    /// Link steps to include (1 or 2, default 1).
    #[schema(minimum = 1, maximum = 2)]
    pub depth: Option<u8>,
    /// Token budget (1 to 32000, default 2000; a token is about four
    /// characters).
    #[schema(minimum = 1, maximum = 32000)]
    pub max_tokens: Option<usize>,
}

/// An entity summed up.
#[derive(Debug, Serialize, ToSchema)]
pub struct SummaryOut {
    /// Type.
    pub entity_type: String,
    /// Id.
    pub entity_id: String,
    /// Display name.
    pub name: String,
    /// Status.
    pub status: String,
    /// Scalar and short list fields, by name (the Markdown block keeps
    /// file order).
    pub facts: BTreeMap<String, String>,
    /// The start of the body's prose.
    pub excerpt: String,
}

impl From<Summary> for SummaryOut {
    fn from(s: Summary) -> Self {
        Self {
            entity_type: s.entity_type,
            entity_id: s.id,
            name: s.name,
            status: s.status,
            facts: s.facts.into_iter().collect(),
            excerpt: s.excerpt,
        }
    }
}

/// A neighbour in a context.
#[derive(Debug, Serialize, ToSchema)]
pub struct NeighbourOut {
    /// Summed up.
    #[serde(flatten)]
    pub summary: SummaryOut,
    /// How it relates.
    pub relation: String,
    /// Steps from the entity (inferred: 2, similar: 3 in enhanced contexts).
    pub depth: u8,
}

/// An entity in context.
#[derive(Debug, Serialize, ToSchema)]
pub struct ContextOut {
    /// The entity.
    pub entity: SummaryOut,
    /// The neighbours that fit, closest first.
    pub neighbours: Vec<NeighbourOut>,
    /// Neighbours left out by the budget.
    pub omitted: usize,
    /// Estimated tokens of `markdown`.
    pub tokens: usize,
    /// The budget.
    pub max_tokens: usize,
    /// The same as one Markdown block for a prompt.
    pub markdown: String,
}

impl From<Context> for ContextOut {
    fn from(c: Context) -> Self {
        Self {
            entity: c.focus.into(),
            neighbours: c
                .neighbours
                .into_iter()
                .map(|n| NeighbourOut {
                    summary: n.summary.into(),
                    relation: n.relation,
                    depth: n.depth,
                })
                .collect(),
            omitted: c.omitted,
            tokens: c.tokens,
            max_tokens: c.max_tokens,
            markdown: c.markdown,
        }
    }
}

/// An entity and its linked neighbours within a token budget.
#[utoipa::path(tag = "Cross-References and Context", request_body = ContextRequest,
    responses((status = 200, body = ContextOut), (status = 400), (status = 404), (status = 422)), security(("bearer" = [])))]
#[post("/api/entity/cross-reference/context")]
pub async fn reference_context(
    state: web::Data<AppState>,
    auth: Auth,
    body: JsonBody<ContextRequest>,
) -> ApiResult<web::Json<ContextOut>> {
    auth.0.require(Permission::EntitiesRead)?;
    let r = body.into_inner();
    let depth = within("depth", r.depth.unwrap_or(1), MAX_CONTEXT_DEPTH)?;
    let max_tokens = within("max_tokens", r.max_tokens.unwrap_or(2_000), MAX_TOKENS)?;
    let context = state
        .graph
        .context(
            &auth.0.tenant_id,
            &r.entity_type,
            &r.entity_id,
            depth,
            max_tokens,
        )
        .await?;
    Ok(web::Json(context.into()))
}

/// Optionally one entity.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FocusRequest {
    /// Type (with `entity_id`).
    pub entity_type: Option<String>,
    /// Id; without it, the whole tenant.
    pub entity_id: Option<String>,
}

/// A romantic tie.
#[derive(Debug, Serialize, ToSchema)]
pub struct RomanceOut {
    /// One (the entity asked about, when one was).
    pub a: NodeRef,
    /// The other.
    pub b: NodeRef,
    /// How `a` names `b` (labels, else fields).
    pub a_to_b: Vec<String>,
    /// How `b` names `a`.
    pub b_to_a: Vec<String>,
    /// Whether both name each other.
    pub reciprocal: bool,
}

/// Romantic ties.
#[derive(Debug, Serialize, ToSchema)]
pub struct RomanceListOut {
    /// Mutual ties first.
    pub pairs: Vec<RomanceOut>,
    /// How many.
    pub total: usize,
}

/// The reference of `key` named by `resolver`.
fn named(resolver: &Resolver, key: &Key) -> NodeRef {
    NodeRef::key(key, resolver.node(key).map(|n| &n.name))
}

/// Romantic relationships (fields and labels such as `romantic`,
/// `partner`, `spouse`, `crush`) and whether they are mutual.
#[utoipa::path(tag = "Cross-References and Context", request_body = FocusRequest,
    responses((status = 200, body = RomanceListOut), (status = 400), (status = 404)), security(("bearer" = [])))]
#[post("/api/entity/cross-reference/romance")]
pub async fn romance(
    state: web::Data<AppState>,
    auth: Auth,
    body: JsonBody<FocusRequest>,
) -> ApiResult<web::Json<RomanceListOut>> {
    auth.0.require(Permission::EntitiesRead)?;
    let tenant = &auth.0.tenant_id;
    let r = body.into_inner();
    let focus = optional_key(
        &state,
        tenant,
        r.entity_type.as_deref(),
        r.entity_id.as_deref(),
        "entity",
    )
    .await?;
    let (pairs, resolver) = state.graph.romance(tenant, focus.as_ref()).await?;
    Ok(web::Json(RomanceListOut {
        total: pairs.len(),
        pairs: pairs
            .into_iter()
            .map(|p| RomanceOut {
                a: named(&resolver, &p.a),
                b: named(&resolver, &p.b),
                a_to_b: p.a_to_b,
                b_to_a: p.b_to_a,
                reciprocal: p.reciprocal,
            })
            .collect(),
    }))
}

/// Request of `POST /api/entity/cross-reference/faction-war`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FactionWarRequest {
    /// Only conflicts of this faction.
    pub faction_id: Option<String>,
}

/// Why two factions are in conflict.
#[derive(Debug, Serialize, ToSchema)]
pub struct ConflictReasonOut {
    /// `declared` (one faction names the other hostile) or `members` (a
    /// member of one is hostile to a member of the other).
    pub kind: String,
    /// The entity whose link says so.
    pub from: NodeRef,
    /// The entity it is hostile to.
    pub to: NodeRef,
    /// The field or label saying so.
    pub how: String,
}

/// Two factions in conflict.
#[derive(Debug, Serialize, ToSchema)]
pub struct ConflictOut {
    /// One faction (the one asked about, when one was).
    pub a: NodeRef,
    /// The other.
    pub b: NodeRef,
    /// Every reason found.
    pub reasons: Vec<ConflictReasonOut>,
}

/// Faction conflicts.
#[derive(Debug, Serialize, ToSchema)]
pub struct FactionWarOut {
    /// Most reasons first.
    pub conflicts: Vec<ConflictOut>,
}

/// Factions in conflict: declared hostility between factions, and
/// hostility between members of different factions.
#[utoipa::path(tag = "Cross-References and Context", request_body = FactionWarRequest,
    responses((status = 200, body = FactionWarOut), (status = 404)), security(("bearer" = [])))]
#[post("/api/entity/cross-reference/faction-war")]
pub async fn faction_war(
    state: web::Data<AppState>,
    auth: Auth,
    body: JsonBody<FactionWarRequest>,
) -> ApiResult<web::Json<FactionWarOut>> {
    auth.0.require(Permission::EntitiesRead)?;
    let tenant = &auth.0.tenant_id;
    let focus = match &body.faction_id {
        Some(id) => Some(key_of(&state, tenant, "faction", id).await?),
        None => None,
    };
    let (conflicts, resolver) = state
        .graph
        .faction_conflicts(tenant, focus.as_ref())
        .await?;
    let reason = |r: ConflictReason| match r {
        ConflictReason::Declared { by, against, how } => ConflictReasonOut {
            kind: "declared".into(),
            from: named(&resolver, &by),
            to: named(&resolver, &against),
            how,
        },
        ConflictReason::Members { from, to, how } => ConflictReasonOut {
            kind: "members".into(),
            from: named(&resolver, &from),
            to: named(&resolver, &to),
            how,
        },
    };
    let conflicts = conflicts
        .into_iter()
        .map(|c| ConflictOut {
            a: named(&resolver, &c.a),
            b: named(&resolver, &c.b),
            reasons: c.reasons.into_iter().map(reason).collect(),
        })
        .collect();
    Ok(web::Json(FactionWarOut { conflicts }))
}

/// A link that names nothing.
#[derive(Debug, Serialize, ToSchema)]
pub struct DanglingOut {
    /// Type named, when the link has one.
    pub target_type: Option<String>,
    /// Id named.
    pub target_id: String,
    /// The field holding it (empty in the body).
    pub field: String,
    /// `field`, `wikilink` or `markdown_link`.
    pub origin: String,
}

/// A reference the other entity does not return.
#[derive(Debug, Serialize, ToSchema)]
pub struct OneSidedOut {
    /// The entity referenced.
    pub target: NodeRef,
    /// The field holding the reference.
    pub field: String,
    /// Relationship label.
    pub label: Option<String>,
}

/// The check of an entity's references.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReferenceCheckOut {
    /// Type.
    pub entity_type: String,
    /// Id.
    pub entity_id: String,
    /// Links checked.
    pub checked: usize,
    /// No dangling references.
    pub valid: bool,
    /// Links naming no entity.
    pub dangling: Vec<DanglingOut>,
    /// Field references the other entity does not link back.
    pub non_reciprocal: Vec<OneSidedOut>,
}

/// Dangling and one-sided references of an entity.
#[utoipa::path(tag = "Cross-References and Context", params(("type" = String, Path), ("id" = String, Path)),
    responses((status = 200, body = ReferenceCheckOut), (status = 404)), security(("bearer" = [])))]
#[get("/api/entity/cross-reference/validate/{type}/{id}")]
pub async fn validate(
    state: web::Data<AppState>,
    auth: Auth,
    path: web::Path<(String, String)>,
) -> ApiResult<web::Json<ReferenceCheckOut>> {
    auth.0.require(Permission::EntitiesRead)?;
    let (entity_type, id) = path.into_inner();
    let (node, report) = state
        .graph
        .validate_references(&auth.0.tenant_id, &entity_type, &id)
        .await?;
    Ok(web::Json(ReferenceCheckOut {
        entity_type: node.entity_type.to_string(),
        entity_id: node.id.to_string(),
        checked: report.checked,
        valid: report.dangling.is_empty(),
        dangling: report
            .dangling
            .into_iter()
            .map(|l| DanglingOut {
                target_type: l.target_type.map(|t| t.to_string()),
                target_id: l.target_id,
                field: l.field,
                origin: l.origin.as_str().to_owned(),
            })
            .collect(),
        non_reciprocal: report
            .non_reciprocal
            .into_iter()
            .map(|(l, target)| OneSidedOut {
                target: NodeRef::key(&target, None),
                field: l.field,
                label: l.label,
            })
            .collect(),
    }))
}

/// An explicit link between two entities.
#[derive(Debug, Serialize, ToSchema)]
pub struct RelationOut {
    /// The entity holding it.
    pub source: NodeRef,
    /// The entity named.
    pub target: NodeRef,
    /// The field holding it (empty in the body).
    pub field: String,
    /// Relationship label.
    pub label: Option<String>,
    /// `field`, `wikilink` or `markdown_link`.
    pub origin: String,
}

/// One piece of evidence.
#[derive(Debug, Serialize, ToSchema)]
pub struct EvidenceOut {
    /// `shared_location`, `shared_faction` or `co_mention`.
    pub kind: String,
    /// The entity both are tied to.
    pub via: NodeRef,
    /// How each is tied to it.
    pub detail: String,
}

/// An inferred relationship.
#[derive(Debug, Serialize, ToSchema)]
pub struct InferredOut {
    /// One end (the entity asked about, when one was).
    pub a: NodeRef,
    /// The other.
    pub b: NodeRef,
    /// 0 to 1.
    pub strength: f64,
    /// Why.
    pub evidence: Vec<EvidenceOut>,
}

/// The answer forms of relations, named from `names`.
fn relations(edges: Vec<GraphEdge>, names: &HashMap<Key, String>) -> Vec<RelationOut> {
    edges
        .into_iter()
        .map(|e| RelationOut {
            source: NodeRef::key(&e.source, names.get(&e.source)),
            target: NodeRef::key(&e.target, names.get(&e.target)),
            field: e.field,
            label: e.label,
            origin: e.origin.as_str().to_owned(),
        })
        .collect()
}

/// The answer forms of inferred relationships, named from `names`.
fn inferred_out(inferred: Vec<Inferred>, names: &HashMap<Key, String>) -> Vec<InferredOut> {
    inferred
        .into_iter()
        .map(|i| InferredOut {
            a: NodeRef::key(&i.a, names.get(&i.a)),
            b: NodeRef::key(&i.b, names.get(&i.b)),
            strength: i.strength,
            evidence: i
                .evidence
                .into_iter()
                .map(|e| EvidenceOut {
                    kind: e.kind.as_str().to_owned(),
                    via: NodeRef::key(&e.via, Some(&e.via_name)),
                    detail: e.detail,
                })
                .collect(),
        })
        .collect()
}

/// Request of `POST /api/entity/hybrid-relationships`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct HybridRequest {
    /// Type.
    pub entity_type: String,
    /// Id.
    pub entity_id: String,
    /// Most relationships of each kind (1 to 1000, default 50).
    #[schema(minimum = 1, maximum = 1000)]
    pub limit: Option<usize>,
}

/// Explicit and inferred relationships of an entity.
#[derive(Debug, Serialize, ToSchema)]
pub struct HybridOut {
    /// The entity.
    pub entity: NodeRef,
    /// Its links both ways.
    pub explicit: Vec<RelationOut>,
    /// Relationships its links imply, strongest first, with evidence.
    pub inferred: Vec<InferredOut>,
}

/// An entity's explicit links plus relationships inferred from shared
/// locations, factions and co-mentions, each with its evidence.
#[utoipa::path(tag = "Cross-References and Context", request_body = HybridRequest,
    responses((status = 200, body = HybridOut), (status = 404), (status = 422)), security(("bearer" = [])))]
#[post("/api/entity/hybrid-relationships")]
pub async fn hybrid_relationships(
    state: web::Data<AppState>,
    auth: Auth,
    body: JsonBody<HybridRequest>,
) -> ApiResult<web::Json<HybridOut>> {
    auth.0.require(Permission::EntitiesRead)?;
    let r = body.into_inner();
    let limit = within("limit", r.limit.unwrap_or(50), MAX_LINKS)?;
    let found = state
        .graph
        .hybrid(&auth.0.tenant_id, &r.entity_type, &r.entity_id, limit)
        .await?;
    Ok(web::Json(HybridOut {
        entity: NodeRef::of(&found.node),
        explicit: relations(found.explicit, &found.names),
        inferred: inferred_out(found.inferred, &found.names),
    }))
}

/// Request of `POST /api/entity/structured-relationships`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StructuredRequest {
    /// Only relationships of this entity (with `entity_id`).
    pub entity_type: Option<String>,
    /// Id of that entity.
    pub entity_id: Option<String>,
    /// Only links with these labels or fields.
    #[serde(default)]
    pub labels: Vec<String>,
    /// Only links between entities of these types.
    #[serde(default)]
    pub types: Vec<String>,
    /// Include inferred relationships.
    #[serde(default)]
    pub include_inferred: bool,
    /// Most relationships of each kind (1 to 1000, default 100).
    #[schema(minimum = 1, maximum = 1000)]
    pub limit: Option<usize>,
}

/// Relationships matching a structured query.
#[derive(Debug, Serialize, ToSchema)]
pub struct StructuredOut {
    /// Matching explicit links in all.
    pub explicit_total: usize,
    /// The first of them.
    pub explicit: Vec<RelationOut>,
    /// Inferred relationships, when asked for, strongest first.
    pub inferred: Vec<InferredOut>,
    /// Matching explicit links per label (else field).
    pub by_label: BTreeMap<String, usize>,
}

/// Relationships by label, type and entity, explicit and optionally
/// inferred (with evidence).
#[utoipa::path(tag = "Cross-References and Context", request_body = StructuredRequest,
    responses((status = 200, body = StructuredOut), (status = 400), (status = 404), (status = 422)), security(("bearer" = [])))]
#[post("/api/entity/structured-relationships")]
pub async fn structured_relationships(
    state: web::Data<AppState>,
    auth: Auth,
    body: JsonBody<StructuredRequest>,
) -> ApiResult<web::Json<StructuredOut>> {
    auth.0.require(Permission::EntitiesRead)?;
    let tenant = &auth.0.tenant_id;
    let r = body.into_inner();
    let query = StructuredQuery {
        focus: optional_key(
            &state,
            tenant,
            r.entity_type.as_deref(),
            r.entity_id.as_deref(),
            "entity",
        )
        .await?,
        labels: r.labels,
        types: state.graph.types(tenant, &r.types).await?,
        include_inferred: r.include_inferred,
        limit: within("limit", r.limit.unwrap_or(100), MAX_LINKS)?,
    };
    let found = state.graph.structured(tenant, &query).await?;
    Ok(web::Json(StructuredOut {
        explicit_total: found.explicit_total,
        explicit: relations(found.explicit, &found.names),
        inferred: inferred_out(found.inferred, &found.names),
        by_label: found.by_label,
    }))
}

/// Request of `POST /api/entity/semantic-connections`: an entity or a
/// text.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SemanticRequest {
    /// Type of the entity to compare with (with `entity_id`).
    pub entity_type: Option<String>,
    /// Id of that entity.
    pub entity_id: Option<String>,
    /// A text to compare with, instead of an entity.
    pub text: Option<String>,
    /// Only entities of these types.
    #[serde(default)]
    pub types: Vec<String>,
    /// Most results (1 to 50, default 10).
    #[schema(minimum = 1, maximum = 50)]
    pub limit: Option<usize>,
}

/// An entity and how similar it is.
#[derive(Debug, Serialize, ToSchema)]
pub struct SimilarOut {
    /// The entity.
    #[serde(flatten)]
    pub entity: NodeRef,
    /// Status.
    pub status: String,
    /// Cosine similarity, higher is closer.
    pub similarity: f32,
}

impl From<Similar> for SimilarOut {
    fn from(s: Similar) -> Self {
        Self {
            entity: NodeRef::of(&s.node),
            status: s.node.status,
            similarity: s.similarity,
        }
    }
}

/// Semantic connections.
#[derive(Debug, Serialize, ToSchema)]
pub struct SemanticOut {
    /// The embeddings model used.
    pub model: String,
    /// Most similar first.
    pub results: Vec<SimilarOut>,
}

/// Entities ranked by embedding similarity to an entity or a text (the
/// configured embeddings provider; local hashed TF-IDF by default).
#[utoipa::path(tag = "Cross-References and Context", request_body = SemanticRequest,
    responses((status = 200, body = SemanticOut), (status = 400), (status = 404), (status = 422), (status = 502), (status = 503)), security(("bearer" = [])))]
#[post("/api/entity/semantic-connections")]
pub async fn semantic_connections(
    state: web::Data<AppState>,
    auth: Auth,
    body: JsonBody<SemanticRequest>,
) -> ApiResult<web::Json<SemanticOut>> {
    auth.0.require(Permission::EntitiesRead)?;
    let tenant = &auth.0.tenant_id;
    let r = body.into_inner();
    let limit = within("limit", r.limit.unwrap_or(10), MAX_SIMILAR)?;
    let entity = optional_key(
        &state,
        tenant,
        r.entity_type.as_deref(),
        r.entity_id.as_deref(),
        "entity",
    )
    .await?;
    let subject = match (entity, r.text) {
        (Some(key), None) => SemanticSubject::Entity(key),
        (None, Some(text)) if !text.trim().is_empty() => SemanticSubject::Text(text),
        _ => {
            return Err(ApiError::bad_request(
                "give either entity_type and entity_id, or a non-empty text",
            ));
        }
    };
    let types = state.graph.types(tenant, &r.types).await?;
    let similar = state.graph.similar(tenant, &subject, types, limit).await?;
    Ok(web::Json(SemanticOut {
        model: state.graph.embeddings_model(),
        results: similar.into_iter().map(Into::into).collect(),
    }))
}

/// Request of `POST /api/entity/enhanced-context`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EnhancedContextRequest {
    /// Type.
    pub entity_type: String,
    /// Id.
    pub entity_id: String,
    /// Token budget (1 to 32000, default 4000).
    #[schema(minimum = 1, maximum = 32000)]
    pub max_tokens: Option<usize>,
}

/// An enhanced context.
#[derive(Debug, Serialize, ToSchema)]
pub struct EnhancedContextOut {
    /// Linked, then inferred, then similar neighbours within the budget.
    pub context: ContextOut,
    /// The inferred relationships considered.
    pub inferred: Vec<InferredOut>,
    /// The similar entities considered.
    pub similar: Vec<SimilarOut>,
    /// The embeddings model used.
    pub model: String,
}

/// Context for AI prompts with linked, inferred and semantically similar
/// neighbours.
#[utoipa::path(tag = "Cross-References and Context", request_body = EnhancedContextRequest,
    responses((status = 200, body = EnhancedContextOut), (status = 404), (status = 422), (status = 502), (status = 503)), security(("bearer" = [])))]
#[post("/api/entity/enhanced-context")]
pub async fn enhanced_context(
    state: web::Data<AppState>,
    auth: Auth,
    body: JsonBody<EnhancedContextRequest>,
) -> ApiResult<web::Json<EnhancedContextOut>> {
    auth.0.require(Permission::EntitiesRead)?;
    let r = body.into_inner();
    let max_tokens = within("max_tokens", r.max_tokens.unwrap_or(4_000), MAX_TOKENS)?;
    let found = state
        .graph
        .enhanced_context(&auth.0.tenant_id, &r.entity_type, &r.entity_id, max_tokens)
        .await?;
    Ok(web::Json(EnhancedContextOut {
        inferred: inferred_out(found.inferred, &found.names),
        similar: found.similar.into_iter().map(Into::into).collect(),
        context: found.context.into(),
        model: found.model,
    }))
}
