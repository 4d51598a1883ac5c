//! Plans: multipart part ranges (>= 5 MiB but the last, <= 10,000 parts, <= 25 GiB) and
//! throughput-adaptive sizes for parts and resumable chunks.
//!
//! # Adapting multipart part sizes
//! The v2 upload API numbers parts and signs one link per part number, but does not fix their
//! sizes: any part but the last must be >= 5 MiB, and `complete` assembles parts `1..=highest`.
//! So the engine cuts parts in order and, while uploading, may re-cut only the *tail* of the plan:
//! the parts never sent and never reported done by the server. Parts once begun keep their range
//! for good (their ETag and MD5 refer to it, and the resume record stores it). A resumed upload
//! does not re-cut at all, since the server may hold parts the engine has not listed yet.

use crate::error::{ErrorCode, UploadError};
use crate::method::{MIB, SYSTEM_LIMIT};
use serde::{Deserialize, Serialize};
use std::ops::Range;
use std::time::Duration;

/// Smallest part but the last.
pub const MIN_PART: u64 = 5 * MIB;
/// Most parts in one upload.
pub const MAX_PARTS: u64 = 10_000;

/// Bounds and target of an adaptive size: `bytes_per_second * target`, clamped, rounded.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sizing {
    /// Size used before any throughput is known.
    pub initial: u64,
    /// Smallest size.
    pub min: u64,
    /// Largest size.
    pub max: u64,
    /// How long one part or chunk should take on the measured link.
    #[serde(with = "crate::time::ms")]
    pub target: Duration,
    /// Sizes are rounded down to a multiple of this.
    pub granule: u64,
}

impl Sizing {
    /// Multipart defaults: 8 MiB to start, 5..=64 MiB, 10 s per part, whole MiB. The cap bounds
    /// what a reload or a failure can cost (parts in flight are sent again) while 64 MiB parts
    /// already amortize the per-part CORS preflight (measured: 16-64 MiB slices upload alike).
    pub fn parts() -> Self {
        Sizing {
            initial: 8 * MIB,
            min: MIN_PART,
            max: 64 * MIB,
            target: Duration::from_secs(10),
            granule: MIB,
        }
    }

    /// Resumable defaults: 4 MiB to start, 256 KiB..=64 MiB, 10 s per chunk.
    pub fn chunks() -> Self {
        Sizing {
            initial: 4 * MIB,
            min: 256 * 1024,
            max: 64 * MIB,
            target: Duration::from_secs(10),
            granule: 64 * 1024,
        }
    }

    /// The size for a measured throughput (`None`: the initial size).
    pub fn size_for(&self, bytes_per_second: Option<f64>) -> u64 {
        let raw = match bytes_per_second {
            Some(bps) if bps.is_finite() && bps > 0.0 => {
                let v = bps * self.target.as_secs_f64();
                if v >= u64::MAX as f64 {
                    u64::MAX
                } else {
                    v as u64
                }
            }
            _ => self.initial,
        };
        let g = self.granule.max(1);
        let lo = self.min.max(1);
        let hi = self.max.max(lo);
        (raw.clamp(lo, hi) / g * g).max(lo)
    }
}

/// The multipart plan: part `n` (1-based) covers `ranges[n-1]`; ranges tile `[0, size)`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PartPlan {
    size: u64,
    ranges: Vec<(u64, u64)>,
}

fn too_many() -> UploadError {
    UploadError::new(
        ErrorCode::TooManyParts,
        "The file would need more than 10,000 parts.",
        false,
    )
}

/// The smallest part size that keeps `remaining` bytes within `slots` parts and >= 5 MiB.
fn floor_size(remaining: u64, slots: u64) -> u64 {
    if slots == 0 {
        return u64::MAX;
    }
    remaining.div_ceil(slots).max(MIN_PART)
}

fn cut(from: u64, size: u64, part: u64, out: &mut Vec<(u64, u64)>) {
    let mut at = from;
    while at < size {
        let end = size.min(at.saturating_add(part));
        out.push((at, end));
        at = end;
    }
}

