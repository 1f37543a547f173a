//! [`AuthService`]: the identity use cases, over the ports of [`AuthPorts`].
//!
//! The service is split by job: [`session`] signs in and out and turns
//! credentials into a [`Principal`]; [`account`] registers, resets passwords
//! and handles invites; [`directory`] manages users, tenants, teams and
//! permission templates; [`keys`] manages API keys.

pub mod account;
mod cache;
pub mod consent;
pub mod directory;
pub mod external;
pub mod keys;
pub mod session;

use crate::error::{AuthError, AuthResult};
use crate::models::{ApiKeyScope, Role, User};
use crate::permissions::{Permission, PermissionSet};
use crate::ports::{AuthPorts, ConsentProvider, IdTokenVerifier, OAuthProvider};
use crate::sealing::SecretSealer;
use crate::tokens::TokenSettings;
use cache::PrincipalCache;
use std::sync::Arc;
use studiobrain_kernel::{Clock, IdGen, SystemClock, TenantId, UserId, UuidV7Gen};

pub use account::{NewAccount, RegisterInput};
pub use directory::{MemberView, UserUpdate};
pub use external::SignUp;
pub use keys::CreatedApiKey;
pub use session::SessionTokens;

/// The identity use cases.
#[derive(Clone)]
pub struct AuthService {
    ports: AuthPorts,
    tokens: TokenSettings,
    clock: Arc<dyn Clock>,
    ids: Arc<dyn IdGen>,
    public_url: String,
    cache: Arc<PrincipalCache>,
    oauth: Vec<Arc<dyn OAuthProvider>>,
    google_id_tokens: Option<Arc<dyn IdTokenVerifier>>,
    consent: Vec<Arc<dyn ConsentProvider>>,
    sealer: Option<SecretSealer>,
}

impl AuthService {
    /// A service on the given ports, using the system clock and UUIDv7 ids.
    pub fn new(ports: AuthPorts, tokens: TokenSettings) -> Self {
        Self {
            ports,
            tokens,
            clock: Arc::new(SystemClock),
            ids: Arc::new(UuidV7Gen),
            public_url: "http://127.0.0.1:8201".to_owned(),
            cache: Arc::new(PrincipalCache::new(chrono::Duration::seconds(1))),
            oauth: Vec::new(),
            google_id_tokens: None,
            consent: Vec::new(),
            sealer: None,
        }
    }

    /// Sets how long an authenticated credential is remembered (default one
    /// second; zero disables the cache). Other server processes sharing the
    /// database see a revocation within this time.
    pub fn with_auth_cache_ttl(mut self, ttl: chrono::Duration) -> Self {
        self.cache = Arc::new(PrincipalCache::new(ttl));
        self
    }

    /// Sets the public base URL used in e-mailed links.
    pub fn with_public_url(mut self, url: impl Into<String>) -> Self {
        self.public_url = url.into().trim_end_matches('/').to_owned();
        self
    }

    /// Replaces the clock (tests).
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// Replaces the id generator (tests).
    pub fn with_ids(mut self, ids: Arc<dyn IdGen>) -> Self {
        self.ids = ids;
        self
    }

    /// The token settings in force.
    pub fn token_settings(&self) -> &TokenSettings {
        &self.tokens
    }

    /// The ports in use.
    pub fn ports(&self) -> &AuthPorts {
        &self.ports
    }

    fn new_user_id(&self) -> AuthResult<UserId> {
        UserId::parse(self.ids.new_id()).map_err(|err| AuthError::Unexpected(err.into()))
    }

    async fn user_or_not_found(&self, id: &UserId) -> AuthResult<User> {
        self.ports
            .users
            .get_user(id)
            .await?
            .ok_or(AuthError::NotFound("user"))
    }
}

/// How the caller proved who they are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Credential {
    /// An access token of the sign-in session with this refresh family id.
    Session {
        /// The refresh-token family.
        session_id: String,
    },
    /// An API key.
    ApiKey {
        /// Key id.
        key_id: String,
        /// What the key may be used for.
        scope: ApiKeyScope,
    },
}

/// An authenticated caller acting in one tenant.
#[derive(Debug, Clone)]
pub struct Principal {
    /// The user.
    pub user_id: UserId,
    /// The active tenant.
    pub tenant_id: TenantId,
    /// Role in the active tenant.
    pub role: Role,
    /// Effective permissions: the role's, narrowed by any template.
    pub permissions: PermissionSet,
    /// The credential presented.
    pub credential: Credential,
    /// The caller's account and membership as loaded when authenticating.
    pub member: Arc<MemberView>,
}

impl Principal {
    /// Succeeds when the caller holds `permission`.
    ///
    /// # Errors
    /// [`AuthError::Forbidden`] naming the missing permission.
    pub fn require(&self, permission: Permission) -> AuthResult<()> {
        if self.permissions.contains(permission) {
            Ok(())
        } else {
            Err(AuthError::Forbidden(format!(
                "this action needs the '{}' permission",
                permission.as_str()
            )))
        }
    }

    /// Succeeds when the caller's role is at least `role`.
    ///
    /// # Errors
    /// [`AuthError::Forbidden`] naming the role needed.
    pub fn require_role(&self, role: Role) -> AuthResult<()> {
        if self.role.at_least(role) {
            Ok(())
        } else {
            Err(AuthError::Forbidden(format!(
                "this action needs the {role} role"
            )))
        }
    }

    /// Whether the caller came with an AI-only API key.
    pub fn is_ai_key(&self) -> bool {
        matches!(
            self.credential,
            Credential::ApiKey {
                scope: ApiKeyScope::Ai,
                ..
            }
        )
    }
}
