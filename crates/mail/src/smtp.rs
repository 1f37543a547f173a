//! [`SmtpOutbox`]: delivery through an SMTP relay with lettre (rustls, no
//! OpenSSL), and [`UnconfiguredOutbox`] for a server without one.

use async_trait::async_trait;
use lettre::message::Mailbox;
use lettre::message::header::ContentType;
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use studiobrain_auth::error::{AuthError, AuthResult};
use studiobrain_auth::models::OutgoingEmail;
use studiobrain_auth::ports::Outbox;

/// How the connection to the relay is secured.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SmtpSecurity {
    /// Plain connection upgraded with STARTTLS (port 587).
    Starttls,
    /// TLS from the first byte (port 465).
    Tls,
    /// No encryption: only for a relay on the same host or in tests.
    None,
}

/// `[smtp]` settings. The password is a secret and never printed.
#[derive(Clone, Deserialize)]
pub struct SmtpSettings {
    /// Relay host name; empty means e-mail is not configured.
    pub host: String,
    /// Relay port.
    pub port: u16,
    /// Connection security.
    pub security: SmtpSecurity,
    /// User name, if the relay needs authentication.
    #[serde(default)]
    pub username: String,
    /// Password for `username`.
    #[serde(default = "empty_secret")]
    pub password: SecretString,
    /// Sender, e.g. `StudioBrain <no-reply@example.com>`.
    pub from: String,
}

fn empty_secret() -> SecretString {
    SecretString::from("")
}

impl std::fmt::Debug for SmtpSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SmtpSettings")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("security", &self.security)
            .field("username", &self.username)
            .field("password", &"[redacted]")
            .field("from", &self.from)
            .finish()
    }
}

/// Delivers e-mail through an SMTP relay.
#[derive(Clone)]
pub struct SmtpOutbox {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
}

impl SmtpOutbox {
    /// A transport for the relay in `settings`.
    ///
    /// # Errors
    /// A malformed sender address or relay host.
    pub fn new(settings: &SmtpSettings) -> anyhow::Result<Self> {
        let from: Mailbox = settings.from.parse().map_err(|err| {
            anyhow::anyhow!(
                "smtp.from '{}' is not a valid address: {err}",
                settings.from
            )
        })?;
        let builder = match settings.security {
            SmtpSecurity::Starttls => {
                AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(&settings.host)?
            }
            SmtpSecurity::Tls => AsyncSmtpTransport::<Tokio1Executor>::relay(&settings.host)?,
            SmtpSecurity::None => {
                AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&settings.host)
            }
        };
        let mut builder = builder.port(settings.port);
        if !settings.username.is_empty() {
            builder = builder.credentials(Credentials::new(
                settings.username.clone(),
                settings.password.expose_secret().to_owned(),
            ));
        }
        Ok(Self {
            transport: builder.build(),
            from,
        })
    }
}

#[async_trait]
impl Outbox for SmtpOutbox {
    async fn send(&self, email: &OutgoingEmail) -> AuthResult<()> {
        let to: Mailbox = email.to.as_str().parse().map_err(|err| {
            AuthError::Invalid(format!("cannot e-mail {}: {err}", email.to.as_str()))
        })?;
        let message = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(email.subject.replace(['\r', '\n'], " "))
            .header(ContentType::TEXT_PLAIN)
            .body(email.body.clone())
            .map_err(|err| {
                AuthError::Unexpected(anyhow::Error::new(err).context("building the e-mail"))
            })?;
        self.transport
            .send(message)
            .await
            .map(|_| ())
            .map_err(|err| {
                AuthError::Unexpected(anyhow::Error::new(err).context("delivering through SMTP"))
            })
    }
}

/// The outbox of a server without e-mail: every send answers
/// [`AuthError::NotConfigured`] (503) naming the settings.
#[derive(Debug, Default, Clone, Copy)]
pub struct UnconfiguredOutbox;

#[async_trait]
impl Outbox for UnconfiguredOutbox {
    async fn send(&self, _email: &OutgoingEmail) -> AuthResult<()> {
        self.ready()
    }

    fn ready(&self) -> AuthResult<()> {
        Err(AuthError::NotConfigured(
            "e-mail is not configured: set smtp.host, smtp.port, smtp.security and smtp.from"
                .into(),
        ))
    }
}
