//! A shared uplink: one token bucket that every request body matching a `bandwidth` rule with
//! `shared: true` draws from, so N parallel bodies together get the cap (not N times it).

use std::sync::Mutex;
use std::time::Duration;

use tokio::time::Instant;

/// Credit an idle link may bank (and a late timer may make up): a short burst, as `tc tbf` allows.
const BURST: Duration = Duration::from_millis(20);

/// Bytes per reservation: a connection that reads big chunks gets no bigger share than one
/// that reads small ones (they take turns piece by piece, as TCP flows share a link).
const PIECE: u64 = 16 * 1024;

/// One link of `bytes_per_sec`, scheduled in virtual time: each chunk reserves the next free
/// slot after the chunks before it, so contenders interleave chunk by chunk in arrival order.
#[derive(Debug)]
pub struct Uplink {
    bytes_per_sec: u64,
    /// When the link is free again (the end of the last reserved slot).
    free_at: Mutex<Option<Instant>>,
}

impl Uplink {
    /// A link of `bytes_per_sec` (0 = no limit).
    pub fn new(bytes_per_sec: u64) -> Self {
        Uplink {
            bytes_per_sec,
            free_at: Mutex::new(None),
        }
    }

    /// Reserves `n` bytes at `now`: the instant they have passed the link.
    pub fn reserve(&self, n: u64, now: Instant) -> Instant {
        if self.bytes_per_sec == 0 {
            return now;
        }
        let mut free_at = self.free_at.lock().unwrap_or_else(|p| p.into_inner());
        // An idle link banks at most BURST of credit.
        let floor = now.checked_sub(BURST).unwrap_or(now);
        let start = free_at.map_or(floor, |f| f.max(floor));
        let nanos = u128::from(n) * 1_000_000_000 / u128::from(self.bytes_per_sec);
        let end = start + Duration::from_nanos(u64::try_from(nanos).unwrap_or(u64::MAX));
        *free_at = Some(end);
        end
    }

    /// Waits until `n` more bytes have passed the link, in turns of at most [`PIECE`].
    pub async fn pass(&self, n: u64) {
        let mut left = n;
        while left > 0 {
            let piece = left.min(PIECE);
            left -= piece;
            let end = self.reserve(piece, Instant::now());
            if end > Instant::now() {
                tokio::time::sleep_until(end).await;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slots_follow_each_other_at_the_rate() {
        let link = Uplink::new(1_000_000);
        let t0 = Instant::now();
        // The first chunk may use the banked burst; the ones after it queue behind it.
        let a = link.reserve(100_000, t0);
        let b = link.reserve(100_000, t0);
        let c = link.reserve(100_000, t0);
        assert_eq!(b - a, Duration::from_millis(100));
        assert_eq!(c - b, Duration::from_millis(100));
        assert!(a >= t0 + Duration::from_millis(80), "{:?}", a - t0);
    }

    #[test]
    fn an_idle_link_banks_at_most_the_burst() {
        let link = Uplink::new(1_000_000);
        let t0 = Instant::now();
        let _ = link.reserve(1_000, t0);
        let later = t0 + Duration::from_secs(10);
        let end = link.reserve(1_000_000, later);
        assert_eq!(end, later - BURST + Duration::from_secs(1));
    }

    #[test]
    fn zero_is_no_limit() {
        let link = Uplink::new(0);
        let t0 = Instant::now();
        assert_eq!(link.reserve(u64::MAX, t0), t0);
    }
}
