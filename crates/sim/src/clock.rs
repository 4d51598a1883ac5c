//! The sim clock: wall time plus an offset that tests advance through `/_sim/clock`.

use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

/// Wall clock shifted by an adjustable offset (token and link expiry use it).
#[derive(Debug, Default)]
pub struct Clock {
    offset_ms: AtomicI64,
}

impl Clock {
    /// Milliseconds since the Unix epoch, sim time.
    pub fn now_ms(&self) -> u64 {
        (Self::wall_ms() + self.offset_ms.load(Ordering::SeqCst)).max(0) as u64
    }

    /// Milliseconds since the Unix epoch on the wall clock, never shifted: the request log's
    /// `first_byte_ms`, comparable with a page's `Date.now()` on the same machine.
    pub fn unix_ms() -> u64 {
        Self::wall_ms().max(0) as u64
    }

    fn wall_ms() -> i64 {
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_millis() as i64)
            .unwrap_or(0)
    }

    /// Seconds since the Unix epoch on the wall clock, without the test offset: what a
    /// client's clock reads, so signed v1 calls keep working after a test moved the sim clock.
    pub fn wall_secs(&self) -> u64 {
        (Self::wall_ms().max(0) / 1000) as u64
    }

    /// Seconds since the Unix epoch, sim time.
    pub fn now_secs(&self) -> u64 {
        self.now_ms() / 1000
    }

    /// Moves the clock forward (or back, with a negative value).
    pub fn advance_secs(&self, secs: i64) {
        self.offset_ms
            .fetch_add(secs.saturating_mul(1000), Ordering::SeqCst);
    }

    /// Current offset from wall time, in seconds.
    pub fn offset_secs(&self) -> i64 {
        self.offset_ms.load(Ordering::SeqCst) / 1000
    }
}
