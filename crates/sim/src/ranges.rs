//! Sets of received byte ranges (half-open), and the `X-Content-Range` / `Range` wire formats.

use std::ops::Range;

/// Union of half-open byte ranges, kept sorted and merged.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RangeSet {
    ranges: Vec<Range<u64>>,
}

impl RangeSet {
    /// Adds `r` (merging neighbours).
    pub fn insert(&mut self, r: Range<u64>) {
        if r.start >= r.end {
            return;
        }
        let mut merged = r;
        let mut out = Vec::with_capacity(self.ranges.len() + 1);
        for x in self.ranges.drain(..) {
            if x.end < merged.start || x.start > merged.end {
                out.push(x);
            } else {
                merged = merged.start.min(x.start)..merged.end.max(x.end);
            }
        }
        out.push(merged);
        out.sort_by_key(|x| x.start);
        self.ranges = out;
    }

    /// Parts of `r` not yet in the set.
    pub fn missing_in(&self, r: Range<u64>) -> Vec<Range<u64>> {
        let mut out = Vec::new();
        let mut pos = r.start;
        for x in &self.ranges {
            if x.end <= pos {
                continue;
            }
            if x.start >= r.end {
                break;
            }
            if x.start > pos {
                out.push(pos..x.start.min(r.end));
            }
            pos = pos.max(x.end);
            if pos >= r.end {
                break;
            }
        }
        if pos < r.end {
            out.push(pos..r.end);
        }
        out
    }

    /// Whether `0..total` is fully covered.
    pub fn covers(&self, total: u64) -> bool {
        total == 0 || (self.ranges.len() == 1 && self.ranges[0] == (0..total))
    }

    /// Bytes held.
    pub fn len(&self) -> u64 {
        self.ranges.iter().map(|r| r.end - r.start).sum()
    }

    /// Wire form: `0-99,200-299/1000` (inclusive ends); empty set is `/1000`.
    pub fn to_wire(&self, total: u64) -> String {
        let list: Vec<String> = self
            .ranges
            .iter()
            .map(|r| format!("{}-{}", r.start, r.end - 1))
            .collect();
        format!("{}/{total}", list.join(","))
    }
}

/// Parses `bytes a-b/total` into (`a..b+1`, total). `None` when malformed or inconsistent.
pub fn parse_content_range(v: &str) -> Option<(Range<u64>, u64)> {
    let rest = v.trim().strip_prefix("bytes")?.trim_start();
    let rest = rest.strip_prefix('=').unwrap_or(rest).trim();
    let (range, total) = rest.split_once('/')?;
    let (a, b) = range.split_once('-')?;
    let a: u64 = a.trim().parse().ok()?;
    let b: u64 = b.trim().parse().ok()?;
    let total: u64 = total.trim().parse().ok()?;
    if a > b || b >= total {
        return None;
    }
    Some((a..b + 1, total))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn union_and_gaps() {
        let mut s = RangeSet::default();
        s.insert(200..300);
        s.insert(0..100);
        assert_eq!(s.to_wire(1000), "0-99,200-299/1000");
        assert_eq!(s.missing_in(50..250), vec![100..200]);
        s.insert(100..200);
        assert_eq!(s.to_wire(1000), "0-299/1000");
        s.insert(300..1000);
        assert!(s.covers(1000));
        assert_eq!(s.len(), 1000);
    }

    #[test]
    fn parses_ranges() {
        assert_eq!(parse_content_range("bytes 0-99/1000"), Some((0..100, 1000)));
        assert_eq!(parse_content_range("bytes 5-4/1000"), None);
        assert_eq!(parse_content_range("bytes 0-1000/1000"), None);
        assert_eq!(parse_content_range("0-9/10"), None);
    }
}
