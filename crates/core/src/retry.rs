//! Retry policy as data plus pure functions: which failures to retry, exponential backoff with
//! full jitter and a cap, and `Retry-After` in seconds or as an HTTP date.

use serde::{Deserialize, Serialize};
use std::time::Duration;

/// How an upload retries. Attempts count consecutive failures without committed progress.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct RetryPolicy {
    /// Delay ceiling of the first retry (before jitter).
    #[serde(with = "crate::time::ms")]
    pub base: Duration,
    /// Largest backoff delay.
    #[serde(with = "crate::time::ms")]
    pub cap: Duration,
    /// Failures in a row, without committed progress, before the upload fails.
    pub max_attempts: u32,
    /// Longest `Retry-After` honoured; longer ones are cut to this.
    #[serde(with = "crate::time::ms")]
    pub max_retry_after: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            base: Duration::from_millis(500),
            cap: Duration::from_secs(30),
            max_attempts: 8,
            max_retry_after: Duration::from_secs(300),
        }
    }
}

impl RetryPolicy {
    /// The backoff ceiling for `attempt` (1-based): `min(cap, base * 2^(attempt-1))`.
    pub fn ceiling(&self, attempt: u32) -> Duration {
        let shift = attempt.saturating_sub(1).min(30);
        self.base
            .checked_mul(1u32 << shift)
            .unwrap_or(self.cap)
            .min(self.cap)
    }

    /// The delay before retry number `attempt`: full jitter (`unit` uniform in `[0, 1)` scales
    /// the ceiling), but never less than the server's `Retry-After` (cut to `max_retry_after`).
    pub fn delay(&self, attempt: u32, unit: f64, retry_after: Option<Duration>) -> Duration {
        let unit = if unit.is_finite() {
            unit.clamp(0.0, 1.0)
        } else {
            0.0
        };
        let jittered = self.ceiling(attempt).mul_f64(unit);
        match retry_after {
            Some(ra) => jittered.max(ra.min(self.max_retry_after)),
            None => jittered,
        }
    }
}

/// Whether an HTTP status is worth retrying: 408, 429 and 5xx.
pub fn is_retryable_status(status: u16) -> bool {
    status == 408 || status == 429 || (500..=599).contains(&status)
}

/// Parses `Retry-After`: delta seconds, or an HTTP date compared with `now_unix_ms` (the wall
/// clock, from the reply's `Date` header or the driver). A date in the past is zero; a date
/// without a wall clock to compare is ignored.
pub fn parse_retry_after(value: &str, now_unix_ms: Option<u64>) -> Option<Duration> {
    let v = value.trim();
    if !v.is_empty() && v.bytes().all(|b| b.is_ascii_digit()) {
        return v.parse::<u64>().ok().map(Duration::from_secs);
    }
    let when = parse_http_date_ms(v)?;
    Some(Duration::from_millis(when.saturating_sub(now_unix_ms?)))
}

const MONTHS: [&str; 12] = [
    "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
];

/// Days from 1970-01-01 to the given civil date (proleptic Gregorian).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Parses an HTTP date (IMF-fixdate, RFC 850 or asctime, as RFC 9110 allows) into Unix
/// milliseconds. Pure: no clock is read.
pub fn parse_http_date_ms(value: &str) -> Option<u64> {
    let (mut month, mut time, mut nums) = (None, None, Vec::new());
    for tok in value.split([' ', ',', '-']).filter(|t| !t.is_empty()) {
        if tok.contains(':') {
            let mut it = tok.split(':').map(|p| p.parse::<i64>().ok());
            let (h, m, s) = (it.next()??, it.next()??, it.next()??);
            if it.next().is_some() || h > 23 || m > 59 || s > 60 {
                return None;
            }
            time = Some(h * 3600 + m * 60 + s);
        } else if tok.bytes().all(|b| b.is_ascii_digit()) {
            nums.push((tok.len(), tok.parse::<i64>().ok()?));
        } else if let Some(i) = MONTHS.iter().position(|m| tok.eq_ignore_ascii_case(m)) {
            month = Some(i as i64 + 1);
        }
    }
    let [(_, day), (ylen, year)] = nums[..] else {
        return None;
    };
    let year = match ylen {
        2 if year >= 70 => 1900 + year,
        2 => 2000 + year,
        4 => year,
        _ => return None,
    };
    if !(1..=31).contains(&day) {
        return None;
    }
    let secs = days_from_civil(year, month?, day) * 86_400 + time?;
    u64::try_from(secs).ok()?.checked_mul(1000)
}

