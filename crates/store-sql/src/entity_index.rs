//! [`EntityIndex`] over the tenant-owned `entities` table: the database
//! mirror of every tenant's entity files. A deleted entity keeps its row with
//! `deleted_at` set (the recycle bin) and every read but
//! [`EntityIndex::list_deleted`] sees live rows only.
//! Every write keeps the row's links ([`crate::links`]) current in the same
//! transaction, and its full-text index ([`crate::search`]) through the
//! database itself: on PostgreSQL in the row, on SQLite in batches that
//! every full-text query waits for ([`crate::search_index`]). Sorting by
//! a frontmatter field uses each backend's JSON functions, always with
//! bound parameters.

use crate::SqlStore;
use crate::context::{Paged, Scope, UniqueRow, commit, finish};
use crate::entities::indexed_entity::{self, Column};
use crate::error::DbFailure;
use crate::links::{
    KEYS_PER_QUERY, drop_links, keys_condition, links_value, live_links, replace_links,
};
use crate::search::matches_terms;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, NullOrdering, OnConflict};
use sea_orm::{
    ColumnTrait, Condition, DbBackend, EntityTrait, IntoActiveModel, Iterable, Order,
    PaginatorTrait, QueryFilter, QueryOrder, QuerySelect,
};
use serde_json::Value;
use std::collections::HashSet;
use studiobrain_entity::ports::{
    DeletedEntity, EntityIndex, EntityPage, EntityQuery, IndexedFile, SortOrder, StatusCount,
};
use studiobrain_entity::search::{SearchTerms, field_text};
use studiobrain_entity::{Entity, EntityError, EntityId, EntityResult, EntityType};
use studiobrain_kernel::TenantId;

/// The row of `entity` in `tenant`, live.
fn entity_row(tenant: &TenantId, entity: &Entity) -> indexed_entity::Model {
    indexed_entity::Model {
        tenant_id: tenant.to_string(),
        entity_type: entity.entity_type.to_string(),
        entity_id: entity.id.to_string(),
        name: entity.name.clone(),
        status: entity.status.clone(),
        fields: Value::Object(entity.fields.clone()),
        body: entity.body.clone(),
        path: entity.path.clone(),
        content_hash: entity.content_hash.clone(),
        revision: entity.revision,
        created_at: entity.created_at,
        updated_at: entity.updated_at,
        deleted_at: None,
        parse_error: entity.parse_error.clone(),
        search_text: field_text(&entity.fields),
        links: links_value(entity),
    }
}

/// A stored value that no longer parses (a corrupt or foreign row).
pub(crate) fn corrupt(err: impl Into<anyhow::Error>) -> EntityError {
    EntityError::Unexpected(err.into().context("invalid value in the database"))
}

/// The entity `row` holds; a row that no longer parses is `Unexpected`.
fn entity_from(row: indexed_entity::Model) -> EntityResult<Entity> {
    let Value::Object(fields) = row.fields else {
        return Err(corrupt(anyhow::anyhow!(
            "the fields of {}/{} are not a JSON object",
            row.entity_type,
            row.entity_id
        )));
    };
    let links = serde_json::from_value(row.links).map_err(corrupt)?;
    Ok(Entity {
        entity_type: EntityType::parse(&row.entity_type).map_err(corrupt)?,
        id: EntityId::parse(&row.entity_id).map_err(corrupt)?,
        name: row.name,
        status: row.status,
        fields,
        body: row.body,
        path: row.path,
        content_hash: row.content_hash,
        revision: row.revision,
        created_at: row.created_at,
        updated_at: row.updated_at,
        parse_error: row.parse_error,
        links,
    })
}

/// The live entities of `entity_type` in `tenant`.
fn live_of_type(tenant: &TenantId, entity_type: &EntityType) -> Condition {
    Condition::all()
        .add(Column::TenantId.eq(tenant.as_str()))
        .add(Column::EntityType.eq(entity_type.as_str()))
        .add(Column::DeletedAt.is_null())
}

/// The live entity `id` of `entity_type` in `tenant`.
fn live_entity(tenant: &TenantId, entity_type: &EntityType, id: &EntityId) -> Condition {
    live_of_type(tenant, entity_type).add(Column::EntityId.eq(id.as_str()))
}

/// What a list is sorted by.
enum SortKey<'a> {
    /// A column of the table.
    Column(Column),
    /// A top-level frontmatter field.
    Field(&'a str),
}

