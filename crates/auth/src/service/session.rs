//! Signing in and out: login, refresh-token rotation, logout, tenant
//! switching, and turning a presented credential into a [`Principal`].

use super::{AuthService, Credential, Principal};
use crate::error::{AuthError, AuthResult};
use crate::models::{EmailAddress, Membership, RefreshToken, Role, User};
use crate::password;
use crate::permissions::PermissionSet;
use crate::secrets::{hash_token, random_token};
use crate::service::MemberView;
use crate::tokens::{AccessClaims, AccessGrant};
use chrono::DateTime;
use std::sync::Arc;
use studiobrain_kernel::{TenantId, UserId};

/// Prefix of every API key.
pub const API_KEY_PREFIX: &str = "sb_";

/// The tokens handed to a client that signed in.
#[derive(Debug, Clone)]
pub struct SessionTokens {
    /// Short-lived JWT.
    pub access_token: String,
    /// Opaque, single-use refresh token.
    pub refresh_token: String,
    /// Seconds until the access token expires.
    pub expires_in: i64,
    /// The signed-in user.
    pub user: User,
    /// The active tenant.
    pub tenant_id: TenantId,
    /// Role in the active tenant.
    pub role: Role,
}

impl AuthService {
    /// Signs in with e-mail and password into the user's first active tenant.
    /// Unknown e-mail, wrong password and a user with no active membership
    /// all give the same [`AuthError::Unauthenticated`] after the same work.
    ///
    /// # Errors
    /// [`AuthError::Unauthenticated`] for bad credentials.
    pub async fn login(&self, email: &str, password: &str) -> AuthResult<SessionTokens> {
        let email = EmailAddress::parse(email).map_err(|_| AuthError::Unauthenticated)?;
        let user = self.ports.users.find_user_by_email(&email).await?;
        let stored = user.as_ref().and_then(|u| u.password_hash.clone());
        if !password::verify(password.to_owned(), stored).await? {
            return Err(AuthError::Unauthenticated);
        }
        self.sign_in(user.ok_or(AuthError::Unauthenticated)?).await
    }

    /// Opens a session for a verified `user` in their first active tenant.
    ///
    /// # Errors
    /// [`AuthError::Unauthenticated`] when no membership is active.
    pub(crate) async fn sign_in(&self, user: User) -> AuthResult<SessionTokens> {
        let membership = self
            .ports
            .tenants
            .memberships_of_user(&user.id)
            .await?
            .into_iter()
            .find(|m| m.is_active)
            .ok_or(AuthError::Unauthenticated)?;
        self.open_session(user, &membership).await
    }

    /// Starts a new refresh-token family for `user` in the membership's
    /// tenant and issues the first pair of tokens.
    ///
    /// # Errors
    /// [`AuthError::Unexpected`] on storage or signing failure.
    pub async fn open_session(
        &self,
        user: User,
        membership: &Membership,
    ) -> AuthResult<SessionTokens> {
        let family_id = self.ids.new_id();
        self.issue_pair(user, membership, family_id).await
    }

    async fn issue_pair(
        &self,
        user: User,
        membership: &Membership,
        family_id: String,
    ) -> AuthResult<SessionTokens> {
        let now = self.clock.now();
        let refresh_token = random_token();
        self.ports
            .sessions
            .insert_refresh_token(&RefreshToken {
                id: self.ids.new_id(),
                family_id: family_id.clone(),
                user_id: user.id.clone(),
                active_tenant_id: membership.tenant_id.clone(),
                token_hash: hash_token(&refresh_token),
                expires_at: now + self.tokens.refresh_ttl,
                used_at: None,
                revoked_at: None,
                created_at: now,
            })
            .await?;
        let access_token = self.tokens.issue(
            AccessGrant {
                user_id: &user.id,
                tenant_id: &membership.tenant_id,
                role: membership.role,
                token_version: user.token_version,
                session_id: &family_id,
            },
            now,
        )?;
        Ok(SessionTokens {
            access_token,
            refresh_token,
            expires_in: self.tokens.access_ttl.num_seconds(),
            user,
            tenant_id: membership.tenant_id.clone(),
            role: membership.role,
        })
    }

    /// Exchanges a refresh token for a new pair (rotation). Presenting a
    /// token that was already used revokes its whole family.
    ///
    /// # Errors
    /// [`AuthError::Unauthenticated`] for an unknown, expired, revoked or
    /// reused token, or when the user lost access to the tenant.
    pub async fn refresh(&self, refresh_token: &str) -> AuthResult<SessionTokens> {
        let now = self.clock.now();
        let stored = self
            .ports
            .sessions
            .find_refresh_token(&hash_token(refresh_token))
            .await?
            .ok_or(AuthError::Unauthenticated)?;
        if stored.revoked_at.is_some() || stored.expires_at <= now {
            return Err(AuthError::Unauthenticated);
        }
        let first_use = stored.used_at.is_none()
            && self
                .ports
                .sessions
                .mark_refresh_token_used(&stored.id, now)
                .await?;
        if !first_use {
            tracing::warn!(family = %stored.family_id, "refresh token reuse: revoking family");
            self.ports
                .sessions
                .revoke_family(&stored.family_id, now)
                .await?;
            return Err(AuthError::Unauthenticated);
        }
        let user = self
            .ports
            .users
            .get_user(&stored.user_id)
            .await?
            .ok_or(AuthError::Unauthenticated)?;
        let membership = self
            .active_membership(&stored.active_tenant_id, &user.id)
            .await?;
        self.issue_pair(user, &membership, stored.family_id).await
    }

