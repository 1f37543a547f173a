//! The tenant directory: members, tenants, teams and permission templates.
//! Every lookup is confined to the caller's tenant; a user, team or template
//! of another tenant is reported as not found.

use super::account::clean_name;
use super::{AuthService, Principal};
use crate::error::{AuthError, AuthResult};
use crate::models::*;
use crate::password;
use crate::permissions::{Permission, PermissionSet};
use studiobrain_kernel::{TenantId, UserId};

/// A user as seen from one tenant.
#[derive(Debug, Clone)]
pub struct MemberView {
    /// The account.
    pub user: User,
    /// The membership in the viewing tenant.
    pub membership: Membership,
}

/// Changes an administrator may make to a member. `None` leaves a value as
/// it is.
#[derive(Debug, Clone, Default)]
pub struct UserUpdate {
    /// New display name.
    pub display_name: Option<String>,
    /// New login address.
    pub email: Option<String>,
    /// New role in this tenant.
    pub role: Option<Role>,
    /// Activate or deactivate the membership.
    pub is_active: Option<bool>,
    /// Assign (`Some(Some(id))`) or clear (`Some(None)`) a permission template.
    pub permission_template_id: Option<Option<String>>,
}

impl AuthService {
    /// Members of the caller's tenant.
    ///
    /// # Errors
    /// [`AuthError::Forbidden`] without `users:manage`.
    pub async fn list_members(&self, principal: &Principal) -> AuthResult<Vec<MemberView>> {
        principal.require(Permission::UsersManage)?;
        let memberships = self
            .ports
            .tenants
            .list_memberships(&principal.tenant_id)
            .await?;
        let mut members = Vec::with_capacity(memberships.len());
        for membership in memberships {
            if let Some(user) = self.ports.users.get_user(&membership.user_id).await? {
                members.push(MemberView { user, membership });
            }
        }
        Ok(members)
    }

    /// One member of the caller's tenant. Anyone may read themselves;
    /// reading others needs `users:manage`.
    ///
    /// # Errors
    /// [`AuthError::NotFound`] when `id` is not a member of the tenant.
    pub async fn get_member(&self, principal: &Principal, id: &UserId) -> AuthResult<MemberView> {
        if *id == principal.user_id {
            return Ok((*principal.member).clone());
        }
        principal.require(Permission::UsersManage)?;
        self.member_view(&principal.tenant_id, id).await
    }

    async fn member_view(&self, tenant: &TenantId, id: &UserId) -> AuthResult<MemberView> {
        let membership = self
            .ports
            .tenants
            .get_membership(tenant, id)
            .await?
            .ok_or(AuthError::NotFound("user"))?;
        let user = self.user_or_not_found(id).await?;
        Ok(MemberView { user, membership })
    }

    /// Loads a member that the caller may administer: same tenant, and not
    /// an owner unless the caller is an owner.
    async fn managed_member(&self, principal: &Principal, id: &UserId) -> AuthResult<MemberView> {
        principal.require(Permission::UsersManage)?;
        let member = self.member_view(&principal.tenant_id, id).await?;
        if member.membership.role == Role::Owner && principal.role != Role::Owner {
            return Err(AuthError::Forbidden(
                "only an owner may change an owner".into(),
            ));
        }
        Ok(member)
    }

    async fn ensure_other_owner(&self, tenant: &TenantId, leaving: &UserId) -> AuthResult<()> {
        let owners = self
            .ports
            .tenants
            .list_memberships(tenant)
            .await?
            .into_iter()
            .filter(|m| m.role == Role::Owner && m.is_active && m.user_id != *leaving)
            .count();
        if owners == 0 {
            return Err(AuthError::Invalid(
                "a tenant must keep at least one active owner".into(),
            ));
        }
        Ok(())
    }

