//! [`FsVault`]: the [`Vault`] port over one folder.

use crate::paths::{confined, confined_all, join};
use async_trait::async_trait;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use studiobrain_entity::ports::{Edited, FileEdit, FileStamp, Vault};
use studiobrain_entity::{EntityError, EntityResult};

/// A project folder on the local file system.
#[derive(Debug, Clone)]
pub struct FsVault {
    root: PathBuf,
    /// The root's canonical path, found on first use (the root must exist
    /// by then): symlinks are checked against it.
    real_root: OnceLock<PathBuf>,
}

fn io(context: String) -> impl FnOnce(std::io::Error) -> EntityError {
    move |err| EntityError::Unexpected(anyhow::Error::new(err).context(context))
}

/// Runs blocking file-system work off the async workers.
async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> EntityResult<T> + Send + 'static,
) -> EntityResult<T> {
    tokio::task::spawn_blocking(work).await.map_err(|err| {
        EntityError::Unexpected(anyhow::Error::new(err).context("file-system worker failed"))
    })?
}

impl FsVault {
    /// A vault over `root`, which must exist.
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Self {
            root: root.into(),
            real_root: OnceLock::new(),
        }
    }

    /// The root folder.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The root's canonical path.
    fn real_root(&self) -> EntityResult<&Path> {
        if let Some(real) = self.real_root.get() {
            return Ok(real);
        }
        let real = self.root.canonicalize().map_err(|err| {
            EntityError::Unexpected(anyhow::Error::new(err).context("project root is unavailable"))
        })?;
        Ok(self.real_root.get_or_init(|| real))
    }

    /// Resolves each of `relative` inside the root, refusing escapes; a
    /// folder they share is looked at once.
    fn resolve_all<'a>(
        &self,
        relative: impl IntoIterator<Item = &'a str>,
    ) -> EntityResult<Vec<PathBuf>> {
        let paths = relative
            .into_iter()
            .map(|path| join(&self.root, path))
            .collect::<EntityResult<Vec<_>>>()?;
        confined_all(
            &self.root,
            self.real_root()?,
            paths.iter().map(PathBuf::as_path),
        )?;
        Ok(paths)
    }

    /// Resolves `relative` inside the root, refusing escapes.
    fn resolve(&self, relative: &str) -> EntityResult<PathBuf> {
        let path = join(&self.root, relative)?;
        confined(&self.root, self.real_root()?, &path)?;
        Ok(path)
    }
}

/// Creates each of `folders` with its parents, in order.
fn create_all(folders: &[PathBuf]) -> EntityResult<()> {
    folders.iter().try_for_each(|folder| {
        std::fs::create_dir_all(folder).map_err(io(format!("creating {}", folder.display())))
    })
}

/// Makes the entries of a folder (a file or folder created, renamed or
/// removed in it) durable.
fn sync_folder(dir: &Path) -> std::io::Result<()> {
    std::fs::File::open(dir)?.sync_all()
}

/// Creates `dir` and its missing parents, each made durable in the folder
/// that holds it: a file fsynced into a new folder is only found again
/// after a crash if the folder's own entry was synced too.
fn create_dir_durably(dir: &Path) -> std::io::Result<()> {
    if dir.is_dir() {
        return Ok(());
    }
    let parent = dir.parent().filter(|p| !p.as_os_str().is_empty());
    if let Some(parent) = parent {
        create_dir_durably(parent)?;
    }
    match std::fs::create_dir(dir) {
        Ok(()) => parent.map_or(Ok(()), sync_folder),
        // Created meanwhile by another writer, which syncs it.
        Err(err) if err.kind() == std::io::ErrorKind::AlreadyExists && dir.is_dir() => Ok(()),
        Err(err) => Err(err),
    }
}