    /// Signs the user out everywhere: revokes every refresh token and, by
    /// bumping the token version, every outstanding access token.
    ///
    /// # Errors
    /// [`AuthError::NotFound`] if the user vanished.
    pub async fn logout(&self, principal: &Principal) -> AuthResult<()> {
        self.revoke_all_tokens(&principal.user_id).await
    }

    /// Revokes every refresh and access token of `user`.
    pub(crate) async fn revoke_all_tokens(&self, user: &UserId) -> AuthResult<()> {
        let now = self.clock.now();
        let mut account = self.user_or_not_found(user).await?;
        account.token_version += 1;
        account.updated_at = now;
        self.ports.users.update_user(&account).await?;
        self.forget_principals();
        self.ports.sessions.revoke_user_sessions(user, now).await
    }

    /// Switches the caller's active tenant: a new session in `tenant`.
    ///
    /// # Errors
    /// [`AuthError::NotFound`] when the caller is not an active member of it.
    pub async fn select_tenant(
        &self,
        principal: &Principal,
        tenant: &TenantId,
    ) -> AuthResult<SessionTokens> {
        let membership = self
            .active_membership(tenant, &principal.user_id)
            .await
            .map_err(|_| AuthError::NotFound("tenant"))?;
        let user = self.user_or_not_found(&principal.user_id).await?;
        self.open_session(user, &membership).await
    }

    /// Turns a bearer credential (access JWT or `sb_` API key) into a
    /// principal, checking revocation and current membership.
    ///
    /// # Errors
    /// [`AuthError::Unauthenticated`] for any invalid or revoked credential.
    pub async fn authenticate(&self, bearer: &str) -> AuthResult<Principal> {
        let now = self.clock.now();
        // A cached credential is the very string verified when it was cached:
        // its signature cannot have changed since, and its entry ends no later
        // than the token's own expiry.
        if let Some(principal) = self.cache.get(bearer, now) {
            return Ok(principal);
        }
        let (principal, expires) = if bearer.starts_with(API_KEY_PREFIX) {
            (self.authenticate_api_key(bearer).await?, None)
        } else {
            let claims = self.tokens.verify(bearer)?;
            let expires = DateTime::from_timestamp(claims.exp, 0);
            (self.authenticate_claims(claims).await?, expires)
        };
        self.cache.insert(bearer, &principal, now, expires);
        Ok(principal)
    }

    /// Forgets cached principals after a change to what authentication reads.
    pub(crate) fn forget_principals(&self) {
        self.cache.clear();
    }

    async fn authenticate_claims(&self, claims: AccessClaims) -> AuthResult<Principal> {
        let user_id = UserId::parse(claims.sub).map_err(|_| AuthError::Unauthenticated)?;
        let tenant_id = TenantId::parse(claims.tid).map_err(|_| AuthError::Unauthenticated)?;
        let user = self
            .ports
            .users
            .get_user(&user_id)
            .await?
            .ok_or(AuthError::Unauthenticated)?;
        if user.token_version != claims.ver {
            return Err(AuthError::Unauthenticated);
        }
        let membership = self.active_membership(&tenant_id, &user_id).await?;
        let permissions = self
            .effective_permissions(&membership, membership.role)
            .await?;
        Ok(Principal {
            user_id,
            tenant_id,
            role: membership.role,
            permissions,
            credential: Credential::Session {
                session_id: claims.sid,
            },
            member: Arc::new(MemberView { user, membership }),
        })
    }

    async fn authenticate_api_key(&self, key: &str) -> AuthResult<Principal> {
        let stored = self
            .ports
            .api_keys
            .find_api_key(&hash_token(key))
            .await?
            .filter(|k| k.revoked_at.is_none())
            .ok_or(AuthError::Unauthenticated)?;
        let membership = self
            .active_membership(&stored.tenant_id, &stored.user_id)
            .await?;
        let user = self
            .ports
            .users
            .get_user(&stored.user_id)
            .await?
            .ok_or(AuthError::Unauthenticated)?;
        // The weaker of the key's role and the member's current role.
        let role = stored.role.max(membership.role);
        let permissions = self.effective_permissions(&membership, role).await?;
        Ok(Principal {
            member: Arc::new(MemberView { user, membership }),
            user_id: stored.user_id,
            tenant_id: stored.tenant_id,
            role,
            permissions,
            credential: Credential::ApiKey {
                key_id: stored.id,
                scope: stored.scope,
            },
        })
    }

    pub(crate) async fn active_membership(
        &self,
        tenant: &TenantId,
        user: &UserId,
    ) -> AuthResult<Membership> {
        self.ports
            .tenants
            .get_membership(tenant, user)
            .await?
            .filter(|m| m.is_active)
            .ok_or(AuthError::Unauthenticated)
    }

    async fn effective_permissions(
        &self,
        membership: &Membership,
        role: Role,
    ) -> AuthResult<PermissionSet> {
        let granted = PermissionSet::for_role(role);
        // Owners keep every permission whatever template they carry: a
        // tenant always has someone who can manage it (as it always keeps
        // an active owner).
        if role == Role::Owner {
            return Ok(granted);
        }
        let Some(template_id) = &membership.permission_template_id else {
            return Ok(granted);
        };
        match self
            .ports
            .teams
            .get_permission_template(&membership.tenant_id, template_id)
            .await?
        {
            Some(template) => Ok(granted.intersect(&template.permissions)),
            // A dangling template grants nothing rather than everything.
            None => Ok(PermissionSet::default()),
        }
    }
}