    /// Updates a member's profile, role, activation or permission template.
    /// Deactivation revokes the user's tokens.
    ///
    /// # Errors
    /// [`AuthError::Forbidden`] for roles above the caller's or owners changed
    /// by non-owners; [`AuthError::NotFound`]; [`AuthError::Invalid`] for an
    /// unknown template or removing the last owner.
    pub async fn update_member(
        &self,
        principal: &Principal,
        id: &UserId,
        update: UserUpdate,
    ) -> AuthResult<MemberView> {
        let MemberView {
            mut user,
            mut membership,
        } = self.managed_member(principal, id).await?;
        if let Some(role) = update.role {
            if !principal.role.at_least(role) {
                return Err(AuthError::Forbidden(
                    "cannot grant a role above your own".into(),
                ));
            }
            if membership.role == Role::Owner && role != Role::Owner {
                self.ensure_other_owner(&principal.tenant_id, id).await?;
            }
            membership.role = role;
        }
        if let Some(template) = update.permission_template_id {
            if let Some(template_id) = &template {
                self.ports
                    .teams
                    .get_permission_template(&principal.tenant_id, template_id)
                    .await?
                    .ok_or_else(|| {
                        AuthError::Invalid(format!("unknown permission template '{template_id}'"))
                    })?;
            }
            membership.permission_template_id = template;
        }
        let deactivating = update.is_active == Some(false) && membership.is_active;
        if let Some(active) = update.is_active {
            if deactivating && membership.role == Role::Owner {
                self.ensure_other_owner(&principal.tenant_id, id).await?;
            }
            membership.is_active = active;
        }
        let mut profile_changed = false;
        if let Some(name) = update.display_name.as_deref() {
            user.display_name = clean_name(Some(name))?
                .ok_or_else(|| AuthError::Invalid("display name must not be empty".into()))?;
            profile_changed = true;
        }
        if let Some(email) = update.email {
            user.email = EmailAddress::parse(&email)?;
            profile_changed = true;
        }
        if profile_changed {
            user.updated_at = self.clock.now();
            self.ports.users.update_user(&user).await?;
        }
        self.ports.tenants.update_membership(&membership).await?;
        self.forget_principals();
        if deactivating {
            self.revoke_all_tokens(id).await?;
            user = self.user_or_not_found(id).await?;
        }
        Ok(MemberView { user, membership })
    }

    /// Removes a member from the caller's tenant and revokes their tokens;
    /// the account itself is deleted when it belongs to no other tenant.
    ///
    /// # Errors
    /// As [`AuthService::update_member`].
    pub async fn remove_member(&self, principal: &Principal, id: &UserId) -> AuthResult<()> {
        let member = self.managed_member(principal, id).await?;
        if member.membership.role == Role::Owner {
            self.ensure_other_owner(&principal.tenant_id, id).await?;
        }
        self.ports
            .tenants
            .delete_membership(&principal.tenant_id, id)
            .await?;
        self.revoke_all_tokens(id).await?;
        if self.ports.tenants.memberships_of_user(id).await?.is_empty() {
            self.ports.users.delete_user(id).await?;
        }
        Ok(())
    }

    /// Sets another member's password (administrators); revokes their tokens.
    ///
    /// # Errors
    /// As [`AuthService::update_member`], plus [`AuthError::Invalid`] for a
    /// weak password.
    pub async fn admin_set_password(
        &self,
        principal: &Principal,
        id: &UserId,
        new_password: &str,
    ) -> AuthResult<()> {
        password::check_policy(new_password)?;
        self.managed_member(principal, id).await?;
        self.replace_password(id, new_password).await
    }

    /// Sets a member's subscription tier (administrators).
    ///
    /// # Errors
    /// As [`AuthService::update_member`]; [`AuthError::Invalid`] for an
    /// unknown tier.
    pub async fn set_subscription_tier(
        &self,
        principal: &Principal,
        id: &UserId,
        tier: &str,
    ) -> AuthResult<MemberView> {
        const TIERS: [&str; 4] = ["free", "indie", "team", "enterprise"];
        if !TIERS.contains(&tier) {
            return Err(AuthError::Invalid(format!(
                "unknown tier '{tier}': expected one of {}",
                TIERS.join(", ")
            )));
        }
        let MemberView {
            user,
            mut membership,
        } = self.managed_member(principal, id).await?;
        membership.subscription_tier = tier.to_owned();
        self.ports.tenants.update_membership(&membership).await?;
        self.forget_principals();
        Ok(MemberView { user, membership })
    }

    /// Creates another tenant owned by the caller.
    ///
    /// # Errors
    /// [`AuthError::Forbidden`] unless the caller administers the current tenant.
    pub async fn create_tenant(&self, principal: &Principal, name: &str) -> AuthResult<Tenant> {
        principal.require(Permission::SettingsManage)?;
        let name = clean_name(Some(name))?
            .ok_or_else(|| AuthError::Invalid("tenant name must not be empty".into()))?;
        let id =
            TenantId::parse(self.ids.new_id()).map_err(|err| AuthError::Unexpected(err.into()))?;
        let tenant = self.create_tenant_record(id, &name).await?;
        self.add_member(&tenant.id, &principal.user_id, Role::Owner)
            .await?;
        Ok(tenant)
    }

    /// The caller's active tenant.
    ///
    /// # Errors
    /// [`AuthError::NotFound`] if it vanished.
    pub async fn current_tenant(&self, principal: &Principal) -> AuthResult<Tenant> {
        self.ports
            .tenants
            .get_tenant(&principal.tenant_id)
            .await?
            .ok_or(AuthError::NotFound("tenant"))
    }

