//! An outbox that keeps every message in memory, for tests that need to read
//! the e-mails the server sent (reset links, invites).

use async_trait::async_trait;
use std::sync::Mutex;
use studiobrain_auth::error::AuthResult;
use studiobrain_auth::models::OutgoingEmail;
use studiobrain_auth::ports::Outbox;

/// Records sent e-mails instead of delivering them.
#[derive(Debug, Default)]
pub struct RecordingOutbox {
    sent: Mutex<Vec<OutgoingEmail>>,
}

impl RecordingOutbox {
    /// Every message sent so far, oldest first.
    pub fn sent(&self) -> Vec<OutgoingEmail> {
        self.sent.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }
}

#[async_trait]
impl Outbox for RecordingOutbox {
    async fn send(&self, email: &OutgoingEmail) -> AuthResult<()> {
        self.sent
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(email.clone());
        Ok(())
    }
}
