//! Builds the outside-service adapters the settings ask for: the e-mail
//! outbox, the sign-in providers and the embeddings provider.

use crate::config::{Mode, OAuthProviderSettings, Settings};
use secrecy::ExposeSecret;
use std::sync::Arc;
use studiobrain_auth::AuthService;
use studiobrain_auth::ports::Outbox;
use studiobrain_auth::sealing::SecretSealer;
use studiobrain_graph::embeddings::{Embeddings, HashedTfIdf, Unconfigured};
use studiobrain_mail::{FileOutbox, SmtpOutbox, UnconfiguredOutbox};
use studiobrain_oauth::{GOOGLE_ISSUERS, HttpOAuthProvider, JwksIdTokenVerifier, ProviderSettings};

/// Desktop mode writes `.eml` files under the data directory; cloud mode
/// delivers through SMTP when `smtp.host` is set and answers 503 otherwise.
///
/// # Errors
/// Malformed SMTP settings.
pub fn outbox(settings: &Settings) -> anyhow::Result<Arc<dyn Outbox>> {
    if settings.server.mode == Mode::Desktop {
        return Ok(Arc::new(FileOutbox::new(
            settings.server.data_dir.join("outbox"),
            settings.smtp.from.clone(),
        )));
    }
    if settings.smtp.host.is_empty() {
        return Ok(Arc::new(UnconfiguredOutbox));
    }
    Ok(Arc::new(SmtpOutbox::new(&settings.smtp)?))
}

/// Overrides a provider's well-known endpoints with configured ones.
fn with_overrides(
    mut provider: ProviderSettings,
    config: &OAuthProviderSettings,
) -> ProviderSettings {
    for (target, value) in [
        (&mut provider.auth_url, &config.auth_url),
        (&mut provider.token_url, &config.token_url),
        (&mut provider.userinfo_url, &config.userinfo_url),
    ] {
        if !value.is_empty() {
            value.clone_into(target);
        }
    }
    provider
}

/// Adds every configured sign-in provider (and Google ID-token sign-in),
/// the Drive consent provider and the token sealer to `auth`.
///
/// # Errors
/// Malformed provider URLs or an HTTP client that cannot be built.
pub fn identity_providers(
    mut auth: AuthService,
    settings: &Settings,
) -> anyhow::Result<AuthService> {
    let oauth = &settings.auth.oauth;
    if let Some(sealer) = sealer(settings)? {
        auth = auth.with_sealer(sealer);
    }
    if !oauth.google.enabled() && !oauth.microsoft.enabled() && !oauth.google_drive.enabled() {
        return Ok(auth);
    }
    let http = studiobrain_oauth::http_client()?;
    if oauth.google.enabled() {
        let google = &oauth.google;
        let provider = with_overrides(
            ProviderSettings::google(
                &google.client_id,
                google.client_secret.clone(),
                &google.redirect_url,
            ),
            google,
        );
        auth = auth.with_oauth_provider(Arc::new(HttpOAuthProvider::new(
            "google",
            provider,
            http.clone(),
        )?));
        let jwks_url = if google.jwks_url.is_empty() {
            studiobrain_oauth::GOOGLE_JWKS_URL
        } else {
            &google.jwks_url
        };
        auth = auth.with_google_id_tokens(Arc::new(JwksIdTokenVerifier::new(
            "google",
            jwks_url,
            GOOGLE_ISSUERS.iter().map(|s| (*s).to_owned()).collect(),
            google.client_id.clone(),
            http.clone(),
        )));
    }
    if oauth.microsoft.enabled() {
        let microsoft = &oauth.microsoft;
        let tenant = if microsoft.tenant.is_empty() {
            "common"
        } else {
            &microsoft.tenant
        };
        let provider = with_overrides(
            ProviderSettings::microsoft(
                tenant,
                &microsoft.client_id,
                microsoft.client_secret.clone(),
                &microsoft.redirect_url,
            ),
            microsoft,
        );
        auth = auth.with_oauth_provider(Arc::new(HttpOAuthProvider::new(
            "microsoft",
            provider,
            http.clone(),
        )?));
    }
    if oauth.google_drive.enabled() {
        let drive = &oauth.google_drive;
        let provider = with_overrides(
            ProviderSettings::google_drive(
                &drive.client_id,
                drive.client_secret.clone(),
                &drive.redirect_url,
            ),
            drive,
        );
        auth = auth.with_consent_provider(Arc::new(HttpOAuthProvider::new(
            "google_drive",
            provider,
            http,
        )?));
    }
    Ok(auth)
}

/// The sealer of outside services' tokens: the configured key, else (in
/// desktop mode) the data directory's own; none in cloud mode without a key.
///
/// # Errors
/// A malformed configured key, or an unreadable key file.
fn sealer(settings: &Settings) -> anyhow::Result<Option<SecretSealer>> {
    let configured = settings.auth.encryption_key.expose_secret();
    let key = if !configured.is_empty() {
        configured.to_owned()
    } else if settings.server.mode == Mode::Desktop {
        crate::local_secrets::sealing_key(&settings.server.data_dir)?
    } else {
        return Ok(None);
    };
    let sealer = SecretSealer::from_base64(&key)
        .map_err(|err| anyhow::anyhow!("auth.encryption_key: {err}"))?;
    Ok(Some(sealer))
}

/// The embeddings provider: local hashed TF-IDF by default; an
/// OpenAI-compatible endpoint when `embeddings.provider = "openai"`, whose
/// calls answer 503 naming the first missing setting until `base_url`,
/// `model` and `api_key` are all set.
///
/// # Errors
/// An unknown provider, or an HTTP client that cannot be built.
pub fn embeddings(settings: &Settings) -> anyhow::Result<Arc<dyn Embeddings>> {
    let wanted = &settings.embeddings;
    match wanted.provider.as_str() {
        "local" => Ok(Arc::new(HashedTfIdf)),
        "openai" => {
            let missing = [
                ("base_url", wanted.base_url.is_empty()),
                ("model", wanted.model.is_empty()),
                ("api_key", wanted.api_key.expose_secret().is_empty()),
            ]
            .into_iter()
            .find_map(|(name, missing)| missing.then_some(name));
            if let Some(name) = missing {
                return Ok(Arc::new(Unconfigured(format!(
                    "embeddings are not configured: set embeddings.{name} \
                     (STUDIOBRAIN__EMBEDDINGS__{})",
                    name.to_uppercase()
                ))));
            }
            Ok(Arc::new(studiobrain_openai::OpenAiEmbeddings::new(
                &wanted.base_url,
                &wanted.model,
                wanted.api_key.clone(),
            )?))
        }
        other => anyhow::bail!("unknown embeddings.provider '{other}': expected local or openai"),
    }
}