/// The sort key `sort_by` names: a column, a top-level field whose name
/// matches `^[a-z0-9_]{1,64}$`, or else `updated_at`.
fn sort_key(sort_by: &str) -> SortKey<'_> {
    match sort_by {
        "name" => SortKey::Column(Column::Name),
        "status" => SortKey::Column(Column::Status),
        "created_at" => SortKey::Column(Column::CreatedAt),
        "updated_at" => SortKey::Column(Column::UpdatedAt),
        field
            if (1..=64).contains(&field.len())
                && field
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_') =>
        {
            SortKey::Field(field)
        }
        _ => SortKey::Column(Column::UpdatedAt),
    }
}

/// The value of the top-level field `name`, SQL NULL when absent or null.
/// Values compare as JSON: numbers by value, strings as text.
fn field_value(backend: DbBackend, name: &str) -> Expr {
    if backend == DbBackend::Postgres {
        Expr::cust_with_values("NULLIF(fields -> $1, 'null'::jsonb)", [name])
    } else {
        Expr::cust_with_values(r#"json_extract(fields, '$."' || ? || '"')"#, [name])
    }
}

/// Entity rows inserted per statement (16 columns each: well under every
/// backend's limit on bound parameters).
const ENTITY_ROWS_PER_STATEMENT: usize = 100;

/// On a key clash, every other column is replaced (`deleted_at` by NULL).
fn replace_on_key_clash() -> OnConflict {
    let is_key = |column: &Column| {
        matches!(
            column,
            Column::TenantId | Column::EntityType | Column::EntityId
        )
    };
    OnConflict::columns(Column::iter().filter(is_key))
        .update_columns(Column::iter().filter(|column| !is_key(column)))
        .to_owned()
}

/// `entities` with each key once, its last occurrence kept (as writing them
/// one after another would): one statement may not touch a row twice.
fn last_of_each(entities: &[Entity]) -> Vec<&Entity> {
    let mut seen = HashSet::new();
    let mut kept: Vec<&Entity> = entities
        .iter()
        .rev()
        .filter(|entity| seen.insert((&entity.entity_type, &entity.id)))
        .collect();
    kept.reverse();
    kept
}

impl SqlStore {
    /// Writes `entities` (each key's last occurrence) with their links in
    /// one transaction; the full-text index follows in its own batches
    /// ([`crate::search_index`]).
    pub(crate) async fn write_all(
        &self,
        tenant: &TenantId,
        entities: &[Entity],
    ) -> EntityResult<()> {
        let entities = last_of_each(entities);
        let txn = self.begin(Scope::Tenant(tenant)).await?;
        let live = live_links(&txn, tenant, &entities).await?;
        for chunk in entities.chunks(ENTITY_ROWS_PER_STATEMENT) {
            indexed_entity::Entity::insert_many(
                chunk
                    .iter()
                    .map(|entity| entity_row(tenant, entity).into_active_model()),
            )
            .on_conflict(replace_on_key_clash())
            .exec_without_returning(&txn)
            .await
            .map_err(DbFailure)?;
        }
        replace_links(&txn, tenant, &entities, &live).await?;
        commit(txn, ()).await
    }

    /// Deletes the live rows of `keys` and their links in one transaction.
    async fn delete_all(
        &self,
        tenant: &TenantId,
        keys: &[(EntityType, EntityId)],
    ) -> EntityResult<()> {
        let txn = self.begin(Scope::Tenant(tenant)).await?;
        for (entity_type, id) in keys {
            let removed = indexed_entity::Entity::delete_many()
                .filter(live_entity(tenant, entity_type, id))
                .exec(&txn)
                .await
                .map_err(DbFailure)?;
            if removed.rows_affected > 0 {
                drop_links(&txn, tenant, [(entity_type, id)]).await?;
            }
        }
        commit(txn, ()).await
    }
}

#[async_trait]
impl EntityIndex for SqlStore {
    async fn upsert(&self, tenant: &TenantId, entity: &Entity) -> EntityResult<()> {
        if self.backend == DbBackend::Sqlite {
            // One writer: concurrent upserts share its turns.
            return crate::group_commit::upsert(self, tenant, entity).await;
        }
        self.upsert_all(tenant, std::slice::from_ref(entity)).await
    }

    async fn upsert_all(&self, tenant: &TenantId, entities: &[Entity]) -> EntityResult<()> {
        self.write_all(tenant, entities).await?;
        self.index_search_if_due(entities.len());
        Ok(())
    }

    async fn remove_all(
        &self,
        tenant: &TenantId,
        keys: &[(EntityType, EntityId)],
    ) -> EntityResult<()> {
        self.delete_all(tenant, keys).await?;
        self.index_search_if_due(keys.len());
        Ok(())
    }

    async fn files(
        &self,
        tenant: &TenantId,
        entity_type: &EntityType,
    ) -> EntityResult<Vec<IndexedFile>> {
        let read = self.single_read(Scope::Tenant(tenant)).await?;
        let rows = indexed_entity::Entity::find()
            .select_only()
            .columns([
                Column::EntityType,
                Column::EntityId,
                Column::Path,
                Column::ContentHash,
                Column::Revision,
                Column::CreatedAt,
            ])
            .filter(live_of_type(tenant, entity_type))
            .order_by_asc(Column::EntityId)
            .into_tuple::<(String, String, String, String, i64, DateTime<Utc>)>()
            .all(&read)
            .await
            .map_err(DbFailure)?;
        let files = rows
            .into_iter()
            .map(
                |(entity_type, id, path, content_hash, revision, created_at)| {
                    Ok(IndexedFile {
                        entity_type: EntityType::parse(&entity_type).map_err(corrupt)?,
                        id: EntityId::parse(&id).map_err(corrupt)?,
                        path,
                        content_hash,
                        revision,
                        created_at,
                    })
                },
            )
            .collect::<EntityResult<_>>()?;
        finish(read, files).await
    }

    async fn status_counts(&self, tenant: &TenantId) -> EntityResult<Vec<StatusCount>> {
        let read = self.single_read(Scope::Tenant(tenant)).await?;
        let rows = indexed_entity::Entity::find()
            .select_only()
            .column(Column::EntityType)
            .column(Column::Status)
            .column_as(Column::EntityId.count(), "count")
            .filter(Column::TenantId.eq(tenant.as_str()))
            .filter(Column::DeletedAt.is_null())
            .group_by(Column::EntityType)
            .group_by(Column::Status)
            .order_by_asc(Column::EntityType)
            .order_by_asc(Column::Status)
            .into_tuple::<(String, String, i64)>()
            .all(&read)
            .await
            .map_err(DbFailure)?;
        let counts = rows
            .into_iter()
            .map(|(entity_type, status, count)| {
                Ok(StatusCount {
                    entity_type: EntityType::parse(&entity_type).map_err(corrupt)?,
                    status,
                    count: u64::try_from(count).unwrap_or_default(),
                })
            })
            .collect::<EntityResult<_>>()?;
        finish(read, counts).await
    }

    async fn get(
        &self,
        tenant: &TenantId,
        entity_type: &EntityType,
        id: &EntityId,
    ) -> EntityResult<Option<Entity>> {
        let read = self.single_read(Scope::Tenant(tenant)).await?;
        let row = indexed_entity::Entity::find()
            .filter(live_entity(tenant, entity_type, id))
            .unique_row(&read)
            .await
            .map_err(DbFailure)?;
        finish(read, row.map(entity_from).transpose()?).await
    }

    async fn exists(
        &self,
        tenant: &TenantId,
        entity_type: &EntityType,
        id: &EntityId,
    ) -> EntityResult<bool> {
        let read = self.single_read(Scope::Tenant(tenant)).await?;
        let found = indexed_entity::Entity::find()
            .select_only()
            .column(Column::EntityId)
            .filter(live_entity(tenant, entity_type, id))
            .into_tuple::<String>()
            .unique_row(&read)
            .await
            .map_err(DbFailure)?;
        finish(read, found.is_some()).await
    }

    async fn existing(
        &self,
        tenant: &TenantId,
        keys: &[(EntityType, EntityId)],
    ) -> EntityResult<HashSet<(EntityType, EntityId)>> {
        let mut found = HashSet::new();
        if keys.is_empty() {
            return Ok(found);
        }
        let read = self.single_read(Scope::Tenant(tenant)).await?;
        for chunk in keys.chunks(KEYS_PER_QUERY) {
            let rows = indexed_entity::Entity::find()
                .select_only()
                .columns([Column::EntityType, Column::EntityId])
                .filter(Column::TenantId.eq(tenant.as_str()))
                .filter(Column::DeletedAt.is_null())
                .filter(keys_condition(
                    Column::EntityType,
                    Column::EntityId,
                    chunk.iter().map(|(entity_type, id)| (entity_type, id)),
                ))
                .into_tuple::<(String, String)>()
                .all(&read)
                .await
                .map_err(DbFailure)?;
            for (entity_type, id) in rows {
                found.insert((
                    EntityType::parse(&entity_type).map_err(corrupt)?,
                    EntityId::parse(&id).map_err(corrupt)?,
                ));
            }
        }
        finish(read, found).await
    }

    async fn list(&self, tenant: &TenantId, query: &EntityQuery) -> EntityResult<EntityPage> {
        let mut filter = live_of_type(tenant, &query.entity_type);
        if let Some(status) = &query.status {
            filter = filter.add(Column::Status.eq(status.as_str()));
        }
        if let Some(search) = &query.search {
            let terms = SearchTerms::parse(search);
            if !terms.is_empty() {
                self.catch_up_search().await?;
                filter = filter.add(matches_terms(self.backend, &terms));
            }
        }
        let order = match query.sort_order {
            SortOrder::Asc => Order::Asc,
            SortOrder::Desc => Order::Desc,
        };
        let matching = indexed_entity::Entity::find().filter(filter);
        let sorted = match sort_key(&query.sort_by) {
            SortKey::Column(column) => matching.clone().order_by(column, order.clone()),
            SortKey::Field(name) => matching.clone().order_by_with_nulls(
                field_value(self.backend, name),
                order.clone(),
                NullOrdering::Last,
            ),
        };
        let page = sorted
            .order_by(Column::EntityId, order)
            .page(query.offset, query.limit);

        let txn = self.begin_read(Scope::Tenant(tenant)).await?;
        let total = matching.count(&txn).await.map_err(DbFailure)?;
        let rows = page.all(&txn).await.map_err(DbFailure)?;
        let entities = rows
            .into_iter()
            .map(entity_from)
            .collect::<EntityResult<_>>()?;
        commit(txn, EntityPage { total, entities }).await
    }

    async fn mark_deleted(
        &self,
        tenant: &TenantId,
        entity_type: &EntityType,
        id: &EntityId,
        at: DateTime<Utc>,
    ) -> EntityResult<()> {
        let txn = self.begin(Scope::Tenant(tenant)).await?;
        let updated = indexed_entity::Entity::update_many()
            .col_expr(Column::DeletedAt, Expr::value(at))
            .filter(live_entity(tenant, entity_type, id))
            .exec(&txn)
            .await
            .map_err(DbFailure)?;
        if updated.rows_affected == 0 {
            return Err(EntityError::NotFound(format!(
                "Entity not found: {entity_type}/{id}"
            )));
        }
        drop_links(&txn, tenant, [(entity_type, id)]).await?;
        commit(txn, ()).await
    }

    async fn list_deleted(&self, tenant: &TenantId) -> EntityResult<Vec<DeletedEntity>> {
        let txn = self.begin_read(Scope::Tenant(tenant)).await?;
        let rows = indexed_entity::Entity::find()
            .filter(Column::TenantId.eq(tenant.as_str()))
            .filter(Column::DeletedAt.is_not_null())
            .order_by_desc(Column::DeletedAt)
            .order_by_asc(Column::EntityType)
            .order_by_asc(Column::EntityId)
            .all(&txn)
            .await
            .map_err(DbFailure)?;
        let mut deleted = Vec::with_capacity(rows.len());
        for mut row in rows {
            let deleted_at = row
                .deleted_at
                .take()
                .ok_or_else(|| corrupt(anyhow::anyhow!("a deleted row has no deletion time")))?;
            deleted.push(DeletedEntity {
                entity: entity_from(row)?,
                deleted_at,
            });
        }
        commit(txn, deleted).await
    }

    async fn purge(
        &self,
        tenant: &TenantId,
        entity_type: &EntityType,
        id: &EntityId,
    ) -> EntityResult<()> {
        let txn = self.begin(Scope::Tenant(tenant)).await?;
        let removed = indexed_entity::Entity::delete_many()
            .filter(Column::TenantId.eq(tenant.as_str()))
            .filter(Column::EntityType.eq(entity_type.as_str()))
            .filter(Column::EntityId.eq(id.as_str()))
            .filter(Column::DeletedAt.is_not_null())
            .exec(&txn)
            .await
            .map_err(DbFailure)?;
        if removed.rows_affected == 0 {
            return Err(EntityError::NotFound(format!(
                "Entity not in the recycle bin: {entity_type}/{id}"
            )));
        }
        commit(txn, ()).await
    }
}

#[cfg(test)]
mod tests {
    use super::{SortKey, sort_key};
    use crate::entities::indexed_entity::Column;

    #[test]
    fn unknown_or_unsafe_sort_keys_fall_back_to_updated_at() {
        assert!(matches!(sort_key("name"), SortKey::Column(Column::Name)));
        assert!(matches!(sort_key("age_2"), SortKey::Field("age_2")));
        for unsafe_key in ["", "Age", "a'b", "a.b", "a b", &"a".repeat(65)] {
            assert!(
                matches!(sort_key(unsafe_key), SortKey::Column(Column::UpdatedAt)),
                "{unsafe_key:?}"
            );
        }
    }
}
