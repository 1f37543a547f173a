//! The reconciler against a real folder (vault-fs) and the in-memory index:
//! hand edits become creates, updates, renames and deletes, each announced
//! once; the server's own writes are not echoed; broken files stay indexed.

#![allow(clippy::expect_used)]

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use studiobrain_entity::ports::{FileStamp, Vault, VaultProvider};
use studiobrain_entity::{EntityResult, EntityService, NewEntity, TemplateSet};
use studiobrain_kernel::{Actor, Event, EventKind, TenantId, UserId};
use studiobrain_memory::{LocalEventBus, MemoryEntityIndex};
use studiobrain_sync::{Reconciler, Scope, Trigger};
use studiobrain_vault_fs::{FsVaultProvider, ProjectLayout};
use tokio::sync::broadcast::Receiver;

const TEMPLATE: &str = "---\nentity_type: character\nfolder_name: Characters\nfile_prefix: CH_\nid: \"\"\nname: \"\"\nstatus: draft\n---\n# {name}\n";

/// Counts the files read through the vault.
struct CountingVault {
    inner: Arc<dyn Vault>,
    reads: Arc<AtomicUsize>,
}

#[async_trait::async_trait]
impl Vault for CountingVault {
    async fn read(&self, path: &str) -> EntityResult<Option<Vec<u8>>> {
        self.reads.fetch_add(1, Ordering::SeqCst);
        self.inner.read(path).await
    }
    async fn write(&self, path: &str, bytes: &[u8]) -> EntityResult<()> {
        self.inner.write(path, bytes).await
    }
    async fn create_dir(&self, path: &str) -> EntityResult<()> {
        self.inner.create_dir(path).await
    }
    async fn rename(&self, from: &str, to: &str) -> EntityResult<()> {
        self.inner.rename(from, to).await
    }
    async fn remove_dir(&self, path: &str) -> EntityResult<()> {
        self.inner.remove_dir(path).await
    }
    async fn list(&self, dir: &str, suffix: &str) -> EntityResult<Vec<String>> {
        self.inner.list(dir, suffix).await
    }
    async fn stamp(&self, path: &str) -> EntityResult<Option<FileStamp>> {
        self.inner.stamp(path).await
    }
    async fn write_stamped(&self, path: &str, bytes: &[u8]) -> EntityResult<Option<FileStamp>> {
        self.inner.write_stamped(path, bytes).await
    }
    async fn list_stamped(
        &self,
        dir: &str,
        suffix: &str,
        max_depth: usize,
    ) -> EntityResult<Vec<(String, Option<FileStamp>)>> {
        self.inner.list_stamped(dir, suffix, max_depth).await
    }
}

struct CountingProvider {
    inner: FsVaultProvider,
    reads: Arc<AtomicUsize>,
}

impl VaultProvider for CountingProvider {
    fn vault(&self, tenant: &TenantId) -> EntityResult<Arc<dyn Vault>> {
        Ok(Arc::new(CountingVault {
            inner: self.inner.vault(tenant)?,
            reads: self.reads.clone(),
        }))
    }
}

struct Setup {
    _dir: tempfile::TempDir,
    project: std::path::PathBuf,
    reconciler: Reconciler,
    events: Receiver<Arc<Event>>,
    reads: Arc<AtomicUsize>,
}

fn setup() -> Setup {
    let dir = tempfile::tempdir().expect("tempdir");
    let project = dir.path().join("project");
    let layout = ProjectLayout {
        seed: vec![(
            "_Templates/Core/CHARACTER_TEMPLATE.md".into(),
            TEMPLATE.as_bytes().to_vec(),
        )],
        sample: Vec::new(),
    };
    let bus = Arc::new(LocalEventBus::new(1024));
    let events = bus.subscribe();
    let reads = Arc::new(AtomicUsize::new(0));
    let entities = EntityService::new(
        Arc::new(CountingProvider {
            inner: FsVaultProvider::new(Some(project.clone()), dir.path().join("tenants"), layout),
            reads: reads.clone(),
        }),
        Arc::new(MemoryEntityIndex::new()),
        Arc::new(TemplateSet::load(Vec::new())),
    )
    .with_events(bus);
    entities
        .prepare_project(&TenantId::local())
        .expect("project");
    Setup {
        _dir: dir,
        project,
        reconciler: Reconciler::new(Arc::new(entities)),
        events,
        reads,
    }
}

fn write(project: &Path, relative: &str, text: &str) {
    let path = project.join(relative);
    std::fs::create_dir_all(path.parent().expect("parent")).expect("dir");
    std::fs::write(path, text).expect("write");
}