/// A small seeded PRNG (SplitMix64) for jitter: the driver gives the seed, so runs replay.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Jitter {
    state: u64,
}

impl Jitter {
    /// A generator from a seed.
    pub fn new(seed: u64) -> Self {
        Jitter { state: seed }
    }

    /// The next value, uniform in `[0, 1)`.
    pub fn next_unit(&mut self) -> f64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
        (z >> 11) as f64 / (1u64 << 53) as f64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses() {
        for s in [408, 429, 500, 502, 503, 599] {
            assert!(is_retryable_status(s), "{s}");
        }
        for s in [200, 400, 401, 403, 404, 413, 416] {
            assert!(!is_retryable_status(s), "{s}");
        }
    }

    #[test]
    fn backoff_grows_to_the_cap() {
        let p = RetryPolicy::default();
        assert_eq!(p.ceiling(1), Duration::from_millis(500));
        assert_eq!(p.ceiling(3), Duration::from_secs(2));
        assert_eq!(p.ceiling(40), Duration::from_secs(30));
        assert_eq!(p.delay(3, 0.5, None), Duration::from_secs(1));
        assert_eq!(p.delay(3, 0.0, None), Duration::ZERO);
        assert_eq!(
            p.delay(1, 0.9, Some(Duration::from_secs(5))),
            Duration::from_secs(5)
        );
        assert_eq!(
            p.delay(1, 0.9, Some(Duration::from_secs(9999))),
            Duration::from_secs(300)
        );
        assert_eq!(p.delay(2, f64::NAN, None), Duration::ZERO);
    }

    #[test]
    fn retry_after_forms() {
        assert_eq!(parse_retry_after(" 5 ", None), Some(Duration::from_secs(5)));
        let now = parse_http_date_ms("Sun, 22 Nov 2026 00:00:00 GMT");
        assert_eq!(
            parse_retry_after("Sun, 22 Nov 2026 00:00:07 GMT", now),
            Some(Duration::from_secs(7))
        );
        assert_eq!(
            parse_retry_after("Sat, 21 Nov 2026 00:00:07 GMT", now),
            Some(Duration::ZERO)
        );
        assert_eq!(
            parse_retry_after("Sun, 22 Nov 2026 00:00:07 GMT", None),
            None
        );
        assert_eq!(parse_retry_after("soon", now), None);
        assert_eq!(parse_retry_after("-3", now), None);
    }

    #[test]
    fn http_dates() {
        let imf = parse_http_date_ms("Sun, 06 Nov 1994 08:49:37 GMT");
        assert_eq!(imf, Some(784_111_777_000));
        assert_eq!(parse_http_date_ms("Sunday, 06-Nov-94 08:49:37 GMT"), imf);
        assert_eq!(parse_http_date_ms("Sun Nov  6 08:49:37 1994"), imf);
        assert_eq!(parse_http_date_ms("Thu, 01 Jan 1970 00:00:00 GMT"), Some(0));
        assert_eq!(
            parse_http_date_ms("Sun, 22 Nov 2026 00:00:00 GMT"),
            Some(1_795_305_600_000)
        );
        for bad in [
            "",
            "Sun, 06 Nov 1994",
            "Sun, 32 Nov 1994 08:49:37 GMT",
            "06 Foo 1994 1:2:3",
            "1:2:3:4 1 jan 1970",
        ] {
            assert_eq!(parse_http_date_ms(bad), None, "{bad}");
        }
    }

    #[test]
    fn jitter_is_uniform_enough_and_replays() {
        let mut a = Jitter::new(7);
        let mut b = Jitter::new(7);
        let xs: Vec<f64> = (0..1000).map(|_| a.next_unit()).collect();
        assert!(xs.iter().all(|x| (0.0..1.0).contains(x)));
        let mean = xs.iter().sum::<f64>() / 1000.0;
        assert!((0.4..0.6).contains(&mean));
        assert_eq!(xs[0], b.next_unit());
    }
}
