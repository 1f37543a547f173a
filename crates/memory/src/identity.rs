//! [`MemoryIdentityStore`]: every identity storage port over one mutex-guarded
//! state. Locks are never held across an await.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard};
use studiobrain_auth::error::{AuthError, AuthResult};
use studiobrain_auth::models::*;
use studiobrain_auth::ports::*;
use studiobrain_kernel::{TenantId, UserId};

#[derive(Default)]
struct State {
    users: HashMap<UserId, User>,
    tenants: HashMap<TenantId, Tenant>,
    memberships: Vec<Membership>,
    refresh_tokens: Vec<RefreshToken>,
    api_keys: Vec<ApiKey>,
    invites: Vec<Invite>,
    one_time: HashMap<String, OneTimeToken>,
    teams: Vec<Team>,
    templates: Vec<PermissionTemplate>,
    connections: Vec<ProviderConnection>,
}

/// All identity storage ports in memory.
#[derive(Default)]
pub struct MemoryIdentityStore {
    state: Mutex<State>,
}

impl MemoryIdentityStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    fn state(&self) -> MutexGuard<'_, State> {
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

fn exists(what: &str) -> AuthError {
    AuthError::AlreadyExists(format!("{what} already exists"))
}

#[async_trait]
impl UserRepository for MemoryIdentityStore {
    async fn insert_user(&self, user: &User) -> AuthResult<()> {
        let mut s = self.state();
        if s.users.contains_key(&user.id) || s.users.values().any(|u| u.email == user.email) {
            return Err(exists("user"));
        }
        s.users.insert(user.id.clone(), user.clone());
        Ok(())
    }

    async fn get_user(&self, id: &UserId) -> AuthResult<Option<User>> {
        Ok(self.state().users.get(id).cloned())
    }

    async fn find_user_by_email(&self, email: &EmailAddress) -> AuthResult<Option<User>> {
        Ok(self
            .state()
            .users
            .values()
            .find(|u| u.email == *email)
            .cloned())
    }

    async fn update_user(&self, user: &User) -> AuthResult<()> {
        let mut s = self.state();
        if s.users
            .values()
            .any(|u| u.email == user.email && u.id != user.id)
        {
            return Err(exists("user with this e-mail"));
        }
        let slot = s
            .users
            .get_mut(&user.id)
            .ok_or(AuthError::NotFound("user"))?;
        *slot = user.clone();
        Ok(())
    }

    async fn delete_user(&self, id: &UserId) -> AuthResult<()> {
        let mut s = self.state();
        s.users.remove(id).ok_or(AuthError::NotFound("user"))?;
        s.memberships.retain(|m| m.user_id != *id);
        s.refresh_tokens.retain(|t| t.user_id != *id);
        s.api_keys.retain(|k| k.user_id != *id);
        s.connections.retain(|c| c.user_id != *id);
        Ok(())
    }
}

#[async_trait]
impl TenantRepository for MemoryIdentityStore {
    async fn insert_tenant(&self, tenant: &Tenant) -> AuthResult<()> {
        let mut s = self.state();
        if s.tenants.contains_key(&tenant.id) || s.tenants.values().any(|t| t.slug == tenant.slug) {
            return Err(exists("tenant"));
        }
        s.tenants.insert(tenant.id.clone(), tenant.clone());
        Ok(())
    }

    async fn get_tenant(&self, id: &TenantId) -> AuthResult<Option<Tenant>> {
        Ok(self.state().tenants.get(id).cloned())
    }

    async fn update_tenant(&self, tenant: &Tenant) -> AuthResult<()> {
        let mut s = self.state();
        if s.tenants
            .values()
            .any(|t| t.slug == tenant.slug && t.id != tenant.id)
        {
            return Err(exists("tenant with this slug"));
        }
        let slot = s
            .tenants
            .get_mut(&tenant.id)
            .ok_or(AuthError::NotFound("tenant"))?;
        *slot = tenant.clone();
        Ok(())
    }

    async fn insert_membership(&self, membership: &Membership) -> AuthResult<()> {
        let mut s = self.state();
        if s.memberships
            .iter()
            .any(|m| m.tenant_id == membership.tenant_id && m.user_id == membership.user_id)
        {
            return Err(exists("membership"));
        }
        s.memberships.push(membership.clone());
        Ok(())
    }

    async fn get_membership(
        &self,
        tenant: &TenantId,
        user: &UserId,
    ) -> AuthResult<Option<Membership>> {
        Ok(self
            .state()
            .memberships
            .iter()
            .find(|m| m.tenant_id == *tenant && m.user_id == *user)
            .cloned())
    }

    async fn list_memberships(&self, tenant: &TenantId) -> AuthResult<Vec<Membership>> {
        Ok(self
            .state()
            .memberships
            .iter()
            .filter(|m| m.tenant_id == *tenant)
            .cloned()
            .collect())
    }

