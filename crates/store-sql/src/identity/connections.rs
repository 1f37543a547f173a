//! [`ConnectionRepository`] over the tenant-owned `provider_connections`
//! table; granted scopes are JSON.

use crate::SqlStore;
use crate::context::{Scope, UniqueRow, commit};
use crate::entities::provider_connection;
use crate::error::{corrupt, db, taken};
use async_trait::async_trait;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, IntoActiveModel, QueryFilter};
use serde_json::Value;
use studiobrain_auth::error::{AuthError, AuthResult};
use studiobrain_auth::models::ProviderConnection;
use studiobrain_auth::ports::ConnectionRepository;
use studiobrain_kernel::{TenantId, UserId};

fn connection_row(connection: &ProviderConnection) -> provider_connection::Model {
    provider_connection::Model {
        tenant_id: connection.tenant_id.to_string(),
        user_id: connection.user_id.to_string(),
        provider: connection.provider.clone(),
        sealed_access_token: connection.sealed_access_token.clone(),
        sealed_refresh_token: connection.sealed_refresh_token.clone(),
        expires_at: connection.expires_at,
        scopes: connection
            .scopes
            .iter()
            .map(|scope| Value::from(scope.as_str()))
            .collect(),
        created_at: connection.created_at,
        updated_at: connection.updated_at,
    }
}

fn connection_from(row: provider_connection::Model) -> AuthResult<ProviderConnection> {
    Ok(ProviderConnection {
        tenant_id: TenantId::parse(row.tenant_id).map_err(corrupt)?,
        user_id: UserId::parse(row.user_id).map_err(corrupt)?,
        provider: row.provider,
        sealed_access_token: row.sealed_access_token,
        sealed_refresh_token: row.sealed_refresh_token,
        expires_at: row.expires_at,
        scopes: serde_json::from_value::<Vec<String>>(row.scopes).map_err(corrupt)?,
        created_at: row.created_at,
        updated_at: row.updated_at,
    })
}

/// The connection of `user` in `tenant` to `provider`.
fn one_connection(tenant: &TenantId, user: &UserId, provider: &str) -> sea_orm::Condition {
    sea_orm::Condition::all()
        .add(provider_connection::Column::TenantId.eq(tenant.as_str()))
        .add(provider_connection::Column::UserId.eq(user.as_str()))
        .add(provider_connection::Column::Provider.eq(provider))
}

#[async_trait]
impl ConnectionRepository for SqlStore {
    async fn upsert_connection(&self, connection: &ProviderConnection) -> AuthResult<()> {
        let txn = self.begin(Scope::Tenant(&connection.tenant_id)).await?;
        let key = one_connection(
            &connection.tenant_id,
            &connection.user_id,
            &connection.provider,
        );
        let existing = provider_connection::Entity::find()
            .filter(key.clone())
            .unique_row(&txn)
            .await
            .map_err(db)?;
        let mut row = connection_row(connection);
        match existing {
            Some(existing) => {
                row.created_at = existing.created_at;
                provider_connection::Entity::update_many()
                    .set(row.into_active_model().reset_all())
                    .filter(key)
                    .exec(&txn)
                    .await
                    .map_err(db)?;
            }
            None => {
                provider_connection::Entity::insert(row.into_active_model())
                    .exec_without_returning(&txn)
                    .await
                    .map_err(taken("this connection already exists"))?;
            }
        }
        commit(txn, ()).await
    }

    async fn get_connection(
        &self,
        tenant: &TenantId,
        user: &UserId,
        provider: &str,
    ) -> AuthResult<Option<ProviderConnection>> {
        let txn = self.begin_read(Scope::Tenant(tenant)).await?;
        let row = provider_connection::Entity::find()
            .filter(one_connection(tenant, user, provider))
            .unique_row(&txn)
            .await
            .map_err(db)?;
        commit(txn, row.map(connection_from).transpose()?).await
    }

    async fn delete_connection(
        &self,
        tenant: &TenantId,
        user: &UserId,
        provider: &str,
    ) -> AuthResult<()> {
        let txn = self.begin(Scope::Tenant(tenant)).await?;
        let deleted = provider_connection::Entity::delete_many()
            .filter(one_connection(tenant, user, provider))
            .exec(&txn)
            .await
            .map_err(db)?;
        if deleted.rows_affected == 0 {
            return Err(AuthError::NotFound("connection"));
        }
        commit(txn, ()).await
    }
}
