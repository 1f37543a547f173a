//! Configuration of one OAuth 2.0 / OpenID Connect provider.

use secrecy::SecretString;
use serde::Deserialize;
use std::fmt;

/// Client registration and endpoints of one provider.
#[derive(Clone, Deserialize)]
pub struct ProviderSettings {
    /// The OAuth client id issued by the provider.
    pub client_id: String,
    /// The OAuth client secret issued by the provider.
    pub client_secret: SecretString,
    /// Authorization endpoint (where the browser is sent).
    pub auth_url: String,
    /// Token endpoint (where the code is exchanged).
    pub token_url: String,
    /// OpenID Connect userinfo endpoint.
    pub userinfo_url: String,
    /// Our callback URL, exactly as registered with the provider.
    pub redirect_url: String,
    /// Scopes requested; `openid`, `email` and `profile` by default.
    #[serde(default = "default_scopes")]
    pub scopes: Vec<String>,
    /// Extra query parameters of the authorization URL (for example
    /// Google's `access_type=offline` to obtain a refresh token).
    #[serde(default)]
    pub extra_auth_params: Vec<(String, String)>,
}

/// Google's scope for files the app creates or the user opens with it.
pub const GOOGLE_DRIVE_FILE_SCOPE: &str = "https://www.googleapis.com/auth/drive.file";

fn default_scopes() -> Vec<String> {
    ["openid", "email", "profile"].map(String::from).to_vec()
}

impl ProviderSettings {
    /// Google's endpoints with the default scopes.
    pub fn google(client_id: &str, client_secret: SecretString, redirect_url: &str) -> Self {
        Self {
            client_id: client_id.to_owned(),
            client_secret,
            auth_url: "https://accounts.google.com/o/oauth2/v2/auth".to_owned(),
            token_url: "https://oauth2.googleapis.com/token".to_owned(),
            userinfo_url: "https://openidconnect.googleapis.com/v1/userinfo".to_owned(),
            redirect_url: redirect_url.to_owned(),
            scopes: default_scopes(),
            extra_auth_params: Vec::new(),
        }
    }

    /// Google's endpoints asking for Drive file access with a refresh token
    /// (`access_type=offline`, `prompt=consent`).
    pub fn google_drive(client_id: &str, client_secret: SecretString, redirect_url: &str) -> Self {
        Self {
            scopes: vec![GOOGLE_DRIVE_FILE_SCOPE.to_owned()],
            extra_auth_params: vec![
                ("access_type".to_owned(), "offline".to_owned()),
                ("prompt".to_owned(), "consent".to_owned()),
            ],
            ..Self::google(client_id, client_secret, redirect_url)
        }
    }

    /// Microsoft identity platform (v2.0) endpoints of `tenant` (a tenant
    /// id, a domain, or `common` / `organizations` / `consumers`) with the
    /// default scopes.
    pub fn microsoft(
        tenant: &str,
        client_id: &str,
        client_secret: SecretString,
        redirect_url: &str,
    ) -> Self {
        let base = format!("https://login.microsoftonline.com/{tenant}/oauth2/v2.0");
        Self {
            client_id: client_id.to_owned(),
            client_secret,
            auth_url: format!("{base}/authorize"),
            token_url: format!("{base}/token"),
            userinfo_url: "https://graph.microsoft.com/oidc/userinfo".to_owned(),
            redirect_url: redirect_url.to_owned(),
            scopes: default_scopes(),
            extra_auth_params: Vec::new(),
        }
    }
}

impl fmt::Debug for ProviderSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ProviderSettings")
            .field("client_id", &self.client_id)
            .field("client_secret", &"[redacted]")
            .field("auth_url", &self.auth_url)
            .field("token_url", &self.token_url)
            .field("userinfo_url", &self.userinfo_url)
            .field("redirect_url", &self.redirect_url)
            .field("scopes", &self.scopes)
            .field("extra_auth_params", &self.extra_auth_params)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_redacts_the_secret() {
        let settings = ProviderSettings::google("cid", "hunter2".into(), "https://app/cb");
        let printed = format!("{settings:?}");
        assert!(!printed.contains("hunter2"), "{printed}");
        assert!(printed.contains("cid"));
    }

    #[test]
    fn microsoft_endpoints_name_the_tenant() {
        let settings = ProviderSettings::microsoft("contoso", "cid", "s".into(), "https://app/cb");
        assert_eq!(
            settings.auth_url,
            "https://login.microsoftonline.com/contoso/oauth2/v2.0/authorize"
        );
        assert_eq!(
            settings.token_url,
            "https://login.microsoftonline.com/contoso/oauth2/v2.0/token"
        );
    }

    #[test]
    fn scopes_default_when_absent() -> serde_json::Result<()> {
        let settings: ProviderSettings = serde_json::from_value(serde_json::json!({
            "client_id": "cid",
            "client_secret": "s",
            "auth_url": "https://p/auth",
            "token_url": "https://p/token",
            "userinfo_url": "https://p/userinfo",
            "redirect_url": "https://app/cb",
        }))?;
        assert_eq!(settings.scopes, ["openid", "email", "profile"]);
        Ok(())
    }
}
