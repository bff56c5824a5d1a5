//! The time study rules run on. The system clock, plus an offset that only the process itself
//! can move (tests and the simulation advance it to play hours of study in seconds); no request
//! can change it.
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use chrono::{DateTime, Duration, FixedOffset, NaiveDate, Utc};

/// Asia/Shanghai: UTC+8 all year (no daylight saving since 1991).
pub fn shanghai() -> FixedOffset {
    FixedOffset::east_opt(8 * 3600).expect("a valid offset")
}

/// The day in Asia/Shanghai at `t`: the day of daily study caps.
pub fn shanghai_day(t: DateTime<Utc>) -> NaiveDate {
    t.with_timezone(&shanghai()).date_naive()
}

#[derive(Clone, Default)]
pub struct Clock {
    offset_ms: Arc<AtomicI64>,
    /// When non-zero, the instant (ms since the epoch) the clock stands still at, before its
    /// offset: time then moves only when advanced.
    frozen_ms: Arc<AtomicI64>,
}

impl Clock {
    /// Now, to the microsecond (what the databases keep).
    pub fn now(&self) -> DateTime<Utc> {
        let frozen = self.frozen_ms.load(Ordering::Relaxed);
        let base = if frozen == 0 {
            crate::db::now()
        } else {
            DateTime::from_timestamp_millis(frozen).unwrap_or_else(crate::db::now)
        };
        base + Duration::milliseconds(self.offset_ms.load(Ordering::Relaxed))
    }

    /// Stops this clock (every clone of it) where it stands: from now on only
    /// [`Clock::advance`] moves it. For simulations that must not depend on how fast they run.
    pub fn freeze(&self) {
        self.frozen_ms
            .store(crate::db::now().timestamp_millis(), Ordering::Relaxed);
    }

    /// Stops this clock (every clone of it) at `at`: for tests of calendar rules, which need
    /// a given weekday and hour.
    pub fn freeze_at(&self, at: DateTime<Utc>) {
        self.offset_ms.store(0, Ordering::Relaxed);
        self.frozen_ms
            .store(at.timestamp_millis(), Ordering::Relaxed);
    }

    /// Moves this clock (every clone of it) forward by `by`.
    pub fn advance(&self, by: std::time::Duration) {
        self.offset_ms
            .fetch_add(by.as_millis() as i64, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_day_turns_at_shanghai_midnight() {
        let before = "2026-11-30T15:59:59Z".parse().unwrap();
        let after = "2026-11-30T16:00:00Z".parse().unwrap();
        assert_eq!(shanghai_day(before).to_string(), "2026-11-30");
        assert_eq!(shanghai_day(after).to_string(), "2026-12-01");
    }

    #[test]
    fn an_advanced_clock_moves_every_clone() {
        let clock = Clock::default();
        let other = clock.clone();
        let t0 = clock.now();
        other.advance(std::time::Duration::from_secs(3600));
        let moved = clock.now() - t0;
        assert!(
            moved >= Duration::seconds(3600) && moved < Duration::seconds(3660),
            "{moved}"
        );
    }
}
