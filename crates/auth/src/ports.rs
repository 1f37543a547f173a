//! Ports of the identity domain: storage and delivery traits implemented by
//! adapters (`studiobrain-memory`, `studiobrain-store-sql`, outboxes).
//!
//! Every method that takes a [`TenantId`] MUST confine itself to that tenant:
//! a row of another tenant is reported exactly like a missing row.

use crate::error::AuthResult;
use crate::models::*;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use std::sync::Arc;
use studiobrain_kernel::{TenantId, UserId};

/// Global user accounts.
#[cfg_attr(feature = "mock", mockall::automock)]
#[async_trait]
pub trait UserRepository: Send + Sync {
    /// Stores a new user. MUST return `AlreadyExists` when the e-mail is taken.
    async fn insert_user(&self, user: &User) -> AuthResult<()>;
    /// The user with this id, if any.
    async fn get_user(&self, id: &UserId) -> AuthResult<Option<User>>;
    /// The user with this address, if any.
    async fn find_user_by_email(&self, email: &EmailAddress) -> AuthResult<Option<User>>;
    /// Replaces a user. MUST return `NotFound` for an unknown id and
    /// `AlreadyExists` when the new e-mail belongs to someone else.
    async fn update_user(&self, user: &User) -> AuthResult<()>;
    /// Removes a user. MUST return `NotFound` for an unknown id.
    async fn delete_user(&self, id: &UserId) -> AuthResult<()>;
}

/// Tenants and their memberships.
#[cfg_attr(feature = "mock", mockall::automock)]
#[async_trait]
pub trait TenantRepository: Send + Sync {
    /// Stores a tenant. MUST return `AlreadyExists` for a taken id or slug.
    async fn insert_tenant(&self, tenant: &Tenant) -> AuthResult<()>;
    /// The tenant with this id, if any.
    async fn get_tenant(&self, id: &TenantId) -> AuthResult<Option<Tenant>>;
    /// Replaces a tenant. MUST return `NotFound` for an unknown id and
    /// `AlreadyExists` for a taken slug.
    async fn update_tenant(&self, tenant: &Tenant) -> AuthResult<()>;
    /// Adds a membership. MUST return `AlreadyExists` if the user is already
    /// a member of the tenant.
    async fn insert_membership(&self, membership: &Membership) -> AuthResult<()>;
    /// The membership of `user` in `tenant`, if any.
    async fn get_membership(
        &self,
        tenant: &TenantId,
        user: &UserId,
    ) -> AuthResult<Option<Membership>>;
    /// Every membership of a tenant, oldest first.
    async fn list_memberships(&self, tenant: &TenantId) -> AuthResult<Vec<Membership>>;
    /// Every membership of a user across tenants, oldest first.
    async fn memberships_of_user(&self, user: &UserId) -> AuthResult<Vec<Membership>>;
    /// Replaces a membership. MUST return `NotFound` if it does not exist.
    async fn update_membership(&self, membership: &Membership) -> AuthResult<()>;
    /// Removes a membership. MUST return `NotFound` if it does not exist.
    async fn delete_membership(&self, tenant: &TenantId, user: &UserId) -> AuthResult<()>;
}

/// Refresh-token families (sign-in sessions).
#[cfg_attr(feature = "mock", mockall::automock)]
#[async_trait]
pub trait SessionRepository: Send + Sync {
    /// Stores a new refresh token.
    async fn insert_refresh_token(&self, token: &RefreshToken) -> AuthResult<()>;
    /// The refresh token with this hash, used or not, if any.
    async fn find_refresh_token(&self, token_hash: &str) -> AuthResult<Option<RefreshToken>>;
    /// Marks a token used. MUST be atomic: returns `true` only for the one
    /// call that changed it from unused to used.
    async fn mark_refresh_token_used(&self, id: &str, at: DateTime<Utc>) -> AuthResult<bool>;
    /// Revokes every token of a family.
    async fn revoke_family(&self, family_id: &str, at: DateTime<Utc>) -> AuthResult<()>;
    /// Revokes every token of a user.
    async fn revoke_user_sessions(&self, user: &UserId, at: DateTime<Utc>) -> AuthResult<()>;
}

