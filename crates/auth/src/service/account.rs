//! Accounts: registration, password changes and resets, invitations, and the
//! bootstrap of desktop mode's local owner.

use super::{AuthService, Principal, SessionTokens};
use crate::error::{AuthError, AuthResult};
use crate::models::*;
use crate::password;
use crate::permissions::Permission;
use crate::secrets::{hash_token, random_token};
use chrono::Duration;
use studiobrain_kernel::{TenantId, UserId};

/// Lifetime of a password-reset link.
pub const RESET_TTL_MINUTES: i64 = 30;
/// Lifetime of an invitation.
pub const INVITE_TTL_DAYS: i64 = 7;

/// Input of a self-service registration.
#[derive(Debug, Clone, Default)]
pub struct RegisterInput {
    /// Login address.
    pub email: String,
    /// Password (policy-checked).
    pub password: String,
    /// Display name; defaults to the address's local part.
    pub display_name: Option<String>,
    /// Name of the new tenant; defaults to `"<display name>'s studio"`.
    pub tenant_name: Option<String>,
}

/// A freshly registered tenant with its signed-in owner.
#[derive(Debug, Clone)]
pub struct NewAccount {
    /// The tenant created.
    pub tenant: Tenant,
    /// The owner's session.
    pub session: SessionTokens,
}

/// Turns a display name into a URL-safe slug.
pub fn slugify(name: &str) -> String {
    let mut slug = String::new();
    for c in name.chars().flat_map(char::to_lowercase) {
        if c.is_ascii_alphanumeric() {
            slug.push(c);
        } else if !slug.ends_with('-') && !slug.is_empty() {
            slug.push('-');
        }
    }
    let slug = slug.trim_end_matches('-');
    if slug.is_empty() {
        "studio".to_owned()
    } else {
        slug.chars().take(48).collect()
    }
}

impl AuthService {
    /// Creates a tenant and its owner, and signs the owner in.
    ///
    /// # Errors
    /// [`AuthError::Invalid`] for a bad address or weak password;
    /// [`AuthError::AlreadyExists`] when the address is taken.
    pub async fn register(&self, input: RegisterInput) -> AuthResult<NewAccount> {
        let email = EmailAddress::parse(&input.email)?;
        password::check_policy(&input.password)?;
        if self.ports.users.find_user_by_email(&email).await?.is_some() {
            return Err(AuthError::AlreadyExists(
                "an account with this e-mail already exists".into(),
            ));
        }
        let display_name = clean_name(input.display_name.as_deref())?.unwrap_or_else(|| {
            email
                .as_str()
                .split('@')
                .next()
                .unwrap_or("user")
                .to_owned()
        });
        let tenant_name = clean_name(input.tenant_name.as_deref())?
            .unwrap_or_else(|| format!("{display_name}'s studio"));
        let tenant_id =
            TenantId::parse(self.ids.new_id()).map_err(|err| AuthError::Unexpected(err.into()))?;
        let tenant = self.create_tenant_record(tenant_id, &tenant_name).await?;
        let user = self
            .create_user_record(email, display_name, &input.password)
            .await?;
        let membership = self.add_member(&tenant.id, &user.id, Role::Owner).await?;
        let session = self.open_session(user, &membership).await?;
        Ok(NewAccount { tenant, session })
    }

    /// Creates the tenant row with a unique slug derived from `name`.
    pub(crate) async fn create_tenant_record(
        &self,
        id: TenantId,
        name: &str,
    ) -> AuthResult<Tenant> {
        let tenant = Tenant {
            slug: format!(
                "{}-{}",
                slugify(name),
                &id.as_str()[id.as_str().len().saturating_sub(6)..]
            ),
            id,
            name: name.to_owned(),
            plan: "free".to_owned(),
            settings: serde_json::json!({}),
            created_at: self.clock.now(),
        };
        self.ports.tenants.insert_tenant(&tenant).await?;
        Ok(tenant)
    }

    async fn create_user_record(
        &self,
        email: EmailAddress,
        display_name: String,
        plain_password: &str,
    ) -> AuthResult<User> {
        let now = self.clock.now();
        let user = User {
            id: self.new_user_id()?,
            email,
            display_name,
            password_hash: Some(password::hash(plain_password.to_owned()).await?),
            token_version: 0,
            created_at: now,
            updated_at: now,
        };
        self.ports.users.insert_user(&user).await?;
        Ok(user)
    }

