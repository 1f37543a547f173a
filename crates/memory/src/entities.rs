//! [`MemoryEntityIndex`]: the entity index in memory, with the same query
//! semantics as the SQL adapter.

use crate::search::matches_terms;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde_json::Value;
use std::cmp::Ordering;
use std::collections::BTreeMap;
use std::sync::{Mutex, MutexGuard};
use studiobrain_entity::ports::{
    DeletedEntity, EntityIndex, EntityPage, EntityQuery, IndexedFile, SortOrder, StatusCount,
};
use studiobrain_entity::search::SearchTerms;
use studiobrain_entity::{Entity, EntityError, EntityId, EntityResult, EntityType};
use studiobrain_kernel::TenantId;

type Key = (TenantId, EntityType, EntityId);

/// A row: the entity and, once in the recycle bin, when it was deleted.
type Row = (Entity, Option<DateTime<Utc>>);

/// Entity rows in memory; deleted rows are kept with their deletion time.
#[derive(Default)]
pub struct MemoryEntityIndex {
    rows: Mutex<BTreeMap<Key, Row>>,
}

impl MemoryEntityIndex {
    /// An empty index.
    pub fn new() -> Self {
        Self::default()
    }

    pub(crate) fn rows(&self) -> MutexGuard<'_, BTreeMap<Key, Row>> {
        self.rows.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// Orders JSON values: absent and null first, then numbers, then text.
fn compare_values(a: Option<&Value>, b: Option<&Value>) -> Ordering {
    match (a, b) {
        (Some(Value::Number(x)), Some(Value::Number(y))) => x
            .as_f64()
            .partial_cmp(&y.as_f64())
            .unwrap_or(Ordering::Equal),
        (None | Some(Value::Null), None | Some(Value::Null)) => Ordering::Equal,
        (None | Some(Value::Null), _) => Ordering::Less,
        (_, None | Some(Value::Null)) => Ordering::Greater,
        (Some(x), Some(y)) => text(x).cmp(&text(y)),
    }
}

fn text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn compare(a: &Entity, b: &Entity, sort_by: &str) -> Ordering {
    let primary = match sort_by {
        "name" => a.name.cmp(&b.name),
        "status" => a.status.cmp(&b.status),
        "created_at" => a.created_at.cmp(&b.created_at),
        "updated_at" => a.updated_at.cmp(&b.updated_at),
        field => compare_values(a.fields.get(field), b.fields.get(field)),
    };
    primary.then_with(|| a.id.cmp(&b.id))
}

#[async_trait]
impl EntityIndex for MemoryEntityIndex {
    async fn upsert(&self, tenant: &TenantId, entity: &Entity) -> EntityResult<()> {
        let key = (
            tenant.clone(),
            entity.entity_type.clone(),
            entity.id.clone(),
        );
        self.rows().insert(key, (entity.clone(), None));
        Ok(())
    }

    async fn remove_all(
        &self,
        tenant: &TenantId,
        keys: &[(EntityType, EntityId)],
    ) -> EntityResult<()> {
        let mut rows = self.rows();
        for (entity_type, id) in keys {
            let key = (tenant.clone(), entity_type.clone(), id.clone());
            if matches!(rows.get(&key), Some((_, None))) {
                rows.remove(&key);
            }
        }
        Ok(())
    }

    async fn files(
        &self,
        tenant: &TenantId,
        entity_type: &EntityType,
    ) -> EntityResult<Vec<IndexedFile>> {
        Ok(self
            .rows()
            .iter()
            .filter(|((t, ty, _), (_, deleted))| {
                t == tenant && ty == entity_type && deleted.is_none()
            })
            .map(|(_, (entity, _))| IndexedFile {
                entity_type: entity.entity_type.clone(),
                id: entity.id.clone(),
                path: entity.path.clone(),
                content_hash: entity.content_hash.clone(),
                revision: entity.revision,
                created_at: entity.created_at,
            })
            .collect())
    }

    async fn status_counts(&self, tenant: &TenantId) -> EntityResult<Vec<StatusCount>> {
        let mut counts: BTreeMap<(EntityType, String), u64> = BTreeMap::new();
        for ((t, _, _), (entity, deleted)) in self.rows().iter() {
            if t == tenant && deleted.is_none() {
                *counts
                    .entry((entity.entity_type.clone(), entity.status.clone()))
                    .or_default() += 1;
            }
        }
        Ok(counts
            .into_iter()
            .map(|((entity_type, status), count)| StatusCount {
                entity_type,
                status,
                count,
            })
            .collect())
    }

    async fn get(
        &self,
        tenant: &TenantId,
        entity_type: &EntityType,
        id: &EntityId,
    ) -> EntityResult<Option<Entity>> {
        let key = (tenant.clone(), entity_type.clone(), id.clone());
        Ok(self
            .rows()
            .get(&key)
            .filter(|(_, deleted)| deleted.is_none())
            .map(|(e, _)| e.clone()))
    }

    async fn exists(
        &self,
        tenant: &TenantId,
        entity_type: &EntityType,
        id: &EntityId,
    ) -> EntityResult<bool> {
        Ok(self.get(tenant, entity_type, id).await?.is_some())
    }