    async fn memberships_of_user(&self, user: &UserId) -> AuthResult<Vec<Membership>> {
        Ok(self
            .state()
            .memberships
            .iter()
            .filter(|m| m.user_id == *user)
            .cloned()
            .collect())
    }

    async fn update_membership(&self, membership: &Membership) -> AuthResult<()> {
        let mut s = self.state();
        let slot = s
            .memberships
            .iter_mut()
            .find(|m| m.tenant_id == membership.tenant_id && m.user_id == membership.user_id)
            .ok_or(AuthError::NotFound("membership"))?;
        *slot = membership.clone();
        Ok(())
    }

    async fn delete_membership(&self, tenant: &TenantId, user: &UserId) -> AuthResult<()> {
        let mut s = self.state();
        let before = s.memberships.len();
        s.memberships
            .retain(|m| !(m.tenant_id == *tenant && m.user_id == *user));
        if s.memberships.len() == before {
            return Err(AuthError::NotFound("membership"));
        }
        Ok(())
    }
}

#[async_trait]
impl SessionRepository for MemoryIdentityStore {
    async fn insert_refresh_token(&self, token: &RefreshToken) -> AuthResult<()> {
        self.state().refresh_tokens.push(token.clone());
        Ok(())
    }

    async fn find_refresh_token(&self, token_hash: &str) -> AuthResult<Option<RefreshToken>> {
        Ok(self
            .state()
            .refresh_tokens
            .iter()
            .find(|t| t.token_hash == token_hash)
            .cloned())
    }

    async fn mark_refresh_token_used(&self, id: &str, at: DateTime<Utc>) -> AuthResult<bool> {
        let mut s = self.state();
        match s
            .refresh_tokens
            .iter_mut()
            .find(|t| t.id == id && t.used_at.is_none())
        {
            Some(token) => {
                token.used_at = Some(at);
                Ok(true)
            }
            None => Ok(false),
        }
    }

    async fn revoke_family(&self, family_id: &str, at: DateTime<Utc>) -> AuthResult<()> {
        let mut s = self.state();
        for token in s
            .refresh_tokens
            .iter_mut()
            .filter(|t| t.family_id == family_id)
        {
            token.revoked_at.get_or_insert(at);
        }
        Ok(())
    }

    async fn revoke_user_sessions(&self, user: &UserId, at: DateTime<Utc>) -> AuthResult<()> {
        let mut s = self.state();
        for token in s.refresh_tokens.iter_mut().filter(|t| t.user_id == *user) {
            token.revoked_at.get_or_insert(at);
        }
        Ok(())
    }
}

#[async_trait]
impl ApiKeyRepository for MemoryIdentityStore {
    async fn insert_api_key(&self, key: &ApiKey) -> AuthResult<()> {
        self.state().api_keys.push(key.clone());
        Ok(())
    }

    async fn find_api_key(&self, key_hash: &str) -> AuthResult<Option<ApiKey>> {
        Ok(self
            .state()
            .api_keys
            .iter()
            .find(|k| k.key_hash == key_hash)
            .cloned())
    }

    async fn list_api_keys<'a>(
        &self,
        tenant: &TenantId,
        user: Option<&'a UserId>,
    ) -> AuthResult<Vec<ApiKey>> {
        let mut keys: Vec<ApiKey> = self
            .state()
            .api_keys
            .iter()
            .filter(|k| k.tenant_id == *tenant && user.is_none_or(|u| k.user_id == *u))
            .cloned()
            .collect();
        keys.sort_by_key(|k| std::cmp::Reverse(k.created_at));
        Ok(keys)
    }

    async fn revoke_api_key(
        &self,
        tenant: &TenantId,
        id: &str,
        at: DateTime<Utc>,
    ) -> AuthResult<()> {
        let mut s = self.state();
        let key = s
            .api_keys
            .iter_mut()
            .find(|k| k.tenant_id == *tenant && k.id == id && k.revoked_at.is_none())
            .ok_or(AuthError::NotFound("API key"))?;
        key.revoked_at = Some(at);
        Ok(())
    }

    async fn revoke_api_keys_of(
        &self,
        tenant: &TenantId,
        user: &UserId,
        scope: ApiKeyScope,
        at: DateTime<Utc>,
    ) -> AuthResult<()> {
        let mut s = self.state();
        for key in s.api_keys.iter_mut().filter(|k| {
            k.tenant_id == *tenant
                && k.user_id == *user
                && k.scope == scope
                && k.revoked_at.is_none()
        }) {
            key.revoked_at = Some(at);
        }
        Ok(())
    }
}

#[async_trait]
impl InviteRepository for MemoryIdentityStore {
    async fn insert_invite(&self, invite: &Invite) -> AuthResult<()> {
        self.state().invites.push(invite.clone());
        Ok(())
    }

    async fn find_invite(&self, token_hash: &str) -> AuthResult<Option<Invite>> {
        Ok(self
            .state()
            .invites
            .iter()
            .find(|i| i.token_hash == token_hash)
            .cloned())
    }

