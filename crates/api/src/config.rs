//! Settings: `config/default.toml` < `--config FILE` <
//! `STUDIOBRAIN__SECTION__KEY` environment variables < CLI flags. Secrets are
//! [`SecretString`]s and never printed.

use anyhow::{Context, bail};
use figment::Figment;
use figment::providers::{Env, Format, Toml};
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use std::net::IpAddr;
use std::path::{Path, PathBuf};

/// The defaults shipped in the binary.
const DEFAULT_TOML: &str = include_str!("../../../config/default.toml");

/// How the server runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// One local user, SQLite, loopback only.
    Desktop,
    /// Many tenants, PostgreSQL with row-level security.
    Cloud,
}

impl Mode {
    /// Wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Desktop => "desktop",
            Mode::Cloud => "cloud",
        }
    }
}

/// All settings.
#[derive(Debug, Clone, Deserialize)]
pub struct Settings {
    /// HTTP server.
    pub server: ServerSettings,
    /// Storage.
    pub database: DatabaseSettings,
    /// Identity.
    pub auth: AuthSettings,
    /// Outgoing e-mail (cloud mode).
    pub smtp: studiobrain_mail::SmtpSettings,
    /// Folder reconciling, the watcher and live sockets.
    pub sync: SyncSettings,
    /// The embeddings provider.
    pub embeddings: EmbeddingsSettings,
}

/// `[embeddings]`.
#[derive(Debug, Clone, Deserialize)]
pub struct EmbeddingsSettings {
    /// `local` (hashed TF-IDF, computed here) or `openai` (any
    /// OpenAI-compatible endpoint).
    pub provider: String,
    /// Base URL of the OpenAI-compatible API (`{base_url}/embeddings`).
    pub base_url: String,
    /// Model name.
    pub model: String,
    /// API key.
    pub api_key: SecretString,
}

/// `[sync]`.
#[derive(Debug, Clone, Deserialize)]
pub struct SyncSettings {
    /// Reconcile the project at start-up.
    pub startup_scan: bool,
    /// Watch the desktop project.
    pub watch: bool,
    /// Debounce of file events, in milliseconds.
    pub debounce_millis: u64,
    /// Periodic full reconcile, in seconds (0: off).
    pub interval_secs: u64,
    /// Presence time-to-live without a ping, in seconds.
    pub presence_ttl_secs: i64,
    /// WebSocket ping interval, in seconds.
    pub ping_interval_secs: u64,
    /// Per-socket event queue; a socket further behind is disconnected.
    pub socket_queue: usize,
}

/// `[server]`.
#[derive(Debug, Clone, Deserialize)]
pub struct ServerSettings {
    /// desktop or cloud.
    pub mode: Mode,
    /// Listen address (`host:port`; port 0 picks a free one).
    pub bind: String,
    /// Data directory; empty means the platform default.
    pub data_dir: PathBuf,
    /// Active project folder; empty means `<data_dir>/projects/sample`.
    pub project_dir: PathBuf,
    /// Base URL for e-mailed links.
    pub public_url: String,
    /// CORS and cookie-origin allow list.
    pub cors_origins: Vec<String>,
    /// Proxies whose `X-Forwarded-For` is trusted.
    pub trusted_proxies: Vec<IpAddr>,
    /// JSON body limit in bytes.
    pub json_limit_bytes: usize,
    /// Grace period for in-flight requests on shutdown.
    pub shutdown_timeout_secs: u64,
    /// auto, json or pretty.
    pub log_format: String,
}

/// `[database]`.
#[derive(Debug, Clone, Deserialize)]
pub struct DatabaseSettings {
    /// Connection URL; empty means SQLite in the data directory.
    pub url: String,
    /// Run migrations at start.
    pub run_migrations: bool,
}

/// `[auth]`.
#[derive(Debug, Clone, Deserialize)]
pub struct AuthSettings {
    /// Token-signing secret.
    pub jwt_secret: SecretString,
    /// Access-token lifetime.
    pub access_token_minutes: i64,
    /// Refresh-token lifetime.
    pub refresh_token_days: i64,
    /// `"true"`, `"false"` or empty (mode default).
    #[serde(deserialize_with = "optional_bool")]
    pub allow_registration: Option<bool>,
    /// Secure cookies.
    pub cookie_secure: bool,
    /// Rate limit for sign-in style routes.
    pub attempts_per_minute: u32,
    /// Principal cache TTL in milliseconds (0 disables).
    pub principal_cache_millis: i64,
    /// Desktop owner address.
    pub local_owner_email: String,
    /// Sign-in providers.
    pub oauth: OAuthSettings,
    /// Base64 key sealing outside services' tokens.
    pub encryption_key: SecretString,
}

