//! The clock, injected wherever time matters.

use std::sync::Mutex;
use std::time::Duration;
use time::OffsetDateTime;

/// Where "now" comes from. The server holds one `Arc<dyn Clock>`; tests use [`ManualClock`].
///
/// Clocks report whole milliseconds, the precision the store keeps, so a time written and read
/// back compares equal to the one that was decided on.
pub trait Clock: Send + Sync + std::fmt::Debug {
    /// The current time, UTC, in whole milliseconds.
    fn now(&self) -> OffsetDateTime;
}

/// `t` without its sub-millisecond part.
pub fn truncate_to_millis(t: OffsetDateTime) -> OffsetDateTime {
    let nanos = t.nanosecond();
    t.replace_nanosecond(nanos - nanos % 1_000_000).unwrap_or(t)
}

/// The operating system's clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> OffsetDateTime {
        truncate_to_millis(OffsetDateTime::now_utc())
    }
}

/// A clock that only moves when told to: expiry and verify windows are tested without sleeping.
#[derive(Debug)]
pub struct ManualClock {
    now: Mutex<OffsetDateTime>,
}

impl ManualClock {
    /// A clock standing at `start`.
    pub fn new(start: OffsetDateTime) -> Self {
        Self {
            now: Mutex::new(start),
        }
    }

    /// A clock standing at the system's current time.
    pub fn starting_now() -> Self {
        Self::new(OffsetDateTime::now_utc())
    }

    /// Move the clock forward.
    pub fn advance(&self, by: Duration) {
        let mut now = self.now.lock().unwrap_or_else(|p| p.into_inner());
        *now += by;
    }

    /// Set the clock.
    pub fn set(&self, to: OffsetDateTime) {
        *self.now.lock().unwrap_or_else(|p| p.into_inner()) = to;
    }
}

impl Clock for ManualClock {
    fn now(&self) -> OffsetDateTime {
        truncate_to_millis(*self.now.lock().unwrap_or_else(|p| p.into_inner()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn manual_clock_moves_only_when_told() {
        let c = ManualClock::new(datetime!(2026-01-01 00:00 UTC));
        assert_eq!(c.now(), datetime!(2026-01-01 00:00 UTC));
        c.advance(Duration::from_secs(61));
        assert_eq!(c.now(), datetime!(2026-01-01 00:01:01 UTC));
        c.advance(Duration::from_nanos(1_999_999));
        assert_eq!(c.now(), datetime!(2026-01-01 00:01:01.001 UTC));
        assert_eq!(SystemClock.now().nanosecond() % 1_000_000, 0);
    }
}
