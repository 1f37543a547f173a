//! The kernel: identifiers, the clock and id-generation ports, and the small
//! value types that every StudioBrain crate shares. It performs no I/O.

pub mod clock;
pub mod events;
pub mod ids;

pub use clock::{Clock, FixedClock, IdGen, SystemClock, UuidV7Gen};
pub use events::{
    Actor, EntityAction, EntityChange, Event, EventBus, EventKind, NoEvents, PresenceState,
    SyncSummary,
};
pub use ids::{InvalidId, TenantId, UserId};