/// `[auth.oauth]`.
#[derive(Debug, Clone, Deserialize)]
pub struct OAuthSettings {
    /// `[auth.oauth.google]`.
    pub google: OAuthProviderSettings,
    /// `[auth.oauth.microsoft]`.
    pub microsoft: OAuthProviderSettings,
    /// `[auth.oauth.google_drive]`: Drive consent.
    pub google_drive: OAuthProviderSettings,
}

/// One sign-in provider. Enabled when `client_id` is set.
#[derive(Debug, Clone, Deserialize)]
pub struct OAuthProviderSettings {
    /// Client id registered with the provider.
    pub client_id: String,
    /// Client secret.
    pub client_secret: SecretString,
    /// Our callback URL as registered with the provider.
    pub redirect_url: String,
    /// Authorization endpoint override.
    pub auth_url: String,
    /// Token endpoint override.
    pub token_url: String,
    /// Userinfo endpoint override.
    pub userinfo_url: String,
    /// JWKS URL override (ID-token sign-in).
    pub jwks_url: String,
    /// Microsoft directory tenant.
    #[serde(default)]
    pub tenant: String,
}

impl OAuthProviderSettings {
    /// Whether the provider is switched on.
    pub fn enabled(&self) -> bool {
        !self.client_id.is_empty()
    }

    /// Checks that an enabled provider has everything it needs.
    fn validate(&self, id: &str) -> anyhow::Result<()> {
        if !self.enabled() {
            return Ok(());
        }
        if self.client_secret.expose_secret().is_empty() {
            bail!("auth.oauth.{id}.client_id is set but auth.oauth.{id}.client_secret is empty");
        }
        if self.redirect_url.is_empty() {
            bail!("auth.oauth.{id}.client_id is set but auth.oauth.{id}.redirect_url is empty");
        }
        Ok(())
    }
}

fn optional_bool<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<bool>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Raw {
        Bool(bool),
        Text(String),
    }
    match Raw::deserialize(d)? {
        Raw::Bool(b) => Ok(Some(b)),
        Raw::Text(t) if t.is_empty() => Ok(None),
        Raw::Text(t) => t.parse().map(Some).map_err(serde::de::Error::custom),
    }
}

/// Command-line overrides, applied last.
#[derive(Debug, Clone, Default)]
pub struct Overrides {
    /// `--bind`.
    pub bind: Option<String>,
    /// `--mode`.
    pub mode: Option<Mode>,
    /// `--data-dir`.
    pub data_dir: Option<PathBuf>,
    /// `--project`.
    pub project_dir: Option<PathBuf>,
    /// `--database-url`.
    pub database_url: Option<String>,
    /// `--no-migrate`.
    pub no_migrate: bool,
    /// `--skip-startup-scan`.
    pub skip_startup_scan: bool,
}

impl Settings {
    /// Loads the layers. `file` is the `--config` file, if any.
    ///
    /// # Errors
    /// An unreadable file or a value of the wrong type, with the key named.
    pub fn load(file: Option<&Path>, overrides: Overrides) -> anyhow::Result<Self> {
        let mut figment = Figment::from(Toml::string(DEFAULT_TOML));
        if let Some(file) = file {
            if !file.exists() {
                bail!("config file {} does not exist", file.display());
            }
            figment = figment.merge(Toml::file(file));
        }
        figment = figment.merge(Env::prefixed("STUDIOBRAIN__").split("__"));
        let mut settings: Settings = figment.extract().context("invalid configuration")?;
        settings.apply(overrides);
        settings.fill_defaults();
        Ok(settings)
    }

    fn apply(&mut self, o: Overrides) {
        if let Some(bind) = o.bind {
            self.server.bind = bind;
        }
        if let Some(mode) = o.mode {
            self.server.mode = mode;
        }
        if let Some(dir) = o.data_dir {
            self.server.data_dir = dir;
        }
        if let Some(dir) = o.project_dir {
            self.server.project_dir = dir;
        }
        if let Some(url) = o.database_url {
            self.database.url = url;
        }
        if o.no_migrate {
            self.database.run_migrations = false;
        }
        if o.skip_startup_scan {
            self.sync.startup_scan = false;
        }
    }

