//! [`WatcherControl`]: starts, stops and reports on the desktop project's
//! file watcher. Its batches go to one channel that the live-sync loop
//! reconciles.

use chrono::{DateTime, Utc};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Duration;
use studiobrain_vault_fs::{FolderChange, ProjectWatcher};
use tokio::sync::mpsc;

/// What the watcher has done, for the status routes.
#[derive(Debug, Clone, Default)]
pub struct WatcherStatus {
    /// Watching now.
    pub running: bool,
    /// The folder watched (or last watched).
    pub root: Option<PathBuf>,
    /// When it started.
    pub started_at: Option<DateTime<Utc>>,
    /// Event batches received.
    pub batches: u64,
    /// Changed paths received.
    pub paths: u64,
    /// Batches that asked for a full reconcile (lost events).
    pub rescans: u64,
    /// When the last batch arrived.
    pub last_event_at: Option<DateTime<Utc>>,
    /// The last failure, if any.
    pub last_error: Option<String>,
    /// Debounce in milliseconds.
    pub debounce_millis: u64,
}

/// The desktop watcher's switch and counters.
pub struct WatcherControl {
    debounce: Duration,
    changes: mpsc::UnboundedSender<FolderChange>,
    watcher: Mutex<Option<ProjectWatcher>>,
    status: Mutex<WatcherStatus>,
}

impl WatcherControl {
    /// A stopped watcher and the channel its batches arrive on.
    pub fn new(debounce: Duration) -> (Self, mpsc::UnboundedReceiver<FolderChange>) {
        let (changes, receiver) = mpsc::unbounded_channel();
        let status = WatcherStatus {
            debounce_millis: u64::try_from(debounce.as_millis()).unwrap_or(u64::MAX),
            ..WatcherStatus::default()
        };
        (
            Self {
                debounce,
                changes,
                watcher: Mutex::new(None),
                status: Mutex::new(status),
            },
            receiver,
        )
    }

    fn status_mut(&self) -> std::sync::MutexGuard<'_, WatcherStatus> {
        self.status.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Watches `root` (replacing any current watch).
    ///
    /// # Errors
    /// The folder cannot be watched.
    pub fn start(&self, root: &Path) -> anyhow::Result<()> {
        let mut slot = self.watcher.lock().unwrap_or_else(|p| p.into_inner());
        *slot = None;
        let started = ProjectWatcher::start(root, self.debounce, self.changes.clone());
        let mut status = self.status_mut();
        status.root = Some(root.to_owned());
        match started {
            Ok(watcher) => {
                *slot = Some(watcher);
                status.running = true;
                status.started_at = Some(Utc::now());
                status.last_error = None;
                Ok(())
            }
            Err(err) => {
                status.running = false;
                status.last_error = Some(err.to_string());
                Err(err.into())
            }
        }
    }

    /// Stops watching; false when it was not running.
    pub fn stop(&self) -> bool {
        let was = self
            .watcher
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .take()
            .is_some();
        self.status_mut().running = false;
        was
    }

    /// A fresh watch when the watched folder was removed or replaced (a new
    /// folder under the same path).
    pub fn restart_if_replaced(&self) {
        let root = {
            let slot = self.watcher.lock().unwrap_or_else(|p| p.into_inner());
            match slot.as_ref() {
                Some(watcher) if !watcher.is_current() => watcher.root().to_owned(),
                _ => return,
            }
        };
        tracing::info!(root = %root.display(), "project folder replaced; watching the new one");
        if let Err(err) = self.start(&root) {
            tracing::warn!(%err, "file watcher not restarted");
        }
        // Whatever changed while unwatched is found by a full reconcile.
        let _ = self.changes.send(FolderChange::Replaced);
    }

    /// How long after a full scan the watcher may still deliver that
    /// scan's own echo: two debounce periods and a second.
    pub fn settle_time(&self) -> Duration {
        self.debounce * 2 + Duration::from_secs(1)
    }

    /// Counts a batch received from the watcher.
    pub fn record_batch(&self, paths: usize, rescan: bool) {
        let mut status = self.status_mut();
        status.batches += 1;
        status.paths += paths as u64;
        status.rescans += u64::from(rescan);
        status.last_event_at = Some(Utc::now());
    }

    /// Remembers a failure of the reconcile that followed a batch.
    pub fn record_error(&self, error: &str) {
        self.status_mut().last_error = Some(error.to_owned());
    }

    /// The current counters.
    pub fn status(&self) -> WatcherStatus {
        self.status_mut().clone()
    }
}
