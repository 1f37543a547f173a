//! Live sync of StudioBrain: the [`Reconciler`] that keeps the index equal
//! to the project folder (at start-up, on file events, periodically and on
//! request), its [`status`], the [`presence`] of connected users, and the
//! [`activity`] log of changes fed by the event bus.

pub mod activity;
pub mod plan;
pub mod presence;
pub mod reconciler;
pub mod status;

pub use reconciler::{PendingChanges, Reconciler, Scope, SyncReport};
pub use status::{SyncRun, SyncStatus, Trigger};
