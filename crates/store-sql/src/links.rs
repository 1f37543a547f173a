//! [`LinkIndex`] over `entity_links`: the links of every live entity, one
//! row each, replaced in the same transaction as the entity's row when
//! they change ([`replace_links`]) and dropped with it ([`drop_links`]).
//! The row's `links` column holds the same links as JSON: a live row's
//! link rows always match it, and a deleted row has none.

use crate::SqlStore;
use crate::context::{Scope, commit};
use crate::entities::entity_link::{self, Column};
use crate::entities::indexed_entity::{self, Column as EntityColumn};
use crate::entity_index::corrupt;
use crate::error::DbFailure;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sea_orm::{
    ColumnTrait, Condition, DatabaseTransaction, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
    Select,
    sea_query::{Alias, Expr, ExprTrait},
};
use std::collections::{BTreeMap, HashMap};
use studiobrain_entity::links::{
    Edge, Link, LinkIndex, LinkOrigin, LinkedNode, Node, NodeFilter, Step,
};
use studiobrain_entity::{Entity, EntityId, EntityResult, EntityType};
use studiobrain_kernel::TenantId;

/// Most keys bound in one query (well under every backend's limit).
pub(crate) const KEYS_PER_QUERY: usize = 500;

/// Rows whose `type_column` and `id_column` hold one of `keys`: per type,
/// its ids as one list, so an index on (type, id) serves each part.
pub(crate) fn keys_condition<'a>(
    type_column: impl ColumnTrait,
    id_column: impl ColumnTrait,
    keys: impl IntoIterator<Item = (&'a EntityType, &'a EntityId)>,
) -> Condition {
    let mut by_type: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for (entity_type, id) in keys {
        by_type
            .entry(entity_type.as_str())
            .or_default()
            .push(id.as_str());
    }
    by_type
        .into_iter()
        .fold(Condition::any(), |any, (entity_type, ids)| {
            any.add(
                Condition::all()
                    .add(type_column.eq(entity_type))
                    .add(id_column.is_in(ids)),
            )
        })
}

/// Link rows inserted per statement (nine columns each: well under every
/// backend's limit on bound parameters).
const LINK_ROWS_PER_STATEMENT: usize = 1000;

/// The `links` column of an entity's row: its links as JSON, which
/// [`replace_links`] compares to tell which entities' links changed.
pub(crate) fn links_value(entity: &Entity) -> serde_json::Value {
    serde_json::to_value(&entity.links).unwrap_or_else(|_| serde_json::Value::Array(Vec::new()))
}

/// The `links` column of the live rows among `entities`, by type and id:
/// what their link rows hold (a deleted row has none), read before the
/// rows are replaced.
pub(crate) async fn live_links(
    txn: &DatabaseTransaction,
    tenant: &TenantId,
    entities: &[&Entity],
) -> Result<HashMap<(String, String), serde_json::Value>, DbFailure> {
    let mut stored = HashMap::new();
    for chunk in entities.chunks(KEYS_PER_QUERY) {
        let rows = indexed_entity::Entity::find()
            .select_only()
            .columns([
                EntityColumn::EntityType,
                EntityColumn::EntityId,
                EntityColumn::Links,
            ])
            .filter(EntityColumn::TenantId.eq(tenant.as_str()))
            .filter(EntityColumn::DeletedAt.is_null())
            .filter(keys_condition(
                EntityColumn::EntityType,
                EntityColumn::EntityId,
                chunk.iter().map(|entity| (&entity.entity_type, &entity.id)),
            ))
            .into_tuple::<(String, String, serde_json::Value)>()
            .all(txn)
            .await?;
        stored.extend(
            rows.into_iter()
                .map(|(entity_type, id, links)| ((entity_type, id), links)),
        );
    }
    Ok(stored)
}

/// Replaces the stored links of `entities` by their current ones, in a
/// few statements for the whole batch. `live` is what [`live_links`] read
/// before this write: an entity whose links are unchanged keeps its rows
/// untouched (a write of other fields rewrites no link row), and only an
/// entity that had live rows has rows to drop.
pub(crate) async fn replace_links(
    txn: &DatabaseTransaction,
    tenant: &TenantId,
    entities: &[&Entity],
    live: &HashMap<(String, String), serde_json::Value>,
) -> Result<(), DbFailure> {
    let mut changed = Vec::new();
    let mut had_rows = Vec::new();
    for &entity in entities {
        let stored = live.get(&(entity.entity_type.to_string(), entity.id.to_string()));
        if stored != Some(&links_value(entity)) {
            if stored.is_some() {
                had_rows.push((&entity.entity_type, &entity.id));
            }
            changed.push(entity);
        }
    }
    drop_links(txn, tenant, had_rows).await?;
    let mut rows = Vec::new();
    for entity in changed {
        for (link, position) in entity.links.iter().zip(0..) {
            rows.push(entity_link::ActiveModel::from(link_row(
                tenant, entity, link, position,
            )));
            if rows.len() == LINK_ROWS_PER_STATEMENT {
                insert_links(txn, std::mem::take(&mut rows)).await?;
            }
        }
    }
    if !rows.is_empty() {
        insert_links(txn, rows).await?;
    }
    Ok(())
}

