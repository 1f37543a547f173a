//! Response shapes shared by several route modules.

use serde::Serialize;
use studiobrain_auth::SessionTokens;
use studiobrain_auth::models::{ApiKey, PermissionTemplate, Team, Tenant};
use studiobrain_auth::service::{CreatedApiKey, MemberView};
use utoipa::ToSchema;

/// A member of the tenant.
#[derive(Debug, Serialize, ToSchema)]
pub struct UserOut {
    /// User id.
    pub id: String,
    /// Login address.
    pub email: String,
    /// Display name.
    pub display_name: String,
    /// Role in the viewing tenant.
    pub role: String,
    /// Whether the membership is active.
    pub is_active: bool,
    /// The viewing tenant.
    pub tenant_id: String,
    /// Assigned permission template, if any.
    pub permission_template_id: Option<String>,
    /// Subscription tier in this tenant.
    pub subscription_tier: String,
    /// Account creation time (RFC 3339).
    pub created_at: String,
}

impl From<MemberView> for UserOut {
    fn from(view: MemberView) -> Self {
        Self {
            id: view.user.id.to_string(),
            email: view.user.email.as_str().to_owned(),
            display_name: view.user.display_name,
            role: view.membership.role.as_str().to_owned(),
            is_active: view.membership.is_active,
            tenant_id: view.membership.tenant_id.to_string(),
            permission_template_id: view.membership.permission_template_id,
            subscription_tier: view.membership.subscription_tier,
            created_at: view.user.created_at.to_rfc3339(),
        }
    }
}

/// Tokens of a new session.
#[derive(Debug, Serialize, ToSchema)]
pub struct TokenOut {
    /// Access JWT.
    pub access_token: String,
    /// Opaque refresh token (single use).
    pub refresh_token: String,
    /// Always `bearer`.
    pub token_type: &'static str,
    /// Seconds until the access token expires.
    pub expires_in: i64,
    /// Active tenant.
    pub tenant_id: String,
    /// Signed-in user.
    pub user_id: String,
    /// Role in the active tenant.
    pub role: String,
}

impl From<&SessionTokens> for TokenOut {
    fn from(tokens: &SessionTokens) -> Self {
        Self {
            access_token: tokens.access_token.clone(),
            refresh_token: tokens.refresh_token.clone(),
            token_type: "bearer",
            expires_in: tokens.expires_in,
            tenant_id: tokens.tenant_id.to_string(),
            user_id: tokens.user.id.to_string(),
            role: tokens.role.as_str().to_owned(),
        }
    }
}

/// A tenant.
#[derive(Debug, Serialize, ToSchema)]
pub struct TenantOut {
    /// Tenant id.
    pub id: String,
    /// Display name.
    pub name: String,
    /// Unique handle.
    pub slug: String,
    /// Plan id.
    pub plan: String,
    /// Settings object.
    #[schema(value_type = Object)]
    pub settings: serde_json::Value,
    /// Creation time (RFC 3339).
    pub created_at: String,
}

impl From<Tenant> for TenantOut {
    fn from(t: Tenant) -> Self {
        Self {
            id: t.id.to_string(),
            name: t.name,
            slug: t.slug,
            plan: t.plan,
            settings: t.settings,
            created_at: t.created_at.to_rfc3339(),
        }
    }
}

/// An API key's metadata (never the secret).
#[derive(Debug, Serialize, ToSchema)]
pub struct ApiKeyOut {
    /// Key id.
    pub id: String,
    /// Label.
    pub name: String,
    /// First characters, to recognise the key.
    pub prefix: String,
    /// Role the key acts with.
    pub role: String,
    /// `api` or `ai`.
    pub scope: String,
    /// Owner.
    pub user_id: String,
    /// Creation time (RFC 3339).
    pub created_at: String,
    /// Revocation time, if revoked.
    pub revoked_at: Option<String>,
}

impl From<ApiKey> for ApiKeyOut {
    fn from(k: ApiKey) -> Self {
        Self {
            id: k.id,
            name: k.name,
            prefix: k.prefix,
            role: k.role.as_str().to_owned(),
            scope: k.scope.as_str().to_owned(),
            user_id: k.user_id.to_string(),
            created_at: k.created_at.to_rfc3339(),
            revoked_at: k.revoked_at.map(|t| t.to_rfc3339()),
        }
    }
}

/// A key just created: metadata plus the secret, shown once.
#[derive(Debug, Serialize, ToSchema)]
pub struct CreatedApiKeyOut {
    /// Metadata.
    #[serde(flatten)]
    pub key: ApiKeyOut,
    /// The full key (`sb_...`). Store it now: it is never shown again.
    pub api_key: String,
}

impl From<CreatedApiKey> for CreatedApiKeyOut {
    fn from(created: CreatedApiKey) -> Self {
        Self {
            key: created.key.into(),
            api_key: created.secret,
        }
    }
}

/// A team.
#[derive(Debug, Serialize, ToSchema)]
pub struct TeamOut {
    /// Team id.
    pub id: String,
    /// Name.
    pub name: String,
    /// Description.
    pub description: String,
    /// Member user ids.
    pub member_ids: Vec<String>,
    /// Creation time (RFC 3339).
    pub created_at: String,
}

impl From<Team> for TeamOut {
    fn from(t: Team) -> Self {
        Self {
            id: t.id,
            name: t.name,
            description: t.description,
            member_ids: t.member_ids.into_iter().map(String::from).collect(),
            created_at: t.created_at.to_rfc3339(),
        }
    }
}

/// A permission template.
#[derive(Debug, Serialize, ToSchema)]
pub struct PermissionTemplateOut {
    /// Template id.
    pub id: String,
    /// Name.
    pub name: String,
    /// Description.
    pub description: String,
    /// Permission names, e.g. `entities:read`.
    pub permissions: Vec<String>,
    /// Creation time (RFC 3339).
    pub created_at: String,
}

impl From<PermissionTemplate> for PermissionTemplateOut {
    fn from(t: PermissionTemplate) -> Self {
        Self {
            id: t.id,
            name: t.name,
            description: t.description,
            permissions: t
                .permissions
                .names()
                .into_iter()
                .map(str::to_owned)
                .collect(),
            created_at: t.created_at.to_rfc3339(),
        }
    }
}

/// A plain acknowledgement.
#[derive(Debug, Serialize, ToSchema)]
pub struct MessageOut {
    /// What happened.
    pub message: String,
}

impl MessageOut {
    /// An acknowledgement saying `text`.
    pub fn new(text: impl Into<String>) -> Self {
        Self {
            message: text.into(),
        }
    }
}
