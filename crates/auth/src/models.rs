//! Values of the identity domain. Constructors validate, so a value that
//! exists is well formed.

use crate::error::AuthError;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::fmt;
use studiobrain_kernel::{TenantId, UserId};

/// A role within one tenant, from most to least powerful.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Everything, including billing and deleting the tenant.
    Owner,
    /// Manages users, templates, rules and settings.
    Admin,
    /// Creates, edits and deletes entities; uses AI features.
    Editor,
    /// Reads entities and assets only.
    Viewer,
}

impl Role {
    /// All roles, most powerful first.
    pub const ALL: [Role; 4] = [Role::Owner, Role::Admin, Role::Editor, Role::Viewer];

    /// Parses `owner`, `admin`, `editor` or `viewer`.
    ///
    /// # Errors
    /// [`AuthError::Invalid`] for any other string.
    pub fn parse(raw: &str) -> Result<Self, AuthError> {
        Self::ALL
            .into_iter()
            .find(|role| role.as_str() == raw)
            .ok_or_else(|| {
                AuthError::Invalid(format!(
                    "unknown role '{raw}': expected owner, admin, editor or viewer"
                ))
            })
    }

    /// The role's wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Owner => "owner",
            Role::Admin => "admin",
            Role::Editor => "editor",
            Role::Viewer => "viewer",
        }
    }

    /// Whether this role is at least as powerful as `other`.
    pub fn at_least(self, other: Role) -> bool {
        self <= other
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A syntactically valid, lower-cased e-mail address.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct EmailAddress(String);

impl EmailAddress {
    /// Trims, lower-cases and checks `raw` (one `@`, a dotted domain, at most
    /// 254 characters, no whitespace).
    ///
    /// # Errors
    /// [`AuthError::Invalid`] when the address is malformed.
    pub fn parse(raw: &str) -> Result<Self, AuthError> {
        let email = raw.trim().to_lowercase();
        let valid = email.len() <= 254
            && !email.chars().any(char::is_whitespace)
            && match email.split_once('@') {
                Some((local, domain)) => {
                    !local.is_empty()
                        && !domain.contains('@')
                        && domain.contains('.')
                        && !domain.starts_with('.')
                        && !domain.ends_with('.')
                }
                None => false,
            };
        if valid {
            Ok(Self(email))
        } else {
            Err(AuthError::Invalid(format!(
                "invalid e-mail address: '{}'",
                raw.trim()
            )))
        }
    }

    /// The address as a string slice.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for EmailAddress {
    type Error = AuthError;
    fn try_from(raw: String) -> Result<Self, AuthError> {
        Self::parse(&raw)
    }
}

impl From<EmailAddress> for String {
    fn from(email: EmailAddress) -> String {
        email.0
    }
}

/// A global user account.
#[derive(Debug, Clone, PartialEq)]
pub struct User {
    /// Stable id.
    pub id: UserId,
    /// Unique login address.
    pub email: EmailAddress,
    /// Name shown in the UI.
    pub display_name: String,
    /// Argon2id PHC string; `None` for accounts that sign in only via OAuth.
    pub password_hash: Option<String>,
    /// Incremented to revoke every outstanding access token of the user.
    pub token_version: i64,
    /// When the account was created.
    pub created_at: DateTime<Utc>,
    /// When the account last changed.
    pub updated_at: DateTime<Utc>,
}

/// A tenant: one studio with its own data, users and usage.
#[derive(Debug, Clone, PartialEq)]
pub struct Tenant {
    /// Stable id (`local` in desktop mode).
    pub id: TenantId,
    /// Display name.
    pub name: String,
    /// Unique URL-safe handle.
    pub slug: String,
    /// Subscription plan id (`free`, `indie`, `team`, `enterprise`).
    pub plan: String,
    /// Free-form settings object.
    pub settings: serde_json::Value,
    /// When the tenant was created.
    pub created_at: DateTime<Utc>,
}

/// A user's place in a tenant.
#[derive(Debug, Clone, PartialEq)]
pub struct Membership {
    /// The tenant.
    pub tenant_id: TenantId,
    /// The member.
    pub user_id: UserId,
    /// Role within the tenant.
    pub role: Role,
    /// Optional permission template narrowing what the role allows.
    pub permission_template_id: Option<String>,
    /// Subscription tier assigned to this member (`free` by default).
    pub subscription_tier: String,
    /// Deactivated members cannot sign in to this tenant; their data stays.
    pub is_active: bool,
    /// When the user joined the tenant.
    pub created_at: DateTime<Utc>,
}

/// One link in a refresh-token family. Each use rotates the token: the used
/// link is marked, a new one is issued in the same family.
#[derive(Debug, Clone, PartialEq)]
pub struct RefreshToken {
    /// Row id.
    pub id: String,
    /// All rotations of one sign-in share a family; reuse revokes it.
    pub family_id: String,
    /// Owner of the session.
    pub user_id: UserId,
    /// Tenant the session is signed in to.
    pub active_tenant_id: TenantId,
    /// SHA-256 of the opaque token (hex).
    pub token_hash: String,
    /// Expiry.
    pub expires_at: DateTime<Utc>,
    /// Set when the token was exchanged for a new one.
    pub used_at: Option<DateTime<Utc>>,
    /// Set when the family was revoked.
    pub revoked_at: Option<DateTime<Utc>>,
    /// Issue time.
    pub created_at: DateTime<Utc>,
}

/// What an API key may be used for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ApiKeyScope {
    /// The whole REST API, within the key's role.
    Api,
    /// Only the AI routes (the user's key for the AI service).
    Ai,
}

