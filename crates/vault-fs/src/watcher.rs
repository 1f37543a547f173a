//! [`ProjectWatcher`]: file-system events of one project folder, debounced
//! (`notify-debouncer-full`), filtered and turned into the relative paths a
//! reconcile should look at. Editors' temporary and swap files, `.git/`, the
//! server's `.studiobrain/` and the vault's own temporary files are ignored
//! (the server's finished writes match their index rows already, so they
//! reconcile to nothing). When the OS reports lost events (queue overflow)
//! the watcher asks for a full reconcile instead.

use notify_debouncer_full::notify::event::{AccessKind, AccessMode};
use notify_debouncer_full::notify::{EventKind, RecommendedWatcher, RecursiveMode};
use notify_debouncer_full::{DebounceEventResult, Debouncer, RecommendedCache, new_debouncer};
use std::path::{Path, PathBuf};
use std::time::Duration;
use tokio::sync::mpsc::UnboundedSender;

/// What changed in the folder, as one debounced batch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FolderChange {
    /// These paths (relative, `/`-separated) changed.
    Paths(Vec<String>),
    /// Events were lost or the folder itself changed: compare everything.
    Rescan,
    /// The watched folder was replaced by another: compare everything,
    /// whatever happened just before.
    Replaced,
}

/// Folder names whose contents never hold entities.
const IGNORED_DIRS: [&str; 4] = [".git", ".studiobrain", ".obsidian", "node_modules"];

/// Whether a changed path (relative to the root) is noise: version control,
/// the server's own folder, or an editor's temporary, swap or backup file.
pub fn is_ignored(relative: &str) -> bool {
    let mut parts = relative.split('/');
    let name = parts.next_back().unwrap_or_default();
    if relative.split('/').any(|part| IGNORED_DIRS.contains(&part)) {
        return true;
    }
    let temporary_suffixes = [".tmp", ".swp", ".swo", ".swx", "~", ".crdownload", ".part"];
    name.starts_with(".#")
        || name == "4913"
        || name == ".DS_Store"
        || temporary_suffixes
            .iter()
            .any(|suffix| name.ends_with(suffix))
}

/// Watches one project folder until dropped.
pub struct ProjectWatcher {
    root: PathBuf,
    identity: Option<(u64, u64)>,
    _debouncer: Debouncer<RecommendedWatcher, RecommendedCache>,
}

/// The device and inode of a folder: a folder replaced by another of the
/// same name has a different identity.
fn identity_of(path: &Path) -> Option<(u64, u64)> {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata(path).ok().map(|m| (m.dev(), m.ino()))
}

impl ProjectWatcher {
    /// Starts watching `root` recursively; batches go to `changes` after
    /// `debounce` of quiet.
    ///
    /// # Errors
    /// The folder cannot be watched (missing, or the OS refuses).
    pub fn start(
        root: &Path,
        debounce: Duration,
        changes: UnboundedSender<FolderChange>,
    ) -> notify_debouncer_full::notify::Result<Self> {
        let root = root
            .canonicalize()
            .map_err(notify_debouncer_full::notify::Error::io)?;
        let base = root.clone();
        let mut debouncer = new_debouncer(debounce, None, move |result: DebounceEventResult| {
            let change = match result {
                Ok(events) if events.iter().any(|e| e.need_rescan()) => FolderChange::Rescan,
                Ok(events) => {
                    let mut paths: Vec<String> = events
                        .iter()
                        .filter(|event| changes_content(&event.kind))
                        .flat_map(|event| event.paths.iter())
                        .filter_map(|path| relative(&base, path))
                        .filter(|path| !is_ignored(path))
                        .collect();
                    if paths.iter().any(String::is_empty) {
                        // The root itself changed.
                        FolderChange::Rescan
                    } else {
                        paths.sort();
                        paths.dedup();
                        if paths.is_empty() {
                            return;
                        }
                        FolderChange::Paths(paths)
                    }
                }
                Err(errors) => {
                    for error in errors {
                        tracing::warn!(%error, "file watcher error; rescanning");
                    }
                    FolderChange::Rescan
                }
            };
            // The receiver is gone only when the server stops.
            let _ = changes.send(change);
        })?;
        debouncer.watch(&root, RecursiveMode::Recursive)?;
        Ok(Self {
            identity: identity_of(&root),
            root,
            _debouncer: debouncer,
        })
    }

