//! Ports for time and identifier generation, so that services stay
//! deterministic under test.

use chrono::{DateTime, Utc};
use std::sync::Mutex;

/// Source of the current time.
pub trait Clock: Send + Sync {
    /// The current instant in UTC.
    fn now(&self) -> DateTime<Utc>;
}

/// The operating system's clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// A clock that stands still until moved; for tests.
#[derive(Debug)]
pub struct FixedClock(Mutex<DateTime<Utc>>);

impl FixedClock {
    /// A clock frozen at `at`.
    pub fn new(at: DateTime<Utc>) -> Self {
        Self(Mutex::new(at))
    }

    /// Moves the clock forward by `by`.
    pub fn advance(&self, by: chrono::Duration) {
        let mut now = self
            .0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        *now += by;
    }
}

impl Clock for FixedClock {
    fn now(&self) -> DateTime<Utc> {
        *self
            .0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// Source of new unique identifiers.
pub trait IdGen: Send + Sync {
    /// A new identifier, unique for the lifetime of the system.
    fn new_id(&self) -> String;
}

/// Time-ordered UUIDv7 identifiers (sort well in B-tree indexes).
#[derive(Debug, Default, Clone, Copy)]
pub struct UuidV7Gen;

impl IdGen for UuidV7Gen {
    fn new_id(&self) -> String {
        uuid::Uuid::now_v7().to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fixed_clock_advances() {
        let start = Utc::now();
        let clock = FixedClock::new(start);
        clock.advance(chrono::Duration::minutes(5));
        assert_eq!(clock.now() - start, chrono::Duration::minutes(5));
    }

    #[test]
    fn uuid_ids_are_unique_and_ordered() {
        let ids = UuidV7Gen;
        let a = ids.new_id();
        let b = ids.new_id();
        assert_ne!(a, b);
        assert!(a < b);
    }
}