    async fn mark_invite_accepted(
        &self,
        tenant: &TenantId,
        id: &str,
        at: DateTime<Utc>,
    ) -> AuthResult<bool> {
        let mut s = self.state();
        match s
            .invites
            .iter_mut()
            .find(|i| i.tenant_id == *tenant && i.id == id && i.accepted_at.is_none())
        {
            Some(invite) => {
                invite.accepted_at = Some(at);
                Ok(true)
            }
            None => Ok(false),
        }
    }
}

#[async_trait]
impl OneTimeTokenStore for MemoryIdentityStore {
    async fn insert_one_time(&self, token: &OneTimeToken) -> AuthResult<()> {
        let mut s = self.state();
        if s.one_time.contains_key(&token.token_hash) {
            return Err(exists("token"));
        }
        s.one_time.insert(token.token_hash.clone(), token.clone());
        Ok(())
    }

    async fn consume_one_time(
        &self,
        token_hash: &str,
        purpose: OneTimePurpose,
        now: DateTime<Utc>,
    ) -> AuthResult<Option<OneTimeToken>> {
        let mut s = self.state();
        let Some(token) = s.one_time.get_mut(token_hash) else {
            return Ok(None);
        };
        if token.purpose != purpose || token.consumed_at.is_some() || token.expires_at <= now {
            return Ok(None);
        }
        token.consumed_at = Some(now);
        Ok(Some(token.clone()))
    }
}

#[async_trait]
impl TeamRepository for MemoryIdentityStore {
    async fn insert_team(&self, team: &Team) -> AuthResult<()> {
        let mut s = self.state();
        if s.teams
            .iter()
            .any(|t| t.tenant_id == team.tenant_id && t.name == team.name)
        {
            return Err(exists("team"));
        }
        s.teams.push(team.clone());
        Ok(())
    }

    async fn list_teams(&self, tenant: &TenantId) -> AuthResult<Vec<Team>> {
        let mut teams: Vec<Team> = self
            .state()
            .teams
            .iter()
            .filter(|t| t.tenant_id == *tenant)
            .cloned()
            .collect();
        teams.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(teams)
    }

    async fn get_team(&self, tenant: &TenantId, id: &str) -> AuthResult<Option<Team>> {
        Ok(self
            .state()
            .teams
            .iter()
            .find(|t| t.tenant_id == *tenant && t.id == id)
            .cloned())
    }

    async fn insert_permission_template(&self, template: &PermissionTemplate) -> AuthResult<()> {
        let mut s = self.state();
        if s.templates
            .iter()
            .any(|t| t.tenant_id == template.tenant_id && t.name == template.name)
        {
            return Err(exists("permission template"));
        }
        s.templates.push(template.clone());
        Ok(())
    }

    async fn list_permission_templates(
        &self,
        tenant: &TenantId,
    ) -> AuthResult<Vec<PermissionTemplate>> {
        let mut templates: Vec<PermissionTemplate> = self
            .state()
            .templates
            .iter()
            .filter(|t| t.tenant_id == *tenant)
            .cloned()
            .collect();
        templates.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(templates)
    }

    async fn get_permission_template(
        &self,
        tenant: &TenantId,
        id: &str,
    ) -> AuthResult<Option<PermissionTemplate>> {
        Ok(self
            .state()
            .templates
            .iter()
            .find(|t| t.tenant_id == *tenant && t.id == id)
            .cloned())
    }
}

#[async_trait]
impl ConnectionRepository for MemoryIdentityStore {
    async fn upsert_connection(&self, connection: &ProviderConnection) -> AuthResult<()> {
        let mut s = self.state();
        match s.connections.iter_mut().find(|c| {
            c.tenant_id == connection.tenant_id
                && c.user_id == connection.user_id
                && c.provider == connection.provider
        }) {
            Some(slot) => {
                let created_at = slot.created_at;
                *slot = ProviderConnection {
                    created_at,
                    ..connection.clone()
                };
            }
            None => s.connections.push(connection.clone()),
        }
        Ok(())
    }

    async fn get_connection(
        &self,
        tenant: &TenantId,
        user: &UserId,
        provider: &str,
    ) -> AuthResult<Option<ProviderConnection>> {
        Ok(self
            .state()
            .connections
            .iter()
            .find(|c| c.tenant_id == *tenant && c.user_id == *user && c.provider == provider)
            .cloned())
    }

    async fn delete_connection(
        &self,
        tenant: &TenantId,
        user: &UserId,
        provider: &str,
    ) -> AuthResult<()> {
        let mut s = self.state();
        let before = s.connections.len();
        s.connections
            .retain(|c| !(c.tenant_id == *tenant && c.user_id == *user && c.provider == provider));
        if s.connections.len() == before {
            return Err(AuthError::NotFound("connection"));
        }
        Ok(())
    }
}