    fn fill_defaults(&mut self) {
        if self.server.data_dir.as_os_str().is_empty() {
            self.server.data_dir = default_data_dir();
        }
        if self.server.project_dir.as_os_str().is_empty() {
            self.server.project_dir = self.server.data_dir.join("projects").join("sample");
        }
        if self.database.url.is_empty() && self.server.mode == Mode::Desktop {
            let db = self.server.data_dir.join("studiobrain.db");
            self.database.url = format!("sqlite://{}?mode=rwc", db.display());
        }
    }

    /// Checks what the mode requires.
    ///
    /// # Errors
    /// Names the missing or unsafe setting: cloud mode needs a PostgreSQL
    /// `--database-url` and a signing secret of at least 32 bytes.
    pub fn validate(&self) -> anyhow::Result<()> {
        if self.server.mode == Mode::Cloud {
            if !self.database.url.starts_with("postgres") {
                bail!(
                    "cloud mode needs a PostgreSQL database: pass --database-url postgres://... \
                     (or set STUDIOBRAIN__DATABASE__URL)"
                );
            }
            let secret = self.auth.jwt_secret.expose_secret();
            if secret.len() < studiobrain_auth::tokens::MIN_SECRET_LEN {
                bail!(
                    "cloud mode needs a token-signing secret of at least {} bytes: set \
                     STUDIOBRAIN__AUTH__JWT_SECRET (or auth.jwt_secret in the config file)",
                    studiobrain_auth::tokens::MIN_SECRET_LEN
                );
            }
        }
        self.auth.oauth.google.validate("google")?;
        self.auth.oauth.microsoft.validate("microsoft")?;
        self.auth.oauth.google_drive.validate("google_drive")?;
        if self.server.mode == Mode::Cloud
            && self.auth.oauth.google_drive.enabled()
            && self.auth.encryption_key.expose_secret().is_empty()
        {
            bail!(
                "Drive consent stores OAuth tokens sealed: set STUDIOBRAIN__AUTH__ENCRYPTION_KEY \
                 (32 random bytes, base64)"
            );
        }
        if self.auth.access_token_minutes <= 0 || self.auth.refresh_token_days <= 0 {
            bail!("auth.access_token_minutes and auth.refresh_token_days must be positive");
        }
        Ok(())
    }

    /// Whether self-service registration is open.
    pub fn registration_open(&self) -> bool {
        self.auth
            .allow_registration
            .unwrap_or(self.server.mode == Mode::Cloud)
    }
}

/// `$XDG_DATA_HOME/studiobrain`, else `$HOME/.local/share/studiobrain`, else
/// `./data`.
fn default_data_dir() -> PathBuf {
    if let Some(xdg) = std::env::var_os("XDG_DATA_HOME").filter(|v| !v.is_empty()) {
        return PathBuf::from(xdg).join("studiobrain");
    }
    match std::env::var_os("HOME").filter(|v| !v.is_empty()) {
        Some(home) => PathBuf::from(home).join(".local/share/studiobrain"),
        None => PathBuf::from("data"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_load_as_desktop_sqlite() {
        let settings = Settings::load(
            None,
            Overrides {
                data_dir: Some("/tmp/sb".into()),
                ..Overrides::default()
            },
        )
        .expect("defaults load");
        assert_eq!(settings.server.mode, Mode::Desktop);
        assert_eq!(
            settings.database.url,
            "sqlite:///tmp/sb/studiobrain.db?mode=rwc"
        );
        assert!(!settings.registration_open());
        settings.validate().expect("desktop needs nothing else");
    }

    #[test]
    fn cloud_mode_names_missing_settings() {
        let mut settings = Settings::load(
            None,
            Overrides {
                mode: Some(Mode::Cloud),
                data_dir: Some("/tmp/sb".into()),
                ..Overrides::default()
            },
        )
        .expect("load");
        let err = settings.validate().expect_err("no database").to_string();
        assert!(err.contains("--database-url"), "{err}");
        settings.database.url = "postgres://localhost/x".into();
        let err = settings.validate().expect_err("no secret").to_string();
        assert!(err.contains("STUDIOBRAIN__AUTH__JWT_SECRET"), "{err}");
    }
}
