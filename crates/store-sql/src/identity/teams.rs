//! [`TeamRepository`] over the tenant-owned `teams` and
//! `permission_templates` tables; member lists and permission sets are JSON.

use crate::SqlStore;
use crate::context::{Scope, UniqueRow, commit};
use crate::entities::{permission_template, team};
use crate::error::{corrupt, db, taken};
use async_trait::async_trait;
use sea_orm::{ColumnTrait, EntityTrait, IntoActiveModel, QueryFilter, QueryOrder};
use serde_json::Value;
use studiobrain_auth::error::AuthResult;
use studiobrain_auth::models::{PermissionTemplate, Team};
use studiobrain_auth::permissions::PermissionSet;
use studiobrain_auth::ports::TeamRepository;
use studiobrain_kernel::{TenantId, UserId};

fn team_row(team: &Team) -> team::Model {
    team::Model {
        id: team.id.clone(),
        tenant_id: team.tenant_id.to_string(),
        name: team.name.clone(),
        description: team.description.clone(),
        member_ids: team
            .member_ids
            .iter()
            .map(|id| Value::from(id.as_str()))
            .collect(),
        created_at: team.created_at,
    }
}

fn team_from(row: team::Model) -> AuthResult<Team> {
    Ok(Team {
        id: row.id,
        tenant_id: TenantId::parse(row.tenant_id).map_err(corrupt)?,
        name: row.name,
        description: row.description,
        member_ids: serde_json::from_value::<Vec<UserId>>(row.member_ids).map_err(corrupt)?,
        created_at: row.created_at,
    })
}

fn template_row(template: &PermissionTemplate) -> permission_template::Model {
    permission_template::Model {
        id: template.id.clone(),
        tenant_id: template.tenant_id.to_string(),
        name: template.name.clone(),
        description: template.description.clone(),
        permissions: template
            .permissions
            .names()
            .into_iter()
            .map(Value::from)
            .collect(),
        created_at: template.created_at,
    }
}

fn template_from(row: permission_template::Model) -> AuthResult<PermissionTemplate> {
    Ok(PermissionTemplate {
        id: row.id,
        tenant_id: TenantId::parse(row.tenant_id).map_err(corrupt)?,
        name: row.name,
        description: row.description,
        permissions: serde_json::from_value::<PermissionSet>(row.permissions).map_err(corrupt)?,
        created_at: row.created_at,
    })
}

#[async_trait]
impl TeamRepository for SqlStore {
    async fn insert_team(&self, team: &Team) -> AuthResult<()> {
        let txn = self.begin(Scope::Tenant(&team.tenant_id)).await?;
        team::Entity::insert(team_row(team).into_active_model())
            .exec_without_returning(&txn)
            .await
            .map_err(taken("a team with this name already exists"))?;
        commit(txn, ()).await
    }

    async fn list_teams(&self, tenant: &TenantId) -> AuthResult<Vec<Team>> {
        let txn = self.begin_read(Scope::Tenant(tenant)).await?;
        let rows = team::Entity::find()
            .filter(team::Column::TenantId.eq(tenant.as_str()))
            .order_by_asc(team::Column::Name)
            .all(&txn)
            .await
            .map_err(db)?;
        commit(
            txn,
            rows.into_iter().map(team_from).collect::<AuthResult<_>>()?,
        )
        .await
    }

    async fn get_team(&self, tenant: &TenantId, id: &str) -> AuthResult<Option<Team>> {
        let txn = self.begin_read(Scope::Tenant(tenant)).await?;
        let row = team::Entity::find_by_id(id)
            .filter(team::Column::TenantId.eq(tenant.as_str()))
            .unique_row(&txn)
            .await
            .map_err(db)?;
        commit(txn, row.map(team_from).transpose()?).await
    }

    async fn insert_permission_template(&self, template: &PermissionTemplate) -> AuthResult<()> {
        let txn = self.begin(Scope::Tenant(&template.tenant_id)).await?;
        permission_template::Entity::insert(template_row(template).into_active_model())
            .exec_without_returning(&txn)
            .await
            .map_err(taken("a permission template with this name already exists"))?;
        commit(txn, ()).await
    }

    async fn list_permission_templates(
        &self,
        tenant: &TenantId,
    ) -> AuthResult<Vec<PermissionTemplate>> {
        let txn = self.begin_read(Scope::Tenant(tenant)).await?;
        let rows = permission_template::Entity::find()
            .filter(permission_template::Column::TenantId.eq(tenant.as_str()))
            .order_by_asc(permission_template::Column::Name)
            .all(&txn)
            .await
            .map_err(db)?;
        commit(
            txn,
            rows.into_iter()
                .map(template_from)
                .collect::<AuthResult<_>>()?,
        )
        .await
    }

    async fn get_permission_template(
        &self,
        tenant: &TenantId,
        id: &str,
    ) -> AuthResult<Option<PermissionTemplate>> {
        let txn = self.begin_read(Scope::Tenant(tenant)).await?;
        let row = permission_template::Entity::find_by_id(id)
            .filter(permission_template::Column::TenantId.eq(tenant.as_str()))
            .unique_row(&txn)
            .await
            .map_err(db)?;
        commit(txn, row.map(template_from).transpose()?).await
    }
}