/// Inserts `rows` in one statement.
async fn insert_links(
    txn: &DatabaseTransaction,
    rows: Vec<entity_link::ActiveModel>,
) -> Result<(), DbFailure> {
    entity_link::Entity::insert_many(rows)
        .exec_without_returning(txn)
        .await?;
    Ok(())
}

/// Forgets the links of the entities `keys` name, one statement per
/// [`KEYS_PER_QUERY`] of them.
pub(crate) async fn drop_links<'a>(
    txn: &DatabaseTransaction,
    tenant: &TenantId,
    keys: impl IntoIterator<Item = (&'a EntityType, &'a EntityId)>,
) -> Result<(), DbFailure> {
    let keys: Vec<_> = keys.into_iter().collect();
    for chunk in keys.chunks(KEYS_PER_QUERY) {
        entity_link::Entity::delete_many()
            .filter(Column::TenantId.eq(tenant.as_str()))
            .filter(keys_condition(
                Column::SourceType,
                Column::SourceId,
                chunk.iter().copied(),
            ))
            .exec(txn)
            .await?;
    }
    Ok(())
}

/// The row of the `position`-th link of `entity`.
fn link_row(tenant: &TenantId, entity: &Entity, link: &Link, position: i32) -> entity_link::Model {
    entity_link::Model {
        tenant_id: tenant.to_string(),
        source_type: entity.entity_type.to_string(),
        source_id: entity.id.to_string(),
        position,
        target_type: link
            .target_type
            .as_ref()
            .map(ToString::to_string)
            .unwrap_or_default(),
        target_id: link.target_id.clone(),
        field: link.field.clone(),
        label: link.label.clone(),
        origin: link.origin.as_str().to_owned(),
    }
}

/// The columns of a link read back: source type, source id, position,
/// target type, target id, field, label, origin.
type LinkRow = (
    String,
    String,
    i32,
    String,
    String,
    String,
    Option<String>,
    String,
);

/// The edge a row holds.
fn edge_from(
    (source_type, source_id, _, target_type, target_id, field, label, origin): LinkRow,
) -> EntityResult<Edge> {
    let target_type = match target_type.as_str() {
        "" => None,
        name => Some(EntityType::parse(name).map_err(corrupt)?),
    };
    let origin = LinkOrigin::parse(&origin)
        .ok_or_else(|| corrupt(anyhow::anyhow!("unknown link origin '{origin}'")))?;
    Ok(Edge {
        source_type: EntityType::parse(&source_type).map_err(corrupt)?,
        source_id: EntityId::parse(&source_id).map_err(corrupt)?,
        link: Link {
            target_type,
            target_id,
            field,
            label,
            origin,
        },
    })
}

/// A node from its selected columns.
fn node_from((entity_type, id, name, status, updated_at): NodeRow) -> EntityResult<Node> {
    Ok(Node {
        entity_type: EntityType::parse(&entity_type).map_err(corrupt)?,
        id: EntityId::parse(&id).map_err(corrupt)?,
        name,
        status,
        updated_at,
    })
}

/// The link rows of `tenant` matching `condition`, as edges by source and
/// position. Sorted here: asked to sort, SQLite would rather walk the
/// primary key through every link of the tenant than use the index that
/// `condition` fits.
async fn edges_in(
    txn: &DatabaseTransaction,
    tenant: &TenantId,
    condition: Condition,
) -> EntityResult<Vec<Edge>> {
    let mut rows = entity_link::Entity::find()
        .select_only()
        .columns([
            Column::SourceType,
            Column::SourceId,
            Column::Position,
            Column::TargetType,
            Column::TargetId,
            Column::Field,
            Column::Label,
            Column::Origin,
        ])
        .filter(Column::TenantId.eq(tenant.as_str()))
        .filter(condition)
        .into_tuple::<LinkRow>()
        .all(txn)
        .await
        .map_err(DbFailure)?;
    rows.sort_unstable_by(|a, b| (&a.0, &a.1, a.2).cmp(&(&b.0, &b.1, b.2)));
    rows.into_iter().map(edge_from).collect()
}

