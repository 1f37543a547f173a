//! In-memory adapters of StudioBrain's ports: fast, dependency-free stores
//! for tests and for embedding the domain crates without a database.
//! They honour the same contracts as the SQL adapters (each runs the shared
//! contract suites).

pub mod activity;
pub mod entities;
pub mod events;
pub mod identity;
pub mod outbox;
pub mod search;

pub use activity::MemoryActivityLog;
pub use entities::MemoryEntityIndex;
pub use events::LocalEventBus;
pub use identity::MemoryIdentityStore;
pub use outbox::RecordingOutbox;
