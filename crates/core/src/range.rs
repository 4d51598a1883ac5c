//! Byte-range sets: the resumable `Range` reply (`a-b[,c-d]*/total`), union, gaps, next missing.
//!
//! Ranges are half-open `Range<u64>` in Rust; on the wire they are inclusive `a-b` as the docs
//! show. Parsing never panics: malformed or out-of-bounds input is a [`RangeError`].

use serde::{Deserialize, Serialize};
use std::fmt;
use std::ops::Range;

/// A set of byte ranges, kept sorted, disjoint and merged (no two ranges touch).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct RangeSet {
    ranges: Vec<(u64, u64)>,
}

impl<'de> Deserialize<'de> for RangeSet {
    /// Reads `{"ranges":[[start,end],...]}` and restores the invariants (a stored record may
    /// have been tampered with): empty ranges dropped, the rest sorted and merged.
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        struct Raw {
            ranges: Vec<(u64, u64)>,
        }
        let raw = Raw::deserialize(d)?;
        Ok(RangeSet::from_ranges(
            raw.ranges.into_iter().map(|(s, e)| s..e),
        ))
    }
}

impl RangeSet {
    /// The empty set.
    pub fn new() -> Self {
        RangeSet::default()
    }

    /// A set holding the given ranges (empty ones ignored).
    pub fn from_ranges<I: IntoIterator<Item = Range<u64>>>(ranges: I) -> Self {
        let mut s = RangeSet::new();
        for r in ranges {
            s.insert(r);
        }
        s
    }

    /// Adds a range; empty ranges change nothing.
    pub fn insert(&mut self, r: Range<u64>) {
        if r.start >= r.end {
            return;
        }
        let (mut start, mut end) = (r.start, r.end);
        // First range whose end reaches `start` (touching counts: they merge).
        let first = self.ranges.partition_point(|&(_, e)| e < start);
        let mut last = first;
        while last < self.ranges.len() && self.ranges[last].0 <= end {
            start = start.min(self.ranges[last].0);
            end = end.max(self.ranges[last].1);
            last += 1;
        }
        self.ranges.splice(first..last, [(start, end)]);
    }

    /// Adds every range of `other`.
    pub fn union(&mut self, other: &RangeSet) {
        for r in other.iter() {
            self.insert(r);
        }
    }

    /// Removes a range.
    pub fn remove(&mut self, r: Range<u64>) {
        if r.start >= r.end {
            return;
        }
        let mut out = Vec::with_capacity(self.ranges.len() + 1);
        for &(s, e) in &self.ranges {
            if e <= r.start || s >= r.end {
                out.push((s, e));
                continue;
            }
            if s < r.start {
                out.push((s, r.start));
            }
            if e > r.end {
                out.push((r.end, e));
            }
        }
        self.ranges = out;
    }

    /// The ranges, in order.
    pub fn iter(&self) -> impl Iterator<Item = Range<u64>> + '_ {
        self.ranges.iter().map(|&(s, e)| s..e)
    }

    /// Whether the set is empty.
    pub fn is_empty(&self) -> bool {
        self.ranges.is_empty()
    }

    /// Number of bytes in the set.
    pub fn len_bytes(&self) -> u64 {
        self.ranges.iter().map(|&(s, e)| e - s).sum()
    }

    /// Whether byte `b` is in the set.
    pub fn contains(&self, b: u64) -> bool {
        let i = self.ranges.partition_point(|&(_, e)| e <= b);
        self.ranges.get(i).is_some_and(|&(s, _)| s <= b)
    }

    /// Whether the whole range is in the set (an empty range always is).
    pub fn contains_range(&self, r: &Range<u64>) -> bool {
        if r.start >= r.end {
            return true;
        }
        let i = self.ranges.partition_point(|&(_, e)| e <= r.start);
        self.ranges
            .get(i)
            .is_some_and(|&(s, e)| s <= r.start && r.end <= e)
    }

    /// Bytes of `r` that are in the set.
    pub fn overlap_len(&self, r: &Range<u64>) -> u64 {
        self.ranges
            .iter()
            .map(|&(s, e)| e.min(r.end).saturating_sub(s.max(r.start)))
            .sum()
    }

    /// The missing ranges inside `[0, total)`, in order.
    pub fn gaps(&self, total: u64) -> Vec<Range<u64>> {
        let mut out = Vec::new();
        let mut at = 0;
        for &(s, e) in &self.ranges {
            if s >= total {
                break;
            }
            if s > at {
                out.push(at..s);
            }
            at = at.max(e);
        }
        if at < total {
            out.push(at..total);
        }
        out
    }

    /// Whether every byte of `[0, total)` is in the set.
    pub fn is_complete(&self, total: u64) -> bool {
        self.contains_range(&(0..total))
    }

    /// The first missing range of `[0, total)` that is in neither `self` nor `busy`, cut to at
    /// most `max_len` bytes (`max_len` 0 is taken as 1).
    pub fn next_missing(&self, busy: &RangeSet, total: u64, max_len: u64) -> Option<Range<u64>> {
        let mut both = self.clone();
        both.union(busy);
        let gap = both.gaps(total).into_iter().next()?;
        let len = (gap.end - gap.start).min(max_len.max(1));
        Some(gap.start..gap.start + len)
    }
}

