//! Live sync, composed: the event bus (in-process, or shared through
//! PostgreSQL), the reconciler, presence, the activity log, the desktop
//! watcher and projects, and the background tasks that drive them
//! (activity recording, the watcher loop, the periodic safety-net
//! reconcile and presence expiry).

use crate::config::{Mode, Settings};
use crate::storage::Storage;
use crate::watch::WatcherControl;
use std::sync::Arc;
use std::time::Duration;
use studiobrain_entity::EntityService;
use studiobrain_kernel::{Actor, Event, EventBus, SystemClock, TenantId, UuidV7Gen};
use studiobrain_memory::LocalEventBus;
use studiobrain_sync::activity::{ActivityLog, entry_of};
use studiobrain_sync::presence::Presence;
use studiobrain_sync::{Reconciler, Scope, Trigger};
use studiobrain_vault_fs::{FsVaultProvider, Project, ProjectRegistry};
use tokio::sync::mpsc;

/// Most activity entries written per transaction.
const ACTIVITY_BATCH: usize = 500;

/// How long the activity recorder gathers the changes that follow one
/// before writing them together. On SQLite every batch is a transaction of
/// the one writer, which entity writes wait for: written as they came,
/// under sustained writes nearly every change was a batch of its own. A
/// change appears in the history up to this much later.
const ACTIVITY_GATHER: Duration = Duration::from_millis(20);

/// Everything live sync needs at run time.
#[derive(Clone)]
pub struct Live {
    /// This process's subscribers (sockets) listen here.
    pub bus: LocalEventBus,
    /// Folder ↔ index reconciling.
    pub reconciler: Arc<Reconciler>,
    /// Who is connected and what they edit.
    pub presence: Arc<Presence>,
    /// The activity log.
    pub activity: Arc<dyn ActivityLog>,
    /// The desktop project's watcher.
    pub watcher: Arc<WatcherControl>,
    /// The desktop's local projects (desktop mode only).
    pub projects: Option<Arc<ProjectRegistry>>,
    /// The project folders.
    pub vaults: Arc<FsVaultProvider>,
}

/// Publishes to the real bus and hands every change made in this process
/// to the activity recorder (changes of other processes arrive on the bus
/// only, so each is recorded once, by the process that made it).
struct Recorded {
    inner: Arc<dyn EventBus>,
    recorder: mpsc::UnboundedSender<Event>,
}

impl EventBus for Recorded {
    fn publish(&self, event: Event) {
        let _ = self.recorder.send(event.clone());
        self.inner.publish(event);
    }
}

/// The event bus the entity use cases publish to, and the receiving end of
/// the activity recorder.
///
/// # Errors
/// PostgreSQL's notification listener cannot connect.
pub async fn event_bus(
    settings: &Settings,
    storage: &Storage,
    local: &LocalEventBus,
) -> anyhow::Result<(Arc<dyn EventBus>, mpsc::UnboundedReceiver<Event>)> {
    let shared: Arc<dyn EventBus> = match storage {
        Storage::Sql {
            store,
            postgres: true,
        } => {
            studiobrain_store_sql::PgEventBus::start(
                &settings.database.url,
                store,
                Arc::new(local.clone()),
            )
            .await?
        }
        _ => Arc::new(local.clone()),
    };
    let (recorder, records) = mpsc::unbounded_channel();
    Ok((
        Arc::new(Recorded {
            inner: shared,
            recorder,
        }),
        records,
    ))
}

/// The desktop's project registry, created with the configured project as
/// the first; the active project's folder replaces the configured one.
///
/// # Errors
/// The registry file cannot be read or written.
pub fn desktop_projects(settings: &Settings) -> anyhow::Result<Option<Arc<ProjectRegistry>>> {
    if settings.server.mode != Mode::Desktop {
        return Ok(None);
    }
    let configured = &settings.server.project_dir;
    let name = configured
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .filter(|n| !n.is_empty())
        .unwrap_or_else(|| "default".to_owned());
    let registry = ProjectRegistry::open(
        settings.server.data_dir.join("projects.json"),
        Project {
            name,
            path: std::path::absolute(configured)?,
            created_at: chrono::Utc::now(),
        },
    )?;
    Ok(Some(Arc::new(registry)))
}

