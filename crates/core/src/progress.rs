//! Progress: committed bytes (the server acknowledged them) and in-flight bytes (per request,
//! overwritten, never added) kept apart; reported progress monotonic and never above the total;
//! speed and ETA smoothed with a time-based EWMA. The one place that keeps the bytes each
//! request sent, and so the two rates read from them: the upload's speed (for the UI and part
//! sizes) and each request's link rate (for the stall watchdog, which must not count the first
//! burst into empty socket buffers as the link's speed).

use crate::time::Millis;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::time::Duration;

/// What the UI shows.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Progress {
    /// Bytes done, monotonic, `<= total`.
    pub loaded: u64,
    /// File size.
    pub total: u64,
    /// Smoothed throughput, once measured.
    pub bytes_per_second: Option<f64>,
    /// Estimated time left, once measured.
    #[serde(with = "crate::time::ms_opt")]
    pub eta: Option<Duration>,
}

/// One request's body on its way: bytes handed to the browser and the rate its progress shows.
#[derive(Clone, Debug, PartialEq)]
pub struct Sending {
    /// Bytes of the body sent so far (overwritten; a smaller value is a restart).
    pub sent: u64,
    /// Progress reports that moved forward.
    pub reports: u32,
    /// The link's rate (bytes per ms) seen after the first report, smoothed.
    pub rate: Option<f64>,
    /// When it started or last moved forward.
    pub at: Millis,
}

impl Sending {
    fn report(&mut self, sent: u64, now: Millis) {
        if sent > self.sent {
            let dt = now.0.saturating_sub(self.at.0);
            // The first report is the burst into empty buffers, not the link's rate.
            if self.reports > 0 && dt > 0 {
                let r = (sent - self.sent) as f64 / dt as f64;
                self.rate = Some(self.rate.map_or(r, |old| 0.7 * old + 0.3 * r));
            }
            self.reports += 1;
            self.at = now;
        }
        self.sent = sent;
    }
}

/// Keeps per-request bytes and derives [`Progress`].
#[derive(Clone, Debug, Default)]
pub struct ProgressTracker {
    total: u64,
    committed: u64,
    in_flight: BTreeMap<u64, Sending>,
    reported: u64,
    wire: u64,
    sample_at: Option<Millis>,
    sample_wire: u64,
    ewma: Option<f64>,
    last_sent: Option<(u64, Option<u64>)>,
}

/// Time constant of the speed average.
const TAU_SECS: f64 = 4.0;
/// Shortest interval between speed samples.
const MIN_SAMPLE: Duration = Duration::from_millis(200);

impl ProgressTracker {
    /// A tracker for `total` bytes.
    pub fn new(total: u64) -> Self {
        ProgressTracker {
            total,
            ..Default::default()
        }
    }

    /// Sets the bytes the server has acknowledged (may go down after a reconcile: the reported
    /// value does not).
    pub fn set_committed(&mut self, bytes: u64) {
        self.committed = bytes.min(self.total);
    }

    /// Bytes acknowledged.
    pub fn committed(&self) -> u64 {
        self.committed
    }

    /// Overwrites the bytes request `id` has sent so far (a smaller value is a restart); the
    /// first call starts it.
    pub fn set_in_flight(&mut self, id: u64, sent: u64, now: Millis) {
        let s = self.in_flight.entry(id).or_insert(Sending {
            sent: 0,
            reports: 0,
            rate: None,
            at: now,
        });
        let prev = s.sent;
        s.report(sent, now);
        self.wire = self.wire.saturating_add(sent.saturating_sub(prev));
        self.sample(now);
    }

    /// Request `id`'s body on its way, if it has one.
    pub fn sending(&self, id: u64) -> Option<&Sending> {
        self.in_flight.get(&id)
    }

    /// Forgets request `id` (finished, failed or aborted).
    pub fn remove(&mut self, id: u64) {
        self.in_flight.remove(&id);
    }

    fn sample(&mut self, now: Millis) {
        let Some(at) = self.sample_at else {
            self.sample_at = Some(now);
            self.sample_wire = self.wire;
            return;
        };
        let dt = now.since(at);
        if dt < MIN_SAMPLE {
            return;
        }
        let secs = dt.as_secs_f64();
        let rate = (self.wire - self.sample_wire) as f64 / secs;
        let alpha = 1.0 - (-secs / TAU_SECS).exp();
        self.ewma = Some(match self.ewma {
            Some(e) => e + alpha * (rate - e),
            None => rate,
        });
        self.sample_at = Some(now);
        self.sample_wire = self.wire;
    }

    /// Lets time pass without bytes (a backoff pause): the speed decays.
    pub fn tick(&mut self, now: Millis) {
        self.sample(now);
    }

