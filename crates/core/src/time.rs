//! Engine time: a point on the driver's monotonic clock, in milliseconds since any epoch it likes.

use serde::{Deserialize, Serialize};
use std::ops::Add;
use std::time::Duration;

/// A point in time, milliseconds since an arbitrary epoch chosen by the driver.
///
/// The engine never reads a clock: every call that depends on time takes a `Millis`.
/// A browser driver typically passes `performance.now()` (rounded) or `Date.now()`.
#[derive(
    Copy, Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
pub struct Millis(pub u64);

impl Millis {
    /// Time elapsed from `earlier` to `self`, zero if `earlier` is later.
    pub fn since(self, earlier: Millis) -> Duration {
        Duration::from_millis(self.0.saturating_sub(earlier.0))
    }
}

impl Add<Duration> for Millis {
    type Output = Millis;
    fn add(self, d: Duration) -> Millis {
        let ms = u64::try_from(d.as_millis()).unwrap_or(u64::MAX);
        Millis(self.0.saturating_add(ms))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn add_and_since_saturate() {
        assert_eq!(Millis(5) + Duration::from_millis(7), Millis(12));
        assert_eq!(Millis(u64::MAX) + Duration::from_secs(1), Millis(u64::MAX));
        assert_eq!(Millis(3).since(Millis(10)), Duration::ZERO);
        assert_eq!(Millis(10).since(Millis(3)), Duration::from_millis(7));
    }
}
