//! [`FsVaultProvider`]: which folder is a tenant's project, and how a new
//! project is laid out.

use crate::vault::FsVault;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
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
    project_dir: Option<PathBuf>,
    tenants_dir: PathBuf,
    layout: ProjectLayout,
    opened: Mutex<HashMap<TenantId, Arc<FsVault>>>,
}

impl FsVaultProvider {
    /// A provider; `project_dir` is the desktop project (none in cloud mode).
    pub fn new(project_dir: Option<PathBuf>, tenants_dir: PathBuf, layout: ProjectLayout) -> Self {
        Self {
            project_dir,
            tenants_dir,
            layout,
            opened: Mutex::new(HashMap::new()),
        }
    }

    fn root_of(&self, tenant: &TenantId) -> PathBuf {
        match &self.project_dir {
            Some(project) if *tenant == TenantId::local() => project.clone(),
            _ => self.tenants_dir.join(tenant.as_str()),
        }
    }

    /// Creates the folder with the seed files when it does not exist yet
    /// (and, for the desktop project, the sample world).
    fn prepare(&self, tenant: &TenantId, root: &Path) -> std::io::Result<()> {
        let fresh = !root.join(".studiobrain").exists();
        std::fs::create_dir_all(root.join(".studiobrain"))?;
        if !fresh {
            return Ok(());
        }
        let sample = self.project_dir.is_some() && *tenant == TenantId::local();
        let files = self.layout.seed.iter().chain(if sample {
            self.layout.sample.as_slice()
        } else {
            &[]
        });
        for (relative, bytes) in files {
            let path = root.join(relative);
            if path.exists() {
                continue;
            }
            if let Some(parent) = path.parent() {
                std::fs::create_dir_all(parent)?;
            }
            std::fs::write(&path, bytes)?;
        }
        Ok(())
    }
}

impl VaultProvider for FsVaultProvider {
    fn vault(&self, tenant: &TenantId) -> EntityResult<Arc<dyn Vault>> {
        let mut opened = self.opened.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(vault) = opened.get(tenant) {
            return Ok(vault.clone());
        }
        let root = self.root_of(tenant);
        self.prepare(tenant, &root).map_err(|err| {
            EntityError::Unexpected(
                anyhow::Error::new(err)
                    .context(format!("preparing project folder {}", root.display())),
            )
        })?;
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
