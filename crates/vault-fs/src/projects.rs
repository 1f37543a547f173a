//! [`ProjectRegistry`]: the desktop's local projects by name, and which one
//! is active, kept in one JSON file written atomically. Removing a project
//! from the list never touches its folder; [`ProjectRegistry::remove`]'s
//! caller deletes the folder only when explicitly asked.

use crate::vault::write_atomically;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use studiobrain_entity::{EntityError, EntityResult};

/// One local project.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Project {
    /// Unique name (letters, digits, `-`, `_`, spaces; 1 to 64).
    pub name: String,
    /// Its folder.
    pub path: PathBuf,
    /// When it was added.
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Registry {
    active: String,
    projects: Vec<Project>,
}

/// The registry file and its contents.
pub struct ProjectRegistry {
    file: PathBuf,
    state: Mutex<Registry>,
}

/// Checks a project name: it becomes part of URLs and folder names.
fn check_name(name: &str) -> EntityResult<()> {
    let valid = (1..=64).contains(&name.chars().count())
        && name.trim() == name
        && name
            .chars()
            .all(|c| c.is_alphanumeric() || matches!(c, '-' | '_' | ' '));
    if valid {
        Ok(())
    } else {
        Err(EntityError::Invalid(format!(
            "invalid project name '{name}': use 1 to 64 letters, digits, '-', '_' or spaces"
        )))
    }
}

fn not_found(name: &str) -> EntityError {
    EntityError::NotFound(format!("no project named '{name}'"))
}

impl ProjectRegistry {
    /// Opens the registry in `file`; a new one lists `default` as the only,
    /// active project.
    ///
    /// # Errors
    /// The file exists but cannot be read or parsed, or cannot be created.
    pub fn open(file: PathBuf, default: Project) -> EntityResult<Self> {
        let state = match std::fs::read(&file) {
            Ok(bytes) => serde_json::from_slice(&bytes).map_err(|err| {
                EntityError::Unexpected(
                    anyhow::Error::new(err).context(format!("reading {}", file.display())),
                )
            })?,
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => Registry {
                active: default.name.clone(),
                projects: vec![default],
            },
            Err(err) => {
                return Err(EntityError::Unexpected(
                    anyhow::Error::new(err).context(format!("reading {}", file.display())),
                ));
            }
        };
        let registry = Self {
            file,
            state: Mutex::new(state),
        };
        let snapshot = registry.lock().clone();
        registry.save(&snapshot)?;
        Ok(registry)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Registry> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn save(&self, registry: &Registry) -> EntityResult<()> {
        let bytes = serde_json::to_vec_pretty(registry)
            .map_err(|err| EntityError::Unexpected(anyhow::Error::new(err)))?;
        write_atomically(&self.file, &bytes)
    }

    /// Every project, by name, and the active one's name.
    pub fn list(&self) -> (Vec<Project>, String) {
        let registry = self.lock();
        let mut projects = registry.projects.clone();
        projects.sort_by(|a, b| a.name.cmp(&b.name));
        (projects, registry.active.clone())
    }

    /// The active project.
    pub fn active(&self) -> Project {
        let registry = self.lock();
        registry
            .projects
            .iter()
            .find(|p| p.name == registry.active)
            .cloned()
            .unwrap_or_else(|| registry.projects[0].clone())
    }

    /// The project named `name`.
    ///
    /// # Errors
    /// [`EntityError::NotFound`].
    pub fn get(&self, name: &str) -> EntityResult<Project> {
        self.lock()
            .projects
            .iter()
            .find(|p| p.name == name)
            .cloned()
            .ok_or_else(|| not_found(name))
    }

    /// Adds a project (its folder is laid out by the caller).
    ///
    /// # Errors
    /// [`EntityError::Invalid`] for a bad name or a relative path;
    /// [`EntityError::AlreadyExists`] when the name or the folder is listed.
    pub fn add(&self, name: &str, path: &Path, now: DateTime<Utc>) -> EntityResult<Project> {
        check_name(name)?;
        if !path.is_absolute() {
            return Err(EntityError::Invalid(format!(
                "the project folder must be an absolute path: {}",
                path.display()
            )));
        }
        let mut registry = self.lock();
        if registry
            .projects
            .iter()
            .any(|p| p.name == name || p.path == path)
        {
            return Err(EntityError::AlreadyExists(format!(
                "a project named '{name}' or in {} is already listed",
                path.display()
            )));
        }
        let project = Project {
            name: name.to_owned(),
            path: path.to_owned(),
            created_at: now,
        };
        let mut next = registry.clone();
        next.projects.push(project.clone());
        self.save(&next)?;
        *registry = next;
        Ok(project)
    }

    /// Takes a project off the list.
    ///
    /// # Errors
    /// [`EntityError::NotFound`]; [`EntityError::Conflict`] for the active
    /// project (activate another first).
    pub fn remove(&self, name: &str) -> EntityResult<Project> {
        let mut registry = self.lock();
        if registry.active == name {
            return Err(EntityError::Conflict(format!(
                "'{name}' is the active project: activate another one first"
            )));
        }
        let mut next = registry.clone();
        let at = next
            .projects
            .iter()
            .position(|p| p.name == name)
            .ok_or_else(|| not_found(name))?;
        let removed = next.projects.remove(at);
        self.save(&next)?;
        *registry = next;
        Ok(removed)
    }

    /// Makes `name` the active project.
    ///
    /// # Errors
    /// [`EntityError::NotFound`].
    pub fn activate(&self, name: &str) -> EntityResult<Project> {
        let mut registry = self.lock();
        let project = registry
            .projects
            .iter()
            .find(|p| p.name == name)
            .cloned()
            .ok_or_else(|| not_found(name))?;
        let mut next = registry.clone();
        next.active = name.to_owned();
        self.save(&next)?;
        *registry = next;
        Ok(project)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn project(name: &str, path: &Path) -> Project {
        Project {
            name: name.into(),
            path: path.into(),
            created_at: DateTime::<Utc>::UNIX_EPOCH,
        }
    }

    #[test]
    fn projects_are_listed_activated_removed_and_remembered() {
        let dir = tempfile::tempdir().expect("tempdir");
        let file = dir.path().join("projects.json");
        let registry =
            ProjectRegistry::open(file.clone(), project("sample", &dir.path().join("sample")))
                .expect("open");
        let now = Utc::now();
        registry
            .add("Saga", &dir.path().join("saga"), now)
            .expect("add");
        assert!(matches!(
            registry.add("Saga", &dir.path().join("other"), now),
            Err(EntityError::AlreadyExists(_))
        ));
        assert!(matches!(
            registry.add("../x", &dir.path().join("x"), now),
            Err(EntityError::Invalid(_))
        ));
        assert!(matches!(
            registry.add("rel", Path::new("relative"), now),
            Err(EntityError::Invalid(_))
        ));
        registry.activate("Saga").expect("activate");
        assert!(matches!(
            registry.remove("Saga"),
            Err(EntityError::Conflict(_))
        ));
        registry.remove("sample").expect("remove");
        assert!(dir.path().join("projects.json").exists());

        let reopened =
            ProjectRegistry::open(file, project("ignored", &dir.path().join("i"))).expect("reopen");
        let (projects, active) = reopened.list();
        assert_eq!(active, "Saga");
        assert_eq!(projects.len(), 1);
        assert_eq!(reopened.active().path, dir.path().join("saga"));
    }
}