fn character(id: &str, name: &str) -> String {
    format!("---\nid: {id}\nname: {name}\nstatus: draft\n---\n# {name}\n")
}

/// (action, id, changed_by) of every entity event received so far.
fn drain(events: &mut Receiver<Arc<Event>>) -> Vec<(String, String, String)> {
    let mut seen = Vec::new();
    while let Ok(event) = events.try_recv() {
        if let EventKind::EntityUpdated(change) = &event.kind {
            seen.push((
                change.action.as_str().to_owned(),
                change.entity_id.clone(),
                change.changed_by.clone(),
            ));
        }
    }
    seen
}

/// Creates the character "Mira" through the entity service as `user`.
async fn create_mira(setup: &Setup, user: &Actor) {
    setup
        .reconciler
        .entities()
        .create(
            &TenantId::local(),
            "character",
            NewEntity {
                name: "Mira".into(),
                ..NewEntity::default()
            },
            user,
        )
        .await
        .expect("create");
}

async fn sync_all(setup: &Setup) -> studiobrain_sync::SyncReport {
    setup
        .reconciler
        .reconcile(
            &TenantId::local(),
            Scope::All,
            Trigger::Request,
            &Actor::FileWatcher,
        )
        .await
        .expect("reconcile")
}

#[tokio::test]
async fn hand_edits_are_mirrored_and_announced_once() {
    let mut s = setup();
    let local = TenantId::local();
    write(
        &s.project,
        "Characters/rex/CH_rex.md",
        &character("rex", "Rex"),
    );
    write(
        &s.project,
        "Characters/ann/CH_ann.md",
        &character("ann", "Ann"),
    );
    let report = sync_all(&s).await;
    assert_eq!((report.summary.created, report.summary.scanned), (2, 2));
    let mut first = drain(&mut s.events);
    first.sort();
    assert_eq!(
        first,
        [
            ("created".into(), "ann".into(), "file_watcher".into()),
            ("created".into(), "rex".into(), "file_watcher".into())
        ]
    );

    // Unchanged: nothing to do, nothing announced.
    let report = sync_all(&s).await;
    assert_eq!(report.changes.len(), 0);
    assert!(drain(&mut s.events).is_empty());

    // An edit, a folder renamed by hand, and a deletion.
    write(
        &s.project,
        "Characters/rex/CH_rex.md",
        &character("rex", "Rex Marshall"),
    );
    std::fs::rename(
        s.project.join("Characters/ann"),
        s.project.join("Characters/anna"),
    )
    .expect("mv");
    std::fs::rename(
        s.project.join("Characters/anna/CH_ann.md"),
        s.project.join("Characters/anna/CH_anna.md"),
    )
    .expect("mv");
    write(
        &s.project,
        "Characters/zed/CH_zed.md",
        &character("zed", "Zed"),
    );
    sync_all(&s).await;
    std::fs::remove_dir_all(s.project.join("Characters/zed")).expect("rm");
    let before = s
        .reconciler
        .entities()
        .get(&local, "character", "anna")
        .await;
    assert!(
        before.is_ok(),
        "renamed entity is readable under its new id"
    );
    let report = sync_all(&s).await;
    assert_eq!(report.summary.deleted, 1);
    let events = drain(&mut s.events);
    assert!(events.contains(&("updated".into(), "rex".into(), "file_watcher".into())));
    assert!(events.contains(&("renamed".into(), "anna".into(), "file_watcher".into())));
    assert!(events.contains(&("created".into(), "zed".into(), "file_watcher".into())));
    assert!(events.contains(&("deleted".into(), "zed".into(), "file_watcher".into())));
    assert_eq!(events.len(), 4, "one event per change: {events:?}");

    let entities = s.reconciler.entities();
    let rex = entities.get(&local, "character", "rex").await.expect("rex");
    assert_eq!(
        (rex.entity.name.as_str(), rex.entity.revision),
        ("Rex Marshall", 2)
    );
    let anna = entities
        .get(&local, "character", "anna")
        .await
        .expect("anna");
    assert_eq!(anna.entity.revision, 2, "a rename keeps the history");
    assert!(entities.get(&local, "character", "ann").await.is_err());
    assert!(entities.get(&local, "character", "zed").await.is_err());
}

#[tokio::test]
async fn the_servers_own_writes_are_not_echoed() {
    let mut s = setup();
    let user = Actor::User(UserId::parse("u1").expect("user"));
    create_mira(&s, &user).await;
    assert_eq!(
        drain(&mut s.events),
        [("created".into(), "mira".into(), "u1".into())]
    );
    let report = sync_all(&s).await;
    assert!(report.changes.is_empty(), "{report:?}");
    assert!(drain(&mut s.events).is_empty());
}

