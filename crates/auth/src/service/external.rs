//! Sign-in through outside identity providers: the OAuth authorization-code
//! flow with PKCE (Google, Microsoft) and Google ID tokens. The `state` is a
//! single-use, ten-minute token that also keeps the PKCE verifier
//! server-side.

use super::{AuthService, SessionTokens};
use crate::error::{AuthError, AuthResult};
use crate::models::{ExternalIdentity, OneTimePurpose, OneTimeToken, Role, User};
use crate::ports::{IdTokenVerifier, OAuthProvider};
use crate::secrets::hash_token;
use chrono::Duration;
use std::sync::Arc;
use studiobrain_kernel::TenantId;

/// Lifetime of an OAuth `state`.
pub const OAUTH_STATE_TTL_MINUTES: i64 = 10;

/// Whether a first sign-in through a provider may create an account.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignUp {
    /// Unknown addresses get a new account and studio.
    Allowed,
    /// Only existing accounts may sign in.
    Refused,
}

impl AuthService {
    /// Adds a sign-in provider (replacing one with the same id).
    pub fn with_oauth_provider(mut self, provider: Arc<dyn OAuthProvider>) -> Self {
        self.oauth.retain(|p| p.id() != provider.id());
        self.oauth.push(provider);
        self
    }

    /// Sets the verifier of Google ID tokens.
    pub fn with_google_id_tokens(mut self, verifier: Arc<dyn IdTokenVerifier>) -> Self {
        self.google_id_tokens = Some(verifier);
        self
    }

    /// Ids of the configured sign-in providers.
    pub fn oauth_providers(&self) -> Vec<String> {
        self.oauth.iter().map(|p| p.id().to_owned()).collect()
    }

    fn provider(&self, id: &str) -> AuthResult<&Arc<dyn OAuthProvider>> {
        self.oauth.iter().find(|p| p.id() == id).ok_or_else(|| {
            AuthError::NotConfigured(format!(
                "OAuth provider '{id}' is not configured: set auth.oauth.{id}.client_id, \
                 auth.oauth.{id}.client_secret and auth.oauth.{id}.redirect_url"
            ))
        })
    }

    /// Starts a sign-in with `provider`: stores the state and PKCE verifier
    /// and returns the URL to send the browser to.
    ///
    /// # Errors
    /// [`AuthError::NotConfigured`] naming the settings of an unconfigured provider.
    pub async fn start_oauth(&self, provider: &str) -> AuthResult<String> {
        let request = self.provider(provider)?.authorization_request()?;
        self.ports
            .one_time
            .insert_one_time(&OneTimeToken {
                token_hash: hash_token(&request.state),
                purpose: OneTimePurpose::OAuthState,
                payload: serde_json::json!({ "provider": provider, "pkce_verifier": request.pkce_verifier }),
                expires_at: self.clock.now() + Duration::minutes(OAUTH_STATE_TTL_MINUTES),
                consumed_at: None,
            })
            .await?;
        Ok(request.url)
    }

    /// Completes a sign-in: consumes the state, exchanges the code with the
    /// stored PKCE verifier and signs the user in.
    ///
    /// # Errors
    /// [`AuthError::Unauthenticated`] for an unknown, used, expired or
    /// foreign state, a rejected code, or an unverified address;
    /// [`AuthError::NotConfigured`] for an unconfigured provider.
    pub async fn finish_oauth(
        &self,
        provider: &str,
        code: &str,
        state: &str,
        sign_up: SignUp,
    ) -> AuthResult<SessionTokens> {
        let oauth = self.provider(provider)?.clone();
        let stored = self
            .ports
            .one_time
            .consume_one_time(
                &hash_token(state),
                OneTimePurpose::OAuthState,
                self.clock.now(),
            )
            .await?
            .ok_or(AuthError::Unauthenticated)?;
        if stored.payload.get("provider").and_then(|v| v.as_str()) != Some(provider) {
            return Err(AuthError::Unauthenticated);
        }
        let verifier = stored
            .payload
            .get("pkce_verifier")
            .and_then(|v| v.as_str())
            .ok_or(AuthError::Unauthenticated)?;
        let identity = oauth.exchange_code(code, verifier).await?;
        self.sign_in_external(identity, sign_up).await
    }

    /// Signs in with a Google ID token.
    ///
    /// # Errors
    /// [`AuthError::NotConfigured`] without a verifier;
    /// [`AuthError::Unauthenticated`] for an invalid token or unverified address.
    pub async fn sign_in_with_google_id_token(
        &self,
        id_token: &str,
        sign_up: SignUp,
    ) -> AuthResult<SessionTokens> {
        let verifier = self.google_id_tokens.clone().ok_or_else(|| {
            AuthError::NotConfigured(
                "Google sign-in is not configured: set auth.oauth.google.client_id and auth.oauth.google.jwks_url"
                    .into(),
            )
        })?;
        let identity = verifier.verify_id_token(id_token).await?;
        self.sign_in_external(identity, sign_up).await
    }

    /// Signs in the account with the provider-verified address, creating
    /// one (with a studio of its own) when allowed.
    async fn sign_in_external(
        &self,
        identity: ExternalIdentity,
        sign_up: SignUp,
    ) -> AuthResult<SessionTokens> {
        if !identity.email_verified {
            return Err(AuthError::Unauthenticated);
        }
        if let Some(user) = self.ports.users.find_user_by_email(&identity.email).await? {
            return self.sign_in(user).await;
        }
        if sign_up == SignUp::Refused {
            return Err(AuthError::Forbidden(
                "no account uses this address and self-service registration is disabled".into(),
            ));
        }
        let now = self.clock.now();
        let display_name = identity.display_name.clone().unwrap_or_else(|| {
            identity
                .email
                .as_str()
                .split('@')
                .next()
                .unwrap_or("user")
                .to_owned()
        });
        let tenant_id =
            TenantId::parse(self.ids.new_id()).map_err(|err| AuthError::Unexpected(err.into()))?;
        let tenant = self
            .create_tenant_record(tenant_id, &format!("{display_name}'s studio"))
            .await?;
        let user = User {
            id: self.new_user_id()?,
            email: identity.email,
            display_name,
            password_hash: None,
            token_version: 0,
            created_at: now,
            updated_at: now,
        };
        self.ports.users.insert_user(&user).await?;
        let membership = self.add_member(&tenant.id, &user.id, Role::Owner).await?;
        self.open_session(user, &membership).await
    }
}