    async fn list(&self, tenant: &TenantId, query: &EntityQuery) -> EntityResult<EntityPage> {
        let search = query
            .search
            .as_deref()
            .map(SearchTerms::parse)
            .filter(|terms| !terms.is_empty());
        let mut found: Vec<Entity> = self
            .rows()
            .iter()
            .filter(|((t, ty, _), (_, deleted))| {
                t == tenant && *ty == query.entity_type && deleted.is_none()
            })
            .map(|(_, (entity, _))| entity.clone())
            .filter(|e| query.status.as_ref().is_none_or(|s| e.status == *s))
            .filter(|e| search.as_ref().is_none_or(|terms| matches_terms(e, terms)))
            .collect();
        found.sort_by(|a, b| compare(a, b, &query.sort_by));
        if query.sort_order == SortOrder::Desc {
            found.reverse();
        }
        let total = found.len() as u64;
        let entities = found
            .into_iter()
            .skip(usize::try_from(query.offset).unwrap_or(usize::MAX))
            .take(usize::try_from(query.limit).unwrap_or(usize::MAX))
            .collect();
        Ok(EntityPage { total, entities })
    }

    async fn mark_deleted(
        &self,
        tenant: &TenantId,
        entity_type: &EntityType,
        id: &EntityId,
        at: DateTime<Utc>,
    ) -> EntityResult<()> {
        let key = (tenant.clone(), entity_type.clone(), id.clone());
        match self.rows().get_mut(&key) {
            Some((_, deleted @ None)) => {
                *deleted = Some(at);
                Ok(())
            }
            _ => Err(EntityError::NotFound(format!(
                "Entity not found: {entity_type}/{id}"
            ))),
        }
    }

    async fn list_deleted(&self, tenant: &TenantId) -> EntityResult<Vec<DeletedEntity>> {
        let mut found: Vec<DeletedEntity> = self
            .rows()
            .iter()
            .filter(|((t, _, _), _)| t == tenant)
            .filter_map(|(_, (entity, deleted))| {
                deleted.map(|deleted_at| DeletedEntity {
                    entity: entity.clone(),
                    deleted_at,
                })
            })
            .collect();
        // The map is ordered by type and id; a stable sort keeps that order
        // among equal deletion times.
        found.sort_by_key(|d| std::cmp::Reverse(d.deleted_at));
        Ok(found)
    }

    async fn purge(
        &self,
        tenant: &TenantId,
        entity_type: &EntityType,
        id: &EntityId,
    ) -> EntityResult<()> {
        let key = (tenant.clone(), entity_type.clone(), id.clone());
        let mut rows = self.rows();
        match rows.get(&key) {
            Some((_, Some(_))) => {
                rows.remove(&key);
                Ok(())
            }
            _ => Err(EntityError::NotFound(format!(
                "Entity not in the recycle bin: {entity_type}/{id}"
            ))),
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::expect_used)]

    use super::*;
    use chrono::TimeZone;

    fn at(seconds: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 27, 10, 0, seconds)
            .single()
            .expect("valid time")
    }

    fn character(raw_id: &str) -> Entity {
        Entity {
            entity_type: EntityType::parse("character").expect("type"),
            id: EntityId::parse(raw_id).expect("id"),
            name: raw_id.to_uppercase(),
            status: "active".into(),
            fields: serde_json::Map::new(),
            body: String::new(),
            path: format!("Characters/{raw_id}/CH_{raw_id}.md"),
            content_hash: String::new(),
            revision: 1,
            created_at: at(0),
            updated_at: at(0),
            parse_error: None,
            links: Vec::new(),
        }
    }

    #[tokio::test]
    async fn the_recycle_bin_lists_and_purges_deleted_rows_only() {
        let index = MemoryEntityIndex::new();
        let (a, b) = (TenantId::local(), TenantId::parse("other").expect("tenant"));
        for raw in ["rex", "mira", "ann"] {
            index.upsert(&a, &character(raw)).await.expect("upsert");
        }
        index.upsert(&b, &character("rex")).await.expect("upsert");
        let kind = EntityType::parse("character").expect("type");
        let id = |raw: &str| EntityId::parse(raw).expect("id");
        index
            .mark_deleted(&a, &kind, &id("rex"), at(5))
            .await
            .expect("delete");
        index
            .mark_deleted(&a, &kind, &id("mira"), at(9))
            .await
            .expect("delete");
        index
            .mark_deleted(&b, &kind, &id("rex"), at(7))
            .await
            .expect("delete");

        let bin = index.list_deleted(&a).await.expect("list");
        let listed: Vec<_> = bin
            .iter()
            .map(|d| (d.entity.id.to_string(), d.deleted_at))
            .collect();
        assert_eq!(
            listed,
            vec![("mira".to_owned(), at(9)), ("rex".to_owned(), at(5))],
            "newest deletion first, this tenant only"
        );
        assert_eq!(bin[1].entity, character("rex"), "the row as it was");

        assert!(
            matches!(
                index.purge(&a, &kind, &id("ann")).await,
                Err(EntityError::NotFound(_))
            ),
            "a live row is not purged"
        );
        assert!(index.exists(&a, &kind, &id("ann")).await.expect("exists"));
        index.purge(&a, &kind, &id("rex")).await.expect("purge");
        assert!(matches!(
            index.purge(&a, &kind, &id("rex")).await,
            Err(EntityError::NotFound(_))
        ));
        assert_eq!(index.list_deleted(&a).await.expect("list").len(), 1);
        assert_eq!(
            index.list_deleted(&b).await.expect("list").len(),
            1,
            "the other tenant's bin is untouched"
        );

        index.upsert(&a, &character("mira")).await.expect("restore");
        assert!(index.list_deleted(&a).await.expect("list").is_empty());
        assert!(index.exists(&a, &kind, &id("mira")).await.expect("exists"));
    }
}