impl Live {
    /// Builds the parts.
    pub fn new(
        settings: &Settings,
        storage: &Storage,
        entities: Arc<EntityService>,
        bus: LocalEventBus,
        vaults: Arc<FsVaultProvider>,
        projects: Option<Arc<ProjectRegistry>>,
    ) -> Self {
        let reconciler = Arc::new(Reconciler::new(entities));
        let (watcher, changes) =
            WatcherControl::new(Duration::from_millis(settings.sync.debounce_millis));
        let live = Self {
            bus,
            presence: Arc::new(Presence::new(
                Arc::new(SystemClock),
                chrono::Duration::seconds(settings.sync.presence_ttl_secs),
            )),
            activity: storage.activity_log(),
            watcher: Arc::new(watcher),
            projects,
            vaults,
            reconciler,
        };
        tokio::spawn(watch_loop(
            live.reconciler.clone(),
            live.watcher.clone(),
            changes,
        ));
        live
    }

    /// The folder of the desktop project.
    pub fn desktop_root(&self) -> std::path::PathBuf {
        self.vaults.root_of(&TenantId::local())
    }

    /// Starts the background tasks: activity recording, presence expiry,
    /// the desktop watcher and the periodic reconcile.
    pub fn start(&self, settings: &Settings, records: mpsc::UnboundedReceiver<Event>) {
        tokio::spawn(record_activity(self.activity.clone(), records));
        tokio::spawn(expire_presence(
            self.presence.clone(),
            self.reconciler.entities().events().clone(),
        ));
        if settings.server.mode != Mode::Desktop {
            return;
        }
        if settings.sync.watch {
            if let Err(err) = self.watcher.start(&self.desktop_root()) {
                tracing::warn!(%err, "file watcher not started; the periodic reconcile still runs");
            }
            tokio::spawn(guard_watcher(self.watcher.clone()));
        }
        if settings.sync.interval_secs > 0 {
            tokio::spawn(periodic_reconcile(
                self.reconciler.clone(),
                Duration::from_secs(settings.sync.interval_secs),
            ));
        }
    }

    /// Switches the desktop to another project: the folder, the watcher
    /// and (by a full reconcile) the index. On failure the previous project
    /// is put back (folder, index and watcher) before the error is returned.
    ///
    /// # Errors
    /// The folder cannot be prepared or reconciled.
    pub async fn switch_project(
        &self,
        project: &Project,
    ) -> studiobrain_entity::EntityResult<studiobrain_sync::SyncReport> {
        let previous = self.desktop_root();
        let was_watching = self.watcher.stop();
        let switched = match self.vaults.switch_project(project.path.clone()) {
            Ok(()) => self.reconcile_desktop().await,
            Err(err) => Err(err),
        };
        let watched = match &switched {
            Ok(_) => project.path.clone(),
            Err(err) => {
                tracing::warn!(%err, "project not switched; going back to the previous one");
                if let Err(err) = self.vaults.switch_project(previous.clone()) {
                    tracing::error!(%err, "the previous project folder cannot be prepared");
                } else if let Err(err) = self.reconcile_desktop().await {
                    tracing::warn!(%err, "the previous project is re-indexed by the next periodic reconcile");
                }
                previous
            }
        };
        if was_watching && let Err(err) = self.watcher.start(&watched) {
            tracing::warn!(%err, "file watcher not restarted");
        }
        switched
    }

    /// A full reconcile of the desktop project.
    async fn reconcile_desktop(
        &self,
    ) -> studiobrain_entity::EntityResult<studiobrain_sync::SyncReport> {
        self.reconciler
            .reconcile(
                &TenantId::local(),
                Scope::All,
                Trigger::Request,
                &Actor::FileWatcher,
            )
            .await
    }
}