/// The live entities of `tenant` matching `condition`, in `order` (sorted
/// here for the reason given at [`edges_in`]).
async fn nodes_in(
    txn: &DatabaseTransaction,
    tenant: &TenantId,
    condition: Condition,
    order: NodeOrder,
) -> EntityResult<Vec<Node>> {
    let query = live_entities(tenant, condition).columns(NODE_COLUMNS);
    let query = match order {
        NodeOrder::ByKey => query,
        // By time alone, so the index on it serves the limit.
        NodeOrder::RecentFirst(limit) => query.order_by_desc(EntityColumn::UpdatedAt).limit(limit),
    };
    let rows = query
        .into_tuple::<NodeRow>()
        .all(txn)
        .await
        .map_err(DbFailure)?;
    let mut nodes: Vec<Node> = rows
        .into_iter()
        .map(node_from)
        .collect::<EntityResult<_>>()?;
    if let NodeOrder::ByKey = order {
        nodes.sort_unstable_by(|a, b| (&a.entity_type, &a.id).cmp(&(&b.entity_type, &b.id)));
    }
    Ok(nodes)
}

/// The links held by `sources`.
async fn outgoing_in(
    txn: &DatabaseTransaction,
    tenant: &TenantId,
    sources: &[(EntityType, EntityId)],
) -> EntityResult<Vec<Edge>> {
    let mut edges = Vec::new();
    for chunk in sources.chunks(KEYS_PER_QUERY) {
        // Types and ids as two lists keep the primary key usable (a
        // disjunction of pairs is not); the few extra pairs are dropped.
        let mut types: Vec<&str> = chunk.iter().map(|(t, _)| t.as_str()).collect();
        types.sort_unstable();
        types.dedup();
        let both = Condition::all()
            .add(Column::SourceType.is_in(types))
            .add(Column::SourceId.is_in(chunk.iter().map(|(_, id)| id.as_str())));
        let found = edges_in(txn, tenant, both).await?;
        edges.extend(found.into_iter().filter(|edge| {
            chunk
                .iter()
                .any(|(t, id)| *t == edge.source_type && *id == edge.source_id)
        }));
    }
    Ok(edges)
}

/// The links naming any of `targets`.
async fn incoming_in(
    txn: &DatabaseTransaction,
    tenant: &TenantId,
    targets: &[(EntityType, EntityId)],
) -> EntityResult<Vec<Edge>> {
    let mut edges = Vec::new();
    for chunk in targets.chunks(KEYS_PER_QUERY) {
        let ids = chunk.iter().map(|(_, id)| id.as_str());
        let found = edges_in(
            txn,
            tenant,
            Condition::all().add(Column::TargetId.is_in(ids)),
        )
        .await?;
        edges.extend(found.into_iter().filter(|edge| {
            chunk.iter().any(|(entity_type, id)| {
                edge.link.target_id == id.as_str()
                    && edge
                        .link
                        .target_type
                        .as_ref()
                        .is_none_or(|t| t == entity_type)
            })
        }));
    }
    Ok(edges)
}

/// The live entities whose id is one of `ids`.
async fn nodes_with_ids_in(
    txn: &DatabaseTransaction,
    tenant: &TenantId,
    ids: &[String],
) -> EntityResult<Vec<Node>> {
    let mut nodes = Vec::new();
    for chunk in ids.chunks(KEYS_PER_QUERY) {
        let condition =
            Condition::all().add(EntityColumn::EntityId.is_in(chunk.iter().map(String::as_str)));
        nodes.extend(nodes_in(txn, tenant, condition, NodeOrder::ByKey).await?);
    }
    Ok(nodes)
}

impl SqlStore {
    /// [`nodes_in`] in a read transaction of its own.
    pub(crate) async fn nodes_where(
        &self,
        tenant: &TenantId,
        condition: Condition,
        order: NodeOrder,
    ) -> EntityResult<Vec<Node>> {
        let txn = self.begin_read(Scope::Tenant(tenant)).await?;
        let nodes = nodes_in(&txn, tenant, condition, order).await?;
        commit(txn, nodes).await
    }
}

/// The columns of a node: type, id, name, status, last change.
const NODE_COLUMNS: [EntityColumn; 5] = [
    EntityColumn::EntityType,
    EntityColumn::EntityId,
    EntityColumn::Name,
    EntityColumn::Status,
    EntityColumn::UpdatedAt,
];