    pub(crate) async fn add_member(
        &self,
        tenant: &TenantId,
        user: &UserId,
        role: Role,
    ) -> AuthResult<Membership> {
        let membership = Membership {
            tenant_id: tenant.clone(),
            user_id: user.clone(),
            role,
            permission_template_id: None,
            subscription_tier: "free".to_owned(),
            is_active: true,
            created_at: self.clock.now(),
        };
        self.ports.tenants.insert_membership(&membership).await?;
        Ok(membership)
    }

    /// Adds a user with a password to an existing tenant (the CLI's
    /// `admin create-user`). Creates the tenant when it is the desktop
    /// tenant `local` and does not exist yet.
    ///
    /// # Errors
    /// [`AuthError::Invalid`], [`AuthError::AlreadyExists`] for a taken address,
    /// [`AuthError::NotFound`] for an unknown tenant.
    pub async fn create_member_with_password(
        &self,
        tenant: &TenantId,
        email: &str,
        plain_password: &str,
        role: Role,
    ) -> AuthResult<User> {
        let email = EmailAddress::parse(email)?;
        password::check_policy(plain_password)?;
        if self.ports.tenants.get_tenant(tenant).await?.is_none() {
            if *tenant != TenantId::local() {
                return Err(AuthError::NotFound("tenant"));
            }
            self.ports
                .tenants
                .insert_tenant(&Tenant {
                    id: TenantId::local(),
                    name: "Local studio".to_owned(),
                    slug: "local".to_owned(),
                    plan: "free".to_owned(),
                    settings: serde_json::json!({}),
                    created_at: self.clock.now(),
                })
                .await?;
        }
        if self.ports.users.find_user_by_email(&email).await?.is_some() {
            return Err(AuthError::AlreadyExists(
                "an account with this e-mail already exists".into(),
            ));
        }
        let name = email
            .as_str()
            .split('@')
            .next()
            .unwrap_or("user")
            .to_owned();
        let user = self.create_user_record(email, name, plain_password).await?;
        self.add_member(tenant, &user.id, role).await?;
        Ok(user)
    }

    /// On desktop first run: when the `local` tenant has no members, creates
    /// the owner `email` with a random one-time password and returns it (it
    /// is stored only as a hash). Returns `None` when an owner exists.
    ///
    /// # Errors
    /// Storage failures.
    pub async fn bootstrap_local_owner(&self, email: &str) -> AuthResult<Option<String>> {
        let local = TenantId::local();
        if self.ports.tenants.get_tenant(&local).await?.is_some()
            && !self
                .ports
                .tenants
                .list_memberships(&local)
                .await?
                .is_empty()
        {
            return Ok(None);
        }
        let one_time_password = random_token()[..20].to_owned();
        self.create_member_with_password(&local, email, &one_time_password, Role::Owner)
            .await?;
        Ok(Some(one_time_password))
    }

    /// Changes the caller's own password after checking the current one, and
    /// revokes every outstanding token. Returns a fresh session.
    ///
    /// # Errors
    /// [`AuthError::Unauthenticated`] when `current` is wrong;
    /// [`AuthError::Invalid`] for a weak new password.
    pub async fn set_password(
        &self,
        principal: &Principal,
        current: Option<&str>,
        new_password: &str,
    ) -> AuthResult<SessionTokens> {
        password::check_policy(new_password)?;
        let user = self.user_or_not_found(&principal.user_id).await?;
        if let Some(stored) = user.password_hash.clone() {
            let current = current.unwrap_or_default().to_owned();
            if !password::verify(current, Some(stored)).await? {
                return Err(AuthError::Unauthenticated);
            }
        }
        self.replace_password(&user.id, new_password).await?;
        let user = self.user_or_not_found(&principal.user_id).await?;
        let membership = self
            .active_membership(&principal.tenant_id, &user.id)
            .await?;
        self.open_session(user, &membership).await
    }

