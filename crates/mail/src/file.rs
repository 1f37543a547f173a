//! [`FileOutbox`]: each message as an RFC 5322 `.eml` file under a folder
//! (desktop mode: `<data_dir>/outbox/`), written atomically: a temporary
//! file in the same folder is written, fsynced and renamed into place, then
//! the folder is fsynced.

use async_trait::async_trait;
use std::io::Write;
use std::path::{Path, PathBuf};
use studiobrain_auth::error::{AuthError, AuthResult};
use studiobrain_auth::models::OutgoingEmail;
use studiobrain_auth::ports::Outbox;

/// Delivers e-mail by writing `.eml` files into a folder.
#[derive(Debug, Clone)]
pub struct FileOutbox {
    dir: PathBuf,
    from: String,
}

impl FileOutbox {
    /// An outbox writing into `dir` (created on first use), with `from` as
    /// the sender address.
    pub fn new(dir: impl Into<PathBuf>, from: impl Into<String>) -> Self {
        Self {
            dir: dir.into(),
            from: from.into(),
        }
    }

    /// The folder messages are written to.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn render(&self, email: &OutgoingEmail, now: chrono::DateTime<chrono::Utc>) -> String {
        format!(
            "From: {}\r\nTo: {}\r\nSubject: {}\r\nDate: {}\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n{}",
            self.from,
            email.to.as_str(),
            email.subject.replace(['\r', '\n'], " "),
            now.to_rfc2822(),
            email.body.replace('\n', "\r\n"),
        )
    }
}

/// Writes `bytes` to `path` atomically: temp file, fsync, rename, fsync dir.
fn write_atomically(dir: &Path, file_name: &str, bytes: &[u8]) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    let tmp = dir.join(format!(".{file_name}.tmp"));
    let mut file = std::fs::File::create(&tmp)?;
    file.write_all(bytes)?;
    file.sync_all()?;
    std::fs::rename(&tmp, dir.join(file_name))?;
    std::fs::File::open(dir)?.sync_all()
}

#[async_trait]
impl Outbox for FileOutbox {
    async fn send(&self, email: &OutgoingEmail) -> AuthResult<()> {
        let now = chrono::Utc::now();
        let name = format!(
            "{}-{}.eml",
            now.format("%Y%m%dT%H%M%S%.6fZ"),
            uuid::Uuid::new_v4()
        );
        let message = self.render(email, now);
        let dir = self.dir.clone();
        tokio::task::spawn_blocking(move || write_atomically(&dir, &name, message.as_bytes()))
            .await
            .map_err(|err| AuthError::Unexpected(err.into()))?
            .map_err(|err| {
                AuthError::Unexpected(anyhow::Error::new(err).context("writing to the file outbox"))
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use studiobrain_auth::models::EmailAddress;

    #[tokio::test]
    async fn writes_one_eml_file_per_message() {
        let dir = tempfile::tempdir().expect("tempdir");
        let outbox = FileOutbox::new(dir.path().join("outbox"), "studiobrain@localhost");
        let email = OutgoingEmail {
            to: EmailAddress::parse("ann@example.com").expect("valid"),
            subject: "Hello\r\nBcc: evil@example.com".into(),
            body: "line one\nline two".into(),
        };
        outbox.send(&email).await.expect("sent");
        let files: Vec<_> = std::fs::read_dir(outbox.dir()).expect("dir").collect();
        assert_eq!(files.len(), 1, "exactly one message, no temp file left");
        let path = files[0].as_ref().expect("entry").path();
        let text = std::fs::read_to_string(&path).expect("readable");
        assert!(text.contains("To: ann@example.com\r\n"));
        assert!(
            text.contains("Subject: Hello  Bcc: evil@example.com\r\n"),
            "no header injection"
        );
        assert!(text.ends_with("line one\r\nline two"));
    }
}