/// The [`NODE_COLUMNS`] of a row.
type NodeRow = (String, String, String, String, DateTime<Utc>);

/// The live entities of `tenant` matching `condition`, no column selected.
fn live_entities(tenant: &TenantId, condition: Condition) -> Select<indexed_entity::Entity> {
    indexed_entity::Entity::find()
        .select_only()
        .filter(EntityColumn::TenantId.eq(tenant.as_str()))
        .filter(EntityColumn::DeletedAt.is_null())
        .filter(condition)
}

/// The order of a node query.
#[derive(Debug, Clone, Copy)]
pub(crate) enum NodeOrder {
    /// By type, then id.
    ByKey,
    /// The given number of most recently changed first.
    RecentFirst(u64),
}

/// The condition of a node filter on `entities`.
pub(crate) fn node_condition(filter: &NodeFilter) -> Condition {
    let mut condition = Condition::all();
    if !filter.types.is_empty() {
        condition = condition
            .add(EntityColumn::EntityType.is_in(filter.types.iter().map(EntityType::as_str)));
    }
    if let Some(status) = &filter.status {
        condition = condition.add(EntityColumn::Status.eq(status.as_str()));
    }
    condition
}

#[async_trait]
impl LinkIndex for SqlStore {
    async fn outgoing(
        &self,
        tenant: &TenantId,
        sources: &[(EntityType, EntityId)],
    ) -> EntityResult<Vec<Edge>> {
        let txn = self.begin_read(Scope::Tenant(tenant)).await?;
        let edges = outgoing_in(&txn, tenant, sources).await?;
        commit(txn, edges).await
    }

    async fn incoming(
        &self,
        tenant: &TenantId,
        targets: &[(EntityType, EntityId)],
    ) -> EntityResult<Vec<Edge>> {
        let txn = self.begin_read(Scope::Tenant(tenant)).await?;
        let edges = incoming_in(&txn, tenant, targets).await?;
        commit(txn, edges).await
    }

    async fn step(&self, tenant: &TenantId, keys: &[(EntityType, EntityId)]) -> EntityResult<Step> {
        let txn = self.begin_read(Scope::Tenant(tenant)).await?;
        let outgoing = outgoing_in(&txn, tenant, keys).await?;
        let incoming = incoming_in(&txn, tenant, keys).await?;
        let ids = Step::end_ids(outgoing.iter().chain(&incoming));
        let nodes = nodes_with_ids_in(&txn, tenant, &ids).await?;
        let step = Step {
            outgoing,
            incoming,
            nodes,
        };
        commit(txn, step).await
    }

    async fn linked_nodes(
        &self,
        tenant: &TenantId,
        filter: &NodeFilter,
    ) -> EntityResult<Vec<LinkedNode>> {
        let txn = self.begin_scan(Scope::Tenant(tenant)).await?;
        // The links of each row's own JSON column, as text parsed straight
        // into links: one row per entity rather than one per link.
        let rows = live_entities(tenant, node_condition(filter))
            .columns(NODE_COLUMNS)
            .column_as(
                Expr::col(EntityColumn::Links).cast_as(Alias::new("text")),
                "links",
            )
            .into_tuple::<(String, String, String, String, DateTime<Utc>, String)>()
            .all(&txn)
            .await
            .map_err(DbFailure)?;
        let mut linked: Vec<LinkedNode> = rows
            .into_iter()
            .map(|(entity_type, id, name, status, updated_at, links)| {
                Ok(LinkedNode {
                    node: node_from((entity_type, id, name, status, updated_at))?,
                    links: serde_json::from_str(&links).map_err(corrupt)?,
                })
            })
            .collect::<EntityResult<_>>()?;
        linked.sort_unstable_by(|a, b| {
            (&a.node.entity_type, &a.node.id).cmp(&(&b.node.entity_type, &b.node.id))
        });
        commit(txn, linked).await
    }

    async fn nodes(&self, tenant: &TenantId, filter: &NodeFilter) -> EntityResult<Vec<Node>> {
        self.nodes_where(tenant, node_condition(filter), NodeOrder::ByKey)
            .await
    }

    async fn nodes_with_ids(&self, tenant: &TenantId, ids: &[String]) -> EntityResult<Vec<Node>> {
        let txn = self.begin_read(Scope::Tenant(tenant)).await?;
        let nodes = nodes_with_ids_in(&txn, tenant, ids).await?;
        commit(txn, nodes).await
    }
}