impl PartPlan {
    /// A plan for `size` bytes with about `part_size` per part, raised as needed to stay within
    /// 10,000 parts and to 5 MiB.
    pub fn new(size: u64, part_size: u64) -> Result<PartPlan, UploadError> {
        Self::check_size(size)?;
        let part = part_size.max(floor_size(size, MAX_PARTS));
        let mut ranges = Vec::new();
        cut(0, size, part, &mut ranges);
        Ok(PartPlan { size, ranges })
    }

    /// A plan with exactly `part_size` per part (the last smaller): `too_many_parts` past
    /// 10,000, `invalid_config` under 5 MiB.
    pub fn exact(size: u64, part_size: u64) -> Result<PartPlan, UploadError> {
        Self::check_size(size)?;
        if part_size < MIN_PART {
            return Err(UploadError::new(
                ErrorCode::InvalidConfig,
                "Parts must be at least 5 MB.",
                false,
            ));
        }
        if size.div_ceil(part_size) > MAX_PARTS {
            return Err(too_many());
        }
        let mut ranges = Vec::new();
        cut(0, size, part_size, &mut ranges);
        Ok(PartPlan { size, ranges })
    }

    fn check_size(size: u64) -> Result<(), UploadError> {
        if size == 0 {
            return Err(UploadError::empty_file());
        }
        if size > SYSTEM_LIMIT {
            return Err(UploadError::new(
                ErrorCode::TooLarge,
                "The file is over the platform's 25 GB limit.",
                false,
            ));
        }
        Ok(())
    }

    /// Checks a plan read back from storage: tiles `[0, size)`, limits respected.
    pub fn validate(&self) -> Result<(), UploadError> {
        Self::check_size(self.size)?;
        if self.ranges.len() as u64 > MAX_PARTS {
            return Err(too_many());
        }
        let mut at = 0;
        for (i, &(s, e)) in self.ranges.iter().enumerate() {
            let last = i + 1 == self.ranges.len();
            if s != at || e <= s || (!last && e - s < MIN_PART) {
                return Err(UploadError::invalid_reply(
                    "stored part plan is inconsistent",
                ));
            }
            at = e;
        }
        if at != self.size {
            return Err(UploadError::invalid_reply(
                "stored part plan does not cover the file",
            ));
        }
        Ok(())
    }

    /// File size.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// Number of parts.
    pub fn len(&self) -> u32 {
        u32::try_from(self.ranges.len()).unwrap_or(u32::MAX)
    }

    /// Whether the plan has no parts (never, for a valid plan).
    pub fn is_empty(&self) -> bool {
        self.ranges.is_empty()
    }

    /// Range of part `n` (1-based).
    pub fn part(&self, n: u32) -> Option<Range<u64>> {
        let i = usize::try_from(n.checked_sub(1)?).ok()?;
        self.ranges.get(i).map(|&(s, e)| s..e)
    }

    /// The number of the part whose range is exactly `r` (a binary search).
    pub fn find(&self, r: &Range<u64>) -> Option<u32> {
        let i = self.ranges.partition_point(|&(s, _)| s < r.start);
        let &(s, e) = self.ranges.get(i)?;
        if (s, e) != (r.start, r.end) {
            return None;
        }
        u32::try_from(i + 1).ok()
    }

