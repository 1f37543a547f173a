//! [`InviteRepository`] over the tenant-owned `invites` table.

use crate::SqlStore;
use crate::context::{Scope, UniqueRow, commit};
use crate::entities::invite;
use crate::error::{corrupt, db, taken};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, IntoActiveModel, QueryFilter};
use studiobrain_auth::error::AuthResult;
use studiobrain_auth::models::{EmailAddress, Invite, Role};
use studiobrain_auth::ports::InviteRepository;
use studiobrain_kernel::{TenantId, UserId};

fn to_row(invite: &Invite) -> invite::Model {
    invite::Model {
        id: invite.id.clone(),
        tenant_id: invite.tenant_id.to_string(),
        email: invite.email.as_str().to_owned(),
        role: invite.role.as_str().to_owned(),
        token_hash: invite.token_hash.clone(),
        invited_by: invite.invited_by.to_string(),
        expires_at: invite.expires_at,
        accepted_at: invite.accepted_at,
        created_at: invite.created_at,
    }
}

fn from_row(row: invite::Model) -> AuthResult<Invite> {
    Ok(Invite {
        id: row.id,
        tenant_id: TenantId::parse(row.tenant_id).map_err(corrupt)?,
        email: EmailAddress::parse(&row.email).map_err(corrupt)?,
        role: Role::parse(&row.role).map_err(corrupt)?,
        token_hash: row.token_hash,
        invited_by: UserId::parse(row.invited_by).map_err(corrupt)?,
        expires_at: row.expires_at,
        accepted_at: row.accepted_at,
        created_at: row.created_at,
    })
}

#[async_trait]
impl InviteRepository for SqlStore {
    async fn insert_invite(&self, invite: &Invite) -> AuthResult<()> {
        let txn = self.begin(Scope::Tenant(&invite.tenant_id)).await?;
        invite::Entity::insert(to_row(invite).into_active_model())
            .exec_without_returning(&txn)
            .await
            .map_err(taken("an invite with this id or token already exists"))?;
        commit(txn, ()).await
    }

    async fn find_invite(&self, token_hash: &str) -> AuthResult<Option<Invite>> {
        let txn = self.begin_read(Scope::Hash(token_hash)).await?;
        let row = invite::Entity::find()
            .filter(invite::Column::TokenHash.eq(token_hash))
            .unique_row(&txn)
            .await
            .map_err(db)?;
        commit(txn, row.map(from_row).transpose()?).await
    }

    /// Looks the invite's tenant up by id (the only read the id opens), then
    /// accepts it within that tenant, so the write passes the tenant check.
    async fn mark_invite_accepted(
        &self,
        tenant: &TenantId,
        id: &str,
        at: DateTime<Utc>,
    ) -> AuthResult<bool> {
        let txn = self.begin(Scope::Tenant(tenant)).await?;
        let updated = invite::Entity::update_many()
            .col_expr(invite::Column::AcceptedAt, Expr::value(at))
            .filter(invite::Column::TenantId.eq(tenant.as_str()))
            .filter(invite::Column::Id.eq(id))
            .filter(invite::Column::AcceptedAt.is_null())
            .exec(&txn)
            .await
            .map_err(db)?;
        commit(txn, updated.rows_affected == 1).await
    }
}