/// Atomic replace: temp file beside the target, fsync, rename, fsync dir
/// (a missing folder is created durably first).
pub(crate) fn write_atomically(path: &Path, bytes: &[u8]) -> EntityResult<()> {
    let dir = path
        .parent()
        .ok_or_else(|| EntityError::Invalid(format!("'{}' has no folder", path.display())))?;
    create_dir_durably(dir).map_err(io(format!("creating {}", dir.display())))?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
    let result = (|| {
        let mut file = std::fs::File::create(&tmp)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        std::fs::rename(&tmp, path)?;
        sync_folder(dir)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result.map_err(io(format!("writing {}", path.display())))
}

/// The bytes of the file at `path`, or `None` if there is none.
fn read_if_present(path: &Path) -> EntityResult<Option<Vec<u8>>> {
    match std::fs::read(path) {
        Ok(bytes) => Ok(Some(bytes)),
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(err) => Err(io(format!("reading {}", path.display()))(err)),
    }
}

/// [`write_atomically`], answering the stamp of the file as written.
fn write_stamped(path: &Path, bytes: &[u8]) -> EntityResult<FileStamp> {
    write_atomically(path, bytes)?;
    let meta = std::fs::metadata(path).map_err(io(format!("stamping {}", path.display())))?;
    Ok(stamp_of(&meta))
}

/// The stamp of a file from its metadata: size, inode, and modification
/// and change times in nanoseconds (an atomic replace changes the inode).
fn stamp_of(meta: &std::fs::Metadata) -> FileStamp {
    use std::os::unix::fs::MetadataExt;
    FileStamp {
        size: meta.len(),
        version: format!(
            "{}:{}.{}:{}.{}",
            meta.ino(),
            meta.mtime(),
            meta.mtime_nsec(),
            meta.ctime(),
            meta.ctime_nsec()
        ),
    }
}

/// Appends to `out` the files under `dir` whose name ends with `suffix`,
/// descending at most `depth` more folders.
fn list_files(
    root: &Path,
    dir: &Path,
    suffix: &str,
    depth: usize,
    out: &mut Vec<(String, Option<FileStamp>)>,
) -> std::io::Result<()> {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(err) => return Err(err),
    };
    for entry in entries {
        let entry = entry?;
        let kind = entry.file_type()?;
        let path = entry.path();
        if kind.is_dir() {
            if depth > 0 {
                list_files(root, &path, suffix, depth - 1, out)?;
            }
        } else if kind.is_file()
            && path.to_string_lossy().ends_with(suffix)
            && let Ok(relative) = path.strip_prefix(root)
        {
            let stamp = entry.metadata().ok().map(|meta| stamp_of(&meta));
            out.push((relative.to_string_lossy().replace('\\', "/"), stamp));
        }
    }
    Ok(())
}

#[async_trait]
impl Vault for FsVault {
    async fn read(&self, path: &str) -> EntityResult<Option<Vec<u8>>> {
        let path = self.resolve(path)?;
        blocking(move || read_if_present(&path)).await
    }

    async fn write(&self, path: &str, bytes: &[u8]) -> EntityResult<()> {
        let path = self.resolve(path)?;
        let bytes = bytes.to_vec();
        blocking(move || write_atomically(&path, &bytes)).await
    }

    async fn write_stamped(&self, path: &str, bytes: &[u8]) -> EntityResult<Option<FileStamp>> {
        let path = self.resolve(path)?;
        let bytes = bytes.to_vec();
        blocking(move || write_stamped(&path, &bytes).map(Some)).await
    }

    /// Checks, writes and creates the folders on one file-system worker.
    async fn write_new(
        &self,
        path: &str,
        bytes: &[u8],
        taken: &[String],
        folders: &[String],
    ) -> EntityResult<Option<FileStamp>> {
        // Resolved together: they share their folders.
        let mut resolved = self.resolve_all(
            std::iter::once(path)
                .chain(taken.iter().map(String::as_str))
                .chain(folders.iter().map(String::as_str)),
        )?;
        let folders = resolved.split_off(1 + taken.len());
        let taken = resolved.split_off(1);
        let path = resolved.swap_remove(0);
        let bytes = bytes.to_vec();
        blocking(move || {
            for candidate in std::iter::once(&path).chain(&taken) {
                match std::fs::symlink_metadata(candidate) {
                    Err(err) if err.kind() == std::io::ErrorKind::NotFound => {}
                    Err(err) => return Err(io(format!("checking {}", candidate.display()))(err)),
                    Ok(_) => {
                        return Err(EntityError::AlreadyExists(format!(
                            "{} exists",
                            candidate.display()
                        )));
                    }
                }
            }
            let stamp = write_stamped(&path, &bytes)?;
            if let Err(err) = create_all(&folders) {
                // Without its folders the file is not written: a retry
                // must not find it taken.
                let _ = std::fs::remove_file(&path);
                return Err(err);
            }
            Ok(Some(stamp))
        })
        .await
    }

    /// Reads, edits and writes on one file-system worker: one hand-off.
    async fn edit(&self, path: &str, edit: FileEdit) -> EntityResult<Edited> {
        let path = self.resolve(path)?;
        blocking(move || {
            let Some(bytes) = read_if_present(&path)? else {
                return Ok(Edited::Missing);
            };
            let Some(bytes) = edit(bytes)? else {
                return Ok(Edited::Unchanged);
            };
            let stamp = write_stamped(&path, &bytes)?;
            Ok(Edited::Written {
                bytes,
                stamp: Some(stamp),
            })
        })
        .await
    }

    /// Creates an empty folder without syncing it: it holds nothing to
    /// lose, and a write into it creates it durably if a crash took it.
    async fn create_dir(&self, path: &str) -> EntityResult<()> {
        self.create_dirs(&[path.to_owned()]).await
    }

    /// All in one blocking call; unsynced like [`Self::create_dir`].
    async fn create_dirs(&self, paths: &[String]) -> EntityResult<()> {
        let paths = self.resolve_all(paths.iter().map(String::as_str))?;
        blocking(move || create_all(&paths)).await
    }

    async fn rename(&self, from: &str, to: &str) -> EntityResult<()> {
        let (from, to) = (self.resolve(from)?, self.resolve(to)?);
        blocking(move || {
            if !from.exists() {
                return Err(EntityError::NotFound(format!(
                    "{} does not exist",
                    from.display()
                )));
            }
            if to.exists() {
                return Err(EntityError::AlreadyExists(format!(
                    "{} already exists",
                    to.display()
                )));
            }
            let moved = io(format!("moving {}", from.display()));
            if let Some(parent) = to.parent() {
                create_dir_durably(parent).map_err(io(format!("creating {}", parent.display())))?;
            }
            std::fs::rename(&from, &to).map_err(moved)?;
            // Both folders' entries changed (one folder when the move stays
            // in it): the move is durable before the caller records it.
            let (to_dir, from_dir) = (to.parent(), from.parent());
            let from_dir = from_dir.filter(|dir| Some(*dir) != to_dir);
            for dir in [to_dir, from_dir].into_iter().flatten() {
                sync_folder(dir).map_err(io(format!("syncing {}", dir.display())))?;
            }
            Ok(())
        })
        .await
    }

    async fn remove_dir(&self, path: &str) -> EntityResult<()> {
        let path = self.resolve(path)?;
        blocking(move || {
            // A symlink is removed itself, never followed.
            let removed = match std::fs::symlink_metadata(&path) {
                Ok(meta) if !meta.is_dir() => std::fs::remove_file(&path),
                _ => std::fs::remove_dir_all(&path),
            };
            match removed {
                Ok(()) => Ok(()),
                Err(err) if err.kind() == std::io::ErrorKind::NotFound => Err(
                    EntityError::NotFound(format!("{} does not exist", path.display())),
                ),
                Err(err) => Err(io(format!("removing {}", path.display()))(err)),
            }
        })
        .await
    }

    async fn list(&self, dir: &str, suffix: &str) -> EntityResult<Vec<String>> {
        Ok(self
            .list_stamped(dir, suffix, usize::MAX)
            .await?
            .into_iter()
            .map(|(path, _)| path)
            .collect())
    }

    async fn stamp(&self, path: &str) -> EntityResult<Option<FileStamp>> {
        let path = self.resolve(path)?;
        blocking(move || match std::fs::metadata(&path) {
            Ok(meta) if meta.is_file() => Ok(Some(stamp_of(&meta))),
            Ok(_) => Ok(None),
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(err) => Err(io(format!("reading {}", path.display()))(err)),
        })
        .await
    }

    async fn list_stamped(
        &self,
        dir: &str,
        suffix: &str,
        max_depth: usize,
    ) -> EntityResult<Vec<(String, Option<FileStamp>)>> {
        let root = self.root.clone();
        let start = self.resolve(dir)?;
        let suffix = suffix.to_owned();
        blocking(move || {
            let mut out = Vec::new();
            list_files(&root, &start, &suffix, max_depth, &mut out)
                .map_err(io(format!("listing {}", start.display())))?;
            out.sort_by(|a, b| a.0.cmp(&b.0));
            Ok(out)
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vault() -> (tempfile::TempDir, FsVault) {
        let dir = tempfile::tempdir().expect("tempdir");
        let vault = FsVault::new(dir.path());
        (dir, vault)
    }

    #[tokio::test]
    async fn writes_read_back_atomically_without_leftovers() {
        let (dir, vault) = vault();
        vault
            .write("Characters/rex/CH_rex.md", b"---\nid: rex\n---\n")
            .await
            .expect("written");
        assert_eq!(
            vault
                .read("Characters/rex/CH_rex.md")
                .await
                .expect("read")
                .as_deref(),
            Some(&b"---\nid: rex\n---\n"[..])
        );
        assert_eq!(
            vault.read("Characters/ann/CH_ann.md").await.expect("read"),
            None
        );
        let leftovers: Vec<_> = std::fs::read_dir(dir.path().join("Characters/rex"))
            .expect("dir")
            .collect();
        assert_eq!(leftovers.len(), 1, "no temporary file left behind");
        assert_eq!(
            vault.list("Characters", ".md").await.expect("listed"),
            vec!["Characters/rex/CH_rex.md"]
        );
        let stamp = vault
            .stamp("Characters/rex/CH_rex.md")
            .await
            .expect("stamp");
        let listed = vault
            .list_stamped("Characters", ".md", 1)
            .await
            .expect("listed");
        assert_eq!(listed[0].1, stamp, "listing and stat agree");
        vault
            .write("Characters/rex/CH_rex.md", b"---\nid: rex\n---\n")
            .await
            .expect("rewritten");
        let again = vault
            .stamp("Characters/rex/CH_rex.md")
            .await
            .expect("stamp");
        assert_ne!(
            again, stamp,
            "an atomic rewrite of the same bytes is a new version"
        );
        assert_eq!(
            vault
                .stamp("Characters/ann/CH_ann.md")
                .await
                .expect("stamp"),
            None
        );
    }

    #[tokio::test]
    async fn an_edit_reads_and_writes_in_one_step_or_leaves_the_file() {
        let (_dir, vault) = vault();
        let path = "Characters/rex/CH_rex.md";
        let upper: fn() -> FileEdit = || Box::new(|bytes| Ok(Some(bytes.to_ascii_uppercase())));
        assert_eq!(
            vault.edit(path, upper()).await.expect("edit"),
            Edited::Missing
        );
        vault.write(path, b"id: rex\n").await.expect("written");

        let Edited::Written { bytes, stamp } = vault.edit(path, upper()).await.expect("edit")
        else {
            panic!("the edit was not written");
        };
        assert_eq!(bytes, b"ID: REX\n");
        assert_eq!(vault.read(path).await.expect("read"), Some(bytes));
        assert_eq!(stamp, vault.stamp(path).await.expect("stamp"));

        let unchanged = vault.edit(path, Box::new(|_| Ok(None))).await;
        assert_eq!(unchanged.expect("edit"), Edited::Unchanged);
        let refused = vault
            .edit(
                path,
                Box::new(|_| Err(EntityError::Invalid("no".to_owned()))),
            )
            .await;
        assert!(matches!(refused, Err(EntityError::Invalid(_))));
        assert_eq!(
            vault.read(path).await.expect("read").as_deref(),
            Some(&b"ID: REX\n"[..]),
            "an edit that changes nothing or fails leaves the file"
        );
        assert!(matches!(
            vault.edit("../outside.md", upper()).await,
            Err(EntityError::Invalid(_))
        ));
    }

    #[tokio::test]
    async fn a_new_file_is_refused_where_it_or_a_twin_exists() {
        let (dir, vault) = vault();
        let legacy = "Characters/CH_rex.md".to_owned();
        let folders = ["Characters/rex/images".to_owned()];
        vault.write(&legacy, b"old").await.expect("written");
        let refused = vault
            .write_new(
                "Characters/rex/CH_rex.md",
                b"new",
                std::slice::from_ref(&legacy),
                &folders,
            )
            .await;
        assert!(matches!(refused, Err(EntityError::AlreadyExists(_))));
        assert!(
            !dir.path().join("Characters/rex").exists(),
            "a refused write touches nothing"
        );

        let written = vault
            .write_new("Characters/ann/CH_ann.md", b"new", &[], &folders)
            .await
            .expect("written");
        assert_eq!(
            written,
            vault
                .stamp("Characters/ann/CH_ann.md")
                .await
                .expect("stamp")
        );
        assert!(dir.path().join("Characters/rex/images").is_dir());
        let again = vault
            .write_new("Characters/ann/CH_ann.md", b"newer", &[], &[])
            .await;
        assert!(matches!(again, Err(EntityError::AlreadyExists(_))));
        assert_eq!(
            vault
                .read("Characters/ann/CH_ann.md")
                .await
                .expect("read")
                .as_deref(),
            Some(&b"new"[..])
        );
        assert!(matches!(
            vault
                .write_new(
                    "Characters/bob/CH_bob.md",
                    b"new",
                    &["../x.md".to_owned()],
                    &[]
                )
                .await,
            Err(EntityError::Invalid(_))
        ));
        assert!(!dir.path().join("Characters/bob").exists());

        // A folder that cannot be made (inside the file itself) takes the
        // file back with it: a retry does not find the path taken.
        let unmakeable = ["Characters/eve/CH_eve.md/images".to_owned()];
        let failed = vault
            .write_new("Characters/eve/CH_eve.md", b"new", &[], &unmakeable)
            .await;
        assert!(matches!(failed, Err(EntityError::Unexpected(_))));
        assert_eq!(
            vault.read("Characters/eve/CH_eve.md").await.expect("read"),
            None
        );
    }

    #[tokio::test]
    async fn a_listing_opens_no_folder_deeper_than_asked() {
        let (_dir, vault) = vault();
        for path in [
            "Characters/CH_old.md",
            "Characters/rex/CH_rex.md",
            "Characters/rex/notes/draft.md",
        ] {
            vault.write(path, b"x").await.expect("written");
        }
        let paths = |listed: Vec<(String, Option<FileStamp>)>| -> Vec<String> {
            listed.into_iter().map(|(path, _)| path).collect()
        };
        let shallow = vault
            .list_stamped("Characters", ".md", 0)
            .await
            .expect("listed");
        assert_eq!(paths(shallow), ["Characters/CH_old.md"]);
        let entities = vault
            .list_stamped("Characters", ".md", 1)
            .await
            .expect("listed");
        assert_eq!(
            paths(entities),
            ["Characters/CH_old.md", "Characters/rex/CH_rex.md"]
        );
        assert_eq!(
            vault.list("Characters", ".md").await.expect("listed").len(),
            3
        );
    }

    #[tokio::test]
    async fn escapes_are_refused_and_touch_nothing() {
        let (dir, vault) = vault();
        let outside = tempfile::tempdir().expect("outside");
        std::os::unix::fs::symlink(outside.path(), dir.path().join("link")).expect("symlink");
        for bad in ["../x.md", "/etc/passwd", "a\\b.md", "link/x.md"] {
            assert!(
                matches!(vault.write(bad, b"x").await, Err(EntityError::Invalid(_))),
                "{bad}"
            );
            assert!(vault.read(bad).await.is_err(), "{bad}");
        }
        assert_eq!(
            std::fs::read_dir(outside.path()).expect("dir").count(),
            0,
            "nothing written outside"
        );
    }

    #[tokio::test]
    async fn create_dirs_checks_every_path_before_creating_any() {
        let (dir, vault) = vault();
        let folders = [
            "Items/lamp/images".to_owned(),
            "Items/lamp/audio".to_owned(),
        ];
        vault.create_dirs(&folders).await.expect("created");
        assert!(
            folders
                .iter()
                .all(|folder| dir.path().join(folder).is_dir())
        );
        let with_escape = ["Items/rope/images".to_owned(), "../rope".to_owned()];
        assert!(matches!(
            vault.create_dirs(&with_escape).await,
            Err(EntityError::Invalid(_))
        ));
        assert!(!dir.path().join("Items/rope").exists(), "nothing created");
    }

    #[tokio::test]
    async fn rename_refuses_to_overwrite() {
        let (_dir, vault) = vault();
        vault.write("A/a.md", b"a").await.expect("a");
        vault.write("B/b.md", b"b").await.expect("b");
        assert!(matches!(
            vault.rename("A", "B").await,
            Err(EntityError::AlreadyExists(_))
        ));
        vault
            .rename("A", ".studiobrain/trash/A")
            .await
            .expect("moved");
        assert_eq!(
            vault
                .read(".studiobrain/trash/A/a.md")
                .await
                .expect("read")
                .as_deref(),
            Some(&b"a"[..])
        );
        assert!(matches!(
            vault.rename("A", "C").await,
            Err(EntityError::NotFound(_))
        ));
    }

    #[tokio::test]
    async fn remove_dir_removes_folders_and_single_files() {
        let (_dir, vault) = vault();
        vault.write("T/rex/a.md", b"a").await.expect("a");
        vault.write("T/flat-1", b"f").await.expect("f");
        vault.remove_dir("T/rex").await.expect("folder removed");
        vault.remove_dir("T/flat-1").await.expect("file removed");
        assert!(vault.list("T", "").await.expect("list").is_empty());
        assert!(matches!(
            vault.remove_dir("T/rex").await,
            Err(EntityError::NotFound(_))
        ));
    }
}