impl ApiKeyScope {
    /// Wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            ApiKeyScope::Api => "api",
            ApiKeyScope::Ai => "ai",
        }
    }

    /// Parses `api` or `ai`.
    ///
    /// # Errors
    /// [`AuthError::Invalid`] for anything else.
    pub fn parse(raw: &str) -> Result<Self, AuthError> {
        match raw {
            "api" => Ok(ApiKeyScope::Api),
            "ai" => Ok(ApiKeyScope::Ai),
            other => Err(AuthError::Invalid(format!(
                "unknown API key scope '{other}'"
            ))),
        }
    }
}

/// A stored API key. The secret itself is shown once and never stored.
#[derive(Debug, Clone, PartialEq)]
pub struct ApiKey {
    /// Row id.
    pub id: String,
    /// Tenant the key acts in.
    pub tenant_id: TenantId,
    /// User the key acts as.
    pub user_id: UserId,
    /// Label given by the user.
    pub name: String,
    /// First characters of the key, to recognise it in lists.
    pub prefix: String,
    /// SHA-256 of the key (hex).
    pub key_hash: String,
    /// Role the key acts with (at most the creator's).
    pub role: Role,
    /// What the key may be used for.
    pub scope: ApiKeyScope,
    /// Creation time.
    pub created_at: DateTime<Utc>,
    /// Set when revoked.
    pub revoked_at: Option<DateTime<Utc>>,
}

/// An invitation to join a tenant.
#[derive(Debug, Clone, PartialEq)]
pub struct Invite {
    /// Row id.
    pub id: String,
    /// Tenant to join.
    pub tenant_id: TenantId,
    /// Address invited.
    pub email: EmailAddress,
    /// Role granted on acceptance.
    pub role: Role,
    /// SHA-256 of the link token (hex).
    pub token_hash: String,
    /// Who invited.
    pub invited_by: UserId,
    /// Expiry (7 days after creation).
    pub expires_at: DateTime<Utc>,
    /// Set when accepted.
    pub accepted_at: Option<DateTime<Utc>>,
    /// Creation time.
    pub created_at: DateTime<Utc>,
}

/// Purpose of a tenant-less single-use token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OneTimePurpose {
    /// Password reset link (30 minutes).
    PasswordReset,
    /// OAuth `state` with the PKCE verifier (10 minutes).
    OAuthState,
}

impl OneTimePurpose {
    /// Storage name.
    pub fn as_str(self) -> &'static str {
        match self {
            OneTimePurpose::PasswordReset => "password_reset",
            OneTimePurpose::OAuthState => "oauth_state",
        }
    }
}

/// A single-use token that is not owned by a tenant (password resets, OAuth
/// state). Consuming it is atomic.
#[derive(Debug, Clone, PartialEq)]
pub struct OneTimeToken {
    /// SHA-256 of the token (hex); the primary key.
    pub token_hash: String,
    /// What the token is for.
    pub purpose: OneTimePurpose,
    /// Data the token carries (user id, PKCE verifier, ...).
    pub payload: serde_json::Value,
    /// Expiry.
    pub expires_at: DateTime<Utc>,
    /// Set once consumed.
    pub consumed_at: Option<DateTime<Utc>>,
}

