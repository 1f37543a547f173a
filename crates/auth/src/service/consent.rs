//! Consent to outside services (Google Drive): the authorization-code flow
//! with PKCE on behalf of a signed-in member, whose granted tokens are
//! sealed at rest. The `state` carries the member and tenant, so a callback
//! completes only for the member who started it.

use super::{AuthService, Principal};
use crate::error::{AuthError, AuthResult};
use crate::models::{OneTimePurpose, OneTimeToken, ProviderConnection, ProviderTokens};
use crate::permissions::Permission;
use crate::ports::ConsentProvider;
use crate::sealing::SecretSealer;
use crate::secrets::hash_token;
use chrono::Duration;
use std::sync::Arc;

use super::external::OAUTH_STATE_TTL_MINUTES;

impl AuthService {
    /// Adds a consent provider (replacing one with the same id).
    pub fn with_consent_provider(mut self, provider: Arc<dyn ConsentProvider>) -> Self {
        self.consent.retain(|p| p.id() != provider.id());
        self.consent.push(provider);
        self
    }

    /// Sets the sealer for outside services' tokens.
    pub fn with_sealer(mut self, sealer: SecretSealer) -> Self {
        self.sealer = Some(sealer);
        self
    }

    fn consent_provider(&self, id: &str) -> AuthResult<(Arc<dyn ConsentProvider>, &SecretSealer)> {
        let provider = self.consent.iter().find(|p| p.id() == id).cloned().ok_or_else(|| {
            AuthError::NotConfigured(format!(
                "'{id}' is not configured: set auth.oauth.{id}.client_id, auth.oauth.{id}.client_secret \
                 and auth.oauth.{id}.redirect_url"
            ))
        })?;
        let sealer = self.sealer.as_ref().ok_or_else(|| {
            AuthError::NotConfigured(
                "storing outside services' tokens needs auth.encryption_key".into(),
            )
        })?;
        Ok((provider, sealer))
    }

    /// Starts the caller's consent to `provider`; returns the URL to send
    /// the browser to.
    ///
    /// # Errors
    /// [`AuthError::Forbidden`] for members who cannot write;
    /// [`AuthError::NotConfigured`] naming the missing settings.
    pub async fn start_consent(&self, principal: &Principal, provider: &str) -> AuthResult<String> {
        principal.require(Permission::EntitiesWrite)?;
        let (consent, _) = self.consent_provider(provider)?;
        let request = consent.authorization_request()?;
        self.ports
            .one_time
            .insert_one_time(&OneTimeToken {
                token_hash: hash_token(&request.state),
                purpose: OneTimePurpose::OAuthState,
                payload: serde_json::json!({
                    "provider": provider,
                    "pkce_verifier": request.pkce_verifier,
                    "user_id": principal.user_id,
                    "tenant_id": principal.tenant_id,
                }),
                expires_at: self.clock.now() + Duration::minutes(OAUTH_STATE_TTL_MINUTES),
                consumed_at: None,
            })
            .await?;
        Ok(request.url)
    }

    /// Completes the consent: checks the state belongs to this caller and
    /// provider, exchanges the code, and stores the sealed tokens.
    ///
    /// # Errors
    /// [`AuthError::Unauthenticated`] for an unknown, used, expired or
    /// foreign state or a rejected code; [`AuthError::NotConfigured`].
    pub async fn finish_consent(
        &self,
        principal: &Principal,
        provider: &str,
        code: &str,
        state: &str,
    ) -> AuthResult<ProviderConnection> {
        let (consent, sealer) = self.consent_provider(provider)?;
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
        let field = |name: &str| stored.payload.get(name).and_then(|v| v.as_str());
        let ours = field("provider") == Some(provider)
            && field("user_id") == Some(principal.user_id.as_str())
            && field("tenant_id") == Some(principal.tenant_id.as_str());
        let verifier = field("pkce_verifier")
            .filter(|_| ours)
            .ok_or(AuthError::Unauthenticated)?;
        let tokens = consent.exchange_for_tokens(code, verifier).await?;
        let now = self.clock.now();
        let connection = ProviderConnection {
            tenant_id: principal.tenant_id.clone(),
            user_id: principal.user_id.clone(),
            provider: provider.to_owned(),
            sealed_access_token: sealer.seal(
                &tokens.access_token,
                &seal_context(principal, provider, "access"),
            )?,
            sealed_refresh_token: tokens
                .refresh_token
                .as_deref()
                .map(|t| sealer.seal(t, &seal_context(principal, provider, "refresh")))
                .transpose()?,
            expires_at: tokens.expires_at,
            scopes: tokens.scopes,
            created_at: now,
            updated_at: now,
        };
        self.ports
            .connections
            .upsert_connection(&connection)
            .await?;
        Ok(connection)
    }

    /// The caller's connection to `provider`, if any.
    ///
    /// # Errors
    /// Storage failures.
    pub async fn connection(
        &self,
        principal: &Principal,
        provider: &str,
    ) -> AuthResult<Option<ProviderConnection>> {
        self.ports
            .connections
            .get_connection(&principal.tenant_id, &principal.user_id, provider)
            .await
    }

    /// Opens the sealed tokens of the caller's connection to `provider`.
    ///
    /// # Errors
    /// [`AuthError::NotFound`] without a connection; [`AuthError::NotConfigured`]
    /// without a sealer; [`AuthError::Unexpected`] if a token does not open.
    pub async fn provider_tokens(
        &self,
        principal: &Principal,
        provider: &str,
    ) -> AuthResult<ProviderTokens> {
        let sealer = self.sealer.as_ref().ok_or_else(|| {
            AuthError::NotConfigured(
                "storing outside services' tokens needs auth.encryption_key".into(),
            )
        })?;
        let connection = self
            .connection(principal, provider)
            .await?
            .ok_or(AuthError::NotFound("connection"))?;
        Ok(ProviderTokens {
            access_token: sealer.open(
                &connection.sealed_access_token,
                &seal_context(principal, provider, "access"),
            )?,
            refresh_token: connection
                .sealed_refresh_token
                .as_deref()
                .map(|t| sealer.open(t, &seal_context(principal, provider, "refresh")))
                .transpose()?,
            expires_at: connection.expires_at,
            scopes: connection.scopes,
        })
    }
}

/// Binds a sealed token to its tenant, user, provider and kind.
fn seal_context(principal: &Principal, provider: &str, kind: &str) -> String {
    format!(
        "{}/{}/{provider}/{kind}",
        principal.tenant_id, principal.user_id
    )
}
