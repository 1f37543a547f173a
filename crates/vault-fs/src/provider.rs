//! [`FsVaultProvider`]: which folder is a tenant's project, and how a new
//! project is laid out.

use crate::vault::{FsVault, write_atomically};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, RwLock};
use studiobrain_entity::ports::{Vault, VaultProvider};
use studiobrain_entity::{EntityError, EntityResult};
use studiobrain_kernel::TenantId;

/// Files a new project starts with, as (relative path, bytes).
#[derive(Debug, Clone, Default)]
pub struct ProjectLayout {
    /// Written into every new project (`_Templates/...`, `_Rules/...`).
    pub seed: Vec<(String, Vec<u8>)>,
    /// Written only into the desktop sample project on first run.
    pub sample: Vec<(String, Vec<u8>)>,
}

/// Project folders of tenants on the local file system. The desktop
/// tenant `local` works in `project_dir`; every other tenant in
/// `<tenants_dir>/<tenant_id>/`.
pub struct FsVaultProvider {
    project_dir: RwLock<Option<PathBuf>>,
    tenants_dir: PathBuf,
    layout: ProjectLayout,
    opened: Mutex<HashMap<TenantId, Arc<FsVault>>>,
}

impl FsVaultProvider {
    /// A provider; `project_dir` is the desktop project (none in cloud mode).
    pub fn new(project_dir: Option<PathBuf>, tenants_dir: PathBuf, layout: ProjectLayout) -> Self {
        Self {
            project_dir: RwLock::new(project_dir),
            tenants_dir,
            layout,
            opened: Mutex::new(HashMap::new()),
        }
    }

    fn desktop_project(&self) -> Option<PathBuf> {
        self.project_dir
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// The folder of `tenant`'s project.
    pub fn root_of(&self, tenant: &TenantId) -> PathBuf {
        match self.desktop_project() {
            Some(project) if *tenant == TenantId::local() => project,
            _ => self.tenants_dir.join(tenant.as_str()),
        }
    }

    /// Makes `dir` the desktop project (the `local` tenant's folder), laid
    /// out and seeded like a new project if it is one. Callers reconcile the
    /// index afterwards: it still mirrors the previous project.
    ///
    /// # Errors
    /// The folder cannot be prepared (the active project is then unchanged).
    pub fn switch_project(&self, dir: PathBuf) -> EntityResult<()> {
        self.seed_project(&dir, false)?;
        let mut opened = self.opened.lock().unwrap_or_else(|p| p.into_inner());
        *self.project_dir.write().unwrap_or_else(|p| p.into_inner()) = Some(dir);
        opened.remove(&TenantId::local());
        Ok(())
    }

    /// Lays out a new project folder with the seed files (and the sample
    /// world when `sample`); an existing project is left as it is.
    ///
    /// # Errors
    /// The folder cannot be created or written.
    pub fn seed_project(&self, dir: &Path, sample: bool) -> EntityResult<()> {
        self.prepare(dir, sample).map_err(|err| {
            EntityError::Unexpected(
                anyhow::Error::new(err)
                    .context(format!("preparing project folder {}", dir.display())),
            )
        })
    }

    /// Creates the folder with the seed files when it does not exist yet
    /// (and, for the desktop project, the sample world). The
    /// `.studiobrain/` marker is made last, so an interrupted seeding is
    /// finished on the next start.
    fn prepare(&self, root: &Path, sample: bool) -> std::io::Result<()> {
        let marker = root.join(".studiobrain");
        if marker.exists() {
            return Ok(());
        }
        let files = self.layout.seed.iter().chain(if sample {
            self.layout.sample.as_slice()
        } else {
            &[]
        });
        for (relative, bytes) in files {
            let path = root.join(relative);
            if !path.exists() {
                write_atomically(&path, bytes).map_err(std::io::Error::other)?;
            }
        }
        std::fs::create_dir_all(marker)
    }
}

impl VaultProvider for FsVaultProvider {
    fn vault(&self, tenant: &TenantId) -> EntityResult<Arc<dyn Vault>> {
        let mut opened = self.opened.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(vault) = opened.get(tenant) {
            return Ok(vault.clone());
        }
        let root = self.root_of(tenant);
        let sample = *tenant == TenantId::local() && self.desktop_project().is_some();
        self.seed_project(&root, sample)?;
        let vault = Arc::new(FsVault::new(root));
        opened.insert(tenant.clone(), vault.clone());
        Ok(vault)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tenants_get_seeded_folders_and_only_desktop_gets_the_sample() {
        let data = tempfile::tempdir().expect("tempdir");
        let layout = ProjectLayout {
            seed: vec![("_Templates/Core/X_TEMPLATE.md".into(), b"t".to_vec())],
            sample: vec![("Characters/rex/CH_rex.md".into(), b"s".to_vec())],
        };
        let provider = FsVaultProvider::new(
            Some(data.path().join("project")),
            data.path().join("tenants"),
            layout,
        );
        provider.vault(&TenantId::local()).expect("local");
        provider
            .vault(&TenantId::parse("t1").expect("id"))
            .expect("t1");
        assert!(
            data.path()
                .join("project/_Templates/Core/X_TEMPLATE.md")
                .exists()
        );
        assert!(
            data.path()
                .join("project/Characters/rex/CH_rex.md")
                .exists()
        );
        assert!(
            data.path()
                .join("tenants/t1/_Templates/Core/X_TEMPLATE.md")
                .exists()
        );
        assert!(
            !data.path().join("tenants/t1/Characters").exists(),
            "no sample in other tenants"
        );
    }

    #[test]
    fn an_existing_project_is_not_reseeded() {
        let data = tempfile::tempdir().expect("tempdir");
        std::fs::create_dir_all(data.path().join("project/.studiobrain")).expect("dir");
        let layout = ProjectLayout {
            seed: vec![("_Rules/R.md".into(), b"r".to_vec())],
            sample: Vec::new(),
        };
        let provider = FsVaultProvider::new(
            Some(data.path().join("project")),
            data.path().join("tenants"),
            layout,
        );
        provider.vault(&TenantId::local()).expect("local");
        assert!(
            !data.path().join("project/_Rules/R.md").exists(),
            "user deleted files stay deleted"
        );
    }
}