/// What went wrong parsing a range report.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RangeError {
    /// No `/total` part.
    MissingTotal,
    /// A number could not be read.
    BadNumber(String),
    /// A range is not `a-b` with `a <= b`.
    BadRange(String),
    /// A range ends at or past the total.
    OutOfBounds {
        /// The offending inclusive end.
        end: u64,
        /// The declared total.
        total: u64,
    },
}

impl fmt::Display for RangeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RangeError::MissingTotal => write!(f, "range report has no /total"),
            RangeError::BadNumber(s) => write!(f, "not a byte offset: {s:?}"),
            RangeError::BadRange(s) => write!(f, "not a byte range: {s:?}"),
            RangeError::OutOfBounds { end, total } => {
                write!(f, "byte {end} is past the total {total}")
            }
        }
    }
}

impl std::error::Error for RangeError {}

/// A parsed resumable `Range` report: what the server holds, and the file's total size.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RangeReport {
    /// Bytes the server holds.
    pub have: RangeSet,
    /// The total size it knows.
    pub total: u64,
}

fn number(s: &str) -> Result<u64, RangeError> {
    let t = s.trim();
    if t.is_empty() || !t.bytes().all(|b| b.is_ascii_digit()) {
        return Err(RangeError::BadNumber(s.to_string()));
    }
    t.parse::<u64>()
        .map_err(|_| RangeError::BadNumber(s.to_string()))
}

impl RangeReport {
    /// Parses `a-b[,c-d]*/total` (inclusive ends). Also accepts an optional `bytes ` or `bytes=`
    /// prefix and an empty list (`/total` or `*/total`) meaning nothing held yet.
    pub fn parse(s: &str) -> Result<RangeReport, RangeError> {
        let s = s.trim();
        let s = s
            .strip_prefix("bytes=")
            .or_else(|| s.strip_prefix("bytes "))
            .unwrap_or(s)
            .trim();
        let (list, total) = s.rsplit_once('/').ok_or(RangeError::MissingTotal)?;
        let total = number(total)?;
        let mut have = RangeSet::new();
        let list = list.trim();
        if !list.is_empty() && list != "*" {
            for item in list.split(',') {
                let (a, b) = item
                    .split_once('-')
                    .ok_or_else(|| RangeError::BadRange(item.to_string()))?;
                let (a, b) = (number(a)?, number(b)?);
                if a > b {
                    return Err(RangeError::BadRange(item.to_string()));
                }
                if b >= total {
                    return Err(RangeError::OutOfBounds { end: b, total });
                }
                have.insert(a..b + 1);
            }
        }
        Ok(RangeReport { have, total })
    }
}

impl fmt::Display for RangeReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, r) in self.have.iter().enumerate() {
            if i > 0 {
                f.write_str(",")?;
            }
            write!(f, "{}-{}", r.start, r.end - 1)?;
        }
        write!(f, "/{}", self.total)
    }
}

