//! Secrets that desktop mode generates on first run and keeps in the data
//! directory (mode 0600, written atomically), so that sessions and sealed
//! tokens survive restarts: the token-signing secret (`jwt.secret`) and the
//! key sealing outside services' tokens (`secrets.key`).

use anyhow::Context;
use std::io::Write;
use std::path::Path;
use studiobrain_auth::sealing::SecretSealer;
use studiobrain_auth::secrets::random_token;
use studiobrain_auth::tokens::MIN_SECRET_LEN;

/// The token-signing secret of this data directory.
///
/// # Errors
/// The file cannot be read or written.
pub fn jwt_secret(data_dir: &Path) -> anyhow::Result<String> {
    read_or_create(
        &data_dir.join("jwt.secret"),
        || format!("{}{}", random_token(), random_token()),
        |s| s.len() >= MIN_SECRET_LEN,
    )
}

/// The sealing key of this data directory (base64).
///
/// # Errors
/// The file cannot be read or written.
pub fn sealing_key(data_dir: &Path) -> anyhow::Result<String> {
    read_or_create(
        &data_dir.join("secrets.key"),
        SecretSealer::generate_key,
        |s| SecretSealer::from_base64(s).is_ok(),
    )
}

/// The valid secret stored at `path`, or a new one from `generate` written
/// there atomically with owner-only permissions.
fn read_or_create(
    path: &Path,
    generate: impl FnOnce() -> String,
    valid: impl Fn(&str) -> bool,
) -> anyhow::Result<String> {
    if let Ok(existing) = std::fs::read_to_string(path)
        && valid(existing.trim())
    {
        return Ok(existing.trim().to_owned());
    }
    let secret = generate();
    let tmp = path.with_extension("tmp");
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options
        .open(&tmp)
        .with_context(|| format!("writing {}", tmp.display()))?;
    file.write_all(secret.as_bytes())?;
    file.sync_all()?;
    std::fs::rename(&tmp, path).with_context(|| format!("writing {}", path.display()))?;
    Ok(secret)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_created_once_and_kept_private() {
        let dir = tempfile::tempdir().expect("tempdir");
        let first = jwt_secret(dir.path()).expect("created");
        assert_eq!(
            jwt_secret(dir.path()).expect("read"),
            first,
            "stable across restarts"
        );
        let key = sealing_key(dir.path()).expect("created");
        assert!(SecretSealer::from_base64(&key).is_ok());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.path().join("secrets.key"))
                .expect("exists")
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }
}
