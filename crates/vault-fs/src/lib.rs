//! File-system adapters of the entity domain's ports: [`FsVault`] (one
//! project folder) and [`FsVaultProvider`] (desktop: the active project;
//! cloud: `<data_dir>/tenants/<tenant_id>/`, seeded on first use).
//!
//! Every path is relative, `/`-separated, and confined to the root: `..`,
//! absolute paths, backslashes, NUL and symlinks leading outside are
//! refused before anything is touched. Writes are atomic: a temporary file
//! in the same folder is written and fsynced, renamed over the target, and
//! the folder is fsynced.
//!
//! Also: [`ProjectWatcher`] (debounced file events of a project folder) and
//! [`ProjectRegistry`] (the desktop's named local projects).

mod paths;
mod projects;
mod provider;
mod vault;
mod watcher;

pub use projects::{Project, ProjectRegistry};
pub use provider::{FsVaultProvider, ProjectLayout};
pub use vault::FsVault;
pub use watcher::{FolderChange, ProjectWatcher, is_ignored};
