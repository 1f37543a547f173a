//! [`SyncedFiles`]: the stamp each entity file had when the entity service
//! wrote it together with its index row. A file that still has that stamp
//! is unchanged since, and so is its row (every other change of the row
//! comes with a change of the file, or moves or removes it): a reconcile
//! told about it, such as the watcher's echo of the service's own write,
//! needs neither to read it nor to look the row up.

use crate::ports::FileStamp;
use std::collections::HashMap;
use std::sync::Mutex;
use studiobrain_kernel::TenantId;

/// Files remembered at most; beyond it the record starts over (a file
/// forgotten is merely compared the slow way).
const MOST_FILES: usize = 100_000;

/// The stamps of entity files as the service last wrote them, by tenant
/// and path.
#[derive(Debug, Default)]
pub struct SyncedFiles(Mutex<HashMap<(TenantId, String), FileStamp>>);

impl SyncedFiles {
    /// Records that `path` of `tenant` had `stamp` when its row was
    /// committed with its content.
    pub fn note(&self, tenant: &TenantId, path: &str, stamp: FileStamp) {
        let mut files = self.0.lock().unwrap_or_else(|p| p.into_inner());
        if files.len() >= MOST_FILES {
            files.clear();
        }
        files.insert((tenant.clone(), path.to_owned()), stamp);
    }

    /// Whether `path` of `tenant` still has the stamp it was written with.
    pub fn unchanged(&self, tenant: &TenantId, path: &str, stamp: &FileStamp) -> bool {
        self.0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(&(tenant.clone(), path.to_owned()))
            == Some(stamp)
    }
}

#[cfg(test)]
mod tests {
    use super::SyncedFiles;
    use crate::ports::FileStamp;
    use studiobrain_kernel::TenantId;

    fn stamp(version: &str) -> FileStamp {
        FileStamp {
            size: 10,
            version: version.to_owned(),
        }
    }

    #[test]
    fn a_file_is_unchanged_only_with_the_stamp_it_was_written_with() {
        let (synced, local) = (SyncedFiles::default(), TenantId::local());
        let path = "Characters/rex/char_rex.md";
        assert!(
            !synced.unchanged(&local, path, &stamp("1")),
            "never written"
        );
        synced.note(&local, path, stamp("1"));
        assert!(synced.unchanged(&local, path, &stamp("1")));
        assert!(
            !synced.unchanged(&local, path, &stamp("2")),
            "changed since"
        );
        let other = TenantId::parse("00000000-0000-0000-0000-000000000002").expect("tenant");
        assert!(!synced.unchanged(&other, path, &stamp("1")), "per tenant");
    }
}
