//! A project folder in memory for the unit tests of the services that
//! read and write entity files.

use crate::error::{EntityError, EntityResult};
use crate::ports::{Vault, VaultProvider};
use async_trait::async_trait;
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard};
use studiobrain_kernel::TenantId;

/// Files by project-relative path; writes to one path can be made to fail.
#[derive(Default)]
pub(crate) struct MemoryVault {
    files: Mutex<BTreeMap<String, Vec<u8>>>,
    failing: Mutex<Option<String>>,
}

impl MemoryVault {
    /// Every file, for inspection and direct edits.
    pub(crate) fn files(&self) -> MutexGuard<'_, BTreeMap<String, Vec<u8>>> {
        self.files.lock().expect("lock")
    }

    /// Puts `text` at `path`, as a hand edit would.
    pub(crate) fn put(&self, path: &str, text: &str) {
        self.files()
            .insert(path.to_owned(), text.as_bytes().to_vec());
    }

    /// The text at `path`, if any.
    pub(crate) fn text(&self, path: &str) -> Option<String> {
        self.files()
            .get(path)
            .map(|b| String::from_utf8(b.clone()).expect("utf-8"))
    }

    /// Makes every later write to `path` fail as a full disk would.
    pub(crate) fn fail_writes_to(&self, path: &str) {
        *self.failing.lock().expect("lock") = Some(path.to_owned());
    }
}

/// Whether `path` is `dir` or lies below it.
fn inside(path: &str, dir: &str) -> bool {
    path == dir || path.starts_with(&format!("{dir}/"))
}

#[async_trait]
impl Vault for MemoryVault {
    async fn read(&self, path: &str) -> EntityResult<Option<Vec<u8>>> {
        Ok(self.files().get(path).cloned())
    }
    async fn write(&self, path: &str, bytes: &[u8]) -> EntityResult<()> {
        if self.failing.lock().expect("lock").as_deref() == Some(path) {
            return Err(EntityError::Unexpected(anyhow::anyhow!("disk full")));
        }
        self.files().insert(path.to_owned(), bytes.to_vec());
        Ok(())
    }
    async fn create_dir(&self, _path: &str) -> EntityResult<()> {
        Ok(())
    }
    /// Moves a file, or a folder with everything below it.
    async fn rename(&self, from: &str, to: &str) -> EntityResult<()> {
        let mut files = self.files();
        if files.keys().any(|p| inside(p, to)) {
            return Err(EntityError::AlreadyExists(to.into()));
        }
        let moving: Vec<String> = files.keys().filter(|p| inside(p, from)).cloned().collect();
        if moving.is_empty() {
            return Err(EntityError::NotFound(from.into()));
        }
        for path in moving {
            let bytes = files.remove(&path).expect("listed");
            files.insert(format!("{to}{}", &path[from.len()..]), bytes);
        }
        Ok(())
    }
    async fn remove_dir(&self, path: &str) -> EntityResult<()> {
        self.files()
            .retain(|p, _| !p.starts_with(&format!("{path}/")));
        Ok(())
    }
    async fn list(&self, dir: &str, suffix: &str) -> EntityResult<Vec<String>> {
        Ok(self
            .files()
            .keys()
            .filter(|p| p.starts_with(&format!("{dir}/")) && p.ends_with(suffix))
            .cloned()
            .collect())
    }
}

/// Serves one [`MemoryVault`] to every tenant.
pub(crate) struct OneVault(pub(crate) Arc<MemoryVault>);

impl VaultProvider for OneVault {
    fn vault(&self, _tenant: &TenantId) -> EntityResult<Arc<dyn Vault>> {
        Ok(self.0.clone())
    }
}