    /// Renames the active tenant and/or merges settings into it.
    ///
    /// # Errors
    /// [`AuthError::Forbidden`] without `settings:manage`; [`AuthError::Invalid`]
    /// for an empty name or non-object settings.
    pub async fn update_current_tenant(
        &self,
        principal: &Principal,
        name: Option<&str>,
        settings: Option<serde_json::Value>,
    ) -> AuthResult<Tenant> {
        principal.require(Permission::SettingsManage)?;
        let mut tenant = self.current_tenant(principal).await?;
        if let Some(name) = name {
            tenant.name = clean_name(Some(name))?
                .ok_or_else(|| AuthError::Invalid("tenant name must not be empty".into()))?;
        }
        if let Some(settings) = settings {
            let serde_json::Value::Object(patch) = settings else {
                return Err(AuthError::Invalid("settings must be a JSON object".into()));
            };
            let current = tenant.settings.as_object_mut();
            match current {
                Some(current) => current.extend(patch),
                None => tenant.settings = serde_json::Value::Object(patch),
            }
        }
        self.ports.tenants.update_tenant(&tenant).await?;
        Ok(tenant)
    }

    /// Creates a team in the caller's tenant; every member id must belong to
    /// the tenant.
    ///
    /// # Errors
    /// [`AuthError::Forbidden`] for viewers; [`AuthError::Invalid`] for an empty
    /// name or a non-member; [`AuthError::AlreadyExists`] for a taken name.
    pub async fn create_team(
        &self,
        principal: &Principal,
        name: &str,
        description: &str,
        member_ids: Vec<UserId>,
    ) -> AuthResult<Team> {
        principal.require(Permission::EntitiesWrite)?;
        let name = clean_name(Some(name))?
            .ok_or_else(|| AuthError::Invalid("team name must not be empty".into()))?;
        for member in &member_ids {
            if self
                .ports
                .tenants
                .get_membership(&principal.tenant_id, member)
                .await?
                .is_none()
            {
                return Err(AuthError::Invalid(format!(
                    "user '{member}' is not a member of this tenant"
                )));
            }
        }
        let team = Team {
            id: self.ids.new_id(),
            tenant_id: principal.tenant_id.clone(),
            name,
            description: description.trim().to_owned(),
            member_ids,
            created_at: self.clock.now(),
        };
        self.ports.teams.insert_team(&team).await?;
        Ok(team)
    }

    /// Teams of the caller's tenant.
    ///
    /// # Errors
    /// Storage failures.
    pub async fn list_teams(&self, principal: &Principal) -> AuthResult<Vec<Team>> {
        self.ports.teams.list_teams(&principal.tenant_id).await
    }

    /// One team of the caller's tenant.
    ///
    /// # Errors
    /// [`AuthError::NotFound`].
    pub async fn get_team(&self, principal: &Principal, id: &str) -> AuthResult<Team> {
        self.ports
            .teams
            .get_team(&principal.tenant_id, id)
            .await?
            .ok_or(AuthError::NotFound("team"))
    }

    /// Creates a permission template (administrators).
    ///
    /// # Errors
    /// [`AuthError::Forbidden`] without `users:manage`; [`AuthError::Invalid`]
    /// for an empty name or unknown permission; [`AuthError::AlreadyExists`].
    pub async fn create_permission_template(
        &self,
        principal: &Principal,
        name: &str,
        description: &str,
        permissions: &[String],
    ) -> AuthResult<PermissionTemplate> {
        principal.require(Permission::UsersManage)?;
        let name = clean_name(Some(name))?
            .ok_or_else(|| AuthError::Invalid("template name must not be empty".into()))?;
        let template = PermissionTemplate {
            id: self.ids.new_id(),
            tenant_id: principal.tenant_id.clone(),
            name,
            description: description.trim().to_owned(),
            permissions: PermissionSet::parse_all(permissions)?,
            created_at: self.clock.now(),
        };
        self.ports
            .teams
            .insert_permission_template(&template)
            .await?;
        Ok(template)
    }

    /// Permission templates of the caller's tenant.
    ///
    /// # Errors
    /// Storage failures.
    pub async fn list_permission_templates(
        &self,
        principal: &Principal,
    ) -> AuthResult<Vec<PermissionTemplate>> {
        self.ports
            .teams
            .list_permission_templates(&principal.tenant_id)
            .await
    }

    /// Tenants the caller belongs to, with the role in each.
    ///
    /// # Errors
    /// Storage failures.
    pub async fn tenants_of(&self, user: &UserId) -> AuthResult<Vec<(Tenant, Membership)>> {
        let mut out = Vec::new();
        for membership in self.ports.tenants.memberships_of_user(user).await? {
            if let Some(tenant) = self.ports.tenants.get_tenant(&membership.tenant_id).await? {
                out.push((tenant, membership));
            }
        }
        Ok(out)
    }
}
