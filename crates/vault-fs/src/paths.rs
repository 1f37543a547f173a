//! Confinement of relative paths to a root folder.

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

/// Checks that the deepest existing ancestor of `path` resolves (through
/// symlinks) inside `root`.
pub(crate) fn confined(root: &Path, path: &Path) -> Result<(), EntityError> {
    let root = root.canonicalize().map_err(|err| {
        EntityError::Unexpected(anyhow::Error::new(err).context("project root is unavailable"))
    })?;
    let mut probe = path.to_path_buf();
    loop {
        match probe.canonicalize() {
            Ok(real) => {
                return if real.starts_with(&root) {
                    Ok(())
                } else {
                    Err(EntityError::Invalid(format!(
                        "path '{}' leads outside the project",
                        path.display()
                    )))
                };
            }
            Err(_) => {
                if !probe.pop() {
                    return Err(EntityError::Invalid(format!(
                        "path '{}' is not allowed",
                        path.display()
                    )));
                }
            }
        }
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
}
