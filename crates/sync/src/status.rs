//! Sync status: whether a reconcile runs and how the last one ended.

use chrono::{DateTime, Utc};
use studiobrain_kernel::events::SyncSummary;

/// What started a reconcile.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Trigger {
    /// The server starting on an existing project.
    Startup,
    /// The periodic safety net.
    Periodic,
    /// File-system events.
    Watcher,
    /// A request to the sync API.
    Request,
}

impl Trigger {
    /// The wire form.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Startup => "startup",
            Self::Periodic => "periodic",
            Self::Watcher => "watcher",
            Self::Request => "request",
        }
    }
}

/// One finished reconcile.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyncRun {
    /// What started it.
    pub trigger: Trigger,
    /// When it started.
    pub started_at: DateTime<Utc>,
    /// When it ended.
    pub finished_at: DateTime<Utc>,
    /// Its counts (zero when it failed).
    pub summary: SyncSummary,
    /// Files that could not be read or parsed.
    pub failures: Vec<String>,
    /// Why it failed as a whole, if it did.
    pub error: Option<String>,
}

/// The sync state of one tenant.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SyncStatus {
    /// A reconcile is running now.
    pub running: bool,
    /// The last finished reconcile.
    pub last: Option<SyncRun>,
}