    /// Stores a new password hash and revokes every token of the user.
    pub(crate) async fn replace_password(
        &self,
        user: &UserId,
        new_password: &str,
    ) -> AuthResult<()> {
        let hash = password::hash(new_password.to_owned()).await?;
        let mut account = self.user_or_not_found(user).await?;
        account.password_hash = Some(hash);
        account.updated_at = self.clock.now();
        self.ports.users.update_user(&account).await?;
        self.revoke_all_tokens(user).await
    }

    /// Sends a single-use, 30-minute reset link if the address belongs to an
    /// account; does the same visible thing either way.
    ///
    /// # Errors
    /// Only storage or delivery failures, never "unknown address".
    pub async fn forgot_password(&self, email: &str) -> AuthResult<()> {
        // Checked first, so the answer never depends on the address.
        self.ports.outbox.ready()?;
        let Ok(email) = EmailAddress::parse(email) else {
            return Ok(());
        };
        let Some(user) = self.ports.users.find_user_by_email(&email).await? else {
            return Ok(());
        };
        let token = random_token();
        self.ports
            .one_time
            .insert_one_time(&OneTimeToken {
                token_hash: hash_token(&token),
                purpose: OneTimePurpose::PasswordReset,
                payload: serde_json::json!({ "user_id": user.id }),
                expires_at: self.clock.now() + Duration::minutes(RESET_TTL_MINUTES),
                consumed_at: None,
            })
            .await?;
        self.ports
            .outbox
            .send(&OutgoingEmail {
                to: user.email,
                subject: "Reset your StudioBrain password".to_owned(),
                body: format!(
                    "Someone asked to reset the password of this StudioBrain account.\n\n\
                     Reset token (valid for {RESET_TTL_MINUTES} minutes, usable once):\n{token}\n\n\
                     Link: {}/reset-password?token={token}\n\n\
                     If this was not you, ignore this message.",
                    self.public_url
                ),
            })
            .await
    }

    /// Consumes a reset token and sets the new password; every outstanding
    /// token of the user is revoked.
    ///
    /// # Errors
    /// [`AuthError::Invalid`] for an unknown, used or expired token or a
    /// weak password.
    pub async fn reset_password(&self, token: &str, new_password: &str) -> AuthResult<()> {
        password::check_policy(new_password)?;
        let consumed = self
            .ports
            .one_time
            .consume_one_time(
                &hash_token(token),
                OneTimePurpose::PasswordReset,
                self.clock.now(),
            )
            .await?
            .ok_or_else(|| AuthError::Invalid("reset token is invalid or expired".into()))?;
        let user_id = consumed
            .payload
            .get("user_id")
            .and_then(|v| v.as_str())
            .and_then(|raw| UserId::parse(raw).ok())
            .ok_or_else(|| AuthError::Invalid("reset token is invalid or expired".into()))?;
        self.replace_password(&user_id, new_password).await
    }

    /// Invites `email` into the caller's tenant with `role` (never above the
    /// caller's own) and e-mails the link. Returns the invite and its token.
    ///
    /// # Errors
    /// [`AuthError::Forbidden`] without `users:manage` or for a role above the
    /// caller's; [`AuthError::Invalid`] for a bad address.
    pub async fn create_invite(
        &self,
        principal: &Principal,
        email: &str,
        role: Role,
    ) -> AuthResult<(Invite, String)> {
        principal.require(Permission::UsersManage)?;
        if !principal.role.at_least(role) {
            return Err(AuthError::Forbidden(format!(
                "cannot invite with a role above your own ({})",
                principal.role
            )));
        }
        let email = EmailAddress::parse(email)?;
        self.ports.outbox.ready()?;
        let token = random_token();
        let now = self.clock.now();
        let invite = Invite {
            id: self.ids.new_id(),
            tenant_id: principal.tenant_id.clone(),
            email: email.clone(),
            role,
            token_hash: hash_token(&token),
            invited_by: principal.user_id.clone(),
            expires_at: now + Duration::days(INVITE_TTL_DAYS),
            accepted_at: None,
            created_at: now,
        };
        self.ports.invites.insert_invite(&invite).await?;
        let tenant_name = self
            .ports
            .tenants
            .get_tenant(&principal.tenant_id)
            .await?
            .map(|t| t.name)
            .unwrap_or_default();
        self.ports
            .outbox
            .send(&OutgoingEmail {
                to: email,
                subject: format!("You are invited to {tenant_name} on StudioBrain"),
                body: format!(
                    "You have been invited to join {tenant_name} as {role}.\n\n\
                     Accept within {INVITE_TTL_DAYS} days: {}/invite/{token}\n",
                    self.public_url
                ),
            })
            .await?;
        Ok((invite, token))
    }