/// API keys.
#[cfg_attr(feature = "mock", mockall::automock)]
#[async_trait]
pub trait ApiKeyRepository: Send + Sync {
    /// Stores a key.
    async fn insert_api_key(&self, key: &ApiKey) -> AuthResult<()>;
    /// The key with this hash, revoked or not, if any.
    async fn find_api_key(&self, key_hash: &str) -> AuthResult<Option<ApiKey>>;
    /// Keys of a tenant, optionally of one user only, newest first.
    async fn list_api_keys<'a>(
        &self,
        tenant: &TenantId,
        user: Option<&'a UserId>,
    ) -> AuthResult<Vec<ApiKey>>;
    /// Revokes one key of the tenant. MUST return `NotFound` when the key
    /// does not exist in this tenant or is already revoked.
    async fn revoke_api_key(
        &self,
        tenant: &TenantId,
        id: &str,
        at: DateTime<Utc>,
    ) -> AuthResult<()>;
    /// Revokes every live key of `user` in `tenant` with the given scope.
    async fn revoke_api_keys_of(
        &self,
        tenant: &TenantId,
        user: &UserId,
        scope: ApiKeyScope,
        at: DateTime<Utc>,
    ) -> AuthResult<()>;
}

/// Invitations to join a tenant.
#[cfg_attr(feature = "mock", mockall::automock)]
#[async_trait]
pub trait InviteRepository: Send + Sync {
    /// Stores an invite.
    async fn insert_invite(&self, invite: &Invite) -> AuthResult<()>;
    /// The invite with this token hash, if any (accepted or not).
    async fn find_invite(&self, token_hash: &str) -> AuthResult<Option<Invite>>;
    /// Marks an invite of `tenant` accepted. MUST be atomic: `true` only for
    /// the call that changed it.
    async fn mark_invite_accepted(
        &self,
        tenant: &TenantId,
        id: &str,
        at: DateTime<Utc>,
    ) -> AuthResult<bool>;
}

/// Tenant-less single-use tokens (password reset, OAuth state).
#[cfg_attr(feature = "mock", mockall::automock)]
#[async_trait]
pub trait OneTimeTokenStore: Send + Sync {
    /// Stores a token.
    async fn insert_one_time(&self, token: &OneTimeToken) -> AuthResult<()>;
    /// Consumes a token atomically: returns it only if it exists with this
    /// purpose, is unexpired at `now` and was not consumed before.
    async fn consume_one_time(
        &self,
        token_hash: &str,
        purpose: OneTimePurpose,
        now: DateTime<Utc>,
    ) -> AuthResult<Option<OneTimeToken>>;
}

/// Teams and permission templates.
#[cfg_attr(feature = "mock", mockall::automock)]
#[async_trait]
pub trait TeamRepository: Send + Sync {
    /// Stores a team. MUST return `AlreadyExists` for a name taken in the tenant.
    async fn insert_team(&self, team: &Team) -> AuthResult<()>;
    /// Teams of a tenant, by name.
    async fn list_teams(&self, tenant: &TenantId) -> AuthResult<Vec<Team>>;
    /// One team of the tenant, if any.
    async fn get_team(&self, tenant: &TenantId, id: &str) -> AuthResult<Option<Team>>;
    /// Stores a template. MUST return `AlreadyExists` for a name taken in the tenant.
    async fn insert_permission_template(&self, template: &PermissionTemplate) -> AuthResult<()>;
    /// Templates of a tenant, by name.
    async fn list_permission_templates(
        &self,
        tenant: &TenantId,
    ) -> AuthResult<Vec<PermissionTemplate>>;
    /// One template of the tenant, if any.
    async fn get_permission_template(
        &self,
        tenant: &TenantId,
        id: &str,
    ) -> AuthResult<Option<PermissionTemplate>>;
}

/// Delivery of e-mail (SMTP in cloud mode, files in desktop mode).
#[cfg_attr(feature = "mock", mockall::automock)]
#[async_trait]
pub trait Outbox: Send + Sync {
    /// Hands a message over for delivery.
    async fn send(&self, email: &OutgoingEmail) -> AuthResult<()>;

    /// Whether e-mail can be sent at all. Use cases call it before doing
    /// anything they would have to undo. MUST return `NotConfigured`
    /// naming the missing settings when delivery is impossible.
    fn ready(&self) -> AuthResult<()> {
        Ok(())
    }
}

/// An OAuth 2.0 / OpenID Connect provider used to sign in (authorization
/// code flow with PKCE).
#[cfg_attr(feature = "mock", mockall::automock)]
#[async_trait]
pub trait OAuthProvider: Send + Sync {
    /// Provider id: `google` or `microsoft`.
    fn id(&self) -> &str;
    /// A new authorization request: URL with a fresh random `state` and an
    /// S256 PKCE challenge, plus the verifier to keep.
    ///
    /// MUST return `Unexpected` only if the configured URLs are malformed.
    fn authorization_request(&self) -> AuthResult<AuthorizationRequest>;
    /// Exchanges an authorization code (with its PKCE verifier) for tokens
    /// and reads the signed-in user's identity from the provider.
    ///
    /// MUST return `Unauthenticated` when the provider rejects the code and
    /// `Unexpected` when the provider is unreachable or answers garbage.
    async fn exchange_code(&self, code: &str, pkce_verifier: &str) -> AuthResult<ExternalIdentity>;
}

