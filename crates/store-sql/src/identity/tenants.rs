//! [`TenantRepository`] over `tenants` (global) and `memberships` (tenant-owned).

use crate::SqlStore;
use crate::context::{Scope, UniqueRow, commit};
use crate::entities::{membership, tenant};
use crate::error::{corrupt, db, taken};
use async_trait::async_trait;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, EntityTrait, IntoActiveModel, QueryFilter, QueryOrder,
};
use studiobrain_auth::error::{AuthError, AuthResult};
use studiobrain_auth::models::{Membership, Role, Tenant};
use studiobrain_auth::ports::TenantRepository;
use studiobrain_kernel::{TenantId, UserId};

const SLUG_TAKEN: &str = "a tenant with this id or slug already exists";

fn tenant_row(tenant: &Tenant) -> tenant::Model {
    tenant::Model {
        id: tenant.id.to_string(),
        name: tenant.name.clone(),
        slug: tenant.slug.clone(),
        plan: tenant.plan.clone(),
        settings: tenant.settings.clone(),
        created_at: tenant.created_at,
    }
}

fn tenant_from(row: tenant::Model) -> AuthResult<Tenant> {
    Ok(Tenant {
        id: TenantId::parse(row.id).map_err(corrupt)?,
        name: row.name,
        slug: row.slug,
        plan: row.plan,
        settings: row.settings,
        created_at: row.created_at,
    })
}

fn membership_row(membership: &Membership) -> membership::Model {
    membership::Model {
        tenant_id: membership.tenant_id.to_string(),
        user_id: membership.user_id.to_string(),
        role: membership.role.as_str().to_owned(),
        permission_template_id: membership.permission_template_id.clone(),
        subscription_tier: membership.subscription_tier.clone(),
        is_active: membership.is_active,
        created_at: membership.created_at,
    }
}

fn membership_from(row: membership::Model) -> AuthResult<Membership> {
    Ok(Membership {
        tenant_id: TenantId::parse(row.tenant_id).map_err(corrupt)?,
        user_id: UserId::parse(row.user_id).map_err(corrupt)?,
        role: Role::parse(&row.role).map_err(corrupt)?,
        permission_template_id: row.permission_template_id,
        subscription_tier: row.subscription_tier,
        is_active: row.is_active,
        created_at: row.created_at,
    })
}

/// Selects the membership of `user` in `tenant`.
fn one_membership(tenant: &TenantId, user: &UserId) -> sea_orm::Condition {
    sea_orm::Condition::all()
        .add(membership::Column::TenantId.eq(tenant.as_str()))
        .add(membership::Column::UserId.eq(user.as_str()))
}

#[async_trait]
impl TenantRepository for SqlStore {
    async fn insert_tenant(&self, tenant: &Tenant) -> AuthResult<()> {
        let txn = self.begin(Scope::Global).await?;
        tenant::Entity::insert(tenant_row(tenant).into_active_model())
            .exec_without_returning(&txn)
            .await
            .map_err(taken(SLUG_TAKEN))?;
        commit(txn, ()).await
    }

    async fn get_tenant(&self, id: &TenantId) -> AuthResult<Option<Tenant>> {
        let txn = self.begin_read(Scope::Global).await?;
        let row = tenant::Entity::find_by_id(id.as_str())
            .unique_row(&txn)
            .await
            .map_err(db)?;
        commit(txn, row.map(tenant_from).transpose()?).await
    }

    async fn update_tenant(&self, tenant: &Tenant) -> AuthResult<()> {
        let txn = self.begin(Scope::Global).await?;
        let updated = tenant::Entity::update_many()
            .set(tenant_row(tenant).into_active_model().reset_all())
            .filter(tenant::Column::Id.eq(tenant.id.as_str()))
            .exec(&txn)
            .await
            .map_err(taken(SLUG_TAKEN))?;
        if updated.rows_affected == 0 {
            return Err(AuthError::NotFound("tenant"));
        }
        commit(txn, ()).await
    }

    async fn insert_membership(&self, membership: &Membership) -> AuthResult<()> {
        let txn = self.begin(Scope::Tenant(&membership.tenant_id)).await?;
        membership::Entity::insert(membership_row(membership).into_active_model())
            .exec_without_returning(&txn)
            .await
            .map_err(taken("the user is already a member of this tenant"))?;
        commit(txn, ()).await
    }

    async fn get_membership(
        &self,
        tenant: &TenantId,
        user: &UserId,
    ) -> AuthResult<Option<Membership>> {
        let txn = self.begin_read(Scope::Tenant(tenant)).await?;
        let row = membership::Entity::find()
            .filter(one_membership(tenant, user))
            .unique_row(&txn)
            .await
            .map_err(db)?;
        commit(txn, row.map(membership_from).transpose()?).await
    }

    async fn list_memberships(&self, tenant: &TenantId) -> AuthResult<Vec<Membership>> {
        let txn = self.begin_read(Scope::Tenant(tenant)).await?;
        let rows = membership::Entity::find()
            .filter(membership::Column::TenantId.eq(tenant.as_str()))
            .order_by_asc(membership::Column::CreatedAt)
            .order_by_asc(membership::Column::UserId)
            .all(&txn)
            .await
            .map_err(db)?;
        commit(
            txn,
            rows.into_iter()
                .map(membership_from)
                .collect::<AuthResult<_>>()?,
        )
        .await
    }

    async fn memberships_of_user(&self, user: &UserId) -> AuthResult<Vec<Membership>> {
        let txn = self.begin_read(Scope::User(user)).await?;
        let rows = membership::Entity::find()
            .filter(membership::Column::UserId.eq(user.as_str()))
            .order_by_asc(membership::Column::CreatedAt)
            .order_by_asc(membership::Column::TenantId)
            .all(&txn)
            .await
            .map_err(db)?;
        commit(
            txn,
            rows.into_iter()
                .map(membership_from)
                .collect::<AuthResult<_>>()?,
        )
        .await
    }

    async fn update_membership(&self, membership: &Membership) -> AuthResult<()> {
        let txn = self.begin(Scope::Tenant(&membership.tenant_id)).await?;
        let updated = membership::Entity::update_many()
            .set(membership_row(membership).into_active_model().reset_all())
            .filter(one_membership(&membership.tenant_id, &membership.user_id))
            .exec(&txn)
            .await
            .map_err(db)?;
        if updated.rows_affected == 0 {
            return Err(AuthError::NotFound("membership"));
        }
        commit(txn, ()).await
    }

    async fn delete_membership(&self, tenant: &TenantId, user: &UserId) -> AuthResult<()> {
        let txn = self.begin(Scope::Tenant(tenant)).await?;
        let deleted = membership::Entity::delete_many()
            .filter(one_membership(tenant, user))
            .exec(&txn)
            .await
            .map_err(db)?;
        if deleted.rows_affected == 0 {
            return Err(AuthError::NotFound("membership"));
        }
        commit(txn, ()).await
    }
}
