//! E-mail adapters of the identity domain's `Outbox` port:
//! [`SmtpOutbox`] delivers through an SMTP relay (cloud mode), [`FileOutbox`]
//! writes `.eml` files (desktop mode), and [`UnconfiguredOutbox`] refuses
//! with a message naming the settings to provide.

mod file;
mod smtp;

pub use file::FileOutbox;
pub use smtp::{SmtpOutbox, SmtpSecurity, SmtpSettings, UnconfiguredOutbox};