    /// The watched folder.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Whether the folder at the watched path is still the one being
    /// watched (false once it was removed or replaced: restart the watcher).
    pub fn is_current(&self) -> bool {
        identity_of(&self.root).is_some_and(|now| Some(now) == self.identity)
    }
}

/// Whether an event can change what a file holds: reads (opening,
/// reading, closing without writing) cannot, and the reconcile's own reads
/// must not trigger another reconcile.
fn changes_content(kind: &EventKind) -> bool {
    match kind {
        EventKind::Access(AccessKind::Close(AccessMode::Write)) => true,
        EventKind::Access(_) => false,
        _ => true,
    }
}

/// `path` relative to `root` with `/` separators; `""` for the root.
fn relative(root: &Path, path: &Path) -> Option<String> {
    let rest = path.strip_prefix(root).ok()?;
    Some(rest.to_string_lossy().replace('\\', "/"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_are_not_changes() {
        use notify_debouncer_full::notify::event::{CreateKind, ModifyKind};
        assert!(!changes_content(&EventKind::Access(AccessKind::Open(
            AccessMode::Any
        ))));
        assert!(!changes_content(&EventKind::Access(AccessKind::Close(
            AccessMode::Read
        ))));
        assert!(changes_content(&EventKind::Access(AccessKind::Close(
            AccessMode::Write
        ))));
        assert!(changes_content(&EventKind::Create(CreateKind::File)));
        assert!(changes_content(&EventKind::Modify(ModifyKind::Any)));
    }

    #[test]
    fn noise_is_ignored_and_entity_files_are_not() {
        for noise in [
            ".git/index",
            "Characters/.git/x",
            ".studiobrain/trash/character/rex/CH_rex.md",
            "Characters/rex/.CH_rex.md.123.tmp",
            "Characters/rex/.CH_rex.md.swp",
            "Characters/rex/CH_rex.md~",
            "Characters/rex/4913",
            "Characters/rex/.#CH_rex.md",
        ] {
            assert!(is_ignored(noise), "{noise}");
        }
        for kept in [
            "Characters/rex/CH_rex.md",
            "Characters/rex",
            "_Templates/Core/X_TEMPLATE.md",
        ] {
            assert!(!is_ignored(kept), "{kept}");
        }
    }

    #[tokio::test]
    async fn edits_arrive_as_relative_paths_and_a_replaced_folder_is_noticed() {
        let dir = tempfile::tempdir().expect("tempdir");
        let root = dir.path().join("project");
        std::fs::create_dir_all(root.join("Characters/rex")).expect("dir");
        let (sender, mut receiver) = tokio::sync::mpsc::unbounded_channel();
        let watcher =
            ProjectWatcher::start(&root, Duration::from_millis(50), sender).expect("watch");
        std::fs::write(root.join("Characters/rex/CH_rex.md"), "---\nid: rex\n---\n")
            .expect("write");
        std::fs::write(root.join("Characters/rex/.CH_rex.md.swp"), "x").expect("swap");
        let change = tokio::time::timeout(Duration::from_secs(5), receiver.recv())
            .await
            .expect("in time")
            .expect("a change");
        let FolderChange::Paths(paths) = change else {
            panic!("expected paths, got {change:?}");
        };
        assert!(
            paths.contains(&"Characters/rex/CH_rex.md".to_owned()),
            "{paths:?}"
        );
        assert!(!paths.iter().any(|p| p.ends_with(".swp")), "{paths:?}");
        assert!(watcher.is_current());
        std::fs::rename(&root, dir.path().join("old")).expect("move away");
        std::fs::create_dir_all(&root).expect("replace");
        assert!(
            !watcher.is_current(),
            "a replaced folder needs a new watcher"
        );
    }
}