#[tokio::test]
async fn a_file_that_does_not_parse_is_kept_invalid_and_untouched() {
    let s = setup();
    let local = TenantId::local();
    let broken = "---\nid: rex\nname: [unclosed\n---\nbody\n";
    write(&s.project, "Characters/rex/CH_rex.md", broken);
    let report = sync_all(&s).await;
    assert_eq!((report.summary.created, report.summary.failed), (1, 1));
    let rex = s
        .reconciler
        .entities()
        .get(&local, "character", "rex")
        .await
        .expect("kept");
    assert!(!rex.is_valid);
    assert_eq!(rex.validation_errors[0].rule_id, "parse");
    let on_disk =
        std::fs::read_to_string(s.project.join("Characters/rex/CH_rex.md")).expect("read");
    assert_eq!(on_disk, broken, "never overwritten");
}

#[tokio::test]
async fn a_scoped_reconcile_looks_only_at_the_touched_folders() {
    let s = setup();
    write(
        &s.project,
        "Characters/rex/CH_rex.md",
        &character("rex", "Rex"),
    );
    let pending = s
        .reconciler
        .pending(
            &TenantId::local(),
            Scope::Paths(vec!["Notes/todo.md".into()]),
        )
        .await
        .expect("pending");
    assert!(pending.created.is_empty(), "no template folder was touched");
    let pending = s
        .reconciler
        .pending(
            &TenantId::local(),
            Scope::Paths(vec!["Characters/rex/CH_rex.md".into()]),
        )
        .await
        .expect("pending");
    assert_eq!(pending.created, ["character/rex"]);
    let status = s.reconciler.status(&TenantId::local());
    assert!(
        !status.running && status.last.is_none(),
        "pending changes nothing"
    );
}

#[tokio::test]
async fn the_echo_of_an_own_write_reads_nothing_but_a_hand_edit_is_seen() {
    let mut s = setup();
    let local = TenantId::local();
    let user = Actor::User(UserId::parse("u1").expect("user"));
    create_mira(&s, &user).await;
    let entities = s.reconciler.entities();
    let mut changes = studiobrain_entity::EntityChanges::default();
    changes.fields.insert("status".into(), "active".into());
    entities
        .update(&local, "character", "mira", changes, None, &user)
        .await
        .expect("update");
    drain(&mut s.events);
    // What the watcher reports after those writes: the file and its folder.
    let touched = Scope::Paths(vec![
        "Characters/mira/CH_mira.md".into(),
        "Characters/mira".into(),
    ]);
    let before = s.reads.load(Ordering::SeqCst);
    let report = s
        .reconciler
        .reconcile(
            &local,
            touched.clone(),
            Trigger::Watcher,
            &Actor::FileWatcher,
        )
        .await
        .expect("echo");
    assert!(report.changes.is_empty(), "{report:?}");
    assert_eq!(
        s.reads.load(Ordering::SeqCst) - before,
        0,
        "the server's own write is known by its stamp: nothing is read"
    );

    let edited = character("mira", "Mira by hand");
    write(&s.project, "Characters/mira/CH_mira.md", &edited);
    let report = s
        .reconciler
        .reconcile(&local, touched, Trigger::Watcher, &Actor::FileWatcher)
        .await
        .expect("hand edit");
    assert_eq!(report.summary.updated, 1, "{report:?}");
    assert_eq!(
        drain(&mut s.events),
        [("updated".into(), "mira".into(), "file_watcher".into())]
    );
}

#[tokio::test]
async fn unchanged_files_are_not_read_again() {
    let s = setup();
    for n in 0..20 {
        let id = format!("c{n}");
        write(
            &s.project,
            &format!("Characters/{id}/CH_{id}.md"),
            &character(&id, &format!("C {n}")),
        );
    }
    sync_all(&s).await;
    let before = s.reads.load(Ordering::SeqCst);
    let report = sync_all(&s).await;
    assert_eq!(report.summary.scanned, 20);
    let entity_reads = s.reads.load(Ordering::SeqCst) - before;
    // Templates and rules are read again by a full reconcile; entity files are not.
    assert!(
        entity_reads < 20,
        "{entity_reads} reads for 20 unchanged entity files"
    );
    write(
        &s.project,
        "Characters/c3/CH_c3.md",
        &character("c3", "C three"),
    );
    let report = sync_all(&s).await;
    assert_eq!(report.summary.updated, 1, "a changed file is still seen");
}