/// Verifies OpenID Connect ID tokens (Google sign-in) against the
/// provider's published keys.
#[cfg_attr(feature = "mock", mockall::automock)]
#[async_trait]
pub trait IdTokenVerifier: Send + Sync {
    /// Checks signature (against the JWKS), issuer, audience and expiry,
    /// and returns the identity the token asserts.
    ///
    /// MUST return `Unauthenticated` for any invalid token and `Unexpected`
    /// when the keys cannot be fetched.
    async fn verify_id_token(&self, id_token: &str) -> AuthResult<ExternalIdentity>;
}

/// Consent to an outside service's API (Google Drive): the
/// authorization-code flow with PKCE, answering the granted tokens.
#[cfg_attr(feature = "mock", mockall::automock)]
#[async_trait]
pub trait ConsentProvider: Send + Sync {
    /// Service id, e.g. `google_drive`.
    fn id(&self) -> &str;
    /// A new authorization request asking for the service's scopes and
    /// offline access. MUST return `Unexpected` only for malformed URLs.
    fn authorization_request(&self) -> AuthResult<AuthorizationRequest>;
    /// Exchanges the code (with its PKCE verifier) for tokens.
    ///
    /// MUST return `Unauthenticated` when the provider rejects the code and
    /// `Unexpected` when it is unreachable or answers garbage.
    async fn exchange_for_tokens(
        &self,
        code: &str,
        pkce_verifier: &str,
    ) -> AuthResult<ProviderTokens>;
}

/// Users' stored consents to outside services.
#[cfg_attr(feature = "mock", mockall::automock)]
#[async_trait]
pub trait ConnectionRepository: Send + Sync {
    /// Stores a connection, replacing the one of the same tenant, user and
    /// provider (keeping its `created_at`).
    async fn upsert_connection(&self, connection: &ProviderConnection) -> AuthResult<()>;
    /// The connection of `user` in `tenant` to `provider`, if any.
    async fn get_connection(
        &self,
        tenant: &TenantId,
        user: &UserId,
        provider: &str,
    ) -> AuthResult<Option<ProviderConnection>>;
    /// Removes a connection. MUST return `NotFound` if there is none.
    async fn delete_connection(
        &self,
        tenant: &TenantId,
        user: &UserId,
        provider: &str,
    ) -> AuthResult<()>;
}

/// Every port the identity service needs.
#[derive(Clone)]
pub struct AuthPorts {
    /// Users.
    pub users: Arc<dyn UserRepository>,
    /// Tenants and memberships.
    pub tenants: Arc<dyn TenantRepository>,
    /// Refresh tokens.
    pub sessions: Arc<dyn SessionRepository>,
    /// API keys.
    pub api_keys: Arc<dyn ApiKeyRepository>,
    /// Invites.
    pub invites: Arc<dyn InviteRepository>,
    /// Password-reset and OAuth-state tokens.
    pub one_time: Arc<dyn OneTimeTokenStore>,
    /// Teams and permission templates.
    pub teams: Arc<dyn TeamRepository>,
    /// Consents to outside services.
    pub connections: Arc<dyn ConnectionRepository>,
    /// E-mail delivery.
    pub outbox: Arc<dyn Outbox>,
}

/// An adapter that implements every storage port of the identity domain.
pub trait IdentityStore:
    UserRepository
    + TenantRepository
    + SessionRepository
    + ApiKeyRepository
    + InviteRepository
    + OneTimeTokenStore
    + TeamRepository
    + ConnectionRepository
{
}

impl<T> IdentityStore for T where
    T: UserRepository
        + TenantRepository
        + SessionRepository
        + ApiKeyRepository
        + InviteRepository
        + OneTimeTokenStore
        + TeamRepository
        + ConnectionRepository
{
}

impl AuthPorts {
    /// Wires every storage port to one adapter and e-mail to `outbox`.
    pub fn from_store<S: IdentityStore + 'static>(store: Arc<S>, outbox: Arc<dyn Outbox>) -> Self {
        Self {
            users: store.clone(),
            tenants: store.clone(),
            sessions: store.clone(),
            api_keys: store.clone(),
            invites: store.clone(),
            one_time: store.clone(),
            teams: store.clone(),
            connections: store,
            outbox,
        }
    }
}