    /// All ranges in order.
    pub fn iter(&self) -> impl Iterator<Item = Range<u64>> + '_ {
        self.ranges.iter().map(|&(s, e)| s..e)
    }

    /// Re-cuts parts `first..` (1-based; those never begun) at about `part_size`, kept >= 5 MiB
    /// and within 10,000 parts. Returns whether the plan changed.
    pub fn recut_tail(&mut self, first: u32, part_size: u64) -> bool {
        let Some(k) = usize::try_from(first.saturating_sub(1)).ok() else {
            return false;
        };
        if first == 0 || k >= self.ranges.len() {
            return false;
        }
        let from = self.ranges[k].0;
        let slots = MAX_PARTS.saturating_sub(k as u64);
        let part = part_size.max(floor_size(self.size - from, slots));
        let mut tail = Vec::new();
        cut(from, self.size, part, &mut tail);
        if tail[..] == self.ranges[k..] {
            return false;
        }
        self.ranges.truncate(k);
        self.ranges.extend(tail);
        true
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::method::GIB;
    use proptest::prelude::*;

    fn check(plan: &PartPlan) {
        assert!(plan.validate().is_ok(), "{plan:?}");
    }

    #[test]
    fn small_and_large_files() {
        let p = PartPlan::new(1, 8 * MIB).unwrap();
        assert_eq!(p.iter().collect::<Vec<_>>(), vec![0..1]);
        let p = PartPlan::new(SYSTEM_LIMIT, MIN_PART).unwrap();
        assert!(p.len() as u64 <= MAX_PARTS);
        check(&p);
        assert_eq!(
            PartPlan::new(0, MIB).unwrap_err().code,
            ErrorCode::EmptyFile
        );
        assert_eq!(
            PartPlan::new(SYSTEM_LIMIT + 1, MIB).unwrap_err().code,
            ErrorCode::TooLarge
        );
        // Within 25 GiB, 5 MiB parts never pass 10,000; a stored plan that does is refused.
        assert_eq!(
            PartPlan::exact(SYSTEM_LIMIT, MIN_PART)
                .map(|p| p.len())
                .ok(),
            Some(5120)
        );
        let forged = PartPlan {
            size: 10_001,
            ranges: (0..10_001).map(|i| (i, i + 1)).collect(),
        };
        assert_eq!(
            forged.validate().map_err(|e| e.code),
            Err(ErrorCode::TooManyParts)
        );
        let _ = GIB;
        assert_eq!(
            PartPlan::exact(20 * MIB, MIB).unwrap_err().code,
            ErrorCode::InvalidConfig
        );
    }

    #[test]
    fn sizing_clamps_and_rounds() {
        let s = Sizing::parts();
        assert_eq!(s.size_for(None), 8 * MIB);
        assert_eq!(s.size_for(Some(1.0)), MIN_PART);
        assert_eq!(s.size_for(Some(1e12)), 64 * MIB);
        assert_eq!(s.size_for(Some(MIB as f64)), 10 * MIB);
        assert_eq!(s.size_for(Some(f64::NAN)), 8 * MIB);
    }

    #[test]
    fn recut_keeps_the_head() {
        let mut p = PartPlan::new(100 * MIB, MIN_PART).unwrap();
        let head: Vec<_> = p.iter().take(3).collect();
        assert!(p.recut_tail(4, 30 * MIB));
        assert_eq!(p.iter().take(3).collect::<Vec<_>>(), head);
        assert_eq!(p.len(), 3 + 3);
        check(&p);
        assert!(!p.recut_tail(99, MIB));
        assert!(!p.recut_tail(0, MIB));
    }

    proptest! {
        #[test]
        fn plans_tile_the_file(size in 1u64..=SYSTEM_LIMIT, part in 0u64..(512 * MIB),
                               recuts in prop::collection::vec((1u32..12_000, 0u64..(600 * MIB)), 0..4)) {
            let mut p = PartPlan::new(size, part).unwrap();
            check(&p);
            for (first, ps) in recuts {
                p.recut_tail(first, ps);
                check(&p);
            }
            let total: u64 = p.iter().map(|r| r.end - r.start).sum();
            prop_assert_eq!(total, size);
            for (i, r) in p.iter().enumerate() {
                prop_assert_eq!(p.find(&r), Some(i as u32 + 1));
                prop_assert_eq!(p.find(&(r.start..r.end + 1)), None);
            }
        }

        #[test]
        fn sizes_stay_in_bounds(bps in proptest::num::f64::ANY) {
            for s in [Sizing::parts(), Sizing::chunks()] {
                let v = s.size_for(Some(bps));
                prop_assert!(v >= s.min && v <= s.max);
            }
        }
    }
}
