//! The authorization-code flow with PKCE against one provider's endpoints.

use crate::http::OAuthHttp;
use crate::settings::ProviderSettings;
use anyhow::Context as _;
use async_trait::async_trait;
use oauth2::basic::{BasicClient, BasicErrorResponseType, BasicTokenResponse};
use oauth2::{
    AuthType, AuthUrl, AuthorizationCode, ClientId, ClientSecret, CsrfToken, EndpointNotSet,
    EndpointSet, PkceCodeChallenge, PkceCodeVerifier, RedirectUrl, RequestTokenError, Scope,
    TokenResponse, TokenUrl,
};
use secrecy::ExposeSecret;
use serde::Deserialize;
use studiobrain_auth::error::{AuthError, AuthResult};
use studiobrain_auth::models::{
    AuthorizationRequest, EmailAddress, ExternalIdentity, ProviderTokens,
};
use studiobrain_auth::ports::{ConsentProvider, OAuthProvider};

/// An `oauth2` client with the authorization and token endpoints set.
type Client = BasicClient<EndpointSet, EndpointNotSet, EndpointNotSet, EndpointNotSet, EndpointSet>;

/// An [`OAuthProvider`] speaking OAuth 2.0 / OpenID Connect over HTTP: the
/// browser is sent to the authorization endpoint, the code is exchanged at
/// the token endpoint (client secret in the form body, PKCE verifier
/// attached) and the user is read from the userinfo endpoint.
#[derive(Clone)]
pub struct HttpOAuthProvider {
    id: String,
    client: Client,
    userinfo_url: reqwest::Url,
    scopes: Vec<String>,
    extra_auth_params: Vec<(String, String)>,
    http: OAuthHttp,
}

impl HttpOAuthProvider {
    /// A provider named `id` (`google`, `microsoft`) with the given
    /// settings, sending its requests through `http` (see
    /// [`crate::http_client`]).
    ///
    /// # Errors
    /// When one of the configured URLs is malformed.
    pub fn new(
        id: &str,
        settings: ProviderSettings,
        http: reqwest::Client,
    ) -> anyhow::Result<Self> {
        let client = BasicClient::new(ClientId::new(settings.client_id))
            .set_client_secret(ClientSecret::new(
                settings.client_secret.expose_secret().to_owned(),
            ))
            .set_auth_type(AuthType::RequestBody)
            .set_auth_uri(AuthUrl::new(settings.auth_url).context("invalid auth_url")?)
            .set_token_uri(TokenUrl::new(settings.token_url).context("invalid token_url")?)
            .set_redirect_uri(
                RedirectUrl::new(settings.redirect_url).context("invalid redirect_url")?,
            );
        let userinfo_url =
            reqwest::Url::parse(&settings.userinfo_url).context("invalid userinfo_url")?;
        Ok(Self {
            id: id.to_owned(),
            client,
            userinfo_url,
            scopes: settings.scopes,
            extra_auth_params: settings.extra_auth_params,
            http: OAuthHttp(http),
        })
    }

    /// Reads the signed-in user from the userinfo endpoint.
    async fn userinfo(&self, access_token: &str) -> AuthResult<ExternalIdentity> {
        let response = self
            .http
            .0
            .get(self.userinfo_url.clone())
            .bearer_auth(access_token)
            .send()
            .await
            .context("userinfo request failed")?
            .error_for_status()
            .context("userinfo endpoint refused the access token")?;
        let info: UserInfo = response
            .json()
            .await
            .context("userinfo endpoint answered garbage")?;
        let email = info
            .email
            .as_deref()
            .and_then(|raw| EmailAddress::parse(raw).ok())
            .ok_or(AuthError::Unauthenticated)?;
        Ok(ExternalIdentity {
            provider: self.id.clone(),
            subject: info.sub,
            email,
            email_verified: info.email_verified.unwrap_or(false),
            display_name: info.name.filter(|name| !name.trim().is_empty()),
        })
    }
}

/// The OpenID Connect userinfo claims we read.
#[derive(Deserialize)]
struct UserInfo {
    sub: String,
    email: Option<String>,
    email_verified: Option<bool>,
    name: Option<String>,
}

impl HttpOAuthProvider {
    /// The authorization URL with scopes, extra parameters, a fresh state
    /// and an S256 PKCE challenge.
    fn new_authorization_request(&self) -> AuthorizationRequest {
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let mut request = self
            .client
            .authorize_url(CsrfToken::new_random)
            .add_scopes(self.scopes.iter().cloned().map(Scope::new))
            .set_pkce_challenge(challenge);
        for (name, value) in &self.extra_auth_params {
            request = request.add_extra_param(name.clone(), value.clone());
        }
        let (url, state) = request.url();
        AuthorizationRequest {
            url: url.into(),
            state: state.into_secret(),
            pkce_verifier: verifier.into_secret(),
        }
    }

    /// Exchanges a code and its PKCE verifier at the token endpoint.
    async fn request_token(
        &self,
        code: &str,
        pkce_verifier: &str,
    ) -> AuthResult<BasicTokenResponse> {
        self.client
            .exchange_code(AuthorizationCode::new(code.to_owned()))
            .set_pkce_verifier(PkceCodeVerifier::new(pkce_verifier.to_owned()))
            .request_async(&self.http)
            .await
            .map_err(|error| match error {
                // The code (or its verifier) is wrong, expired, used or not
                // ours: the caller's fault. Every other refusal means our
                // registration is broken.
                RequestTokenError::ServerResponse(response)
                    if matches!(
                        response.error(),
                        BasicErrorResponseType::InvalidGrant
                            | BasicErrorResponseType::InvalidRequest
                    ) =>
                {
                    AuthError::Unauthenticated
                }
                other => AuthError::Unexpected(
                    anyhow::Error::new(other).context("token endpoint request failed"),
                ),
            })
    }
}

#[async_trait]
impl OAuthProvider for HttpOAuthProvider {
    fn id(&self) -> &str {
        &self.id
    }

    fn authorization_request(&self) -> AuthResult<AuthorizationRequest> {
        Ok(self.new_authorization_request())
    }

    async fn exchange_code(&self, code: &str, pkce_verifier: &str) -> AuthResult<ExternalIdentity> {
        let token = self.request_token(code, pkce_verifier).await?;
        self.userinfo(token.access_token().secret()).await
    }
}

#[async_trait]
impl ConsentProvider for HttpOAuthProvider {
    fn id(&self) -> &str {
        &self.id
    }

    fn authorization_request(&self) -> AuthResult<AuthorizationRequest> {
        Ok(self.new_authorization_request())
    }

    async fn exchange_for_tokens(
        &self,
        code: &str,
        pkce_verifier: &str,
    ) -> AuthResult<ProviderTokens> {
        let token = self.request_token(code, pkce_verifier).await?;
        let expires_at = token
            .expires_in()
            .and_then(|ttl| chrono::Duration::from_std(ttl).ok())
            .map(|ttl| chrono::Utc::now() + ttl);
        let scopes = match token.scopes() {
            Some(granted) => granted.iter().map(|s| s.to_string()).collect(),
            None => self.scopes.clone(),
        };
        Ok(ProviderTokens {
            access_token: token.access_token().secret().clone(),
            refresh_token: token.refresh_token().map(|t| t.secret().clone()),
            expires_at,
            scopes,
        })
    }
}
