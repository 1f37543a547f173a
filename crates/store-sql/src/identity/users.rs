//! [`UserRepository`] over the global `users` table.

use crate::SqlStore;
use crate::context::{Scope, UniqueRow, commit};
use crate::entities::user;
use crate::error::{corrupt, db, taken};
use async_trait::async_trait;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, IntoActiveModel, QueryFilter};
use studiobrain_auth::error::{AuthError, AuthResult};
use studiobrain_auth::models::{EmailAddress, User};
use studiobrain_auth::ports::UserRepository;
use studiobrain_kernel::UserId;

const EMAIL_TAKEN: &str = "a user with this e-mail address already exists";

fn to_row(user: &User) -> user::Model {
    user::Model {
        id: user.id.to_string(),
        email: user.email.as_str().to_owned(),
        display_name: user.display_name.clone(),
        password_hash: user.password_hash.clone(),
        token_version: user.token_version,
        created_at: user.created_at,
        updated_at: user.updated_at,
    }
}

fn from_row(row: user::Model) -> AuthResult<User> {
    Ok(User {
        id: UserId::parse(row.id).map_err(corrupt)?,
        email: EmailAddress::parse(&row.email).map_err(corrupt)?,
        display_name: row.display_name,
        password_hash: row.password_hash,
        token_version: row.token_version,
        created_at: row.created_at,
        updated_at: row.updated_at,
    })
}

#[async_trait]
impl UserRepository for SqlStore {
    async fn insert_user(&self, user: &User) -> AuthResult<()> {
        let txn = self.begin(Scope::Global).await?;
        user::Entity::insert(to_row(user).into_active_model())
            .exec_without_returning(&txn)
            .await
            .map_err(taken(EMAIL_TAKEN))?;
        commit(txn, ()).await
    }

    async fn get_user(&self, id: &UserId) -> AuthResult<Option<User>> {
        let txn = self.begin_read(Scope::Global).await?;
        let row = user::Entity::find_by_id(id.as_str())
            .unique_row(&txn)
            .await
            .map_err(db)?;
        commit(txn, row.map(from_row).transpose()?).await
    }

    async fn find_user_by_email(&self, email: &EmailAddress) -> AuthResult<Option<User>> {
        let txn = self.begin_read(Scope::Global).await?;
        let row = user::Entity::find()
            .filter(user::Column::Email.eq(email.as_str()))
            .unique_row(&txn)
            .await
            .map_err(db)?;
        commit(txn, row.map(from_row).transpose()?).await
    }

    async fn update_user(&self, user: &User) -> AuthResult<()> {
        let txn = self.begin(Scope::Global).await?;
        let updated = user::Entity::update_many()
            .set(to_row(user).into_active_model().reset_all())
            .filter(user::Column::Id.eq(user.id.as_str()))
            .exec(&txn)
            .await
            .map_err(taken(EMAIL_TAKEN))?;
        if updated.rows_affected == 0 {
            return Err(AuthError::NotFound("user"));
        }
        commit(txn, ()).await
    }

    async fn delete_user(&self, id: &UserId) -> AuthResult<()> {
        let txn = self.begin(Scope::Global).await?;
        let deleted = user::Entity::delete_by_id(id.as_str())
            .exec(&txn)
            .await
            .map_err(db)?;
        if deleted.rows_affected == 0 {
            return Err(AuthError::NotFound("user"));
        }
        commit(txn, ()).await
    }
}
