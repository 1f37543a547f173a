//! API keys: random `sb_` secrets, shown once, stored as hashes, acting with
//! at most the creator's role.

use super::session::API_KEY_PREFIX;
use super::{AuthService, Principal};
use crate::error::{AuthError, AuthResult};
use crate::models::{ApiKey, ApiKeyScope, Role};
use crate::permissions::Permission;
use crate::secrets::{hash_token, random_token};
use studiobrain_kernel::UserId;

/// A key just created; `secret` is shown this once.
#[derive(Debug, Clone)]
pub struct CreatedApiKey {
    /// The stored record.
    pub key: ApiKey,
    /// The full key, `sb_...`.
    pub secret: String,
}

impl AuthService {
    /// Creates an API key for the caller with `role` (default: the caller's
    /// own; never more).
    ///
    /// # Errors
    /// [`AuthError::Forbidden`] for a role above the caller's or when called
    /// with an API key; [`AuthError::Invalid`] for an empty name.
    pub async fn create_api_key(
        &self,
        principal: &Principal,
        name: &str,
        role: Option<Role>,
    ) -> AuthResult<CreatedApiKey> {
        if !matches!(principal.credential, super::Credential::Session { .. }) {
            return Err(AuthError::Forbidden(
                "API keys cannot create API keys".into(),
            ));
        }
        let role = role.unwrap_or(principal.role);
        if !principal.role.at_least(role) {
            return Err(AuthError::Forbidden(
                "an API key cannot have a role above your own".into(),
            ));
        }
        let name = name.trim();
        if name.is_empty() || name.len() > 100 {
            return Err(AuthError::Invalid(
                "key name must be 1 to 100 characters".into(),
            ));
        }
        self.mint_key(principal, &principal.user_id, name, role, ApiKeyScope::Api)
            .await
    }

    async fn mint_key(
        &self,
        principal: &Principal,
        user: &UserId,
        name: &str,
        role: Role,
        scope: ApiKeyScope,
    ) -> AuthResult<CreatedApiKey> {
        let secret = format!("{API_KEY_PREFIX}{}", random_token());
        let key = ApiKey {
            id: self.ids.new_id(),
            tenant_id: principal.tenant_id.clone(),
            user_id: user.clone(),
            name: name.to_owned(),
            prefix: secret.chars().take(10).collect(),
            key_hash: hash_token(&secret),
            role,
            scope,
            created_at: self.clock.now(),
            revoked_at: None,
        };
        self.ports.api_keys.insert_api_key(&key).await?;
        Ok(CreatedApiKey { key, secret })
    }

    /// The caller's keys, or every key of the tenant for administrators.
    ///
    /// # Errors
    /// Storage failures.
    pub async fn list_api_keys(&self, principal: &Principal) -> AuthResult<Vec<ApiKey>> {
        let only = (!principal.permissions.contains(Permission::UsersManage))
            .then_some(&principal.user_id);
        self.ports
            .api_keys
            .list_api_keys(&principal.tenant_id, only)
            .await
    }

    /// Revokes a key: one's own, or any of the tenant for administrators.
    ///
    /// # Errors
    /// [`AuthError::NotFound`] for a key of another user (non-admins), of
    /// another tenant, or already revoked.
    pub async fn revoke_api_key(&self, principal: &Principal, id: &str) -> AuthResult<()> {
        let visible = self.list_api_keys(principal).await?;
        if !visible.iter().any(|k| k.id == id && k.revoked_at.is_none()) {
            return Err(AuthError::NotFound("API key"));
        }
        self.ports
            .api_keys
            .revoke_api_key(&principal.tenant_id, id, self.clock.now())
            .await?;
        self.forget_principals();
        Ok(())
    }

    fn check_self_or_admin(principal: &Principal, user: &UserId) -> AuthResult<()> {
        if *user == principal.user_id {
            Ok(())
        } else {
            principal.require(Permission::UsersManage)
        }
    }

    /// The live AI-scoped key of a member (metadata only; the secret is never
    /// shown again).
    ///
    /// # Errors
    /// [`AuthError::NotFound`] when the user is not a member or has no key.
    pub async fn ai_key_of(&self, principal: &Principal, user: &UserId) -> AuthResult<ApiKey> {
        Self::check_self_or_admin(principal, user)?;
        self.ports
            .api_keys
            .list_api_keys(&principal.tenant_id, Some(user))
            .await?
            .into_iter()
            .find(|k| k.scope == ApiKeyScope::Ai && k.revoked_at.is_none())
            .ok_or(AuthError::NotFound("API key"))
    }

    /// Replaces a member's AI-scoped key: revokes the old one, returns the new.
    ///
    /// # Errors
    /// [`AuthError::NotFound`] when the user is not a member of the tenant.
    pub async fn regenerate_ai_key(
        &self,
        principal: &Principal,
        user: &UserId,
    ) -> AuthResult<CreatedApiKey> {
        Self::check_self_or_admin(principal, user)?;
        let membership = self
            .ports
            .tenants
            .get_membership(&principal.tenant_id, user)
            .await?
            .ok_or(AuthError::NotFound("user"))?;
        self.ports
            .api_keys
            .revoke_api_keys_of(
                &principal.tenant_id,
                user,
                ApiKeyScope::Ai,
                self.clock.now(),
            )
            .await?;
        self.forget_principals();
        self.mint_key(
            principal,
            user,
            "AI service key",
            membership.role,
            ApiKeyScope::Ai,
        )
        .await
    }
}