    /// Smoothed bytes per second on the wire, once measured.
    pub fn bytes_per_second(&self) -> Option<f64> {
        self.ewma.filter(|v| v.is_finite() && *v > 0.0)
    }

    /// Monotonic loaded bytes: `max(previous, committed + in flight)`, capped at the total.
    pub fn loaded(&mut self) -> u64 {
        let in_flight: u64 = self
            .in_flight
            .values()
            .fold(0, |a, b| a.saturating_add(b.sent));
        let now = self.committed.saturating_add(in_flight).min(self.total);
        self.reported = self.reported.max(now);
        self.reported
    }

    /// Marks everything done (the server said so).
    pub fn finish(&mut self) {
        self.committed = self.total;
        self.in_flight.clear();
        self.reported = self.total;
    }

    /// The progress to report, if it changed since the last call.
    pub fn poll(&mut self) -> Option<Progress> {
        let loaded = self.loaded();
        let bps = self.bytes_per_second();
        let rounded = bps.map(|b| b as u64);
        if self.last_sent == Some((loaded, rounded)) {
            return None;
        }
        self.last_sent = Some((loaded, rounded));
        let eta = bps.map(|b| Duration::from_secs_f64(((self.total - loaded) as f64 / b).min(1e9)));
        Some(Progress {
            loaded,
            total: self.total,
            bytes_per_second: bps,
            eta,
        })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn overwrite_not_add() {
        let mut p = ProgressTracker::new(100);
        p.set_in_flight(1, 10, Millis(0));
        p.set_in_flight(1, 30, Millis(0));
        assert_eq!(p.loaded(), 30);
        // Retry restarts from 0: reported stays.
        p.remove(1);
        p.set_in_flight(2, 5, Millis(0));
        assert_eq!(p.loaded(), 30);
        p.set_committed(60);
        assert_eq!(p.loaded(), 65);
        p.set_committed(200);
        assert_eq!(p.loaded(), 100);
    }

    #[test]
    fn speed_and_eta() {
        let mut p = ProgressTracker::new(10_000_000);
        for i in 0..20u64 {
            p.set_in_flight(1, i * 100_000, Millis(i * 1000));
        }
        let bps = p.bytes_per_second().unwrap();
        assert!((bps - 100_000.0).abs() < 1.0, "{bps}");
        let pr = p.poll().unwrap();
        assert!(pr.eta.unwrap() > Duration::from_secs(80));
        assert!(p.poll().is_none());
    }

    #[test]
    fn a_request_link_rate_skips_the_first_burst() {
        let mut p = ProgressTracker::new(10_000_000);
        p.set_in_flight(7, 0, Millis(0));
        p.set_in_flight(7, 1_000_000, Millis(5)); // into empty buffers
        let s = p.sending(7).unwrap();
        assert_eq!(
            (s.sent, s.reports, s.rate, s.at),
            (1_000_000, 1, None, Millis(5))
        );
        p.set_in_flight(7, 1_035_000, Millis(105));
        p.set_in_flight(7, 1_035_000, Millis(500)); // no progress: the clock stays
        let s = p.sending(7).unwrap();
        assert_eq!((s.reports, s.at), (2, Millis(105)));
        assert!((s.rate.unwrap() - 350.0).abs() < 1e-9, "{:?}", s.rate);
        p.remove(7);
        assert!(p.sending(7).is_none());
    }

    #[derive(Debug, Clone)]
    enum Op {
        Sent(u64, u64),
        Remove(u64),
        Commit(u64),
        Tick(u64),
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            (0u64..4, 0u64..2000).prop_map(|(i, b)| Op::Sent(i, b)),
            (0u64..4).prop_map(Op::Remove),
            (0u64..2000).prop_map(Op::Commit),
            (0u64..5000).prop_map(Op::Tick),
        ]
    }

    proptest! {
        #[test]
        fn monotonic_and_bounded(total in 0u64..1500, ops in prop::collection::vec(op(), 0..60)) {
            let mut p = ProgressTracker::new(total);
            let mut now = 0;
            let mut last = 0;
            for o in ops {
                match o {
                    Op::Sent(i, b) => p.set_in_flight(i, b, Millis(now)),
                    Op::Remove(i) => p.remove(i),
                    Op::Commit(b) => p.set_committed(b),
                    Op::Tick(d) => { now += d; p.tick(Millis(now)); }
                }
                let l = p.loaded();
                prop_assert!(l >= last && l <= total);
                last = l;
                if let Some(pr) = p.poll() {
                    prop_assert!(pr.loaded <= pr.total);
                    prop_assert!(pr.bytes_per_second.is_none_or(|b| b.is_finite() && b > 0.0));
                }
            }
        }
    }
}
