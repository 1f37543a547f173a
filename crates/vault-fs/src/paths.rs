//! Confinement of relative paths to a root folder.

use std::collections::HashMap;
use std::path::{Component, Path, PathBuf};
use studiobrain_entity::EntityError;

/// Joins `relative` to `root` after checking it cannot leave the root
/// lexically. Symlinks are checked separately by [`confined`].
pub(crate) fn join(root: &Path, relative: &str) -> Result<PathBuf, EntityError> {
    let refuse =
        || EntityError::Invalid(format!("path '{}' is not allowed", relative.escape_debug()));
    if relative.contains(['\\', '\0']) || relative.starts_with('/') {
        return Err(refuse());
    }
    let mut path = root.to_path_buf();
    for component in Path::new(relative).components() {
        match component {
            Component::Normal(part) => path.push(part),
            Component::CurDir => {}
            _ => return Err(refuse()),
        }
    }
    Ok(path)
}

/// Checks that `path`, which [`join`] made from `root`, stays inside the
/// root through symlinks: each existing part below the root is looked at
/// without following it (one `lstat`), and only a symlink is resolved,
/// which must lead inside `real_root` (the root's canonical path). A
/// symlink that leads nowhere is refused as well: a write through it
/// would create its target, wherever that is. Parts past the first
/// missing one cannot exist yet, so they cannot be symlinks.
pub(crate) fn confined(root: &Path, real_root: &Path, path: &Path) -> Result<(), EntityError> {
    confined_all(root, real_root, [path])
}

/// [`confined`] for each of `paths`, looking at a part they share (their
/// common folders) once.
pub(crate) fn confined_all<'a>(
    root: &Path,
    real_root: &Path,
    paths: impl IntoIterator<Item = &'a Path>,
) -> Result<(), EntityError> {
    let mut looked_at: HashMap<PathBuf, Part> = HashMap::new();
    for path in paths {
        let outside = || {
            EntityError::Invalid(format!(
                "path '{}' leads outside the project",
                path.display()
            ))
        };
        let below = path.strip_prefix(root).map_err(|_| outside())?;
        let mut probe = root.to_path_buf();
        for part in below.components() {
            probe.push(part);
            let seen = match looked_at.get(&probe) {
                Some(seen) => *seen,
                None => {
                    let seen = look_at(&probe, real_root)?;
                    looked_at.insert(probe.clone(), seen);
                    seen
                }
            };
            match seen {
                Part::Inside => {}
                Part::Missing => break,
                Part::Outside => return Err(outside()),
            }
        }
    }
    Ok(())
}

/// What one part of a path below the root turned out to be.
#[derive(Debug, Clone, Copy)]
enum Part {
    /// It exists and stays inside the root (not a symlink, or one that
    /// leads inside).
    Inside,
    /// It does not exist: nothing below it can be a symlink.
    Missing,
    /// A symlink that leads outside the root, or nowhere.
    Outside,
}

/// Looks at `probe` without following it, resolving it only when it is a
/// symlink.
fn look_at(probe: &Path, real_root: &Path) -> Result<Part, EntityError> {
    match probe.symlink_metadata() {
        Ok(meta) if meta.file_type().is_symlink() => match probe.canonicalize() {
            Ok(real) if real.starts_with(real_root) => Ok(Part::Inside),
            _ => Ok(Part::Outside),
        },
        Ok(_) => Ok(Part::Inside),
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => Ok(Part::Missing),
        Err(err) => Err(EntityError::Unexpected(
            anyhow::Error::new(err).context(format!("checking {}", probe.display())),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lexical_escapes_are_refused() {
        let root = Path::new("/project");
        for bad in ["../x", "a/../../x", "/etc/passwd", "a\\b", "a\0b"] {
            assert!(join(root, bad).is_err(), "{bad:?}");
        }
        assert_eq!(
            join(root, "Characters/rex/CH_rex.md").expect("ok"),
            Path::new("/project/Characters/rex/CH_rex.md")
        );
    }

    #[test]
    fn symlinks_are_followed_only_inside_the_root() {
        let root = tempfile::tempdir().expect("root");
        let outside = tempfile::tempdir().expect("outside");
        let real_root = root.path().canonicalize().expect("real root");
        let link = |target: &Path, name: &str| {
            std::os::unix::fs::symlink(target, root.path().join(name)).expect("symlink");
        };
        std::fs::create_dir(root.path().join("Characters")).expect("folder");
        link(&root.path().join("Characters"), "inside");
        link(outside.path(), "outside");
        link(&root.path().join("missing"), "dangling");
        let check = |relative: &str| {
            let path = join(root.path(), relative).expect("lexically fine");
            confined(root.path(), &real_root, &path)
        };
        for fine in [
            "Characters/rex/CH_rex.md",
            "inside/rex.md",
            "new/folder/x.md",
        ] {
            assert!(check(fine).is_ok(), "{fine}");
        }
        for bad in ["outside", "outside/x.md", "dangling", "dangling/x.md"] {
            assert!(matches!(check(bad), Err(EntityError::Invalid(_))), "{bad}");
        }
        let joined = |relative: &str| join(root.path(), relative).expect("lexically fine");
        let (fine, bad) = (joined("inside/a/b.md"), joined("outside/c.md"));
        assert!(confined_all(root.path(), &real_root, [fine.as_path(), fine.as_path()]).is_ok());
        assert!(
            matches!(
                confined_all(root.path(), &real_root, [fine.as_path(), bad.as_path()]),
                Err(EntityError::Invalid(_))
            ),
            "one path outside refuses them all, also after a path that shares nothing with it"
        );
    }
}