/// The `X-Content-Range` value for a non-empty chunk: `bytes a-b/total` (inclusive end).
pub fn content_range(r: &Range<u64>, total: u64) -> String {
    format!("bytes {}-{}/{}", r.start, r.end.saturating_sub(1), total)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::single_range_in_vec_init)]
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn parses_the_docs_examples() {
        let r = RangeReport::parse("0-1234566/96768273").unwrap();
        assert_eq!(r.total, 96768273);
        assert_eq!(r.have.iter().collect::<Vec<_>>(), vec![0..1234567]);
        let r = RangeReport::parse("0-99,200-299/1000").unwrap();
        assert_eq!(r.have.gaps(1000), vec![100..200, 300..1000]);
        assert_eq!(r.to_string(), "0-99,200-299/1000");
        assert!(RangeReport::parse("/10").unwrap().have.is_empty());
        assert!(RangeReport::parse("bytes 0-9/10")
            .unwrap()
            .have
            .is_complete(10));
    }

    #[test]
    fn rejects_bad_input() {
        for bad in [
            "",
            "0-9",
            "a-b/10",
            "5-3/10",
            "0-10/10",
            "0-/10",
            "-1/10",
            "0-9/",
            "0-9/x",
            "0-99999999999999999999/1",
            "1--2/5",
            "0-1,/5",
        ] {
            assert!(RangeReport::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn next_missing_skips_busy() {
        let have = RangeSet::from_ranges([0..10, 20..30]);
        let busy = RangeSet::from_ranges([10..15]);
        assert_eq!(have.next_missing(&busy, 40, 100), Some(15..20));
        assert_eq!(have.next_missing(&RangeSet::new(), 40, 3), Some(10..13));
        let full = RangeSet::from_ranges([0..40]);
        assert_eq!(full.next_missing(&busy, 40, 3), None);
    }

    #[test]
    fn stored_sets_are_normalized() {
        let s: RangeSet =
            serde_json::from_str(r#"{"ranges":[[50,60],[9,3],[0,10],[10,20]]}"#).unwrap();
        assert_eq!(s.iter().collect::<Vec<_>>(), vec![0..20, 50..60]);
        let back: RangeSet = serde_json::from_str(&serde_json::to_string(&s).unwrap()).unwrap();
        assert_eq!(back, s);
    }

    #[test]
    fn remove_and_contains() {
        let mut s = RangeSet::from_ranges([0..100]);
        s.remove(10..20);
        assert!(s.contains(9) && !s.contains(10) && !s.contains(19) && s.contains(20));
        assert!(s.contains_range(&(20..100)) && !s.contains_range(&(5..25)));
        assert_eq!(s.overlap_len(&(0..30)), 20);
    }

    fn arb_ranges() -> impl Strategy<Value = Vec<Range<u64>>> {
        prop::collection::vec((0u64..200, 0u64..40).prop_map(|(s, l)| s..s + l), 0..12)
    }

    fn bytes_of(rs: &[Range<u64>]) -> std::collections::BTreeSet<u64> {
        rs.iter().flat_map(|r| r.clone()).collect()
    }

    proptest! {
        #[test]
        fn set_equals_naive_union(a in arb_ranges(), b in arb_ranges()) {
            let mut s = RangeSet::from_ranges(a.clone());
            s.union(&RangeSet::from_ranges(b.clone()));
            let mut all = a.clone();
            all.extend(b.clone());
            let naive = bytes_of(&all);
            prop_assert_eq!(s.len_bytes(), naive.len() as u64);
            for x in 0..250u64 { prop_assert_eq!(s.contains(x), naive.contains(&x)); }
            // Sorted, disjoint, never touching.
            let v: Vec<_> = s.iter().collect();
            for w in v.windows(2) { prop_assert!(w[0].end < w[1].start); }
            // Union is commutative.
            let mut t = RangeSet::from_ranges(b);
            t.union(&RangeSet::from_ranges(a));
            prop_assert_eq!(s, t);
        }

        #[test]
        fn gaps_complement_the_set(a in arb_ranges(), total in 0u64..260) {
            let s = RangeSet::from_ranges(a);
            let gaps = s.gaps(total);
            let mut both = s.clone();
            for g in &gaps { prop_assert!(s.overlap_len(g) == 0); both.insert(g.clone()); }
            prop_assert!(both.is_complete(total));
            let in_s = s.overlap_len(&(0..total));
            let in_gaps: u64 = gaps.iter().map(|g| g.end - g.start).sum();
            prop_assert_eq!(in_s + in_gaps, total);
        }

        #[test]
        fn print_parse_roundtrip(a in arb_ranges()) {
            let s = RangeSet::from_ranges(a);
            let report = RangeReport { have: s, total: 300 };
            let back = RangeReport::parse(&report.to_string()).unwrap();
            prop_assert_eq!(back, report);
        }

        #[test]
        fn parser_never_panics(s in ".{0,40}") {
            let _ = RangeReport::parse(&s);
        }
    }
}
