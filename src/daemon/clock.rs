//! Where the daemon's time comes from. Packet timestamps are the capture's,
//! but a live sensor also needs the time when nothing arrives: coverage is
//! the seconds the capture ran, and days close an hour past their end
//! whether packets come or not. The [`Clock`] gives that time; tests put in
//! a [`ManualClock`] and move it across midnight without sleeping.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

/// Now, in nanoseconds since the Unix epoch (UTC).
pub trait Clock: Send + Sync {
    fn now(&self) -> i64;
}

/// The system's real-time clock.
#[derive(Clone, Copy, Debug, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> i64 {
        let since = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
        i64::try_from(since.as_nanos()).unwrap_or(i64::MAX)
    }
}

/// A clock that says what it was last set to (tests).
#[derive(Clone, Debug, Default)]
pub struct ManualClock(Arc<AtomicI64>);

impl ManualClock {
    pub fn new(ns: i64) -> ManualClock {
        ManualClock(Arc::new(AtomicI64::new(ns)))
    }

    pub fn set(&self, ns: i64) {
        self.0.store(ns, Ordering::SeqCst);
    }
}

impl Clock for ManualClock {
    fn now(&self) -> i64 {
        self.0.load(Ordering::SeqCst)
    }
}

/// A shared clock.
pub type SharedClock = Arc<dyn Clock>;