    /// The pending, unexpired invite for a link token.
    ///
    /// # Errors
    /// [`AuthError::NotFound`] for an unknown, used or expired token.
    pub async fn validate_invite(&self, token: &str) -> AuthResult<Invite> {
        self.ports
            .invites
            .find_invite(&hash_token(token))
            .await?
            .filter(|i| i.accepted_at.is_none() && i.expires_at > self.clock.now())
            .ok_or(AuthError::NotFound("invite"))
    }

    /// Accepts an invite: creates the account (or, for an existing account,
    /// checks its password) and joins the tenant with the invited role.
    ///
    /// # Errors
    /// [`AuthError::NotFound`] for a bad token; [`AuthError::Unauthenticated`]
    /// for a wrong password of an existing account; [`AuthError::AlreadyExists`]
    /// when already a member.
    pub async fn register_with_invite(
        &self,
        token: &str,
        plain_password: &str,
        display_name: Option<&str>,
    ) -> AuthResult<SessionTokens> {
        let invite = self.validate_invite(token).await?;
        let user = match self.ports.users.find_user_by_email(&invite.email).await? {
            Some(existing) => {
                if !password::verify(plain_password.to_owned(), existing.password_hash.clone())
                    .await?
                {
                    return Err(AuthError::Unauthenticated);
                }
                existing
            }
            None => {
                password::check_policy(plain_password)?;
                let name = clean_name(display_name)?.unwrap_or_else(|| {
                    invite
                        .email
                        .as_str()
                        .split('@')
                        .next()
                        .unwrap_or("user")
                        .to_owned()
                });
                self.create_user_record(invite.email.clone(), name, plain_password)
                    .await?
            }
        };
        if self
            .ports
            .tenants
            .get_membership(&invite.tenant_id, &user.id)
            .await?
            .is_some()
        {
            return Err(AuthError::AlreadyExists(
                "already a member of this tenant".into(),
            ));
        }
        if !self
            .ports
            .invites
            .mark_invite_accepted(&invite.tenant_id, &invite.id, self.clock.now())
            .await?
        {
            return Err(AuthError::NotFound("invite"));
        }
        let membership = self
            .add_member(&invite.tenant_id, &user.id, invite.role)
            .await?;
        self.open_session(user, &membership).await
    }
}

/// Longest accepted name (display, tenant, team, template).
pub const MAX_NAME_LEN: usize = 200;

/// The trimmed name, if a non-blank one is given.
///
/// # Errors
/// [`AuthError::Invalid`] for a name longer than [`MAX_NAME_LEN`] characters.
pub(crate) fn clean_name(raw: Option<&str>) -> AuthResult<Option<String>> {
    let name = raw.map(str::trim).filter(|s| !s.is_empty());
    match name {
        Some(name) if name.chars().count() > MAX_NAME_LEN => Err(AuthError::Invalid(format!(
            "names must be at most {MAX_NAME_LEN} characters"
        ))),
        other => Ok(other.map(str::to_owned)),
    }
}

#[cfg(test)]
mod tests {
    use super::{MAX_NAME_LEN, clean_name, slugify};

    #[test]
    fn names_are_trimmed_and_bounded() {
        assert_eq!(
            clean_name(Some("  Ann ")).expect("valid").as_deref(),
            Some("Ann")
        );
        assert_eq!(clean_name(Some("   ")).expect("valid"), None);
        assert!(clean_name(Some(&"x".repeat(MAX_NAME_LEN + 1))).is_err());
    }

    #[test]
    fn slugs_are_url_safe() {
        assert_eq!(slugify("Rex's  Studio!"), "rex-s-studio");
        assert_eq!(slugify("***"), "studio");
    }
}
