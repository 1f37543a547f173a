//! [`SessionRepository`] over the user-scoped `refresh_tokens` table.

use crate::SqlStore;
use crate::context::{Scope, UniqueRow, commit};
use crate::entities::refresh_token;
use crate::error::{corrupt, db, taken};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, IntoActiveModel, QueryFilter};
use studiobrain_auth::error::AuthResult;
use studiobrain_auth::models::RefreshToken;
use studiobrain_auth::ports::SessionRepository;
use studiobrain_kernel::{TenantId, UserId};

fn to_row(token: &RefreshToken) -> refresh_token::Model {
    refresh_token::Model {
        id: token.id.clone(),
        family_id: token.family_id.clone(),
        user_id: token.user_id.to_string(),
        active_tenant_id: token.active_tenant_id.to_string(),
        token_hash: token.token_hash.clone(),
        expires_at: token.expires_at,
        used_at: token.used_at,
        revoked_at: token.revoked_at,
        created_at: token.created_at,
    }
}

fn from_row(row: refresh_token::Model) -> AuthResult<RefreshToken> {
    Ok(RefreshToken {
        id: row.id,
        family_id: row.family_id,
        user_id: UserId::parse(row.user_id).map_err(corrupt)?,
        active_tenant_id: TenantId::parse(row.active_tenant_id).map_err(corrupt)?,
        token_hash: row.token_hash,
        expires_at: row.expires_at,
        used_at: row.used_at,
        revoked_at: row.revoked_at,
        created_at: row.created_at,
    })
}

impl SqlStore {
    /// Revokes the live tokens matching `filter`.
    async fn revoke_tokens(
        &self,
        filter: impl ColumnTrait,
        value: &str,
        at: DateTime<Utc>,
    ) -> AuthResult<()> {
        let txn = self.begin(Scope::Global).await?;
        refresh_token::Entity::update_many()
            .col_expr(refresh_token::Column::RevokedAt, Expr::value(at))
            .filter(filter.eq(value))
            .filter(refresh_token::Column::RevokedAt.is_null())
            .exec(&txn)
            .await
            .map_err(db)?;
        commit(txn, ()).await
    }
}

#[async_trait]
impl SessionRepository for SqlStore {
    async fn insert_refresh_token(&self, token: &RefreshToken) -> AuthResult<()> {
        let txn = self.begin(Scope::Global).await?;
        refresh_token::Entity::insert(to_row(token).into_active_model())
            .exec_without_returning(&txn)
            .await
            .map_err(taken("a refresh token with this id or hash already exists"))?;
        commit(txn, ()).await
    }

    async fn find_refresh_token(&self, token_hash: &str) -> AuthResult<Option<RefreshToken>> {
        let txn = self.begin_read(Scope::Global).await?;
        let row = refresh_token::Entity::find()
            .filter(refresh_token::Column::TokenHash.eq(token_hash))
            .unique_row(&txn)
            .await
            .map_err(db)?;
        commit(txn, row.map(from_row).transpose()?).await
    }

    async fn mark_refresh_token_used(&self, id: &str, at: DateTime<Utc>) -> AuthResult<bool> {
        let txn = self.begin(Scope::Global).await?;
        let updated = refresh_token::Entity::update_many()
            .col_expr(refresh_token::Column::UsedAt, Expr::value(at))
            .filter(refresh_token::Column::Id.eq(id))
            .filter(refresh_token::Column::UsedAt.is_null())
            .exec(&txn)
            .await
            .map_err(db)?;
        commit(txn, updated.rows_affected == 1).await
    }

    async fn revoke_family(&self, family_id: &str, at: DateTime<Utc>) -> AuthResult<()> {
        self.revoke_tokens(refresh_token::Column::FamilyId, family_id, at)
            .await
    }

    async fn revoke_user_sessions(&self, user: &UserId, at: DateTime<Utc>) -> AuthResult<()> {
        self.revoke_tokens(refresh_token::Column::UserId, user.as_str(), at)
            .await
    }
}