/// Writes the changes made in this process to the activity log, in batches
/// of what arrived within [`ACTIVITY_GATHER`] of a batch's first change.
async fn record_activity(log: Arc<dyn ActivityLog>, mut records: mpsc::UnboundedReceiver<Event>) {
    while let Some(first) = records.recv().await {
        tokio::time::sleep(ACTIVITY_GATHER).await;
        let mut entries: Vec<_> = entry_of(&first, &UuidV7Gen).into_iter().collect();
        while entries.len() < ACTIVITY_BATCH {
            match records.try_recv() {
                Ok(event) => entries.extend(entry_of(&event, &UuidV7Gen)),
                Err(_) => break,
            }
        }
        if !entries.is_empty()
            && let Err(err) = log.append(&entries).await
        {
            tracing::warn!(%err, lost = entries.len(), "activity not recorded");
        }
    }
}

/// Drops sockets' presence that went silent, announcing who went offline.
async fn expire_presence(presence: Arc<Presence>, events: Arc<dyn EventBus>) {
    let mut tick = tokio::time::interval(Duration::from_secs(5));
    loop {
        tick.tick().await;
        for event in presence.expire() {
            events.publish(event);
        }
    }
}

/// Reconciles what the watcher reports, batch by batch; batches queued
/// meanwhile are merged into one run.
async fn watch_loop(
    reconciler: Arc<Reconciler>,
    watcher: Arc<WatcherControl>,
    mut changes: mpsc::UnboundedReceiver<studiobrain_vault_fs::FolderChange>,
) {
    use studiobrain_vault_fs::FolderChange;
    let local = TenantId::local();
    while let Some(first) = changes.recv().await {
        let (mut paths, mut rescan, mut replaced) = (Vec::new(), false, false);
        let mut absorb = |change| match change {
            FolderChange::Paths(more) => paths.extend(more),
            FolderChange::Rescan => rescan = true,
            FolderChange::Replaced => replaced = true,
        };
        absorb(first);
        while let Ok(more) = changes.try_recv() {
            absorb(more);
        }
        // A full scan opens every folder, and inotify reports opens: on a
        // large project the scan itself overflows the event queue. Such a
        // rescan request right after a full scan is that echo, not lost
        // changes (any real one is caught by the periodic safety net).
        let echo = rescan
            && !replaced
            && reconciler
                .since_full_scan(&local)
                .is_some_and(|elapsed| elapsed < watcher.settle_time());
        let full = replaced || (rescan && !echo);
        watcher.record_batch(paths.len(), full);
        let scope = match (full, paths.is_empty()) {
            (true, _) => Scope::All,
            (false, true) => continue,
            (false, false) => Scope::Paths(paths),
        };
        if let Err(err) = reconciler
            .reconcile(&local, scope, Trigger::Watcher, &Actor::FileWatcher)
            .await
        {
            tracing::warn!(%err, "reconcile after file events failed; the next event or the periodic run retries");
            watcher.record_error(&err.to_string());
        }
    }
}

/// How often the watcher checks that its folder was not replaced.
const WATCH_GUARD: Duration = Duration::from_secs(2);

/// Gives the watcher a fresh watch when the project folder was replaced
/// (a new folder under the same path loses the old folder's watch).
async fn guard_watcher(watcher: Arc<WatcherControl>) {
    let mut tick = tokio::time::interval(WATCH_GUARD);
    loop {
        tick.tick().await;
        watcher.restart_if_replaced();
    }
}

/// The safety net for missed events: a full reconcile at every interval.
async fn periodic_reconcile(reconciler: Arc<Reconciler>, every: Duration) {
    let mut tick = tokio::time::interval(every);
    tick.tick().await;
    loop {
        tick.tick().await;
        if let Err(err) = reconciler
            .reconcile(
                &TenantId::local(),
                Scope::All,
                Trigger::Periodic,
                &Actor::FileWatcher,
            )
            .await
        {
            tracing::warn!(%err, "periodic reconcile failed");
        }
    }
}
