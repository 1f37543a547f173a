//! [`OneTimeTokenStore`] over the global `one_time_tokens` table.

use crate::SqlStore;
use crate::context::{Scope, UniqueRow, commit};
use crate::entities::one_time_token;
use crate::error::{corrupt, db, taken};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, IntoActiveModel, QueryFilter};
use studiobrain_auth::error::AuthResult;
use studiobrain_auth::models::{OneTimePurpose, OneTimeToken};
use studiobrain_auth::ports::OneTimeTokenStore;

fn to_row(token: &OneTimeToken) -> one_time_token::Model {
    one_time_token::Model {
        token_hash: token.token_hash.clone(),
        purpose: token.purpose.as_str().to_owned(),
        payload: token.payload.clone(),
        expires_at: token.expires_at,
        consumed_at: token.consumed_at,
    }
}

fn from_row(row: one_time_token::Model) -> AuthResult<OneTimeToken> {
    let purpose = [OneTimePurpose::PasswordReset, OneTimePurpose::OAuthState]
        .into_iter()
        .find(|purpose| purpose.as_str() == row.purpose)
        .ok_or_else(|| {
            corrupt(anyhow::anyhow!(
                "unknown one-time purpose '{}'",
                row.purpose
            ))
        })?;
    Ok(OneTimeToken {
        token_hash: row.token_hash,
        purpose,
        payload: row.payload,
        expires_at: row.expires_at,
        consumed_at: row.consumed_at,
    })
}

#[async_trait]
impl OneTimeTokenStore for SqlStore {
    async fn insert_one_time(&self, token: &OneTimeToken) -> AuthResult<()> {
        let txn = self.begin(Scope::Global).await?;
        one_time_token::Entity::insert(to_row(token).into_active_model())
            .exec_without_returning(&txn)
            .await
            .map_err(taken("a one-time token with this hash already exists"))?;
        commit(txn, ()).await
    }

    async fn consume_one_time(
        &self,
        token_hash: &str,
        purpose: OneTimePurpose,
        now: DateTime<Utc>,
    ) -> AuthResult<Option<OneTimeToken>> {
        let txn = self.begin(Scope::Global).await?;
        let consumed = one_time_token::Entity::update_many()
            .col_expr(one_time_token::Column::ConsumedAt, Expr::value(now))
            .filter(one_time_token::Column::TokenHash.eq(token_hash))
            .filter(one_time_token::Column::Purpose.eq(purpose.as_str()))
            .filter(one_time_token::Column::ConsumedAt.is_null())
            .filter(one_time_token::Column::ExpiresAt.gt(now))
            .exec(&txn)
            .await
            .map_err(db)?;
        if consumed.rows_affected != 1 {
            return commit(txn, None).await;
        }
        let row = one_time_token::Entity::find_by_id(token_hash)
            .unique_row(&txn)
            .await
            .map_err(db)?;
        commit(txn, row.map(from_row).transpose()?).await
    }
}
