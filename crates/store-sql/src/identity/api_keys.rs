//! [`ApiKeyRepository`] over the tenant-owned `api_keys` table.

use crate::SqlStore;
use crate::context::{Scope, UniqueRow, commit};
use crate::entities::api_key;
use crate::error::{corrupt, db, taken};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, IntoActiveModel, QueryFilter, QueryOrder, QueryTrait};
use studiobrain_auth::error::{AuthError, AuthResult};
use studiobrain_auth::models::{ApiKey, ApiKeyScope, Role};
use studiobrain_auth::ports::ApiKeyRepository;
use studiobrain_kernel::{TenantId, UserId};

fn to_row(key: &ApiKey) -> api_key::Model {
    api_key::Model {
        id: key.id.clone(),
        tenant_id: key.tenant_id.to_string(),
        user_id: key.user_id.to_string(),
        name: key.name.clone(),
        prefix: key.prefix.clone(),
        key_hash: key.key_hash.clone(),
        role: key.role.as_str().to_owned(),
        scope: key.scope.as_str().to_owned(),
        created_at: key.created_at,
        revoked_at: key.revoked_at,
    }
}

fn from_row(row: api_key::Model) -> AuthResult<ApiKey> {
    Ok(ApiKey {
        id: row.id,
        tenant_id: TenantId::parse(row.tenant_id).map_err(corrupt)?,
        user_id: UserId::parse(row.user_id).map_err(corrupt)?,
        name: row.name,
        prefix: row.prefix,
        key_hash: row.key_hash,
        role: Role::parse(&row.role).map_err(corrupt)?,
        scope: ApiKeyScope::parse(&row.scope).map_err(corrupt)?,
        created_at: row.created_at,
        revoked_at: row.revoked_at,
    })
}

#[async_trait]
impl ApiKeyRepository for SqlStore {
    async fn insert_api_key(&self, key: &ApiKey) -> AuthResult<()> {
        let txn = self.begin(Scope::Tenant(&key.tenant_id)).await?;
        api_key::Entity::insert(to_row(key).into_active_model())
            .exec_without_returning(&txn)
            .await
            .map_err(taken("an API key with this id or hash already exists"))?;
        commit(txn, ()).await
    }

    async fn find_api_key(&self, key_hash: &str) -> AuthResult<Option<ApiKey>> {
        let txn = self.begin_read(Scope::Hash(key_hash)).await?;
        let row = api_key::Entity::find()
            .filter(api_key::Column::KeyHash.eq(key_hash))
            .unique_row(&txn)
            .await
            .map_err(db)?;
        commit(txn, row.map(from_row).transpose()?).await
    }

    async fn list_api_keys<'a>(
        &self,
        tenant: &TenantId,
        user: Option<&'a UserId>,
    ) -> AuthResult<Vec<ApiKey>> {
        let txn = self.begin_read(Scope::Tenant(tenant)).await?;
        let rows = api_key::Entity::find()
            .filter(api_key::Column::TenantId.eq(tenant.as_str()))
            .apply_if(user, |query, user| {
                query.filter(api_key::Column::UserId.eq(user.as_str()))
            })
            .order_by_desc(api_key::Column::CreatedAt)
            .order_by_desc(api_key::Column::Id)
            .all(&txn)
            .await
            .map_err(db)?;
        commit(
            txn,
            rows.into_iter().map(from_row).collect::<AuthResult<_>>()?,
        )
        .await
    }

    async fn revoke_api_key(
        &self,
        tenant: &TenantId,
        id: &str,
        at: DateTime<Utc>,
    ) -> AuthResult<()> {
        let txn = self.begin(Scope::Tenant(tenant)).await?;
        let updated = api_key::Entity::update_many()
            .col_expr(api_key::Column::RevokedAt, Expr::value(at))
            .filter(api_key::Column::TenantId.eq(tenant.as_str()))
            .filter(api_key::Column::Id.eq(id))
            .filter(api_key::Column::RevokedAt.is_null())
            .exec(&txn)
            .await
            .map_err(db)?;
        if updated.rows_affected == 0 {
            return Err(AuthError::NotFound("API key"));
        }
        commit(txn, ()).await
    }

    async fn revoke_api_keys_of(
        &self,
        tenant: &TenantId,
        user: &UserId,
        scope: ApiKeyScope,
        at: DateTime<Utc>,
    ) -> AuthResult<()> {
        let txn = self.begin(Scope::Tenant(tenant)).await?;
        api_key::Entity::update_many()
            .col_expr(api_key::Column::RevokedAt, Expr::value(at))
            .filter(api_key::Column::TenantId.eq(tenant.as_str()))
            .filter(api_key::Column::UserId.eq(user.as_str()))
            .filter(api_key::Column::Scope.eq(scope.as_str()))
            .filter(api_key::Column::RevokedAt.is_null())
            .exec(&txn)
            .await
            .map_err(db)?;
        commit(txn, ()).await
    }
}