/// A named group of users within a tenant.
#[derive(Debug, Clone, PartialEq)]
pub struct Team {
    /// Row id.
    pub id: String,
    /// Owning tenant.
    pub tenant_id: TenantId,
    /// Unique name within the tenant.
    pub name: String,
    /// Free text.
    pub description: String,
    /// Members.
    pub member_ids: Vec<UserId>,
    /// Creation time.
    pub created_at: DateTime<Utc>,
}

/// A named set of permissions; assigned to a membership it narrows what the
/// member's role allows.
#[derive(Debug, Clone, PartialEq)]
pub struct PermissionTemplate {
    /// Row id.
    pub id: String,
    /// Owning tenant.
    pub tenant_id: TenantId,
    /// Unique name within the tenant.
    pub name: String,
    /// Free text.
    pub description: String,
    /// Permissions granted (never more than the role allows).
    pub permissions: crate::permissions::PermissionSet,
    /// Creation time.
    pub created_at: DateTime<Utc>,
}

/// An e-mail to deliver through the [`crate::ports::Outbox`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutgoingEmail {
    /// Recipient.
    pub to: EmailAddress,
    /// Subject line.
    pub subject: String,
    /// Plain-text body.
    pub body: String,
}

/// Who an outside identity provider says the user is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExternalIdentity {
    /// Provider id (`google`, `microsoft`).
    pub provider: String,
    /// The provider's stable subject id for the user.
    pub subject: String,
    /// The user's address as asserted by the provider.
    pub email: EmailAddress,
    /// Whether the provider verified the address.
    pub email_verified: bool,
    /// The user's name, if the provider gave one.
    pub display_name: Option<String>,
}

/// The start of an authorization-code flow with PKCE.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthorizationRequest {
    /// Where to send the browser.
    pub url: String,
    /// The `state` parameter in `url` (single use, checked on callback).
    pub state: String,
    /// The PKCE verifier matching the challenge in `url`; kept server-side.
    pub pkce_verifier: String,
}

/// Tokens an outside service granted after the user's consent.
#[derive(Clone, PartialEq, Eq)]
pub struct ProviderTokens {
    /// Short-lived access token.
    pub access_token: String,
    /// Long-lived refresh token, when granted.
    pub refresh_token: Option<String>,
    /// When the access token expires, if the provider said.
    pub expires_at: Option<DateTime<Utc>>,
    /// Scopes granted.
    pub scopes: Vec<String>,
}

impl fmt::Debug for ProviderTokens {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ProviderTokens")
            .field("access_token", &"[redacted]")
            .field(
                "refresh_token",
                &self.refresh_token.as_ref().map(|_| "[redacted]"),
            )
            .field("expires_at", &self.expires_at)
            .field("scopes", &self.scopes)
            .finish()
    }
}

/// A user's stored consent to an outside service (Google Drive), with the
/// tokens sealed (encrypted and authenticated) at rest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProviderConnection {
    /// Tenant the connection belongs to.
    pub tenant_id: TenantId,
    /// User who consented.
    pub user_id: UserId,
    /// Service id, e.g. `google_drive`.
    pub provider: String,
    /// Sealed access token.
    pub sealed_access_token: String,
    /// Sealed refresh token, if granted.
    pub sealed_refresh_token: Option<String>,
    /// Access-token expiry, if known.
    pub expires_at: Option<DateTime<Utc>>,
    /// Scopes granted.
    pub scopes: Vec<String>,
    /// First consent.
    pub created_at: DateTime<Utc>,
    /// Last consent or refresh.
    pub updated_at: DateTime<Utc>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_order_by_power() {
        assert!(Role::Owner.at_least(Role::Admin));
        assert!(Role::Admin.at_least(Role::Admin));
        assert!(!Role::Viewer.at_least(Role::Editor));
        assert_eq!(Role::parse("editor").expect("valid"), Role::Editor);
        assert!(Role::parse("root").is_err());
    }

    #[test]
    fn emails_are_normalised_and_checked() {
        assert_eq!(
            EmailAddress::parse(" Ann@Example.COM ")
                .expect("valid")
                .as_str(),
            "ann@example.com"
        );
        for bad in [
            "", "ann", "ann@", "@x.io", "a@b", "a b@x.io", "a@@x.io", "a@x.",
        ] {
            assert!(EmailAddress::parse(bad).is_err(), "{bad:?}");
        }
    }
}
