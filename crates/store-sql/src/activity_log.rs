//! [`ActivityLog`] over the tenant-owned `activity` table. Entries of
//! several tenants arrive in one batch; each tenant's share is written in a
//! transaction scoped to that tenant (row-level security on PostgreSQL).

use crate::SqlStore;
use crate::context::{Paged, Scope, commit};
use crate::entities::activity::{self, Column};
use crate::error::DbFailure;
use async_trait::async_trait;
use sea_orm::{
    ColumnTrait, Condition, EntityTrait, IntoActiveModel, PaginatorTrait, QueryFilter, QueryOrder,
};
use std::collections::BTreeMap;
use studiobrain_entity::{EntityError, EntityResult};
use studiobrain_kernel::{EntityAction, TenantId};
use studiobrain_sync::activity::{ActivityEntry, ActivityLog, ActivityPage, ActivityQuery};

fn row_of(entry: &ActivityEntry) -> activity::Model {
    activity::Model {
        id: entry.id.clone(),
        tenant_id: entry.tenant_id.to_string(),
        at: entry.at,
        action: entry.action.as_str().to_owned(),
        entity_type: entry.entity_type.clone(),
        entity_id: entry.entity_id.clone(),
        previous_id: entry.previous_id.clone(),
        revision: entry.revision,
        changed_by: entry.changed_by.clone(),
    }
}

fn entry_of(row: activity::Model) -> EntityResult<ActivityEntry> {
    let corrupt = |what: String| {
        EntityError::Unexpected(anyhow::anyhow!("invalid value in the database: {what}"))
    };
    Ok(ActivityEntry {
        action: EntityAction::parse(&row.action)
            .ok_or_else(|| corrupt(format!("activity action '{}'", row.action)))?,
        tenant_id: TenantId::parse(&row.tenant_id)
            .map_err(|_| corrupt(format!("tenant id '{}'", row.tenant_id)))?,
        id: row.id,
        at: row.at,
        entity_type: row.entity_type,
        entity_id: row.entity_id,
        previous_id: row.previous_id,
        revision: row.revision,
        changed_by: row.changed_by,
    })
}

#[async_trait]
impl ActivityLog for SqlStore {
    async fn append(&self, entries: &[ActivityEntry]) -> EntityResult<()> {
        let mut by_tenant: BTreeMap<&TenantId, Vec<activity::ActiveModel>> = BTreeMap::new();
        for entry in entries {
            by_tenant
                .entry(&entry.tenant_id)
                .or_default()
                .push(row_of(entry).into_active_model());
        }
        for (tenant, rows) in by_tenant {
            let txn = self.begin(Scope::Tenant(tenant)).await?;
            activity::Entity::insert_many(rows)
                .exec_without_returning(&txn)
                .await
                .map_err(DbFailure)?;
            commit::<_, EntityError>(txn, ()).await?;
        }
        Ok(())
    }

    async fn history(
        &self,
        tenant: &TenantId,
        query: &ActivityQuery,
    ) -> EntityResult<ActivityPage> {
        let mut filter = Condition::all().add(Column::TenantId.eq(tenant.as_str()));
        if let Some(entity_type) = &query.entity_type {
            filter = filter.add(Column::EntityType.eq(entity_type.as_str()));
        }
        if let Some(entity_id) = &query.entity_id {
            filter = filter.add(Column::EntityId.eq(entity_id.as_str()));
        }
        if let Some(changed_by) = &query.changed_by {
            filter = filter.add(Column::ChangedBy.eq(changed_by.as_str()));
        }
        if let Some(action) = query.action {
            filter = filter.add(Column::Action.eq(action.as_str()));
        }
        let matching = activity::Entity::find().filter(filter);
        let txn = self.begin_read(Scope::Tenant(tenant)).await?;
        let total = matching.clone().count(&txn).await.map_err(DbFailure)?;
        let rows = matching
            .order_by_desc(Column::Id)
            .page(query.offset, query.limit)
            .all(&txn)
            .await
            .map_err(DbFailure)?;
        let entries = rows
            .into_iter()
            .map(entry_of)
            .collect::<EntityResult<_>>()?;
        commit(txn, ActivityPage { total, entries }).await
    }
}
